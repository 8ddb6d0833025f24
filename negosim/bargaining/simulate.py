"""Run the bargaining model once and collect what happened.

:func:`simulate` builds a :class:`~negosim.bargaining.model.NegotiationModel`, runs it
to a deal, the deadline or a deadlock, and returns a
:class:`SimulationResult`: the outcome (agreement, package, round, each
party's utility and its concession against its ideal), the reason, the
DataCollector's trace as a DataFrame and the story told round by round.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> r = simulate(random_scenario(parties=3, provisions=4, options=3, seed=1, reservation=0.3),
...              protocol="alternating_offers", seed=2)
>>> r.agreement == (r.package is not None)
True
>>> sorted(r.to_json())
['agreement', 'concessions', 'package', 'reason', 'round', 'utilities']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .model import NegotiationModel


@dataclass
class SimulationResult:
    """What one run of the bargaining model produced.

    Attributes
    ----------
    agreement : whether a deal was made.
    package : ``{provision: option}`` of the deal, or None.
    round : the round of the deal, or None.
    utilities : each party's utility of the deal, or None.
    concessions : each party's ideal minus its utility of the deal (without a
        deal: minus its last aspiration), i.e. how far it came down.
    reason : why the talks ended, in words.
    trace : one row per round and party (the DataCollector's records).
    events : the story's events (round, party, kind, detail).
    story : the story, one line per event, grouped by round.
    protocol, seed, status : how it was run and how it ended.
    """

    agreement: bool
    package: dict[str, str] | None
    round: int | None
    utilities: dict[str, float] | None
    concessions: dict[str, float]
    reason: str
    status: str
    protocol: str
    seed: int | None
    trace: pd.DataFrame = field(repr=False)
    events: pd.DataFrame = field(repr=False)
    story: list[str] = field(repr=False)
    model: NegotiationModel | None = field(default=None, repr=False)
    #: After a deal, when some party has a ratifier: ``ratified`` or ``signed_not_ratified``
    #: (the protocols' ratification step; :mod:`negosim.engine.ratification`); else None.
    ratification: str | None = None
    #: What the ratifiers said, in words (None as above).
    ratification_detail: str | None = None

    def to_json(self) -> dict:
        """The stable JSON contract of ``negosim run --json`` (``ratification`` only after a deal
        in a scenario with a ratifier)."""
        out = {"agreement": self.agreement, "package": self.package, "round": self.round,
               "utilities": self.utilities, "concessions": self.concessions, "reason": self.reason}
        if self.ratification is not None:
            out["ratification"] = {"status": self.ratification, "ratified": self.ratification == "ratified",
                                   "detail": self.ratification_detail}
        return out


def story_lines(events: list[tuple[int, str, str, str]]) -> list[str]:
    """Readable lines from the model's events, with a heading for each round.

    >>> story_lines([(1, "us", "offer", "x=a"), (1, "ru", "reject", "utility 0.2 < threshold 0.4")])
    ['Round 1', '  us offers x=a', '  ru rejects: utility 0.2 < threshold 0.4']
    """
    verbs = {"opening": "opens with", "offer": "offers", "text": "puts the text on the table:",
             "accept": "accepts:", "reject": "rejects:", "revise": "revises the text:", "pass": "",
             "concede": "Concessions:", "agreement": "Agreement:", "breakdown": "No agreement:",
             "ratification": "Ratification:"}
    out, current = [], None
    for rnd, party, kind, detail in events:
        if rnd != current:
            out.append("Opening positions" if rnd == 0 else f"Round {rnd}")
            current = rnd
        verb = verbs.get(kind, kind)
        who = f"{party} " if party else ""
        text = f"{who}{verb} {detail}" if verb else f"{who}{detail}"
        out.append("  " + text.strip())
    return out


def result_of(model: NegotiationModel, seed=None) -> SimulationResult:
    """Collect a finished (or stopped) model's outcome."""
    cs = model.cs
    deal = model.agreement is not None
    utilities = concessions = None
    if deal:
        s = model.cs_now.score(model.agreement[None, :])
        utilities = {p: float(s.util[i, 0]) for i, p in enumerate(cs.party_ids)}
        concessions = {a.party: float(a.ideal - utilities[a.party]) for a in model.party_list}
    else:
        concessions = {a.party: float(a.ideal - (a.aspiration if a.aspiration is not None else a.ideal))
                       for a in model.party_list}
    return SimulationResult(
        agreement=deal, package=cs.package_dict(model.agreement) if deal else None,
        round=model.agreement_round, utilities=utilities, concessions=concessions,
        reason=model.reason or "talks still open", status=model.status, protocol=model.settings.name,
        seed=seed, trace=model.trace(), events=model.event_table(), story=story_lines(model.events), model=model,
        ratification=model.ratification or None,
        ratification_detail=next((d for _, _, kind, d in model.events if kind == "ratification"), None))


def simulate(scenario=None, protocol: str | None = None, seed: int | None = 0, rounds: int | None = None,
             strategies: str | dict[str, str] | None = None, **settings) -> SimulationResult:
    """Run the bargaining model on a scenario and return what happened.

    Parameters
    ----------
    scenario : Scenario, LoadedScenario or path (default: the shipped scenario).
    protocol : ``single_text``, ``alternating_offers`` or ``random_proposer``
        (default: the scenario's).
    seed : seed of the run (beliefs, proposers, tie order); the same seed
        gives the same trace.
    rounds : the deadline (default: the scenario's).
    strategies : one strategy for every party, or ``{party: strategy}``.
    **settings : other :class:`~negosim.bargaining.model.NegotiationModel` arguments
        (mediator, objective, information, belief_noise, changes_per_round,
        patience, recognition, params).
    """
    model = NegotiationModel(scenario, protocol, rounds=rounds, strategies=strategies, rng=seed, **settings)
    model.run_model()
    return result_of(model, seed)
