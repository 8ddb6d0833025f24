"""The divide-and-conquer Pareto filter (negosim/engine/front.py) against the definition.

The reference below is written from the definition (a row is on the front when
no row is >= in every column and > in one), with numpy broadcasting over every
pair, and shares nothing with the filter. Inputs above ``front.LEAF`` rows are
needed to reach the recursion; the threaded top levels are reached by lowering
``front.PARALLEL_MIN`` (read at run time by the Python driver).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from negosim.engine import front
from negosim.engine.front import front_work, pareto_front


def brute_front(U: np.ndarray, idx: np.ndarray) -> list[int]:
    """Rows no row dominates, by testing every ordered pair; sorted by ``idx``."""
    ge = (U[:, None, :] >= U[None, :, :]).all(axis=2)  # ge[j, i]: row j >= row i everywhere
    gt = (U[:, None, :] > U[None, :, :]).any(axis=2)   # gt[j, i]: row j > row i somewhere
    dominated = (ge & gt).any(axis=0)
    rows = np.flatnonzero(~dominated)
    return rows[np.argsort(idx[rows], kind="stable")].tolist()


def table(seed: int, n: int, P: int, levels: int, dup: float = 0.0) -> np.ndarray:
    """Random utilities on ``levels`` values per column (few levels: many ties), with a share of
    exact duplicate rows, and a quantum-grid float scale like the engine's."""
    rng = np.random.default_rng(seed)
    U = rng.integers(0, levels, size=(n, P)).astype(np.float64) * 2.0 ** -40 * 3**20
    if dup and n > 1:
        k = int(n * dup)
        U[rng.choice(n, k, replace=False)] = U[rng.choice(n, k)]
    return U


def test_hand_worked_two_columns():
    # (3,1) and (1,3) are incomparable; (2,2) too; (2,1) is below (3,1) and (2,2);
    # (1,3) appears twice (both kept); (0,0) is below all.
    U = np.array([[2, 1], [3, 1], [1, 3], [0, 0], [2, 2], [1, 3]], dtype=float)
    idx = np.array([50, 40, 30, 20, 10, 0])
    assert pareto_front(U, idx).tolist() == [5, 4, 2, 1]
    assert brute_front(U, idx) == [5, 4, 2, 1]


def test_equal_in_one_column_better_in_another_dominates():
    # Weak dominance: equal in column 0, better in column 1 is enough.
    U = np.array([[1.0, 1.0], [1.0, 2.0]])
    assert pareto_front(U, np.arange(2)).tolist() == [1]


def test_all_rows_equal_are_all_kept():
    U = np.ones((1000, 5))
    assert pareto_front(U, np.arange(1000)).tolist() == list(range(1000))


def test_empty_and_single():
    assert pareto_front(np.zeros((0, 3)), np.zeros(0, np.int64)).tolist() == []
    assert pareto_front(np.ones((1, 3)), np.array([9])).tolist() == [0]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 1500), P=st.integers(1, 12),
       levels=st.sampled_from([2, 3, 5, 40, 10**6]), dup=st.sampled_from([0.0, 0.3, 0.8]))
def test_matches_definition(seed, n, P, levels, dup):
    U = table(seed, n, P, levels, dup)
    idx = np.random.default_rng(seed + 1).permutation(n) * 7 + 3  # any distinct order
    assert pareto_front(U, idx).tolist() == brute_front(U, idx)


@pytest.mark.parametrize("P", [1, 2, 3, 4, 6, 8, 12])
def test_columns_one_to_twelve_big(P):
    # 3,000 rows: leaves, the pair step and the split steps all run.
    U = table(P, 3000, P, 4 if P < 4 else 8, dup=0.2)
    idx = np.arange(3000)[::-1].copy()
    assert pareto_front(U, idx).tolist() == brute_front(U, idx)


def test_anti_correlated_large_front():
    # Rows on a simplex-like surface: most of them are on the front, the hard case.
    rng = np.random.default_rng(5)
    X = rng.random((2500, 6))
    X = np.round(X / X.sum(axis=1, keepdims=True) * 64) / 64  # ties on a coarse grid
    assert pareto_front(X, np.arange(2500)).tolist() == brute_front(X, np.arange(2500))


def test_float_sums_that_tie_do_not_hide_a_dominator():
    # 0.1 + 0.2 + 0.3 and 0.1 + 0.2 + 0.3 + tiny round to the same float sum in some orders:
    # the leaf must still drop the dominated row whichever comes first.
    a = np.array([0.1, 0.2, 0.3, 1e-17])
    b = np.array([0.1, 0.2, 0.3, 0.0])
    assert a.sum() == b.sum()
    for U in (np.stack([a, b]), np.stack([b, a])):
        assert pareto_front(U, np.arange(2)).tolist() == brute_front(U, np.arange(2))


@pytest.mark.parametrize("P", [3, 8])
def test_threaded_top_levels(monkeypatch, P):
    monkeypatch.setattr(front, "PARALLEL_MIN", 64)
    U = table(11 + P, 4000, P, 6, dup=0.3)
    idx = np.arange(4000)
    assert pareto_front(U, idx).tolist() == brute_front(U, idx)


def test_budget_returns_none_and_enough_budget_does_not():
    U = table(3, 3000, 8, 50)
    work = front.work_of(U)
    assert pareto_front(U, np.arange(3000), budget=work // 10) is None
    assert pareto_front(U, np.arange(3000), budget=work * 2) is not None


def test_budget_stops_a_long_run_early():
    rng = np.random.default_rng(0)
    U = rng.random((300_000, 10))
    import time
    t = time.perf_counter()
    assert pareto_front(U, np.arange(len(U)), budget=10**7) is None
    assert time.perf_counter() - t < 5  # the whole filter takes far longer


def test_progress_is_called_and_ends_at_the_work_done():
    rng = np.random.default_rng(1)
    U = rng.random((120_000, 8))
    calls = []
    keep = pareto_front(U, np.arange(len(U)), progress=lambda d, n: calls.append((d, n)), expected=10**9)
    assert keep is not None and len(calls) >= 2
    done = [d for d, _ in calls]
    assert done == sorted(done) and all(d <= n for d, n in calls)
    assert calls[-1][0] == calls[-1][1] > 0


def test_front_work_tracks_the_work():
    rng = np.random.default_rng(2)
    for P, n in ((3, 60_000), (8, 60_000)):
        U = rng.random((n, P))
        est, real = front_work(U), front.work_of(U)
        assert real / 4 < est < real * 4, (P, est, real)
    small = rng.random((500, 4))
    assert front_work(small) == front.work_of(small)  # measured, not extrapolated
