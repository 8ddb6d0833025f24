"""Where the packages lie in utility space, without listing them one by one.

A plan's package space has millions of packages, too many to draw as points.
The frontier figures show them as a 2-D histogram over a pair of parties'
utilities, built from the two-halves tables of :mod:`negosim.engine.split`: a
package is a pair ``(a, b)`` of half-packages with ``u = uA[a] + uB[b]``, so
the histogram of the whole space under one conditioning block is the 2-D
convolution of the two halves' histograms. That counts every package (to
within one bin of where it falls) at the cost of the halves, not of the
space. The zone of agreement is histogrammed from its members, found pair by
pair with the analysis kernels; when it is small its exact utilities are kept.

Small spaces skip all that: every package is scored through
``CompiledScenario.score`` and kept as exact points.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.engine.compiled import compile_scenario
>>> cs = compile_scenario(random_scenario(parties=3, provisions=6, options=4, seed=1))
>>> layer = package_layer(cs, [(0, 1)], bins=40, max_points=0)
>>> int(round(layer.hist[(0, 1)].sum())) == cs.space.size
True
>>> zone_layer(cs, [(0, 1)], layer.grid).count == int(cs.score(cs.space.all()).in_zone.sum())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

from negosim.engine import kernels
from negosim.engine.compiled import CompiledScenario, thresholds
from negosim.engine.split import always_bits, blocks, plan_split

#: Spaces up to this size are drawn as exact points (each package scored).
MAX_POINTS = 20_000
#: Zone members handled per batch of half-pairs (bounds memory on huge zones).
PAIR_BATCH = 2_000_000


@dataclass
class Grid:
    """Per-party histogram bins: ``bins`` equal bins from ``lo[p]`` to ``hi[p]``."""

    lo: np.ndarray
    hi: np.ndarray
    bins: int

    @property
    def width(self) -> np.ndarray:
        return (self.hi - self.lo) / self.bins

    def edges(self, p: int) -> np.ndarray:
        return np.linspace(self.lo[p], self.hi[p], self.bins + 1)

    def index(self, u: np.ndarray, p: int) -> np.ndarray:
        """Bin of each utility of party ``p`` (clipped into the grid)."""
        i = np.floor((u - self.lo[p]) / self.width[p]).astype(np.int64)
        return np.clip(i, 0, self.bins - 1)


@dataclass
class Layer:
    """Packages in utility space: exact points (``U[n, P]``) or 2-D histograms.

    ``hist[(p, q)]`` has shape ``[bins, bins]`` indexed ``[bin of p, bin of q]``.
    ``count`` is the number of packages the layer holds.
    """

    grid: Grid
    count: int
    U: np.ndarray | None
    hist: dict[tuple[int, int], np.ndarray]

    def box(self, p: int, q: int) -> tuple[float, float, float, float]:
        """``(x0, x1, y0, y1)`` around the packages held (exact, or the occupied bins)."""
        if self.U is not None and len(self.U):
            x, y = self.U[:, p], self.U[:, q]
            return float(x.min()), float(x.max()), float(y.min()), float(y.max())
        H = self.hist[(p, q)]
        rows, cols = np.nonzero(H.sum(axis=1))[0], np.nonzero(H.sum(axis=0))[0]
        ex, ey = self.grid.edges(p), self.grid.edges(q)
        return float(ex[rows.min()]), float(ex[rows.max() + 1]), float(ey[cols.min()]), float(ey[cols.max() + 1])


def utility_bounds(cs: CompiledScenario) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest utility each party can possibly get (a safe box)."""
    P, J = cs.n_parties, cs.n_provisions
    real = np.arange(cs.wv.shape[2])[None, :] < cs.radix[:, None]  # [J, O] options that exist
    if cs.aggregation == "weighted_sum":
        lo = np.array([np.where(real, cs.wv[p], np.inf).min(axis=1).sum() for p in range(P)])
        hi = np.array([np.where(real, cs.wv[p], -np.inf).max(axis=1).sum() for p in range(P)])
    else:
        # A mean of addressed values lies between the smallest and largest value.
        lo = np.array([min(np.where(real, cs.values[p], np.inf).min(), 0.0) for p in range(P)])
        hi = np.array([max(np.where(real, cs.values[p], -np.inf).max(), 0.0) for p in range(P)])
    for t in cs.terms:
        if t.kind == "link":
            lo[t.party] += min(t.bonus, 0.0)
            hi[t.party] += max(t.bonus, 0.0)
    # Pad a little so a utility equal to the maximum still falls inside the last bin.
    span = np.maximum(hi - lo, 1e-6)
    return lo - 1e-3 * span, hi + 1e-3 * span


def make_grid(cs: CompiledScenario, bins: int = 150) -> Grid:
    lo, hi = utility_bounds(cs)
    return Grid(lo, hi, int(bins))


def _hist2(ix: np.ndarray, iy: np.ndarray, nx: int, ny: int, weights=None) -> np.ndarray:
    flat = np.bincount(ix * ny + iy, weights=weights, minlength=nx * ny)
    return flat.reshape(nx, ny).astype(np.float64)


def _add_shifted(H: np.ndarray, C: np.ndarray, ox: int, oy: int) -> None:
    """Add ``C`` into ``H`` at offset ``(ox, oy)``; what falls outside goes to the edge bins."""
    xi = np.clip(np.arange(C.shape[0]) + ox, 0, H.shape[0] - 1)
    yi = np.clip(np.arange(C.shape[1]) + oy, 0, H.shape[1] - 1)
    np.add.at(H, np.ix_(xi, yi), C)


def _pair_convolution(grid: Grid, uA: np.ndarray, uB: np.ndarray, p: int, q: int) -> tuple[np.ndarray, int, int]:
    """Histogram of ``uA[a] + uB[b]`` over all pairs, for parties ``p`` and ``q``."""
    w = grid.width
    # A's bins are floored from the grid origin and B's are rounded from 0, so
    # the bin of a sum is off by at most one either way and unbiased on average.
    ax = np.floor((uA[:, p] - grid.lo[p]) / w[p]).astype(np.int64)
    ay = np.floor((uA[:, q] - grid.lo[q]) / w[q]).astype(np.int64)
    bx = np.rint(uB[:, p] / w[p]).astype(np.int64)
    by = np.rint(uB[:, q] / w[q]).astype(np.int64)
    hA = _hist2(ax - ax.min(), ay - ay.min(), int(ax.max() - ax.min()) + 1, int(ay.max() - ay.min()) + 1)
    hB = _hist2(bx - bx.min(), by - by.min(), int(bx.max() - bx.min()) + 1, int(by.max() - by.min()) + 1)
    if hA.size == 1 or hB.size == 1:
        C = hA * hB.item() if hB.size == 1 else hB * hA.item()
    else:
        C = np.maximum(np.rint(fftconvolve(hA, hB)), 0.0)
    return C, int(ax.min() + bx.min()), int(ay.min() + by.min())


def package_layer(cs: CompiledScenario, pairs, bins: int = 150, max_points: int = MAX_POINTS,
                  grid: Grid | None = None) -> Layer:
    """Every package of the space, as exact points or as one histogram per pair.

    Parameters
    ----------
    pairs : list of ``(p, q)`` party indices to histogram.
    max_points : spaces up to this size are scored package by package and
        kept exactly (``Layer.U``); larger ones are histogrammed half by half.
    """
    grid = grid or make_grid(cs, bins)
    pairs = [tuple(pq) for pq in pairs]
    if cs.space.size <= max_points:
        U = cs.score(cs.space.all()).util.T
        return Layer(grid, len(U), U, _pair_hists(grid, U, pairs))
    plan = plan_split(cs)
    hists = {pq: np.zeros((grid.bins, grid.bins)) for pq in pairs}
    # Keep rows that cross red lines: this layer is the whole space, not the zone.
    for block in blocks(cs, plan, drop_red=False):
        for (p, q) in pairs:
            C, ox, oy = _pair_convolution(grid, block.A.util, block.B.util, p, q)
            _add_shifted(hists[(p, q)], C, ox, oy)
    return Layer(grid, int(cs.space.size), None, hists)


def _pair_hists(grid: Grid, U: np.ndarray, pairs) -> dict:
    return {(p, q): _hist2(grid.index(U[:, p], p), grid.index(U[:, q], q), grid.bins, grid.bins)
            for (p, q) in pairs}


def zone_layer(cs: CompiledScenario, pairs, grid: Grid, max_points: int = MAX_POINTS) -> Layer:
    """The zone of agreement: its members' utilities, histogrammed per pair.

    Exact utilities are kept (``Layer.U``) while the zone has at most
    ``max_points`` members.
    """
    pairs = [tuple(pq) for pq in pairs]
    hists = {pq: np.zeros((grid.bins, grid.bins)) for pq in pairs}
    kept: list[np.ndarray] = []
    count = 0
    thr = thresholds(cs.reservation)
    always = always_bits(cs)
    for b in blocks(cs, plan_split(cs)):
        if not (b.A.n and b.B.n):
            continue
        A, B = b.A, b.B
        counts = kernels.zone_counts(A.util, A.red, A.need, A.touch, B.util, B.red, B.need, B.touch, always, thr,
                                     cs.consent.table, b.key)
        if counts.sum() == 0:
            continue
        # Batches of A rows keep the listed pairs within PAIR_BATCH at a time.
        cum = np.cumsum(counts)
        start = 0
        while start < len(counts):
            done = int(cum[start - 1]) if start else 0
            end = max(int(np.searchsorted(cum, done + PAIR_BATCH, side="right")), start + 1)
            rows = np.arange(start, end)
            start = end
            Ar = A.take(rows)
            ab = kernels.zone_pairs(Ar.util, Ar.red, Ar.need, Ar.touch, B.util, B.red, B.need, B.touch, always, thr,
                                    cs.consent.table, b.key, counts[rows])
            U = Ar.util[ab[:, 0]] + B.util[ab[:, 1]]
            count += len(U)
            for pq, h in _pair_hists(grid, U, pairs).items():
                hists[pq] += h
            if count <= max_points:
                kept.append(U)
    U = np.concatenate(kept) if count <= max_points and kept else (
        np.zeros((0, cs.n_parties)) if count == 0 else None)
    return Layer(grid, count, U, hists)
