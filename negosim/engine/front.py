"""The Pareto front (non-dominated rows) of a utility table, by divide and conquer.

A row *dominates* another when it is at least as good in every column and
better in one (weak dominance, compared exactly: no tolerance). The front is
the set of rows no row dominates. Exact duplicates do not dominate each other,
so every copy of a front row is kept.

The filter is a divide and conquer in the style of Kung, Luccio and Preparata
(1975): split the rows on a median of one column into a *better* half (values
above it) and a *worse* half, find each half's front, then remove the worse
half's front rows that the better half's front dominates. Every better-half
row is already strictly better in the split column, so that last step needs
only "at least as good" in the other columns: it is the same problem with one
column fewer, solved the same way (split on a median, recurse, drop a column
when the split column is settled), with bounding boxes to skip sub-problems
where no row can dominate another. Small sub-problems are finished by direct
tests (sort-filter-skyline at the leaves). Its work grows a little faster
than the number of rows, more so the larger the share on the front, against
``n * F`` tests for one sort-filter-skyline pass over ``n`` rows with a front
of ``F``: a million candidates with fronts of 200,000 and 550,000 rows in 8
and 12 dimensions take about 9 and 40 s of one core's CPU, where the previous
filter took minutes to hours (docs/performance.md, "Many parties").

The top levels of the recursion run their two independent halves in two
threads (the compiled kernels release the GIL), which is what uses a second
core. Each kernel adds its work to a counter of its own; the calling thread
reads the counters while the kernels run, to report progress and to stop
them (a flag the kernels look at on every call) past a budget.

Example
-------
>>> import numpy as np
>>> U = np.array([[1.0, 0.0], [0.5, 0.5], [0.4, 0.4], [0.5, 0.5]])
>>> pareto_front(U, np.arange(4)).tolist()
[0, 1, 3]
"""

from __future__ import annotations

import math
import threading
import time

import numba
import numpy as np
from numba import njit

from .kernels import _dominates  # at least as good everywhere, better once

#: Rows at or below which a front is found by a sort-filter-skyline pass.
LEAF = 256
#: ``|A| * |B|`` at or below which the dominance step tests every pair.
PAIR_CUT = 4096
#: Rows below which a sub-problem is not worth a thread of its own.
PARALLEL_MIN = 20_000
#: Work units of one counted step of the kernels (a column of one dominance test, or a row
#: and column visited by a split or a bounding box). A step takes about 2 ns of one core; the
#: two threads make that about 1 ns of wall time on two cores, the unit of ``WORK_PER_SECOND``.
FRONT_COST = 1
#: Seconds between two looks at the counters (progress and budget).
POLL_S = 0.05


# --------------------------------------------------------------------------- kernels

@njit(cache=True, nogil=True)
def _split_value(X, rows, k):
    """A value of column ``k`` that leaves rows both above and at or below it, and whether one exists."""
    v = np.empty(len(rows))
    for i in range(len(rows)):
        v[i] = X[rows[i], k]
    lo, hi = v.min(), v.max()
    if lo == hi:
        return lo, False
    m = np.median(v)
    if m >= hi:
        # More than half the rows hold the maximum: split just below it, so both sides are
        # non-empty (the largest value under the maximum).
        m = lo
        for x in v:
            if m < x < hi:
                m = x
    return m, True


@njit(cache=True, nogil=True)
def _partition(X, rows, k, m):
    """Rows with column ``k`` above ``m``, and those at or below it (order kept)."""
    up = np.empty(len(rows), np.int64)
    down = np.empty(len(rows), np.int64)
    nu = nd = 0
    for r in rows:
        if X[r, k] > m:
            up[nu] = r
            nu += 1
        else:
            down[nd] = r
            nd += 1
    return up[:nu], down[:nd]


@njit(cache=True, nogil=True)
def _alive(rows, dead):
    out = np.empty(len(rows), np.int64)
    n = 0
    for r in rows:
        if not dead[r]:
            out[n] = r
            n += 1
    return out[:n]


@njit(cache=True, nogil=True)
def _leaf(X, rows, dead, cnt):
    """Mark the dominated rows of ``rows`` (sort-filter-skyline pass)."""
    n, P = len(rows), X.shape[1]
    sums = np.empty(n)
    for i in range(n):
        sums[i] = X[rows[i]].sum()
    # A dominator's float sum is never smaller (rounding is monotone), so it comes first
    # unless the sums tie; a tie is settled when the later row joins the front (below).
    order = np.argsort(-sums, kind="mergesort")
    front = np.empty(n, np.int64)
    fsum = np.empty(n)
    nf = 0
    tests = 0
    for o in order:
        i = rows[o]
        dom = False
        for f in range(nf):
            tests += 1
            if _dominates(X, front[f], X, i):
                dom = True
                break
        if dom:
            dead[i] = True
            continue
        # Rows of an equal sum may come in either order: let i remove those it dominates.
        f = nf - 1
        removed = False
        while f >= 0 and fsum[f] == sums[o]:
            tests += 1
            if _dominates(X, i, X, front[f]):
                dead[front[f]] = True
                front[f] = -1
                removed = True
            f -= 1
        if removed:
            k = f + 1
            for g in range(f + 1, nf):
                if front[g] >= 0:
                    front[k] = front[g]
                    fsum[k] = fsum[g]
                    k += 1
            nf = k
        front[nf] = i
        fsum[nf] = sums[o]
        nf += 1
    cnt[0] += tests * P + n


@njit(cache=True, nogil=True)
def _bound(X, rows, dims, sign):
    """Per column of ``dims``, the largest value among ``rows`` (``sign`` 1) or the smallest (-1)."""
    out = np.full(len(dims), -np.inf)
    for r in rows:
        for t in range(len(dims)):
            out[t] = max(out[t], sign * X[r, dims[t]])
    return sign * out


@njit(cache=True, nogil=True)
def _within(X, rows, dims, bound, sign):
    """The rows at or below ``bound`` (``sign`` 1), or at or above it (-1), in every column of ``dims``."""
    out = np.empty(len(rows), np.int64)
    n = 0
    for r in rows:
        ok = True
        for t in range(len(dims)):
            if sign * X[r, dims[t]] > sign * bound[t]:
                ok = False
                break
        if ok:
            out[n] = r
            n += 1
    return out[:n]


@njit(cache=True, nogil=True)
def _pairs(X, A, B, dims, dead, cnt):
    """Mark the rows of B that a row of A covers in ``dims``, testing every pair."""
    nd = len(dims)
    # Copy the few columns of A together first, by descending sum over them: the tests then
    # read contiguous memory instead of scattered rows of X (most of the filter's time is
    # spent here), and a row of A whose sum is below b's cannot cover b, nor can the rest.
    sums = np.zeros(len(A))
    for i in range(len(A)):
        for t in range(nd):
            sums[i] += X[A[i], dims[t]]
    order = np.argsort(-sums)
    XA = np.empty((len(A), nd))
    sA = np.empty(len(A))
    for i in range(len(A)):
        sA[i] = sums[order[i]]
        for t in range(nd):
            XA[i, t] = X[A[order[i]], dims[t]]
    xb = np.empty(nd)
    tests = 0
    for b in B:
        sb = 0.0
        for t in range(nd):
            xb[t] = X[b, dims[t]]
            sb += xb[t]
        for i in range(len(A)):
            if sA[i] < sb:
                break
            tests += 1
            covered = True
            for t in range(nd):
                if XA[i, t] < xb[t]:
                    covered = False
                    break
            if covered:
                dead[b] = True
                break
    cnt[0] += tests * nd + (len(A) + len(B)) * nd * 2


@njit(cache=True, nogil=True)
def _marry(X, A, B, dims, dead, cnt, stop):
    """Mark the rows of B that some row of A covers in ``dims``.

    Every row of A is already strictly better than every row of B in a column
    outside ``dims`` (the caller's split), so covering in ``dims`` is dominance.
    """
    if stop[0] or len(A) == 0 or len(B) == 0:
        return
    nd = len(dims)
    if nd == 0:
        for b in B:
            dead[b] = True
        return
    if nd == 1:
        k = dims[0]
        top = -np.inf
        for a in A:
            top = max(top, X[a, k])
        for b in B:
            if X[b, k] <= top:
                dead[b] = True
        cnt[0] += len(A) + len(B)
        return
    cnt[0] += (len(A) + len(B)) * nd * 2
    # Bounding boxes: a row of B above every row of A in some column is covered by none;
    # a row of A below every (remaining) row of B in some column covers none.
    B = _within(X, B, dims, _bound(X, A, dims, 1.0), 1.0)
    if len(B) == 0:
        return
    A = _within(X, A, dims, _bound(X, B, dims, -1.0), -1.0)
    if len(A) == 0:
        return
    na, nb = len(A), len(B)
    if na * nb <= PAIR_CUT:
        _pairs(X, A, B, dims, dead, cnt)
        return
    # Split A and B together on a median of the first column left: the upper A rows may
    # cover upper and lower B rows, the lower A rows only lower ones; against lower B rows
    # the upper A rows are settled in that column, so it is dropped there.
    k = dims[0]
    m, ok = _split_value(X, np.concatenate((A, B)), k)
    if not ok:
        _marry(X, A, B, dims[1:], dead, cnt, stop)
        return
    ah, al = _partition(X, A, k, m)
    bh, bl = _partition(X, B, k, m)
    _marry(X, ah, bh, dims, dead, cnt, stop)
    _marry(X, al, bl, dims, dead, cnt, stop)
    _marry(X, ah, _alive(bl, dead), dims[1:], dead, cnt, stop)


@njit(cache=True, nogil=True)
def _first_split(X, rows):
    """The first column with two distinct values among ``rows`` and its split value (-1 if none)."""
    for k in range(X.shape[1]):
        m, ok = _split_value(X, rows, k)
        if ok:
            return k, m
    return -1, 0.0


@njit(cache=True, nogil=True)
def _others(P, k):
    out = np.empty(P - 1, np.int64)
    j = 0
    for d in range(P):
        if d != k:
            out[j] = d
            j += 1
    return out


@njit(cache=True, nogil=True)
def _front(X, rows, dead, cnt, stop):
    """Mark the dominated rows among ``rows``."""
    if stop[0]:
        return
    if len(rows) <= LEAF:
        _leaf(X, rows, dead, cnt)
        return
    k, m = _first_split(X, rows)
    if k < 0:
        return  # all rows equal: none dominates another
    cnt[0] += len(rows) * 2
    up, down = _partition(X, rows, k, m)
    _front(X, up, dead, cnt, stop)
    _front(X, down, dead, cnt, stop)
    _marry(X, _alive(up, dead), _alive(down, dead), _others(X.shape[1], k), dead, cnt, stop)


# --------------------------------------------------------------------------- threads

class _Run:
    """Shared state of one filter run: the rows' marks, the stop flag and every task's counter."""

    def __init__(self, X: np.ndarray):
        self.X = X
        self.dead = np.zeros(len(X), np.bool_)
        self.stop = np.zeros(1, np.int64)
        self.counters: list[np.ndarray] = []
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def counter(self) -> np.ndarray:
        c = np.zeros(1, np.int64)
        with self.lock:
            self.counters.append(c)
        return c

    def work(self) -> int:
        with self.lock:
            return sum(int(c[0]) for c in self.counters)


def _both(run: _Run, f, g) -> float:
    """Run ``f`` in a new thread and ``g`` in this one; both finish before it returns.

    Returns the longer of the two spans they return (see :func:`_front_par`).
    """
    span = [0.0]

    def guarded():
        try:
            span[0] = f()
        except BaseException as e:  # re-raised by the caller of the whole run
            run.error = e
    t = threading.Thread(target=guarded, daemon=True)
    t.start()
    mine = g()
    t.join()
    return max(span[0], mine)


def _front_par(run: _Run, rows: np.ndarray, depth: int) -> float:
    """:func:`_front` with its top ``depth`` levels split over two threads each.

    Returns its *span*: the CPU seconds of its longest chain of steps that must run one
    after another, which is its wall time on an otherwise idle machine with enough cores
    (each thread's own CPU time, so it does not count waiting for a core on a busy one).
    """
    X = run.X
    t = time.thread_time()
    if depth == 0 or len(rows) < PARALLEL_MIN:
        _front(X, rows, run.dead, run.counter(), run.stop)
        return time.thread_time() - t
    k, m = _first_split(X, rows)
    if k < 0:
        return time.thread_time() - t
    up, down = _partition(X, rows, k, m)
    span = time.thread_time() - t
    span += _both(run, lambda: _front_par(run, up, depth - 1), lambda: _front_par(run, down, depth - 1))
    t = time.thread_time()
    A, B = _alive(up, run.dead), _alive(down, run.dead)
    span += time.thread_time() - t
    return span + _marry_par(run, A, B, _others(X.shape[1], k), depth)


def _marry_par(run: _Run, A: np.ndarray, B: np.ndarray, dims: np.ndarray, depth: int) -> float:
    """:func:`_marry` with its top ``depth`` levels split over two threads each; returns its span."""
    X = run.X
    t = time.thread_time()
    if depth == 0 or len(dims) < 2 or len(A) + len(B) < PARALLEL_MIN or run.stop[0]:
        _marry(X, A, B, dims, run.dead, run.counter(), run.stop)
        return time.thread_time() - t
    k = dims[0]
    m, ok = _split_value(X, np.concatenate((A, B)), k)
    if not ok:
        return time.thread_time() - t + _marry_par(run, A, B, dims[1:], depth)
    ah, al = _partition(X, A, k, m)
    bh, bl = _partition(X, B, k, m)
    span = time.thread_time() - t
    # The two first steps mark disjoint rows (bh, bl); the third needs the second's marks.
    span += _both(run, lambda: _marry_par(run, ah, bh, dims, depth - 1),
                  lambda: _marry_par(run, al, bl, dims, depth - 1))
    return span + _marry_par(run, ah, _alive(bl, run.dead), dims[1:], depth - 1)


def _depth() -> int:
    """Levels of the recursion split over threads: enough for every numba thread, and one more
    so that an uneven split still keeps every core busy."""
    return max(0, math.ceil(math.log2(max(1, numba.get_num_threads())))) + 1


def _dominated(X: np.ndarray, budget: float | None, progress, expected: float | None,
               stats: dict | None) -> np.ndarray | None:
    """The dominated-row marks of ``X``, or None when the work passes ``budget``."""
    run = _Run(X)
    rows = np.arange(len(X), dtype=np.int64)
    span = [0.0]

    def body():
        try:
            span[0] = _front_par(run, rows, _depth())
        except BaseException as e:
            run.error = e

    worker = threading.Thread(target=body, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(POLL_S)
        done = run.work() * FRONT_COST
        if budget is not None and done > budget:
            run.stop[0] = 1  # the kernels return at their next call
        if progress and worker.is_alive():
            progress(done, max(done, expected or 0))
    if run.error is not None:
        raise run.error
    done = run.work() * FRONT_COST
    if stats is not None:
        stats.update(work=done, span_s=span[0], depth=_depth())
    # Past the budget whether stopped or finished within the last look: the answer then does not
    # depend on the threads' timing, only on the (deterministic) work of the whole run.
    if run.stop[0] or (budget is not None and done > budget):
        return None
    if progress:
        progress(done, done)
    return run.dead


# --------------------------------------------------------------------------- public

def pareto_front(U: np.ndarray, idx: np.ndarray, budget: float | None = None, progress=None,
                 expected: float | None = None, stats: dict | None = None) -> np.ndarray | None:
    """Rows of ``U`` that no other row dominates, in package-index order.

    Parameters
    ----------
    U : utilities ``[n, P]`` (compared exactly; no NaN).
    idx : package index of each row (the order of the result).
    budget : most work units to spend; past it the filter stops and returns
        None. None: no limit.
    progress : optional callable ``(units_done, units_expected)``, called
        about every ``POLL_S`` seconds and once at the end (then both are the
        work done).
    expected : the work units expected (for progress), e.g. from :func:`front_work`.
    stats : a dict to fill with ``work`` (units done), ``span_s`` (the CPU
        seconds of the longest chain of steps that ran one after another: the
        wall time on an idle machine with a core per thread) and ``depth``
        (levels split over threads); for benchmarks.

    Returns
    -------
    numpy.ndarray of int64 or None
        Row numbers of the front, sorted by ``idx``; every copy of a
        duplicated front row is kept.

    Examples
    --------
    >>> U = np.array([[1.0, 0.0], [0.5, 0.5], [0.4, 0.4]])
    >>> pareto_front(U, np.array([7, 3, 5])).tolist()
    [1, 0]
    """
    if len(U) == 0:
        return np.zeros(0, np.int64)
    X = np.asarray(U, dtype=np.float64)
    # Rows by descending first column: the first splits (on that column) then cut the table into
    # contiguous blocks and each sub-problem reads nearby memory (about 10% less CPU measured on
    # the 8- and 12-party candidates; the work counted is the same in any order).
    order = np.argsort(-X[:, 0], kind="stable")
    dead = _dominated(np.ascontiguousarray(X[order]), budget, progress, expected, stats)
    if dead is None:
        return None
    keep = order[~dead]
    return keep[np.argsort(idx[keep], kind="stable")]


def work_of(U: np.ndarray) -> int:
    """Work units :func:`pareto_front` spends on ``U`` (runs it on one thread).

    >>> work_of(np.eye(3)) > 0
    True
    """
    run = _Run(np.ascontiguousarray(U, dtype=np.float64))
    if len(U):
        _front(run.X, np.arange(len(U), dtype=np.int64), run.dead, run.counter(), run.stop)
    return run.work() * FRONT_COST


#: Rows of the larger sample :func:`front_work` filters (the smaller has a quarter of them).
WORK_SAMPLE = 16_384


def front_work(U: np.ndarray, sample: int = WORK_SAMPLE, seed: int = 0) -> int:
    """Estimated work units of :func:`pareto_front` on ``U``, from its work on two random samples.

    The filter is run on random samples of ``sample / 4`` and ``sample``
    rows, and its work there extrapolated to ``n`` rows as a power of ``n``
    (the exponent between 1 and 2: a little above 1 when the front is small,
    larger when most rows are on it). Up to ``sample`` rows the work is
    measured on ``U`` itself. The units are one core's work; two threads
    finish in about half the time.

    >>> rng = np.random.default_rng(0)
    >>> few, many = rng.random((100_000, 2)), rng.random((100_000, 12))
    >>> front_work(few) < 10**8 < front_work(many)
    True
    """
    n = len(U)
    if n <= sample:
        return work_of(U)
    pick = np.random.default_rng(seed).choice(n, size=sample, replace=False)
    small, large = work_of(U[pick[:sample // 4]]), work_of(U[pick])
    beta = min(2.0, max(1.0, math.log(max(large, 1) / max(small, 1)) / math.log(4)))
    return int(large * (n / sample) ** beta)
