"""The bargaining model: ``NegotiationModel(mesa.Model)``.

One :class:`~negosim.bargaining.agents.PartyAgent` per party (and a
:class:`~negosim.bargaining.agents.Mediator` for the single text) bargain over the
compiled scenario under one of the registered protocols
(:mod:`negosim.bargaining.protocols`). Each round (one ``step()``):

1. every party's reservation drifts by its ``drift`` (from the scenario's
   value in round 1); the round's judge is a copy of the compiled scenario
   with those reservations (:func:`negosim.bargaining.beliefs.at_round`);
2. the parties update their aspirations (``agents.shuffle_do("update")``);
3. the protocol tables a package and the parties answer it;
4. a deal is made when every party whose consent the package needs accepts
   it, which implies it lies in the zone of agreement of that round;
5. the ``DataCollector`` records the round; talks end on a deal, at the
   deadline (``rounds``) or on deadlock (``patience`` rounds in which the
   same package met the same answers and thresholds as before, with no
   party's threshold due to fall any further before the deadline).

Every argument has a default, so ``NegotiationModel()`` runs on the shipped
scenario ``scenarios/plan28_2025_11.yaml`` (a random scenario when that file
is missing or cannot be loaded).

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> m = NegotiationModel(random_scenario(parties=3, provisions=4, options=3, seed=1, reservation=0.3),
...                      "alternating_offers", rng=0)
>>> m.run_model()
>>> m.status in ("agreement", "deadline", "deadlock")
True
>>> list(m.trace().columns[:3])
['round', 'party', 'proposer']
"""

from __future__ import annotations

import warnings
from operator import attrgetter
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
from pydantic import ValidationError

from negosim.engine.compiled import as_scenario, compile_scenario, unanimous
from negosim.engine.ratification import Ratifiers, ratification_step
from negosim.errors import NegosimError, NegosimWarning
from negosim.scenario.schema import ProtocolSettings, Scenario
from .agents import Mediator, PartyAgent
from .beliefs import Beliefs, at_round, relink_views, reservations_at, stack_views
from .offer_search import Front
from .protocols import get_protocol
from .strategies import DEFAULT_STRATEGY, STRATEGIES, get_strategy

#: The scenario ``NegotiationModel()`` runs when given none.
DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "plan28_2025_11.yaml"
#: How far below its believed lowest reservation a party's offers may go for another party.
FRONT_MARGIN = 0.25
#: What the trace records of each party every round.
AGENT_COLUMNS = ("party", "reservation", "aspiration", "threshold", "utility", "accepts", "needed", "conceded",
                 "objection")
#: A concession smaller than this (in utility) is not told in the story.
STORY_CONCESSION = 1e-3


def default_scenario() -> Scenario:
    """The shipped 28-point-plan scenario, or a random one when it is not available."""
    if DEFAULT_SCENARIO.exists():
        from negosim.scenario.yaml_io import load_scenario
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return load_scenario(DEFAULT_SCENARIO, check_quotes=False).scenario
        except (NegosimError, OSError) as e:
            warnings.warn(f"{DEFAULT_SCENARIO.name} could not be loaded ({e}); using a random scenario",
                          NegosimWarning, stacklevel=3)
    from negosim.engine.random_scenario import random_scenario
    return random_scenario(parties=4, provisions=6, options=3, seed=0, reservation=0.45)


def resolve_scenario(scenario) -> Scenario:
    """A Scenario from None (the default), a path, a LoadedScenario or a Scenario."""
    if scenario is None:
        return default_scenario()
    return as_scenario(scenario, error="expected a Scenario, a LoadedScenario or the path of a scenario file")[0]


def settings_for(scenario: Scenario, **changes) -> ProtocolSettings:
    """The scenario's ``protocol:`` settings with the given fields replaced (None: keep)."""
    base = (scenario.protocol or ProtocolSettings()).model_dump()
    strategies = changes.pop("strategies", None)
    if isinstance(strategies, str):
        strategies = {p: strategies for p in scenario.parties}
    if strategies is not None:
        base["strategies"] = {**base["strategies"], **strategies}
    base.update({k: v for k, v in changes.items() if v is not None})
    if isinstance(base.get("belief_noise"), int):
        base["belief_noise"] = float(base["belief_noise"])
    try:
        settings = ProtocolSettings.model_validate(base)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise NegosimError(f"protocol setting {where}: {err['msg']}") from None
    if settings.mediator != "neutral" and settings.mediator not in scenario.parties:
        raise NegosimError(f"unknown mediator '{settings.mediator}' (parties: {', '.join(scenario.parties)})")
    for field in ("strategies", "recognition"):
        for p in getattr(settings, field):
            if p not in scenario.parties:
                raise NegosimError(f"{field}: unknown party '{p}' (parties: {', '.join(scenario.parties)})")
    return settings


def _describe(cs, x, against) -> str:
    """``x2=o1, x5=o0``: the provisions where package ``x`` differs from ``against`` ("" if none)."""
    return ", ".join(f"{cs.provision_ids[j]}={cs.option_ids[j][x[j]]}" for j in np.flatnonzero(x != against))


def _in_words(cs, x) -> str:
    """A package told as its changes from the draft."""
    diff = _describe(cs, x, cs.draft)
    return f"{diff} (changes from the draft)" if diff else "the draft as it stands"


class NegotiationModel(mesa.Model):
    """Parties bargaining over a compiled scenario under one protocol.

    Parameters
    ----------
    scenario : Scenario, LoadedScenario or path (default: the shipped scenario).
    protocol : ``single_text``, ``alternating_offers`` or ``random_proposer``
        (default: the scenario's ``protocol.name``, else ``single_text``).
    rounds : the deadline (default: the scenario's, else 50).
    strategies : one strategy name for every party, or ``{party: name}``
        (default: the scenario's, else ``linear``).
    mediator, objective, information, belief_noise, changes_per_round, patience,
    recognition : override the scenario's protocol settings.
    params : named parameter values for the compiled scenario.
    rng : seed of the model's random generator (Mesa's ``rng``).

    Attributes
    ----------
    cs : the compiled scenario (round 1's reservations).
    status : ``open``, ``agreement``, ``deadline`` or ``deadlock``.
    agreement : the agreed package (option indices) or None.
    """

    def __init__(self, scenario=None, protocol: str | None = None, *, rounds: int | None = None,
                 strategies: str | dict[str, str] | None = None, mediator: str | None = None,
                 objective: str | None = None, information: str | None = None,
                 belief_noise: float | None = None, changes_per_round: int | None = None,
                 patience: int | None = None, recognition: dict[str, float] | None = None,
                 params: dict[str, float] | None = None, rng=None):
        super().__init__(rng=rng)
        self.negosim_scenario = resolve_scenario(scenario)
        self.settings = settings_for(self.negosim_scenario, name=protocol, rounds=rounds, strategies=strategies,
                                     mediator=mediator, objective=objective, information=information,
                                     belief_noise=belief_noise, changes_per_round=changes_per_round,
                                     patience=patience, recognition=recognition)
        self.params = dict(params or {})
        self.cs = compile_scenario(self.negosim_scenario, self.params)
        self.deadline = self.settings.rounds
        self.round = 0
        self.reservations = reservations_at(self.cs, 1)
        self.cs_now = at_round(self.cs, 1)
        self.protocol = get_protocol(self.settings.name)
        self._make_agents()
        self.text = self.cs.draft.copy()
        self.status = "open"
        self.reason = ""
        self.agreement: np.ndarray | None = None
        self.agreement_round: int | None = None
        self.package_index = -1
        self.package_changes = ""
        self.proposer = ""
        self.answers: dict[int, tuple] = {}
        self._last_conceded = np.zeros(self.cs.n_parties)
        self._seen: set = set()
        self._stale = 0
        self.events: list[tuple[int, str, str, str]] = []
        #: The parties' ratifiers (None when no party has one): a deal goes to them once signed.
        self.ratifiers = Ratifiers(self.negosim_scenario) or None
        self.ratification, self.ratified = "", None
        self.datacollector = mesa.DataCollector(
            model_reporters={"proposer": "proposer", "package": "package_index",
                             "changes": "package_changes", "status": "status",
                             **({"ratification": "ratification"} if self.ratifiers else {})},
            # attrgetter, not attribute strings or lambdas: the model must pickle.
            agenttype_reporters={PartyAgent: {name: attrgetter(name) for name in AGENT_COLUMNS}},
            tables={"events": ["round", "party", "kind", "detail"]})
        self.protocol.setup(self)

    def __setstate__(self, state) -> None:
        # Pickling copies numpy views apart: point the believers' values back into the stack.
        self.__dict__.update(state)
        if self._stack is not None:
            relink_views(self._stack, [a.beliefs for a in self.party_list])

    # -- construction -------------------------------------------------------
    def _make_agents(self) -> None:
        s, cs = self.settings, self.cs
        complete = s.information == "complete"
        streams = self.rng.spawn(cs.n_parties + 1)

        def beliefs(owner, stream):
            if complete:
                return Beliefs.exact(cs, owner)
            return Beliefs.private(self.negosim_scenario, cs, owner, stream, s.belief_noise, self.params)

        self.party_list: list[PartyAgent] = []
        for i, pid in enumerate(cs.party_ids):
            strategy = get_strategy(s.strategies.get(pid, DEFAULT_STRATEGY))
            self.party_list.append(PartyAgent(self, i, strategy, beliefs(i, streams[i])))
        self.parties = self.agents_by_type[PartyAgent]
        # Private beliefs are scored together (one call gives every believer's utilities).
        self._stack = None if complete else stack_views([a.beliefs for a in self.party_list])
        self.mediator: Mediator | None = None
        self.mediator_label = None
        if self.protocol.needs_mediator:
            if s.mediator == "neutral":
                self.mediator = Mediator(self, None, beliefs(None, streams[-1]), s.objective, s.changes_per_round)
                self.mediator_label = "mediator"
            else:
                i = cs.party_ids.index(s.mediator)
                self.mediator = Mediator(self, i, self.party_list[i].beliefs, s.objective, s.changes_per_round)
                self.mediator_label = f"{s.mediator} (mediator)"
        # Every party needs the front of its view: its ideal is the best it offers.
        shared: Front | None = None
        for agent in self.party_list:
            if complete:
                shared = shared or Front.build(cs, np.minimum(reservations_at(cs, 1),
                                                              reservations_at(cs, self.deadline)))
                agent.set_front(shared)
            else:
                # Others' floors well below the believed ones: the candidate set must
                # survive beliefs that turn out too pessimistic.
                floors = np.maximum(agent.beliefs.floor(self.deadline) - FRONT_MARGIN, 0.0)
                floors[agent.index] = agent.beliefs.floor(self.deadline)[agent.index]
                agent.set_front(Front.build(agent.beliefs.view, floors))

    # -- services for agents and protocols -----------------------------------
    def open_talks(self, learn: bool = True) -> None:
        """Opening statements: each party names its ideal package (told in round 0 of the story).

        With ``learn``, every believer then takes a party's opening demand,
        the believed utility of its ideal package for it, as that party's
        first threshold.
        """
        openings = {}
        for a in self.party_list:
            f = a.front
            ok = np.flatnonzero(~f.red[:, a.index]) if f.size else np.zeros(0, np.int64)
            if len(ok):
                openings[a.index] = f.X[ok[np.argmax(f.U[ok, a.index])]]
                self.round = 0
                self._event(a.party, "opening", f"{_in_words(self.cs, openings[a.index])}, "
                                                f"utility {a.ideal:.3f}")
        if not learn:
            return
        believers = [a.beliefs for a in self.party_list]
        if self.mediator is not None and self.mediator.party is None:
            believers.append(self.mediator.beliefs)
        for b in believers:
            if b.complete:
                continue
            base = b.reservation_at(1)
            gap = np.zeros(self.cs.n_parties)
            for j, x in openings.items():
                gap[j] = b.view.score(x[None, :]).util[j, 0] - base[j]
            b.start_gaps(gap)

    def others_conceded(self, i: int) -> float | None:
        """Mean share of their range the other parties conceded last round (None before round 3)."""
        n = self.cs.n_parties
        if self.round <= 2 or n < 2:
            return None
        return float((self._last_conceded.sum() - self._last_conceded[i]) / (n - 1))

    def true_thresholds(self) -> np.ndarray:
        """Every party's actual acceptance threshold this round."""
        return np.array([max(a.threshold, a.reservation) for a in self.party_list])

    def recognition(self) -> np.ndarray:
        """Probabilities of being drawn as proposer (settings' weights, else power)."""
        rec = self.settings.recognition
        w = np.array([rec.get(p, 0.0) for p in self.cs.party_ids]) if rec else self.cs.power.copy()
        return w / w.sum()

    def ask(self, x: np.ndarray) -> dict[int, tuple[bool, bool, bool, float]]:
        """Every party's answer to package ``x``: ``(accepts, red, needed, utility)``."""
        s = self.cs_now.score(x[None, :])
        self.answers = {a.index: (a.respond(s.util[a.index, 0], s.red[a.index, 0], s.needed[a.index, 0]),
                                  bool(s.red[a.index, 0]), bool(s.needed[a.index, 0]), float(s.util[a.index, 0]))
                        for a in self.party_list}
        return self.answers

    def consent(self, x: np.ndarray, answers) -> bool:
        """Whether ``x`` is agreed: every needed party accepted it and the parties that accepted it
        meet every consent rule it touches (which puts it in this round's zone)."""
        said = [answers[i] for i in sorted(answers)]  # in party order, as the consent rules count them
        cs = self.cs_now
        ok = bool(unanimous([acc for acc, _, _, _ in said], [needed for _, _, needed, _ in said], axis=0,
                            touched=cs.touched(x[None, :])[:, 0], consent=cs.consent))
        return ok and bool(cs.score(x[None, :]).in_zone[0])

    def broadcast(self, x: np.ndarray, answers, proposer: int, protocol) -> None:
        """Every party learns from the offer and from every answer to it."""
        if self._stack is None:  # complete information: nothing to learn
            return
        P = self.cs.n_parties
        believed = self._stack.score(x[None, :]).util[:, 0].reshape(-1, P)
        for agent, u in zip(self.party_list, believed):
            b = agent.beliefs
            base = protocol.bases(self, agent)
            estimate = protocol.estimates(self, agent)
            for j, (acc, red, _, _) in answers.items():
                b.observe_response(j, x, float(u[j]), float(estimate[j]), float(base[j]), acc, red)
            b.observe_offer(proposer, float(u[proposer]), float(base[proposer]))

    # -- the round ----------------------------------------------------------
    def step(self) -> None:
        """One round of talks."""
        if not self.running:
            return
        self.round = self.steps
        self.reservations = reservations_at(self.cs, self.round)
        self.cs_now = at_round(self.cs, self.round)
        self._last_conceded = np.array([a.conceded for a in self.party_list])
        self.answers = {}
        before = {a.index: a.aspiration for a in self.party_list}
        self.parties.shuffle_do("update")
        if self.mediator is not None:
            self.mediator.update()
        self.protocol.start_round(self)
        play = self.protocol.play(self)
        self._record(play, before)
        self.datacollector.collect(self)

    def _event(self, party: str, kind: str, detail: str) -> None:
        self.events.append((self.round, party, kind, detail))
        self.datacollector.add_table_row("events", {"round": self.round, "party": party, "kind": kind,
                                                    "detail": detail})

    def _record(self, play, before) -> None:
        cs = self.cs
        moves = [f"{a.party} -{before[a.index] - a.aspiration:.3f} (to {a.aspiration:.3f})" for a in self.party_list
                 if before[a.index] is not None and before[a.index] - a.aspiration >= STORY_CONCESSION]
        if moves:
            self._event("", "concede", ", ".join(moves))
        self.proposer = play.proposer or ""
        x = play.package
        if x is None:
            self.package_index, self.package_changes = -1, ""
            self._event(self.proposer, "pass", play.note or "makes no offer")
        else:
            self.package_index = cs.space.encode_one(x) if cs.space.fits_int64 else -1
            self.package_changes = _describe(cs, x, cs.draft)
            kind = "text" if self.protocol.needs_mediator else "offer"
            extra = f"; {play.note}" if play.note else ""
            self._event(self.proposer, kind, _in_words(cs, x) + extra)
            self._answers_events(x)
        if play.changed:
            moves = []
            for p in play.changed:
                j = cs.provision_ids.index(p)
                moves.append(f"{p}: {cs.option_ids[j][x[j]]} -> {cs.option_ids[j][self.text[j]]}")
            self._event(self.mediator_label or "", "revise", ", ".join(moves))
        if x is not None and self.consent(x, self.answers):
            self.status, self.agreement, self.agreement_round = "agreement", x.copy(), self.round
            self.reason = f"every party whose consent is needed accepted in round {self.round}"
        else:
            self._check_stale(x)
            if self._stale >= self.settings.patience and self._settled():
                self.status = "deadlock"
                self.reason = (f"deadlock: for {self._stale} rounds the same packages met the same answers, "
                               f"and nobody will move before the deadline (round {self.round})")
            elif self.round >= self.deadline:
                self.status = "deadline"
                self.reason = f"deadline: no agreement after {self.round} rounds"
        if self.status != "open":
            self.running = False
            self._event("", "agreement" if self.status == "agreement" else "breakdown", self.reason)
            if self.status == "agreement" and self.ratifiers:
                ratification_step(self)

    def _answers_events(self, x: np.ndarray) -> None:
        for a in self.party_list:
            acc, red, needed, u = self.answers[a.index]
            note = "" if needed else " (consent not needed)"
            if acc:
                self._event(a.party, "accept", f"utility {u:.3f} >= threshold {a.threshold:.3f}{note}")
            elif red:
                lines = ", ".join(self.cs.red_lines_hit(x)[a.party])
                self._event(a.party, "reject", f"crosses red line {lines}{note}")
            else:
                why = f"utility {u:.3f} < threshold {a.threshold:.3f}{note}"
                if a.objection:
                    why += f"; wants {a.objection}"
                self._event(a.party, "reject", why)

    def _settled(self) -> bool:
        """Whether no party's threshold will fall any further before the deadline."""
        return all(self.protocol.lowest_ahead(self, a) >= a.threshold - 1e-9 for a in self.party_list)

    def _check_stale(self, x) -> None:
        sig = (self.package_index, tuple(acc for acc, *_ in self.answers.values()),
               tuple(np.round(self.true_thresholds(), 9)), self.proposer)
        self._stale = self._stale + 1 if sig in self._seen else 0
        self._seen.add(sig)

    # -- results -------------------------------------------------------------
    # run_model is Mesa's own: step while ``running`` (cleared on a deal, the deadline or a deadlock).

    def trace(self) -> pd.DataFrame:
        """One row per round and party, from the DataCollector."""
        agents = self.datacollector.get_agenttype_vars_dataframe(PartyAgent).reset_index()
        rounds = self.datacollector.get_model_vars_dataframe()
        rounds.insert(0, "round", np.arange(1, len(rounds) + 1))
        if agents.empty:
            return pd.DataFrame(columns=["round", "party", "proposer"])
        agents = agents.rename(columns={"Step": "round"}).drop(columns="AgentID")
        agents["round"] = agents["round"].astype(int)
        out = rounds.merge(agents, on="round", how="right")
        cols = ["round", "party"] + [c for c in out.columns if c not in ("round", "party")]
        return out[cols]

    def event_table(self) -> pd.DataFrame:
        """The story's events: round, party, kind, detail."""
        return self.datacollector.get_table_dataframe("events")


__all__ = ["DEFAULT_SCENARIO", "NegotiationModel", "STRATEGIES", "default_scenario", "resolve_scenario",
           "settings_for"]
