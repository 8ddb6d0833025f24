"""Ratification: the second level of a two-level game (Putnam 1988).

A party may have a ``ratifier`` (a parliament, a congress) with a threshold
and, optionally, weights of its own. A package the party's negotiator signs
is ratified by it only when the package's utility for the ratifier reaches
the threshold, by the one acceptance comparison
(:func:`negosim.engine.compiled.meets`). A deal is *signed* when every party
whose consent it needs accepts; it is *ratified* when, in addition, the
ratifier of every such party approves (docs/model.md, "Ratification").

The ratifiers are scored as extra rows of the compiled tables: each one is
added to a copy of the scenario as a party of its own, with its owner's
values and linkages, its own weights (default: its owner's), its threshold as
reservation, no red lines and no veto. :class:`Ratifiers` maps every number
of that copy to the column of the original number it stands for, so the
tables of the copy are derived by the one derivation
(:meth:`~negosim.engine.compiled.NumberLayout.derive`) from the original's
rows (points, a sweep's rows, drawn rows, parameters applied) and scored by the
one scorer (:func:`~negosim.engine.compiled.stacked_scores`).

Example
-------
>>> from negosim.scenario.schema import Scenario
>>> s = Scenario.model_validate({
...     "negosim": 1, "name": "toy",
...     "provisions": {"p": {"label": "P", "options": {"a": {"label": "A", "status_quo": True},
...                                                   "b": {"label": "B"}}},
...                    "q": {"label": "Q", "options": {"a": {"label": "A", "status_quo": True},
...                                                   "b": {"label": "B"}}}},
...     "parties": {"x": {"reservation": 0.4, "weights": {"p": 1, "q": 1},
...                       "values": {"p": {"a": 0, "b": 1}, "q": {"a": 0, "b": 1}},
...                       "ratifier": {"label": "Assembly", "threshold": 0.6, "weights": {"p": 1, "q": 0}}}},
...     "draft": {"p": "a", "q": "b"}})
>>> r = ratify(s, {"draft": [0, 1], "other": [1, 0]})
>>> r["draft"].signed, r["draft"].ratified, r["other"].ratified
(True, False, True)
>>> r["draft"].ratifiers["x"].utility
0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .compiled import NumberLayout, accepts, compile_scenario, meets, stacked_scores, thresholds, unanimous


def _ratifier_id(party: str) -> str:
    # A dot cannot occur in a party id, so this never collides with one.
    return f"{party}.ratifier"


class Ratifiers:
    """The ratifiers of a scenario as extra rows of its compiled tables.

    Parameters
    ----------
    scenario : Scenario

    Attributes
    ----------
    owners : list[str]
        The parties that have a ratifier, in the scenario's order.
    owner_index : ndarray [R]
        Their indices among the parties.
    labels : list[str]
        Each ratifier's label.
    layout, extended : NumberLayout
        Of the scenario and of its copy with the ratifiers added as parties.

    Example
    -------
    >>> from negosim.engine.random_scenario import random_scenario
    >>> Ratifiers(random_scenario(parties=2, provisions=2, options=2, seed=0)).owners
    []
    """

    def __init__(self, scenario):
        self.scenario = scenario
        self.owners = [p for p, party in scenario.parties.items() if party.ratifier is not None]
        ids = list(scenario.parties)
        self.owner_index = np.array([ids.index(p) for p in self.owners], dtype=np.int64)
        self.labels = [scenario.parties[p].ratifier.label for p in self.owners]
        self.layout = NumberLayout(scenario)
        if not self.owners:
            self.extended = None
            return
        parties = dict(scenario.parties)
        owner_of = {}
        for p in self.owners:
            party, rat = scenario.parties[p], scenario.parties[p].ratifier
            rid = _ratifier_id(p)
            owner_of[rid] = p
            # model_copy does not validate: the ratifier's weights need not sum to 1 (derive rescales them).
            parties[rid] = party.model_copy(update=dict(
                label=rat.label, reservation=rat.threshold, veto="none", red_lines=[], ratifier=None,
                weights=party.weights if rat.weights is None else rat.weights))
        self.extended = NumberLayout(scenario.model_copy(update={"parties": parties}))

        def source(path):
            # The column of the original number that a number of the extended copy stands for.
            if path[0] != "parties" or path[1] not in owner_of:
                return path
            p = owner_of[path[1]]
            if path[2] == "reservation":
                return ("parties", p, "ratifier", "threshold")
            if path[2] == "weights" and scenario.parties[p].ratifier.weights is not None:
                return ("parties", p, "ratifier", "weights", path[3])
            return ("parties", p) + path[2:]
        self._columns = np.array([self.layout.index[source(path)] for path in self.extended.paths], dtype=np.int64)

    def __bool__(self) -> bool:
        return bool(self.owners)

    def rows(self, params: dict[str, float] | None = None) -> np.ndarray:
        """``[1, K]``: the scenario's numbers at their points, with the parameters' effects."""
        return self.layout.with_parameters(self.layout.points(), params)

    def scores(self, X, vals=None, params: dict[str, float] | None = None, draws: bool = False):
        """The ratifiers' utilities of packages ``X`` and their thresholds, in each row of numbers.

        Parameters
        ----------
        X : int array ``[n, J]`` of option indices.
        vals : ``[S, K]`` rows of the scenario's numbers with the parameters' effects
            (:meth:`NumberLayout.with_parameters`); default: the points, with ``params``.
        draws : name the row as a draw in errors.

        Returns
        -------
        util : ndarray ``[S, R, n]``
        threshold : ndarray ``[S, R]``
        """
        vals = self.rows(params) if vals is None else np.asarray(vals, dtype=np.float64)
        X = np.asarray(X, dtype=np.int64).reshape(-1, self.layout.shape[1])
        P, S = self.layout.shape[0], vals.shape[0]
        if not self.owners:
            return np.zeros((S, 0, len(X))), np.zeros((S, 0))
        t = self.extended.derive(vals[:, self._columns], draws=draws)
        util = stacked_scores(self.extended.structure, range(self.layout.shape[1]), X, wv=t["wv"],
                              weights=t["weights"], bonus=t["bonus"], flags=False)[0]
        return util[:, P:, :], t["reservation"][:, P:]

    def approves(self, X, vals=None, params=None, draws: bool = False) -> np.ndarray:
        """``[S, P, n]`` bool: whether each party's ratifier approves (True for a party without one)."""
        util, thr = self.scores(X, vals, params, draws)
        S, n = util.shape[0], util.shape[2]
        out = np.ones((S, self.layout.shape[0], n), dtype=bool)
        out[:, self.owner_index, :] = meets(util, thresholds(thr)[:, :, None])
        return out


def agreed(cs, ok, needed, X) -> np.ndarray:
    """Whether packages ``X [n, J]`` are agreed given acceptances ``ok [..., P, n]``: the scenario's rule.

    With consent rules the compiled scenario decides (``cs.agreed``); without, every needed
    party must accept (:func:`negosim.engine.compiled.unanimous`).
    """
    rule = getattr(cs, "agreed", None)  # consent rules (issue 15.1) extend the rule where they exist
    return rule(ok, needed, X) if rule is not None else unanimous(ok, needed)


def ratified(cs, ok, needed, approves, X) -> np.ndarray:
    """Whether deals are ratified: the agreement rule holds for the parties that accept *and* whose
    ratifier approves (with plain vetoes: every needed party accepts and its ratifier approves).

    Shapes as in :func:`agreed`; ``approves`` like ``ok``.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> cs = compile_scenario(random_scenario(parties=2, provisions=1, options=2, seed=0))
    >>> ok, needed = np.array([[True], [True]]), np.array([[True], [True]])
    >>> ratified(cs, ok, needed, np.array([[True], [False]]), cs.draft[None]).tolist()
    [False]
    """
    return agreed(cs, np.asarray(ok, dtype=bool) & np.asarray(approves, dtype=bool), needed, X)


def package_ratified(cs, ratifiers: Ratifiers, package, vals) -> bool:
    """Whether one package is signed and ratified, with ``cs`` compiled from the row of numbers ``vals``
    (``[K]``, parameters applied; a sweep's row).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=2, options=2, seed=0)
    >>> cs, rat = compile_scenario(s), Ratifiers(s)
    >>> package_ratified(cs, rat, cs.draft, rat.rows()[0]) == bool(cs.score(cs.draft[None]).in_zone[0])
    True
    """
    x = np.asarray(package, dtype=np.int64)[None, :]
    s = cs.score(x)
    ok = accepts(s.util, s.red, cs.reservation)
    approve = ratifiers.approves(x, np.asarray(vals, dtype=np.float64)[None, :])[0]
    return bool(ratified(cs, ok, s.needed, approve, x)[0])


@dataclass
class RatifierVerdict:
    """One ratifier's verdict on a package."""

    party: str
    label: str
    utility: float
    threshold: float
    approves: bool
    needed: bool
    #: Whether the party itself accepts (signs) the package.
    accepts: bool = True

    @property
    def margin(self) -> float:
        return self.utility - self.threshold

    def reason(self) -> str:
        """Why the ratifier approves or not, in words."""
        if self.approves:
            return f"{self.label}: utility {self.utility:.3f} reaches threshold {self.threshold:.3f}"
        return (f"{self.label}: utility {self.utility:.3f} is {self.threshold - self.utility:.3f} short of "
                f"threshold {self.threshold:.3f}")

    def to_json(self) -> dict:
        return {"label": self.label, "utility": self.utility, "threshold": self.threshold,
                "margin": self.margin, "approves": self.approves, "needed": self.needed, "accepts": self.accepts,
                "reason": self.reason()}


@dataclass
class PackageRatification:
    """Signature and ratification of one package.

    ``signed``: every party whose consent it needs accepts; ``ratified``: signed,
    and every such party's ratifier approves; ``blocked_by``: the needed parties
    that sign but whose ratifier does not approve (under k_of_n, weighted or double rules,
    whose members are not needed one by one: every signing party whose ratifier refuses).
    """

    signed: bool
    ratified: bool
    ratifiers: dict[str, RatifierVerdict]

    @property
    def blocked_by(self) -> list[str]:
        if self.ratified:
            return []
        refuse = [p for p, v in self.ratifiers.items() if v.accepts and not v.approves]
        return [p for p in refuse if self.ratifiers[p].needed] or refuse

    @property
    def status(self) -> str:
        """``ratified``, ``signed_not_ratified`` or ``not_signed``."""
        return "ratified" if self.ratified else "signed_not_ratified" if self.signed else "not_signed"

    def to_json(self) -> dict:
        return {"signed": self.signed, "ratified": self.ratified, "status": self.status,
                "blocked_by": self.blocked_by, "ratifiers": {p: v.to_json() for p, v in self.ratifiers.items()}}


def ratify(scenario, packages: dict, params: dict[str, float] | None = None, cs=None,
           ratifiers: Ratifiers | None = None) -> dict[str, PackageRatification]:
    """Signature and ratification of named packages (``{name: option indices}``) at the point values.

    ``cs``: the scenario compiled with ``params`` (compiled here when not given);
    ``ratifiers``: a :class:`Ratifiers` of the scenario, to reuse.
    """
    names = list(packages)
    if not names:
        return {}
    cs = compile_scenario(scenario, params) if cs is None else cs
    rat = Ratifiers(scenario) if ratifiers is None else ratifiers
    X = np.stack([np.asarray(packages[n], dtype=np.int64) for n in names])
    s = cs.score(X)
    ok = accepts(s.util, s.red, cs.reservation)
    util, thr = rat.scores(X, params=params)
    approve = rat.approves(X, params=params)[0]
    signed, done = agreed(cs, ok, s.needed, X), ratified(cs, ok, s.needed, approve, X)
    out = {}
    for k, name in enumerate(names):
        verdicts = {p: RatifierVerdict(p, rat.labels[r], float(util[0, r, k]), float(thr[0, r]),
                                       bool(approve[rat.owner_index[r], k]), bool(s.needed[rat.owner_index[r], k]),
                                       bool(ok[rat.owner_index[r], k]))
                    for r, p in enumerate(rat.owners)}
        out[name] = PackageRatification(bool(signed[k]), bool(done[k]), verdicts)
    return out


def with_ratification(analysis, scenario, params: dict[str, float] | None = None):
    """``analysis`` with :attr:`~negosim.engine.analysis.Analysis.ratification` set for the draft and
    each solution point, when ``scenario`` (a Scenario, LoadedScenario or path) has a ratifier.

    A CompiledScenario carries no ratifiers: its analysis is returned as it is.
    """
    from .compiled import CompiledScenario, as_scenario
    if isinstance(scenario, CompiledScenario):
        return analysis
    s, _ = as_scenario(scenario)
    if not any(p.ratifier is not None for p in s.parties.values()):
        return analysis
    cs = analysis.compiled
    named = {"draft": cs.draft}
    named.update({name: cs.space.decode_one(sol.index) for name, sol in analysis.solutions.items() if sol is not None})
    analysis.ratification = ratify(s, named, params, cs=cs)
    return analysis


def ratification_json(analysis, out: dict) -> None:
    """Add the ratification keys to ``out``, the JSON of an analysis (no existing key changes).

    ``draft_signed`` and ``draft_ratified``; under each party of ``draft`` with a
    ratifier, ``ratifier``; under each solution point, ``signed``, ``ratified``
    and ``ratification``; and ``ratification`` with every package's
    :meth:`PackageRatification.to_json`.
    """
    rat = analysis.ratification
    out["draft_signed"] = rat["draft"].signed
    out["draft_ratified"] = rat["draft"].ratified
    for p, v in rat["draft"].ratifiers.items():
        out["draft"][p]["ratifier"] = v.to_json()
    for name, sol in out["solutions"].items():
        if sol is not None and name in rat:
            sol.update(signed=rat[name].signed, ratified=rat[name].ratified, ratification=rat[name].to_json())
    out["ratification"] = {name: r.to_json() for name, r in rat.items()}


def ratifier_cell(pr: PackageRatification, party: str) -> str:
    """The verdict table's ratifier cell of one party: ``'approves 0.700 >= 0.600'``, ``''`` without one.

    >>> pr = PackageRatification(True, False, {"x": RatifierVerdict("x", "Rada", 0.4, 0.5, False, True)})
    >>> ratifier_cell(pr, "x"), ratifier_cell(pr, "y")
    ('Rada refuses: 0.400 < 0.500', '')
    """
    v = pr.ratifiers.get(party)
    if v is None:
        return ""
    return f"{v.label} approves: {v.utility:.3f} >= {v.threshold:.3f}" if v.approves else \
        f"{v.label} refuses: {v.utility:.3f} < {v.threshold:.3f}"


def status_text(pr: PackageRatification, labels: dict[str, str] | None = None) -> str:
    """Signature and ratification of a package in words.

    >>> pr = PackageRatification(True, False, {"x": RatifierVerdict("x", "Rada", 0.4, 0.5, False, True)})
    >>> status_text(pr, {"x": "Kyiv"})
    'signed, not ratified (Kyiv: Rada refuses: 0.400 < 0.500)'
    """
    if not pr.signed:
        return "not signed"
    # Ratified: every needed ratifier approves, each named; else the ones that refuse.
    which = pr.blocked_by or [p for p, v in pr.ratifiers.items() if v.needed and pr.ratified]
    who = "; ".join(f"{(labels or {}).get(p, p)}: {ratifier_cell(pr, p)}" for p in which)
    head = "signed and ratified" if pr.ratified else "signed, not ratified"
    return f"{head} ({who})" if who else head


def ratification_lines(analysis, labels: dict[str, str] | None = None) -> list[str]:
    """The terminal's ratification lines of an analysis: each ratifier on the draft, then each package's status.

    Solution points at one package share a line (as in the solutions table).
    """
    from negosim.brief import solution_groups, solution_title
    rat = analysis.ratification or {}
    if not rat:
        return []
    labels = labels or {}
    out = [f"Ratification: draft {status_text(rat['draft'], labels)}"]
    for names, sol in solution_groups(analysis.solutions):
        if sol is not None and names[0] in rat:
            out.append(f"Ratification: {solution_title(names)} {status_text(rat[names[0]], labels)}")
    return out


def ratification_odds(scenario, tables, odds: list, params: dict[str, float] | None = None,
                      confidence: float = 0.95) -> None:
    """Set each :class:`~negosim.uncertainty.acceptance.PackageOdds`' ``ratified``: the share of the
    draws of ``tables`` in which its package is signed and ratified (nothing without a ratifier).

    The ratifiers' numbers are drawn with the others (``tables.numbers`` holds every
    number of each draw), and their tables derived from the same rows.
    """
    from negosim.uncertainty.acceptance import Odds
    from negosim.uncertainty.sampling import accepts_draws
    rat = Ratifiers(scenario)
    if not rat or not odds:
        return
    cs = tables.base
    X = np.stack([np.asarray(cs.space.decode_one(o.index), dtype=np.int64) for o in odds])
    ok, needed = accepts_draws(tables, X)
    approve = rat.approves(X, rat.layout.with_parameters(tables.numbers, params), draws=True)
    done = ratified(cs, ok, needed, approve, X)
    for i, o in enumerate(odds):
        o.ratified = Odds(int(done[:, i].sum()), tables.n, confidence)


def ratification_step(model) -> PackageRatification:
    """The last step of every bargaining protocol: the signed deal goes to the ratifiers.

    Sets ``model.ratification`` (``ratified`` or ``signed_not_ratified``) and
    ``model.ratified``, and tells the story's ``ratification`` event. The deal was
    signed by the answers of its round; it is ratified when the agreement rule
    still holds once each signing party's ratifier is asked (the true ratifiers:
    the negotiators' beliefs do not enter).
    """
    x = np.asarray(model.agreement, dtype=np.int64)[None, :]
    rat = model.ratifiers
    ids = model.cs.party_ids
    ok = np.array([[model.answers[i][0]] for i in range(len(ids))])
    needed = np.array([[model.answers[i][2]] for i in range(len(ids))])
    util, thr = rat.scores(x, params=model.params)
    approve = rat.approves(x, params=model.params)[0]
    verdicts = {p: RatifierVerdict(p, rat.labels[r], float(util[0, r, 0]), float(thr[0, r]),
                                   bool(approve[rat.owner_index[r], 0]), bool(needed[rat.owner_index[r], 0]),
                                   bool(ok[rat.owner_index[r], 0]))
                for r, p in enumerate(rat.owners)}
    pr = PackageRatification(True, bool(ratified(model.cs_now, ok, needed, approve, x)[0]), verdicts)
    model.ratified, model.ratification = pr.ratified, pr.status
    model._event("", "ratification", status_text(pr))
    return pr
