"""Drafts of several scenarios side by side, and what changed between them.

:func:`compare` takes scenarios in order (typically successive rounds of
talks), compiles each and asks :func:`negosim.engine.analysis.verdict` for every
party's verdict on its draft. The :class:`Comparison` holds the drafts
provision by provision, the verdicts with their margins, and for each pair of
neighbouring rounds the provisions whose option changed, how each change moved
each party's utility, which party numbers changed and whose verdict flipped.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> a = random_scenario(parties=2, provisions=3, options=2, seed=0)
>>> a.draft["x0"]
'o0'
>>> b = a.model_copy(update={"name": "b", "draft": {**a.draft, "x0": "o1"}})
>>> c = compare([a, b])
>>> [step.changes for step in c.steps]
[{'x0': ('o0', 'o1')}]
>>> sorted(c.to_json())
['parties', 'provisions', 'rounds', 'steps']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import Verdict, all_needed_accept, verdict
from negosim.scenario.numbers import dotted_name

from .compiled import compile_scenario, point_values


@dataclass
class Round:
    """One scenario's draft and each party's verdict on it."""

    name: str
    source: str | None
    draft: dict[str, str]
    labels: dict[str, str]
    verdicts: dict[str, Verdict]

    def to_json(self) -> dict:
        return {"name": self.name, "file": self.source, "draft": self.draft,
                "verdicts": {p: v.to_json() for p, v in self.verdicts.items()},
                "accepted": all_needed_accept(self.verdicts)}


@dataclass
class Step:
    """What changed from one round to the next.

    ``changes[provision] = (old option, new option)``; ``effects[provision][party]``
    is the change in that provision's contribution to the party's utility;
    ``numbers[path] = (old, new)`` lists party numbers whose point value differs;
    ``flips[party] = (old accepts, new accepts)`` for parties whose verdict changed.
    """

    before: str
    after: str
    changes: dict[str, tuple[str | None, str | None]]
    effects: dict[str, dict[str, float]]
    numbers: dict[str, tuple[float | None, float | None]]
    margins: dict[str, tuple[float, float]]
    flips: dict[str, tuple[bool, bool]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"from": self.before, "to": self.after,
                "changes": {k: list(v) for k, v in self.changes.items()},
                "effects": self.effects, "numbers": {k: list(v) for k, v in self.numbers.items()},
                "margins": {k: list(v) for k, v in self.margins.items()},
                "flips": {k: list(v) for k, v in self.flips.items()}}


@dataclass
class Comparison:
    """Result of :func:`compare`: rounds in the given order, provisions and parties in first-seen order."""

    rounds: list[Round]
    provisions: list[str]
    parties: list[str]
    steps: list[Step]

    def to_json(self) -> dict:
        """The contract of ``negosim compare --json``."""
        return {"provisions": self.provisions, "parties": self.parties,
                "rounds": [r.to_json() for r in self.rounds], "steps": [s.to_json() for s in self.steps]}


def _union(lists) -> list[str]:
    out: list[str] = []
    for ids in lists:
        out.extend(i for i in ids if i not in out)
    return out


def _round(scenario, source, params) -> tuple[Round, dict[str, float]]:
    cs = compile_scenario(scenario, params)
    labels = {p: scenario.provisions[p].options[o].label for p, o in scenario.draft.items()}
    # By id, not list position: rounds may list no-deal outcomes or linkages in another order.
    numbers = {dotted_name(scenario, path): v for path, v in point_values(scenario, params).items()}
    return Round(scenario.name, source, dict(scenario.draft), labels, verdict(cs, cs.draft)), numbers


def _step(a: Round, b: Round, na: dict, nb: dict, provisions, parties) -> Step:
    changes = {p: (a.draft.get(p), b.draft.get(p)) for p in provisions if a.draft.get(p) != b.draft.get(p)}
    effects = {}
    for p in changes:
        effects[p] = {q: b.verdicts[q].contributions.get(p, 0.0) - a.verdicts[q].contributions.get(p, 0.0)
                      for q in parties if q in a.verdicts and q in b.verdicts}
    numbers = {k: (na.get(k), nb.get(k)) for k in _union([na, nb]) if na.get(k) != nb.get(k)}
    margins = {q: (a.verdicts[q].margin, b.verdicts[q].margin) for q in parties
               if q in a.verdicts and q in b.verdicts}
    flips = {q: (a.verdicts[q].accepts, b.verdicts[q].accepts) for q in margins
             if a.verdicts[q].accepts != b.verdicts[q].accepts}
    return Step(a.name, b.name, changes, effects, numbers, margins, flips)


def compare(scenarios, params: dict[str, float] | None = None) -> Comparison:
    """Compare the drafts of scenarios given in order (see the module doc).

    Parameters
    ----------
    scenarios : Scenario or LoadedScenario objects (mixed allowed).
    params : named parameter values applied to every scenario that has them.
    """
    rounds, nums = [], []
    for s in scenarios:
        scen = getattr(s, "scenario", s)
        source = str(s.path) if hasattr(s, "path") else None
        own = {k: v for k, v in (params or {}).items() if k in scen.parameters}
        r, n = _round(scen, source, own)
        rounds.append(r)
        nums.append(n)
    provisions = _union(getattr(s, "scenario", s).provisions for s in scenarios)
    parties = _union(r.verdicts for r in rounds)
    steps = [_step(rounds[i], rounds[i + 1], nums[i], nums[i + 1], provisions, parties)
             for i in range(len(rounds) - 1)]
    return Comparison(rounds, provisions, parties, steps)
