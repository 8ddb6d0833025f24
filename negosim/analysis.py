"""Exact analysis of the whole package space.

:func:`analyze` finds, for a scenario's compiled tables: each party's verdict
on the draft and why; the zone of agreement (packages every party whose
consent is needed accepts); its Pareto front; the Nash, Kalai-Smorodinsky,
egalitarian and utilitarian points; and the minimal repairs of the draft.
Everything is exact over the whole space, computed half against half (see
:mod:`negosim.halves`) with memory bounded by the halves, not the space.

Example
-------
>>> from negosim.random_scenario import random_scenario
>>> a = analyze(random_scenario(parties=3, provisions=5, options=3, seed=2))
>>> a.space_size, a.zone_size >= a.pareto_size
(243, True)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import kernels
from .compiled import TOLERANCE, CompiledScenario, compile_scenario
from .errors import NegosimError
from .halves import Block, Half, always_bits, blocks, plan_split, thresholds
from .solutions import SOLUTION_NAMES, best_points, nash_product

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
        elif self.utility >= self.reservation - TOLERANCE:
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
    pareto : list[Solution] or None
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
    pareto: list[Solution] | None = None
    members: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def draft_accepted(self) -> bool:
        """Whether every party whose consent the draft needs accepts it."""
        return all(v.accepts or not v.needed for v in self.draft.values())

    def verdicts(self) -> pd.DataFrame:
        """One row per party: utility, reservation, margin, accepts, needed, red lines, reason."""
        rows = [{"party": v.party, "utility": v.utility, "reservation": v.reservation, "margin": v.margin,
                 "accepts": v.accepts, "needed": v.needed, "red_lines": ", ".join(v.red_lines),
                 "reason": v.reason()} for v in self.draft.values()]
        return pd.DataFrame(rows).set_index("party")

    def contributions(self) -> pd.DataFrame:
        """Each provision's contribution to each party's utility of the draft (provisions x parties)."""
        return pd.DataFrame({p: v.contributions for p, v in self.draft.items()})

    def solutions_table(self) -> pd.DataFrame:
        """One row per solution point, with each party's utility."""
        rows = []
        for name, s in self.solutions.items():
            row = {"solution": name, "index": None if s is None else s.index}
            if s is not None:
                row.update(s.utilities)
            rows.append(row)
        return pd.DataFrame(rows).set_index("solution")

    def pareto_table(self) -> pd.DataFrame | None:
        """The Pareto front: package index and each party's utility."""
        if self.pareto is None:
            return None
        return pd.DataFrame([{"index": s.index, **s.utilities} for s in self.pareto])

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
        if pareto:
            out["pareto"] = [{"package": s.package, "utilities": s.utilities, "index": s.index}
                             for s in (self.pareto or [])]
        return out


# --------------------------------------------------------------------------- helpers

def _as_compiled(scenario, params=None) -> tuple[CompiledScenario, dict]:
    from .scenario import Scenario
    from .yamlio import LoadedScenario, dump_scenario
    from . import __version__
    meta: dict[str, Any] = {"negosim_version": __version__}
    if isinstance(scenario, CompiledScenario):
        return scenario, meta
    if isinstance(scenario, LoadedScenario):
        from .evidence import article_hashes
        meta["scenario_sha256"] = scenario.sha256()
        meta["scenario"] = str(scenario.path)
        meta["articles"] = article_hashes(scenario.scenario, scenario.articles)
        return compile_scenario(scenario.scenario, params), meta
    if isinstance(scenario, Scenario):
        meta["scenario_sha256"] = hashlib.sha256(dump_scenario(scenario).encode()).hexdigest()
        meta["articles"] = {}
        return compile_scenario(scenario, params), meta
    raise TypeError("analyze() takes a Scenario, LoadedScenario or CompiledScenario")


def verdict(cs: CompiledScenario, package) -> dict[str, Verdict]:
    """Each party's verdict on one package (option indices), with the reasons."""
    x = np.asarray(package, dtype=np.int64)
    s = cs.score(x[None, :])
    contrib = cs.contributions(x)
    reds = cs.red_lines_hit(x)
    links = cs.linkages_hit(x)
    out = {}
    for i, p in enumerate(cs.party_ids):
        out[p] = Verdict(p, float(s.util[i, 0]), float(cs.reservation[i]), bool(s.accepts[i, 0]),
                         bool(s.needed[i, 0]), reds[p], links[p],
                         {prov: float(contrib[i, j]) for j, prov in enumerate(cs.provision_ids)})
    return out


def _bargainers(cs: CompiledScenario) -> np.ndarray:
    return cs.vetoing.copy() if cs.vetoing.any() else np.ones(cs.n_parties, dtype=bool)


def _args(h: Half):
    return h.util, h.red, h.need


def _half_fronts(h: Half) -> list[np.ndarray]:
    """Rows of the half's Pareto front within each group of equal (need, red) pattern."""
    out = []
    if h.util.shape[1] <= 31:
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
            counts = kernels.zone_counts(*_args(A), *_args(B), always, thr, b.key)
            if counts.sum() == 0:
                continue
            pairs = kernels.zone_pairs(*_args(A), *_args(B), always, thr, b.key, counts)
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
    thr, always = thresholds(cs), always_bits(cs)
    found = [_candidates(cs, b, thr, always) for b in blocks(cs, plan_split(cs)) if b.A.n and b.B.n]
    U = np.concatenate([f[0] for f in found]) if found else np.zeros((0, cs.n_parties))
    idx = np.concatenate([f[1] for f in found]) if found else np.zeros(0, np.int64)
    keep = pareto_front(U, idx)
    return U[keep], idx[keep]


def pareto_front(U: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Rows of ``U`` that no other row dominates, in package-index order."""
    if len(U) == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((idx, -U.sum(axis=1)))
    keep = order[kernels.front_sorted(np.ascontiguousarray(U[order]))]
    return keep[np.argsort(idx[keep], kind="stable")]


# --------------------------------------------------------------------------- analyze

def analyze(scenario, *, params: dict[str, float] | None = None, top: int = 5, pareto: bool = True,
            members: bool = False, progress=None) -> Analysis:
    """Analyse every package of a scenario exactly.

    Parameters
    ----------
    scenario : Scenario, LoadedScenario or CompiledScenario
    params : named parameter values (default: each parameter's own value).
    top : how many of the minimal repairs to list (best Nash product first).
    pareto : compute the full Pareto front (the slowest part on big spaces).
    members : also return the package indices of the whole zone.
    progress : optional callable ``(done_blocks, total_blocks)``.

    Returns
    -------
    Analysis
    """
    cs, meta = _as_compiled(scenario, params)
    if not cs.space.fits_int64:
        raise NegosimError(f"the package space has {cs.space.size} packages; at most 2**63 are supported")
    plan = plan_split(cs)
    thr = thresholds(cs)
    always = always_bits(cs)
    J = cs.n_provisions
    bargainers = _bargainers(cs)
    hist = np.zeros(J + 1, dtype=np.int64)
    cand_U, cand_idx, member_parts = [], [], []
    n_blocks = int(np.prod([int(cs.radix[j]) for j in plan.C])) if plan.C else 1
    for i, b in enumerate(blocks(cs, plan)):
        if b.A.n and b.B.n:
            per = kernels.zone_distance_counts(*_args(b.A), b.A.dist, *_args(b.B), b.B.dist, always, thr, b.key, J)
            hist += per.sum(axis=0)
            U, idx = _candidates(cs, b, thr, always)
            cand_U.append(U)
            cand_idx.append(idx)
            if sum(len(u) for u in cand_U) > MAX_CANDIDATES:
                # Bound memory across many blocks: the front of the union is the front of
                # (front so far + new candidates), and every solution point lies on it.
                U, idx = np.concatenate(cand_U), np.concatenate(cand_idx)
                keep = pareto_front(U, idx)
                cand_U, cand_idx = [U[keep]], [idx[keep]]
            if members and per.sum():
                if hist.sum() > MAX_MEMBERS:
                    raise NegosimError(f"the zone has more than {MAX_MEMBERS} packages; too many to list")
                counts = per.sum(axis=1)
                pairs = kernels.zone_pairs(*_args(b.A), *_args(b.B), always, thr, b.key, counts)
                member_parts.append(b.A.idx[pairs[:, 0]] + b.B.idx[pairs[:, 1]])
        if progress:
            progress(i + 1, n_blocks)
    U = np.concatenate(cand_U) if cand_U else np.zeros((0, cs.n_parties))
    idx = np.concatenate(cand_idx) if cand_idx else np.zeros(0, np.int64)
    zone = int(hist.sum())

    def solution(row_or_index, util=None) -> Solution:
        index = int(row_or_index)
        pkg = cs.space.decode_one(index)
        return Solution(index, cs.package_dict(pkg), {p: float(u) for p, u in zip(cs.party_ids, util)})

    picks = best_points(U, idx, cs.reservation, cs.power, bargainers)
    sols = {name: (None if r is None else solution(idx[r], U[r])) for name, r in picks.items()}
    front = None
    if pareto:
        rows = pareto_front(U, idx)
        front = [solution(idx[r], U[r]) for r in rows]
    # Minimal repairs: the smallest distance with zone members, and the best of those.
    repair_size = int(np.flatnonzero(hist)[0]) if zone else None
    repair_count = int(hist[repair_size]) if zone else 0
    repairs = _repairs(cs, plan, repair_size, top, bargainers, thr, always) if zone and top > 0 else []
    ms = np.sort(np.concatenate(member_parts)) if members and member_parts else (
        np.zeros(0, np.int64) if members else None)
    return Analysis(cs, cs.space.size, zone, None if front is None else len(front), verdict(cs, cs.draft),
                    sols, repair_size, repair_count, repairs, front, ms, meta)


def _repairs(cs, plan, dist, top, bargainers, thr, always) -> list[Repair]:
    res = cs.reservation
    power = np.where(bargainers, cs.power, 0.0)
    found = []  # (nash, index)
    for b in blocks(cs, plan):
        if not (b.A.n and b.B.n):
            continue
        best, who = kernels.top_at_distance(*_args(b.A), b.A.dist, b.A.idx, *_args(b.B), b.B.dist, b.B.idx,
                                            always, thr, b.key, dist, res, power, bargainers, top)
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
