"""Exact analysis of the whole package space.

:func:`analyze` finds, for a scenario's compiled tables: each party's verdict
on the draft and why; the zone of agreement (packages every party whose
consent is needed accepts); its Pareto front; the Nash, Kalai-Smorodinsky,
egalitarian and utilitarian points; and the minimal repairs of the draft.
Everything is exact over the whole space, computed half against half (see
:mod:`negosim.engine.split`) with memory bounded by the halves, not the space.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> a = analyze(random_scenario(parties=3, provisions=5, options=3, seed=2))
>>> a.space_size, a.zone_size >= a.pareto_size
(243, True)
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from negosim.errors import NegosimError
from negosim.limits import FRONT_AUTO_WORK, MAX_WORK, WORK_PER_SECOND
from . import kernels
from .front import front_work, pareto_front
from .compiled import CompiledScenario, as_scenario, compile_scenario, meets, thresholds, unanimous
from .solutions import SOLUTION_NAMES, best_points, nash_product
from .split import CHUNK_ROWS, Block, Half, Plan, always_bits, blocks, plan_split

#: Most zone members :meth:`Analysis` will list when asked for them.
MAX_MEMBERS = 20_000_000
#: Candidate rows kept across blocks before they are reduced to their Pareto front.
MAX_CANDIDATES = 8_000_000


@dataclass
class Solution:
    """A solution point: the package and each party's utility."""

    index: int
    package: dict[str, str]
    utilities: dict[str, float]

    def to_json(self) -> dict:
        return {"package": self.package, "utilities": self.utilities, "index": self.index}


class Solutions(Sequence):
    """The Pareto front as a read-only sequence of :class:`Solution`, each built when it is read.

    A front can hold hundreds of thousands of packages (8 parties: 201,094 in a
    16.8 M space); building a Python object for each costs about 2 s that a
    caller wanting the size, or a few points, or a plot of the utilities, does not
    need. ``utilities`` and ``indices`` are the arrays behind it.

    >>> import numpy as np
    >>> from negosim.engine.random_scenario import random_scenario
    >>> cs = compile_scenario(random_scenario(parties=2, provisions=2, options=2, seed=0))
    >>> front = Solutions(cs, np.array([3, 0]), np.array([[0.5, 0.25], [0.0, 1.0]]))
    >>> len(front), front[0].index, front[-1].utilities["p1"]
    (2, 3, 1.0)
    """

    def __init__(self, cs, indices: np.ndarray, utilities: np.ndarray):
        self._cs = cs
        self.indices = np.asarray(indices, dtype=np.int64)
        self.utilities = np.asarray(utilities, dtype=float)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        cs = self._cs
        index = int(self.indices[k])
        return Solution(index, cs.package_dict(cs.space.decode_one(index)),
                        {p: float(u) for p, u in zip(cs.party_ids, self.utilities[k])})

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Solutions({len(self):,} packages)"


@dataclass
class Repair:
    """A minimal change of the draft that every needed party accepts.

    ``effects[provision][party]`` is the change in that party's utility from
    that provision's new option; ``effects["(linkages)"]`` holds what linkages add.
    """

    index: int
    changes: dict[str, str]
    package: dict[str, str]
    nash_product: float
    utilities: dict[str, float]
    effects: dict[str, dict[str, float]]

    def to_json(self) -> dict:
        return {"changes": self.changes, "package": self.package, "nash_product": self.nash_product,
                "utilities": self.utilities, "effects": self.effects, "index": self.index}


@dataclass
class Verdict:
    """One party's verdict on a package."""

    party: str
    utility: float
    reservation: float
    accepts: bool
    needed: bool
    red_lines: list[str]
    linkages: list[tuple[str, float]]
    contributions: dict[str, float]

    @property
    def margin(self) -> float:
        return self.utility - self.reservation

    def reason(self) -> str:
        """Why the party says yes or no, in words."""
        if self.red_lines:
            why = "crosses red line " + ", ".join(self.red_lines)
        elif meets(self.utility, thresholds(self.reservation)):
            why = f"utility {self.utility:.3f} reaches reservation {self.reservation:.3f}"
        else:
            why = f"utility {self.utility:.3f} is {self.reservation - self.utility:.3f} short of reservation {self.reservation:.3f}"
        if not self.needed:
            why += " (its consent is not needed for this package)"
        return why

    def to_json(self) -> dict:
        return {"utility": self.utility, "reservation": self.reservation, "accepts": self.accepts,
                "needed": self.needed, "red_lines": self.red_lines, "margin": self.margin,
                "linkages": {k: v for k, v in self.linkages}, "contributions": self.contributions,
                "reason": self.reason()}


class ResultTable(pd.DataFrame):
    """A pandas DataFrame that prints in full: every column, numbers to 3 decimals.

    Printing a plain DataFrame of the verdicts cut the reasons and the middle
    columns ("..."); the tables of :class:`Analysis` print whole instead. It is
    a DataFrame in every other way.

    >>> print(ResultTable({"utility": [0.33551], "reason": ["crosses red line no_cession_donbas"]},
    ...                   index=pd.Index(["ukraine"], name="party")))
             utility                              reason
    party
    ukraine    0.336  crosses red line no_cession_donbas
    """

    @property
    def _constructor(self):
        return ResultTable

    def __repr__(self) -> str:
        text = self.to_string(float_format=lambda x: f"{x:.3f}")
        return "\n".join(line.rstrip() for line in text.splitlines())

    __str__ = __repr__


class Verdicts(dict):
    """party -> :class:`Verdict` on one package, with the package's consent rules.

    ``rules[id]`` says, for each k_of_n, weighted or double rule, whether the
    parties that accept the package satisfy it, or None when the package does
    not touch it (unanimity rules show as the needed consent of their members).
    """

    def __init__(self, verdicts=(), rules: dict[str, bool | None] | None = None):
        super().__init__(verdicts)
        self.rules = dict(rules or {})


def all_needed_accept(verdicts: dict[str, Verdict]) -> bool:
    """Whether the package is agreed: every needed party accepts and every touched rule is met.

    The verdicts' form of :func:`negosim.engine.compiled.unanimous` (the rules from
    :class:`Verdicts`).

    >>> v = Verdict("a", 0.4, 0.5, False, False, [], [], {})
    >>> all_needed_accept({"a": v}), all_needed_accept(Verdicts({"a": v}, {"qmv": False}))
    (True, False)
    """
    vs = list(verdicts.values())
    rules = getattr(verdicts, "rules", {})
    return bool(unanimous([v.accepts for v in vs], [v.needed for v in vs], axis=0)) and \
        all(ok is not False for ok in rules.values())


@dataclass
class Analysis:
    """Result of :func:`analyze`. Tables are pandas DataFrames.

    Attributes
    ----------
    space_size, zone_size : int
    pareto_size : int or None (None when the front was not asked for)
    draft : dict[str, Verdict]
    solutions : dict[str, Solution | None]
    repair_size : int or None (changes needed; None when the zone is empty)
    repair_count : int (repairs of that size)
    repairs : list[Repair] (the best ``top`` of them by Nash product)
    pareto : :class:`Solutions` (a sequence of Solution, built as read) or None
    members : ndarray of package indices, when asked for
    """

    compiled: CompiledScenario = field(repr=False)
    space_size: int
    zone_size: int
    pareto_size: int | None
    draft: dict[str, Verdict]
    solutions: dict[str, Solution | None]
    repair_size: int | None
    repair_count: int
    repairs: list[Repair]
    pareto: Solutions | None = None
    members: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: Signature and ratification of the draft and each solution point ({"draft": ..., "nash": ...};
    #: :mod:`negosim.engine.ratification`); None when no party has a ratifier.
    ratification: dict | None = None
    #: The zone and the Nash point with side payments (:mod:`negosim.engine.transfers`); None
    #: when no provision is transferable.
    transfers: Any = None
    #: Every consent rule on the draft, unanimity rules too: rule id -> whether the draft's
    #: accepting parties satisfy it, None when the draft does not touch it (:func:`with_draft_rules`);
    #: None when the scenario has no consent rule (or was given compiled).
    draft_rules: dict[str, bool | None] | None = None

    @property
    def draft_accepted(self) -> bool:
        """Whether every party whose consent the draft needs accepts it."""
        return all_needed_accept(self.draft)

    def verdicts(self) -> pd.DataFrame:
        """One row per party: utility, reservation, margin, accepts, needed, red lines, reason."""
        rows = [{"party": v.party, "utility": v.utility, "reservation": v.reservation, "margin": v.margin,
                 "accepts": v.accepts, "needed": v.needed, "red_lines": ", ".join(v.red_lines),
                 "reason": v.reason()} for v in self.draft.values()]
        return ResultTable(rows).set_index("party")

    def contributions(self) -> pd.DataFrame:
        """Each provision's contribution to each party's utility of the draft (provisions x parties)."""
        return ResultTable({p: v.contributions for p, v in self.draft.items()})

    def solutions_table(self) -> pd.DataFrame:
        """One row per solution point, with each party's utility."""
        rows = []
        for name, s in self.solutions.items():
            row = {"solution": name, "index": None if s is None else s.index}
            if s is not None:
                row.update(s.utilities)
            rows.append(row)
        return ResultTable(rows).set_index("solution")

    def pareto_table(self) -> pd.DataFrame | None:
        """The Pareto front: package index and each party's utility."""
        if self.pareto is None:
            return None
        df = pd.DataFrame(self.pareto.utilities, columns=self.compiled.party_ids)
        df.insert(0, "index", self.pareto.indices)
        return df

    def to_json(self, pareto: bool = False) -> dict:
        """The stable JSON contract of ``negosim analyze --json``."""
        out = {
            "space_size": self.space_size,
            "zone_size": self.zone_size,
            "pareto_size": self.pareto_size,
            "draft": {p: v.to_json() for p, v in self.draft.items()},
            "draft_accepted": self.draft_accepted,
            "solutions": {k: (None if s is None else s.to_json()) for k, s in self.solutions.items()},
            "repair_size": self.repair_size,
            "repair_count": self.repair_count,
            "repairs": [r.to_json() for r in self.repairs],
            "meta": self.meta,
        }
        if getattr(self.draft, "rules", None):  # only with k_of_n, weighted or double rules
            out["draft_consent"] = dict(self.draft.rules)
        if self.draft_rules:  # every rule, unanimity too
            out["draft_rules"] = dict(self.draft_rules)
        if pareto:
            out["pareto"] = [{"package": s.package, "utilities": s.utilities, "index": s.index}
                             for s in (self.pareto or [])]
        if self.ratification:
            from .ratification import ratification_json
            ratification_json(self, out)
        if self.transfers is not None:
            out["transfers"] = self.transfers.to_json()
        return out


# --------------------------------------------------------------------------- helpers

def _as_compiled(scenario, params=None) -> tuple[CompiledScenario, dict]:
    from negosim import __version__
    from negosim.scenario.yaml_io import dump_scenario
    meta: dict[str, Any] = {"negosim_version": __version__}
    if isinstance(scenario, CompiledScenario):
        return scenario, meta
    s, loaded = as_scenario(scenario, error="analyze() takes a Scenario, LoadedScenario, CompiledScenario "
                                            "or scenario file")
    if loaded is not None:
        from negosim.scenario.evidence import article_hashes
        meta["scenario_sha256"] = loaded.sha256()
        meta["scenario"] = str(loaded.path)
        meta["articles"] = article_hashes(s, loaded.articles)
    else:
        meta["scenario_sha256"] = hashlib.sha256(dump_scenario(s).encode()).hexdigest()
        meta["articles"] = {}
    return compile_scenario(s, params), meta


def verdict(cs: CompiledScenario, package) -> Verdicts:
    """Each party's verdict on one package (option indices), with the reasons and the consent rules."""
    x = np.asarray(package, dtype=np.int64)
    s = cs.score(x[None, :])
    contrib = cs.contributions(x)
    reds = cs.red_lines_hit(x)
    links = cs.linkages_hit(x)
    sat = cs.consent.satisfied(s.accepts[:, 0], axis=0) if cs.consent.n_rules else ()
    out = Verdicts(rules={rid: bool(sat[r]) if s.touched[r, 0] else None
                          for r, rid in enumerate(cs.consent.ids)})
    for i, p in enumerate(cs.party_ids):
        out[p] = Verdict(p, float(s.util[i, 0]), float(cs.reservation[i]), bool(s.accepts[i, 0]),
                         bool(s.needed[i, 0]), reds[p], links[p],
                         {prov: float(contrib[i, j]) for j, prov in enumerate(cs.provision_ids)})
    return out


def with_draft_rules(analysis: Analysis, scenario) -> Analysis:
    """``analysis`` with :attr:`Analysis.draft_rules` set: every consent rule of ``scenario`` (a
    Scenario, LoadedScenario or path) on the draft.

    The quota rules' entries are the engine's (``analysis.draft.rules``); a unanimity rule,
    which the engine holds as its members' needed consent, is touched by the one test of the
    vetoes and quota rules (:func:`negosim.engine.compiled._touched`) and satisfied, by the
    rule's own definition (``ConsentRule.satisfied_by``), when every member accepts.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=2, options=2, seed=0)
    >>> with_draft_rules(analyze(s), s).draft_rules is None  # no consent rule
    True
    """
    from .compiled import _touched
    if isinstance(scenario, CompiledScenario):
        return analysis
    s, _ = as_scenario(scenario)
    if not s.consent:
        return analysis
    cs = analysis.compiled
    provs = list(cs.provision_ids)
    by_prov = np.array([[r.provisions == "all" or p in r.provisions for p in provs] for r in s.consent])
    always = np.array([r.provisions == "all" for r in s.consent])
    touched = _touched(cs, by_prov, always, range(cs.n_provisions), cs.draft[None, :], {}, True)[:, 0]
    accepting = {p for p, v in analysis.draft.items() if v.accepts}
    quota = getattr(analysis.draft, "rules", {})
    analysis.draft_rules = {r.id: quota[r.id] if r.id in quota else (bool(r.satisfied_by(accepting)) if t else None)
                            for r, t in zip(s.consent, touched)}
    return analysis


def _bargainers(cs: CompiledScenario) -> np.ndarray:
    return cs.vetoing.copy() if cs.vetoing.any() else np.ones(cs.n_parties, dtype=bool)


def _args(h: Half):
    return h.util, h.red, h.need, h.touch


def _half_fronts(h: Half) -> list[np.ndarray]:
    """Rows of the half's Pareto front within each group of equal (need, red, touch) pattern.

    Rows that touch different consent rules face different rules, so they are
    grouped apart like rows with different needs (the touch mask is 0 without rules).
    """
    out = []
    if h.touch.any():
        pattern = np.unique(np.stack([h.need, h.red, h.touch], axis=1), axis=0, return_inverse=True)[1].ravel()
    elif h.util.shape[1] <= 31:
        pattern = (h.need << 32) | h.red  # one int64 per (need, red) pair while masks have < 32 bits
    else:
        # Wider masks would collide in one int64 (and rows of different patterns would then
        # be filtered against each other): number the distinct pairs instead.
        pattern = np.unique(np.stack([h.need, h.red], axis=1), axis=0, return_inverse=True)[1].ravel()
    # Group by sorting once (a scan per pattern would be quadratic with many patterns).
    by = np.argsort(pattern, kind="stable")
    cuts = np.flatnonzero(np.diff(pattern[by])) + 1
    for rows in np.split(by, cuts) if len(by) else []:
        U = h.util[rows]
        order = np.lexsort((h.idx[rows], -U.sum(axis=1)))
        keep = kernels.front_sorted(np.ascontiguousarray(U[order]))
        out.append(np.sort(rows[order[keep]]))
    return out


def _candidates(cs: CompiledScenario, b: Block, thr, always) -> tuple[np.ndarray, np.ndarray]:
    """Zone members among sums of the halves' group fronts (they contain the zone's front)."""
    Us, idxs = [], []
    base = 0
    fa, fb = _half_fronts(b.A), _half_fronts(b.B)
    for ra in fa:
        A = b.A.take(ra)
        for rb in fb:
            B = b.B.take(np.sort(rb))  # B is sorted by key; sorted positions keep that order
            counts = kernels.zone_counts(*_args(A), *_args(B), always, thr, cs.consent.table, b.key)
            if counts.sum() == 0:
                continue
            pairs = kernels.zone_pairs(*_args(A), *_args(B), always, thr, cs.consent.table, b.key, counts)
            Us.append(A.util[pairs[:, 0]] + B.util[pairs[:, 1]])
            idxs.append(A.idx[pairs[:, 0]] + B.idx[pairs[:, 1]] + base)
    if not Us:
        return np.zeros((0, cs.n_parties)), np.zeros(0, np.int64)
    return np.concatenate(Us), np.concatenate(idxs)


def zone_front(cs: CompiledScenario) -> tuple[np.ndarray, np.ndarray]:
    """Utilities ``[n, P]`` and package indices of the zone's Pareto front, in index order.

    The same search as :func:`analyze` without the counts and repairs; used by
    the bargaining offers, which need only the front.
    """
    thr, always = thresholds(cs.reservation), always_bits(cs)
    found = [_candidates(cs, b, thr, always) for b in blocks(cs, plan_split(cs)) if b.A.n and b.B.n]
    U = np.concatenate([f[0] for f in found]) if found else np.zeros((0, cs.n_parties))
    idx = np.concatenate([f[1] for f in found]) if found else np.zeros(0, np.int64)
    keep = pareto_front(U, idx)
    return U[keep], idx[keep]


def _duration(units: float) -> str:
    s = units / WORK_PER_SECOND
    if s < 120:
        return f"{s:.0f} s"
    if s < 2 * 3600:
        return f"{s / 60:.0f} min"
    if s < 2 * 86400:
        return f"{s / 3600:.0f} h"
    if s < 2 * 365 * 86400:
        return f"{s / 86400:.0f} days"
    return f"{s / (365 * 86400):.2g} years"


@dataclass
class Work:
    """An estimate of the work of :func:`analyze`, made from option counts before it starts.

    ``pairs``: pairs of half rows (or whole packages, under ``mean_of_addressed``)
    each pass visits; ``passes``: the zone count and the repair search;
    ``units``: the upper bound in work units (``pairs * passes * parties``, whole
    packages weighted by ``CHUNK_COST``).
    """

    pairs: int
    blocks: int
    passes: int
    units: int


#: Work units of one party's score of one whole package in numpy (``mean_of_addressed``), relative
#: to a pair test in the compiled loops.
CHUNK_COST = 600  # measured: 1M packages, 4 parties, two passes in about 5 s


def estimate_work(cs: CompiledScenario, plan: Plan | None = None, top: int = 5) -> Work:
    """Upper bound of the work of :func:`analyze` on ``cs``, from its option counts alone.

    Nothing is built: the halves and blocks follow from the radix of each
    provision, so a space of 10**18 packages is estimated in microseconds.
    The compiled loops visit at most every pair of half rows of every block
    (pruning by the key party and by red lines usually skips most of them),
    once for the zone and once more for the repairs. The Pareto filter's work
    depends on the size of the front, known only once the candidates are:
    :func:`front_work` estimates it then.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> w = estimate_work(compile_scenario(random_scenario(parties=3, provisions=40, options=2)))
    >>> w.pairs == 2**40, w.units > MAX_WORK
    (True, True)
    """
    plan = plan or plan_split(cs)
    n_blocks = math.prod(int(cs.radix[j]) for j in plan.C)
    pairs = cs.space.size  # the blocks partition the space: sum of nA * nB over blocks
    P = cs.n_parties
    passes = 2 if top > 0 else 1
    return Work(pairs, n_blocks, passes, pairs * passes * P * (1 if plan.additive else CHUNK_COST))


def _round_up(units: int) -> str:
    """Two significant digits, rounded up: ``8_412_000`` -> ``'8.5e6'``."""
    e = max(0, len(str(int(units))) - 2)
    return f"{math.ceil(units / 10**e) / 10:g}e{e + 1}"


def _too_much(what: str, units: int, max_work: int) -> NegosimError:
    return NegosimError(f"{what} would take up to about {_duration(units)} ({units:.2g} work units, more than "
                        f"--max-work {max_work:.2g}, about {_duration(max_work)}); pass --max-work "
                        f"{_round_up(units)} to run it anyway")


# --------------------------------------------------------------------------- analyze

def analyze(scenario, *, params: dict[str, float] | None = None, top: int = 5, pareto: bool | str = True,
            members: bool = False, progress=None, max_work: int | None = None) -> Analysis:
    """Analyse every package of a scenario exactly.

    Parameters
    ----------
    scenario : Scenario, LoadedScenario, CompiledScenario or the path of a scenario file
    params : named parameter values (default: each parameter's own value).
    top : how many of the minimal repairs to list (best Nash product first).
    pareto : compute the full Pareto front (the slowest part on big spaces
        with many parties); ``"auto"``: only when it costs at most
        ``limits.FRONT_AUTO_WORK`` (about 2 s), else ``pareto_size`` is None
        and ``meta["pareto_skipped"]`` says why.
    members : also return the package indices of the whole zone.
    progress : optional callable ``(done, total, phase)``: work units done
        and the estimated total, and a word for the phase (``"zone"``,
        ``"repairs"``, ``"Pareto front"``).
    max_work : refuse (:class:`NegosimError`) an analysis whose estimated work
        (:func:`estimate_work`, :func:`front_work`) exceeds this many units;
        None: ``limits.MAX_WORK`` (about 10 minutes on two cores).

    Returns
    -------
    Analysis
    """
    if isinstance(scenario, (str, os.PathLike)):
        # Load a file once: the ratification, side-payment and consent-rule steps below read it too.
        scenario = as_scenario(scenario)[1]
    cs, meta = _as_compiled(scenario, params)
    if not cs.space.fits_int64:
        raise NegosimError(f"the package space has {cs.space.size:.3g} packages; at most 2**63 are supported")
    max_work = MAX_WORK if max_work is None else int(max_work)
    plan = plan_split(cs)
    work = estimate_work(cs, plan, top)
    if work.units > max_work:
        raise _too_much(f"analysing all {cs.space.size:.3g} packages ({cs.n_parties} parties)", work.units, max_work)
    thr = thresholds(cs.reservation)
    always = always_bits(cs)
    J = cs.n_provisions
    bargainers = _bargainers(cs)
    hist = np.zeros(J + 1, dtype=np.int64)
    cand_U, cand_idx, member_parts = [], [], []
    n_blocks = work.blocks
    per_block = work.units / (n_blocks * work.passes)  # units of one pass over one block
    total = float(work.units)
    spent = 0.0  # front work done so far, beyond the estimate

    def report(done, phase):
        if progress:
            progress(min(done, total), total, phase)

    def front(U, idx, what, required):
        """The front of the candidates, within the work left; None when ``what`` may be skipped."""
        nonlocal total, spent
        left = max_work - work.units - spent
        est = front_work(U)  # from two small samples: cheap next to sorting the candidates
        if required:
            if est > left:
                raise _too_much(f"the Pareto front of {len(U):,} {what} in {cs.n_parties} dimensions", est, left)
            budget = None
        else:
            cap = min(FRONT_AUTO_WORK, left)
            if est > cap:
                return None
            budget = 10 * cap  # the estimate is rough: stop a filter that runs far past it
        base = done_units()
        total += est
        keep = pareto_front(U, idx, budget, progress and (lambda d, n: report(base + est * d / n, "Pareto front")),
                            expected=est)
        spent += est
        return keep

    done_pass = [0.0]

    def done_units():
        return done_pass[0] + spent

    for i, b in enumerate(blocks(cs, plan)):
        if b.A.n and b.B.n:
            per = _distance_counts(b, always, thr, cs.consent.table, J, lambda f: report(done_units() + (i + f) * per_block, "zone"))
            hist += per.sum(axis=0)
            U, idx = _candidates(cs, b, thr, always)
            cand_U.append(U)
            cand_idx.append(idx)
            if sum(len(u) for u in cand_U) > MAX_CANDIDATES and (i + 1 < n_blocks or pareto is True):
                # Bound memory across many blocks: the front of the union is the front of
                # (front so far + new candidates), and every solution point lies on it.
                U, idx = np.concatenate(cand_U), np.concatenate(cand_idx)
                keep = front(U, idx, "candidate packages", required=True)
                cand_U, cand_idx = [U[keep]], [idx[keep]]
            if members and per.sum():
                if hist.sum() > MAX_MEMBERS:
                    raise NegosimError(f"the zone has more than {MAX_MEMBERS} packages; too many to list")
                counts = per.sum(axis=1)
                pairs = kernels.zone_pairs(*_args(b.A), *_args(b.B), always, thr, cs.consent.table, b.key, counts)
                member_parts.append(b.A.idx[pairs[:, 0]] + b.B.idx[pairs[:, 1]])
        report(done_units() + (i + 1) * per_block, "zone")
    done_pass[0] = n_blocks * per_block
    U = np.concatenate(cand_U) if cand_U else np.zeros((0, cs.n_parties))
    idx = np.concatenate(cand_idx) if cand_idx else np.zeros(0, np.int64)
    zone = int(hist.sum())

    def solution(row_or_index, util=None) -> Solution:
        index = int(row_or_index)
        pkg = cs.space.decode_one(index)
        return Solution(index, cs.package_dict(pkg), {p: float(u) for p, u in zip(cs.party_ids, util)})

    picks = best_points(U, idx, cs.reservation, cs.power, bargainers)
    sols = {name: (None if r is None else solution(idx[r], U[r])) for name, r in picks.items()}
    front_rows = None
    if pareto:
        front_rows = front(U, idx, "zone members", required=pareto is True)
        if front_rows is None:
            meta["pareto_skipped"] = (f"the Pareto front of {len(U):,} candidate packages in {cs.n_parties} "
                                      f"dimensions would take more than {_duration(FRONT_AUTO_WORK)}; "
                                      "ask for it (--pareto) to compute it")
    fr = None if front_rows is None else Solutions(cs, idx[front_rows], U[front_rows])
    # Minimal repairs: the smallest distance with zone members, and the best of those.
    repair_size = int(np.flatnonzero(hist)[0]) if zone else None
    repair_count = int(hist[repair_size]) if zone else 0
    base = done_units()
    repairs = _repairs(cs, plan, repair_size, top, bargainers, thr, always,
                       lambda i: report(base + (i + 1) * per_block, "repairs")) if zone and top > 0 else []
    report(total, "done")
    ms = np.sort(np.concatenate(member_parts)) if members and member_parts else (
        np.zeros(0, np.int64) if members else None)
    from .ratification import with_ratification
    from .transfers import with_transfers
    return with_draft_rules(with_transfers(with_ratification(
        Analysis(cs, cs.space.size, zone, None if fr is None else len(fr), verdict(cs, cs.draft), sols, repair_size,
                 repair_count, repairs, fr, ms, meta), scenario, params), scenario, params), scenario)


#: Pairs of half rows counted per call of the compiled loop (about 0.1 s at worst), so that
#: progress moves within one big block.
PAIRS_PER_CALL = 1 << 27


def _distance_counts(b: Block, always, thr, rules, J, progress) -> np.ndarray:
    """:func:`kernels.zone_distance_counts` over the block, in slices of A's rows."""
    step = max(64, PAIRS_PER_CALL // max(1, b.B.n))
    if step >= b.A.n:
        return kernels.zone_distance_counts(*_args(b.A), b.A.dist, *_args(b.B), b.B.dist, always, thr, rules, b.key, J)
    parts = []
    for lo in range(0, b.A.n, step):
        sl = slice(lo, min(b.A.n, lo + step))
        parts.append(kernels.zone_distance_counts(b.A.util[sl], b.A.red[sl], b.A.need[sl], b.A.touch[sl],
                                                  b.A.dist[sl], *_args(b.B), b.B.dist, always, thr, rules, b.key, J))
        progress(sl.stop / b.A.n)
    return np.concatenate(parts)


def _repairs(cs, plan, dist, top, bargainers, thr, always, progress=None) -> list[Repair]:
    res = cs.reservation
    power = np.where(bargainers, cs.power, 0.0)
    found = []  # (nash, index)
    for i, b in enumerate(blocks(cs, plan)):
        if progress:
            progress(i)
        if not (b.A.n and b.B.n):
            continue
        best, who = kernels.top_at_distance(*_args(b.A), b.A.dist, b.A.idx, *_args(b.B), b.B.dist, b.B.idx,
                                            always, thr, cs.consent.table, b.key, dist, res, power, bargainers, top)
        a_rows, slots = np.nonzero(who >= 0)
        for a, s in zip(a_rows, slots):
            found.append((float(best[a, s]), int(b.A.idx[a] + b.B.idx[who[a, s]])))
    found.sort(key=lambda t: (-t[0], t[1]))
    out = []
    draft = cs.draft
    base_contrib = cs.contributions(draft)
    base_util = cs.score(draft[None, :]).util[:, 0]
    for _, index in found[:top]:
        x = np.asarray(cs.space.decode_one(index), dtype=np.int64)
        util = cs.score(x[None, :]).util[:, 0]
        contrib = cs.contributions(x)
        changed = np.flatnonzero(x != draft)
        effects = {cs.provision_ids[j]: {p: float(contrib[i, j] - base_contrib[i, j])
                                         for i, p in enumerate(cs.party_ids)} for j in changed}
        link = (util - base_util) - (contrib - base_contrib).sum(axis=1)
        if np.abs(link).max() > 1e-12:
            effects["(linkages)"] = {p: float(link[i]) for i, p in enumerate(cs.party_ids)}
        nash = float(nash_product(util[None, :], res, cs.power, bargainers)[0])
        out.append(Repair(index, {cs.provision_ids[j]: cs.option_ids[j][x[j]] for j in changed},
                          cs.package_dict(x), nash, {p: float(u) for p, u in zip(cs.party_ids, util)}, effects))
    return out
