"""Acceptance probabilities under uncertain numbers, and the most robust package.

Given the tables of ``S`` draws (:func:`negosim.uncertainty.sampling.sample_tables`):

- :func:`package_odds`: for chosen packages (the draft, solution points,
  repairs), each party's probability of accepting and the probability that
  every party whose consent is needed accepts, with Wilson intervals.
- :func:`most_robust`: the package of the whole space with the highest
  probability of unanimous acceptance. Counting is half against half with
  the compiled kernel of :mod:`negosim.uncertainty.kernels` (additive
  scenarios, any conditioning set), or chunk by chunk over whole packages
  (``mean_of_addressed``). Because the maximum of many noisy estimates is
  biased upwards, it also reports a split-sample check: the package picked on
  the first half of the draws, scored on the second half.
- :func:`acceptance_report`: all of the above for ``negosim analyze --samples``.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.uncertainty.sampling import sample_tables, widen
>>> s = widen(random_scenario(parties=3, provisions=4, options=3, seed=0, reservation=0.4), 0.1)
>>> t = sample_tables(s, 200, seed=0)
>>> odds = package_odds(t, {"draft": t.base.draft})[0]
>>> 0 <= odds.all.p <= min(o.p for o in odds.parties.values()) <= 1
True
>>> r = most_robust(t)
>>> r.odds.all.p >= odds.all.p
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np

from negosim.errors import NegosimError
from .sampling import Sampler, Tables, accepts_draws, half_utilities, unanimous_draws, wilson

#: Most package-draws :func:`most_robust` counts for a whole-space search (see
#: :func:`count_work`); beyond it, only candidates are searched. About a minute
#: at worst on two cores; pruning by bounds usually skips most of it.
MAX_ROBUST_WORK = 1 << 36
#: Memory budget (bytes) for the per-draw utilities held at once.
MEMORY = 1 << 28
#: Utilities of both halves over all draws up to this size (bytes) are computed once and kept.
CACHE = 1 << 29


@dataclass
class Odds:
    """A probability estimated from ``k`` successes in ``n`` draws, with its Wilson interval."""

    k: int
    n: int
    confidence: float = 0.95

    @property
    def p(self) -> float:
        return self.k / self.n if self.n else float("nan")

    @property
    def ci(self) -> tuple[float, float]:
        return wilson(self.k, self.n, self.confidence)

    def to_json(self) -> dict:
        # No draws: no estimate. None rather than NaN, which is not JSON.
        return {"p": self.p if self.n else None, "ci": list(self.ci), "draws": self.k}


@dataclass
class PackageOdds:
    """Acceptance probabilities of one package."""

    name: str
    index: int
    package: dict[str, str]
    parties: dict[str, Odds]
    needed: dict[str, bool]
    all: Odds
    #: Probability that the package is signed and ratified (:mod:`negosim.engine.ratification`);
    #: None when no party has a ratifier.
    ratified: Odds | None = None

    def to_json(self) -> dict:
        out = {"name": self.name, "index": self.index, "package": self.package,
               "parties": {p: {**o.to_json(), "needed": self.needed[p]} for p, o in self.parties.items()},
               "all": self.all.to_json()}
        if self.ratified is not None:
            out["ratified"] = self.ratified.to_json()
        return out


def package_odds(tables: Tables, packages: dict, confidence: float = 0.95) -> list[PackageOdds]:
    """Acceptance probabilities of named packages (``{name: option indices}``).

    Each party's probability of accepting (whether or not its consent is
    needed) and the probability that every party whose consent is needed
    accepts.
    """
    cs = tables.base
    names = list(packages)
    if not names:
        return []
    X = np.stack([np.asarray(packages[n], dtype=np.int64) for n in names])
    ok, needed = accepts_draws(tables, X)
    unanimous = cs.agreed(ok, needed, X)
    S = tables.n
    out = []
    for i, name in enumerate(names):
        out.append(PackageOdds(
            name, cs.space.encode_one(X[i]), cs.package_dict(X[i]),
            {p: Odds(int(ok[:, k, i].sum()), S, confidence) for k, p in enumerate(cs.party_ids)},
            {p: bool(needed[k, i]) for k, p in enumerate(cs.party_ids)},
            Odds(int(unanimous[:, i].sum()), S, confidence)))
    return out


# --------------------------------------------------------------------------- counting

def _plan_blocks(cs):
    """The split plan and its blocks (kept in a list when there are few, else regenerated)."""
    from negosim.engine.split import blocks, plan_split
    plan = plan_split(cs)
    n_blocks = math.prod(int(cs.radix[j]) for j in plan.C)
    if not plan.additive:
        return plan, n_blocks, None
    if n_blocks <= 64:
        kept = list(blocks(cs, plan))
        return plan, n_blocks, lambda: iter(kept)
    return plan, n_blocks, lambda: blocks(cs, plan)


def count_work(tables: Tables, _plan=None) -> int:
    """Package-draws :func:`most_robust` visits at most (before its pruning by bounds).

    Packages that cross a red line of a party every deal needs are not counted:
    the split drops them up front.
    """
    cs = tables.base
    _, _, gen = _plan or _plan_blocks(cs)
    if gen is None:
        return cs.space.size * tables.n
    return sum(b.A.n * b.B.n for b in gen()) * tables.n


def _count_chunks(tables: Tables, progress=None, _plan=None):
    """Yield ``(index, c1, c2)``: package indices and their unanimous-draw counts in
    the first half of the draws and in the second, chunk by chunk over the whole space.

    Packages not yielded are never unanimous (count 0).
    """
    cs = tables.base
    plan, n_blocks, gen = _plan or _plan_blocks(cs)
    if gen is None:
        yield from _count_whole(tables, progress)
        return
    from negosim.engine.split import always_bits
    always = always_bits(cs)
    thr = tables.thresholds()
    for bi, b in enumerate(gen()):
        if b.A.n and b.B.n:
            yield from _block_counts(tables, b, always, thr)
        if progress:
            progress(bi + 1, n_blocks)


#: Pairs of half-packages counted at once (bounds the count arrays of one chunk).
PAIRS_PER_CHUNK = 1 << 22


def _block_counts(tables: Tables, b, always: int, thr_all: np.ndarray):
    """Counts of one block of the split, with the kernel, in chunks of rows of A.

    A first pass bounds, over all draws, each row's slack for every party:
    ``MA[p, a] = max_s (uA - thr)`` and ``MB[p, b] = max_s uB``. A pair with
    ``MA + MB < 0`` for a party whose consent every package needs is never
    unanimous, so B is sorted by that *key* party's ``MB`` (descending) and
    each row of A visits only the prefix of B that can reach it.
    """
    from .kernels import unanimous_counts
    cs = tables.base
    A, B, fixed = b.A, b.B, b.fixed
    S, h, P = tables.n, tables.n // 2, cs.n_parties
    # All draws at once when the utilities fit CACHE (computed once); else spans of draws
    # within MEMORY, recomputed for each chunk of rows of A.
    full = P * S * (A.n + B.n) * 8
    step = S if full <= CACHE else max(1, MEMORY // (P * (A.n + B.n) * 8 * 3))
    spans = [(s0, min(S, s0 + step)) for s0 in range(0, S, step)]

    def utils(s0, s1, rows=slice(None), order=slice(None)):
        part = tables.take(slice(s0, s1))
        return (half_utilities(part, A.cols, A.X[rows], fixed, count_fixed=True),
                half_utilities(part, B0.cols, B0.X[order], fixed, count_fixed=False))
    B0 = B  # B is reordered below; utils() reads the original rows
    MA = np.full((P, A.n), -np.inf)
    MB = np.full((P, B.n), -np.inf)
    cache = None
    for s0, s1 in spans:
        uA, uB = utils(s0, s1)
        MA = np.maximum(MA, (uA - thr_all[s0:s1, :, None]).max(axis=0))
        MB = np.maximum(MB, uB.max(axis=0))
        if len(spans) == 1:
            cache = (uA, uB)
    key, lim = -1, np.full(A.n, B.n, np.int64)
    for p in np.flatnonzero(cs.always_needed):
        mb = np.sort(-MB[p])
        n_p = np.searchsorted(mb, MA[p], side="right")
        if key < 0 or n_p.sum() < lim.sum():
            key, lim = int(p), n_p.astype(np.int64)
    order = np.argsort(-MB[key], kind="stable") if key >= 0 else np.arange(B.n)
    B = B.take(order)
    if cache is not None:
        cache = (cache[0], np.ascontiguousarray(cache[1][:, :, order]))
    freeB = np.stack([((B.need >> p) & 1) == 0 for p in range(P)]).astype(np.uint8)
    rows = max(1, PAIRS_PER_CHUNK // B.n)
    for a0 in range(0, A.n, rows):
        sel = slice(a0, min(A.n, a0 + rows))
        if not lim[sel].any():
            continue  # no pair of these rows is ever unanimous
        red, need = A.red[sel], A.need[sel]
        valid = (((red[:, None] | B.red[None, :]) & (always | need[:, None] | B.need[None, :])) == 0)
        valid = valid.astype(np.uint8)
        c1 = np.zeros((len(red), B.n), np.int32)
        c2 = np.zeros((len(red), B.n), np.int32)
        for s0, s1 in spans:
            if cache is not None:
                uA, uB = np.ascontiguousarray(cache[0][:, :, sel]), cache[1]
            else:
                uA, uB = utils(s0, s1, sel, order)
            # The kernel vectorises only over C-contiguous rows.
            uA, uB = np.ascontiguousarray(uA), np.ascontiguousarray(uB)
            thr = np.ascontiguousarray(thr_all[s0:s1])
            for lo, hi, out in ((s0, min(s1, h), c1), (max(s0, h), s1, c2)):
                if lo < hi:
                    unanimous_counts(uA, need, uB, freeB, always, thr, valid, lim[sel], lo - s0, hi - s0, out,
                                     4 * numba.get_num_threads(), red, A.touch[sel], B.red, B.touch,
                                     cs.consent.table)
        yield (A.idx[sel, None] + B.idx[None, :]).ravel(), c1.ravel(), c2.ravel()


def _count_whole(tables: Tables, progress=None):
    """Whole packages in chunks (non-additive aggregation): slower, same counts."""
    cs = tables.base
    S, h = tables.n, tables.n // 2
    rows = max(1, MEMORY // (S * cs.n_parties * 8 * 4))
    n_chunks = -(-cs.space.size // rows)
    for i, X in enumerate(cs.space.chunks(rows)):
        u = unanimous_draws(tables, X)
        yield cs.space.encode(X), u[:h].sum(axis=0, dtype=np.int32), u[h:].sum(axis=0, dtype=np.int32)
        if progress:
            progress(i + 1, n_chunks)


def _count_candidates(tables: Tables, indices: np.ndarray):
    cs = tables.base
    h = tables.n // 2
    idx = np.unique(np.asarray(indices, dtype=np.int64))
    rows = max(1, MEMORY // (tables.n * cs.n_parties * 8 * 4))
    for lo in range(0, len(idx), rows):
        part = idx[lo:lo + rows]
        u = unanimous_draws(tables, cs.space.decode(part))
        yield part, u[:h].sum(axis=0, dtype=np.int32), u[h:].sum(axis=0, dtype=np.int32)


# --------------------------------------------------------------------------- robust

@dataclass
class Robust:
    """The package most likely to be accepted by every needed party.

    Attributes
    ----------
    index, package : the winner (ties: lowest package index).
    odds : PackageOdds of the winner over all draws.
    ranking : list of ``(index, package, Odds)``, best first (the winner and its runners-up).
    searched : number of packages searched; ``whole_space`` whether that is all of them
        (packages that cross a red line of a party every deal needs are skipped: never unanimous).
    any_draw : packages unanimous in at least one draw.
    within_ci : packages whose estimate reaches the winner's lower confidence bound
        (the winner included): they cannot be told apart from it.
    split : the split-sample check: the package picked on the first half of the
        draws, its estimate there (biased upwards) and on the second half (unbiased).
    """

    index: int
    package: dict[str, str]
    odds: PackageOdds
    ranking: list[tuple[int, dict[str, str], Odds]]
    searched: int
    whole_space: bool
    any_draw: int
    within_ci: int
    split: dict = field(default_factory=dict)

    @property
    def runner_up(self) -> tuple[int, dict[str, str], Odds] | None:
        return self.ranking[1] if len(self.ranking) > 1 else None

    def note(self) -> str:
        """How sure the ranking is, in words."""
        o = self.odds.all
        lo, hi = o.ci
        parts = []
        if self.runner_up is not None:
            gap = o.p - self.runner_up[2].p
            half = (hi - lo) / 2
            sure = "larger" if gap > half else "not larger"
            parts.append(f"the runner-up scores {self.runner_up[2].p:.3f} (gap {gap:.3f}, {sure} than the "
                         f"interval's half-width {half:.3f})")
        if self.within_ci > 1:
            parts.append(f"{self.within_ci:,} packages reach its lower bound {lo:.3f}, so the pick among them "
                         "is not sure")
        sp = self.split
        if sp:
            parts.append(f"picked on half the draws, the winner there scores {sp['p_pick']:.3f} on that half and "
                         f"{sp['p_check']:.3f} on the other (an unbiased estimate; the difference "
                         f"{sp['p_pick'] - sp['p_check']:+.3f} is the optimism of picking the maximum)")
        return "; ".join(parts)

    def to_json(self) -> dict:
        return {"index": self.index, "package": self.package, "odds": self.odds.to_json(),
                "ranking": [{"index": i, "package": pkg, **o.to_json()} for i, pkg, o in self.ranking],
                "searched": self.searched, "whole_space": self.whole_space, "any_draw": self.any_draw,
                "within_ci": self.within_ci, "split": self.split, "note": self.note()}


def most_robust(tables: Tables, candidates=None, top: int = 5, confidence: float = 0.95,
                max_work: int = MAX_ROBUST_WORK, progress=None, on_none=None) -> Robust | None:
    """The package with the highest probability of unanimous acceptance.

    Parameters
    ----------
    tables : Tables of at least 2 draws.
    candidates : package indices to search when the whole space would take
        more than ``max_work`` package-draws (:func:`count_work`), e.g. the
        Pareto front and the solution points; ignored otherwise.
    top : length of the ranking kept (winner and runners-up).
    progress : optional callable ``(done, total)`` over blocks.
    on_none : optional callable given the reason (:func:`no_robust_reason`) when None is returned.

    Returns
    -------
    Robust, or None when no package searched is accepted by every needed
    party in any draw (there is nothing to rank).
    """
    cs = tables.base
    S = tables.n
    if S < 2:
        raise NegosimError("finding the most robust package needs at least 2 draws")
    plan = _plan_blocks(cs)
    work = count_work(tables, plan)
    whole = work <= max_work
    if whole:
        chunks = _count_chunks(tables, progress, _plan=plan)
    elif candidates is not None and len(candidates):
        chunks = _count_candidates(tables, candidates)
    else:
        raise NegosimError(f"searching all {cs.space.size:,} packages in {S:,} draws is too much work "
                           f"({work:,} package-draws, more than {max_work:,}); use fewer draws or give "
                           "candidate packages")
    K = max(2, top)
    best_idx = np.zeros(0, np.int64)
    best_tot = np.zeros(0, np.int64)
    hist = np.zeros(S + 1, np.int64)
    pick = None  # (c1, index, c2) of the first-half winner
    searched = 0
    for idx, c1, c2 in chunks:
        if len(idx) == 0:
            continue
        tot = c1.astype(np.int64) + c2
        searched += len(idx)
        here = np.bincount(tot, minlength=S + 1)
        hist += here
        # The K-th largest count, read off the histogram (faster than a partition with many ties).
        kth = int(np.flatnonzero(np.cumsum(here[::-1]) >= min(K, len(tot)))[0])
        keep = np.flatnonzero(tot >= S - kth)
        cand_idx = np.concatenate([best_idx, idx[keep]])
        cand_tot = np.concatenate([best_tot, tot[keep]])
        order = np.lexsort((cand_idx, -cand_tot))[:K]
        best_idx, best_tot = cand_idx[order], cand_tot[order]
        m1 = int(c1.max())
        at = np.flatnonzero(c1 == m1)
        i = at[np.argmin(idx[at])]
        if pick is None or m1 > pick[0] or (m1 == pick[0] and idx[i] < pick[1]):
            pick = (m1, int(idx[i]), int(c2[i]))
    if whole:
        hist[0] += cs.space.size - searched  # packages never yielded are never unanimous
    if pick is None or not hist[1:].any():
        # Every package searched (or none at all: red lines may drop them all up front)
        # fails some needed party in every draw; a "winner" at 0% would be arbitrary.
        if on_none is not None:
            on_none(no_robust_reason(S, whole, searched))
        return None
    h = S // 2
    winner = int(best_idx[0])
    x = np.asarray(cs.space.decode_one(winner), dtype=np.int64)
    odds = package_odds(tables, {"most robust": x}, confidence)[0]
    if odds.all.k != int(best_tot[0]):
        raise AssertionError("kernel and direct scoring disagree on the most robust package")
    lo_ci = odds.all.ci[0]
    within = int(hist[int(math.ceil(lo_ci * S - 1e-9)):].sum())
    split = {"pick_index": pick[1], "pick_package": cs.package_dict(cs.space.decode_one(pick[1])),
             "p_pick": pick[0] / h, "p_check": pick[2] / (S - h),
             "ci_check": list(wilson(pick[2], S - h, confidence)), "draws_pick": h, "draws_check": S - h}
    return Robust(winner, cs.package_dict(x), odds,
               [(int(i), cs.package_dict(cs.space.decode_one(int(i))), Odds(int(t), S, confidence))
                for i, t in zip(best_idx, best_tot)],
               cs.space.size if whole else searched, whole, int(hist[1:].sum()), within, split)


# --------------------------------------------------------------------------- report

def no_robust_reason(samples: int, whole_space: bool = True, searched: int = 0) -> str:
    """Why :func:`most_robust` found no package, in words (for reports).

    >>> no_robust_reason(50)
    'no package is accepted by every needed party in any of the 50 draws'
    """
    where = "no package" if whole_space else f"none of the {searched:,} candidate packages"
    return f"{where} is accepted by every needed party in any of the {samples:,} draws"


@dataclass
class AcceptanceReport:
    """What ``negosim analyze --samples N`` adds: probabilities of the best packages and the most robust one."""

    samples: int
    seed: int | None
    confidence: float
    uncertain_numbers: int
    packages: list[PackageOdds]
    robust: Robust | None
    #: Why the search did not run (too much work, not asked for); None when it ran.
    robust_error: str | None = None
    #: Why ``robust`` is None, in words: the error above, or that no package is ever unanimous.
    robust_reason: str | None = None

    def to_json(self) -> dict:
        return {"samples": self.samples, "seed": self.seed, "confidence": self.confidence,
                "uncertain_numbers": self.uncertain_numbers,
                "packages": [p.to_json() for p in self.packages],
                "robust": None if self.robust is None else self.robust.to_json(),
                "robust_error": self.robust_error,
                "robust_reason": None if self.robust is not None else self.robust_reason}


def acceptance_report(scenario, samples: int, seed=0, params: dict[str, float] | None = None,
                      analysis=None, confidence: float = 0.95, robust: bool = True,
                      progress=None) -> AcceptanceReport:
    """Acceptance probabilities of the draft, the analysis' solution points and
    repairs, and the most robust package, over ``samples`` draws.

    Parameters
    ----------
    scenario : Scenario
    samples : number of draws (at least 2).
    seed : int or SeedSequence.
    params : parameter values held fixed.
    analysis : an :class:`negosim.engine.analysis.Analysis` of the same scenario and
        params, whose solution points and repairs are scored too.
    robust : also search for the most robust package (the costly part).
    """
    if samples < 2:
        raise NegosimError("--samples must be at least 2")
    sm = Sampler(scenario)
    tables = sm.tables(sm.draw(samples, seed), params=params)
    cs = tables.base
    named = {"draft": cs.draft}
    candidates = [cs.space.encode_one(cs.draft)]
    if analysis is not None:
        for name, sol in analysis.solutions.items():
            if sol is not None:
                named[name] = cs.space.decode_one(sol.index)
                candidates.append(sol.index)
        for i, rep in enumerate(analysis.repairs, 1):
            named[f"repair {i}"] = cs.space.decode_one(rep.index)
            candidates.append(rep.index)
        candidates += [s.index for s in (analysis.pareto or [])]
    best, err, why = None, "not asked for", []
    if robust:
        try:
            best, err = most_robust(tables, candidates=candidates, confidence=confidence, progress=progress,
                                    on_none=why.append), None
        except NegosimError as e:
            err = str(e)
    odds = package_odds(tables, named, confidence)
    from negosim.engine.ratification import ratification_odds
    ratification_odds(scenario, tables, odds, params, confidence)
    return AcceptanceReport(samples, seed if isinstance(seed, int) else None, confidence, len(sm.uncertain),
                            odds, best, err, why[0] if why else err)
