"""Splitting the package space into two halves, for exact analysis at speed.

With additive utilities, a package is a pair ``(a, b)`` of half-packages and
``u(a, b) = uA[a] + uB[b]``: counting the zone of agreement visits pairs of
precomputed rows instead of scoring packages, and the zone's Pareto front lies
among sums of the halves' own fronts.

Red lines and linkages that span both halves would break this, so their
provisions are *conditioned on*: a set ``C`` of provisions is held fixed, one
assignment at a time (a :class:`Block`), and every multi-provision term then
lies within ``A + C`` or within ``B + C``. Aggregation by ``mean_of_addressed``
is not additive; it uses blocks whose B half is empty (plain chunks of whole
packages).

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.engine.compiled import compile_scenario
>>> cs = compile_scenario(random_scenario(parties=2, provisions=4, options=3, seed=0))
>>> plan = plan_split(cs)
>>> sorted(plan.A + plan.B + plan.C) == list(range(4))
True
>>> sum(b.A.n * b.B.n for b in blocks(cs, plan)) == cs.space.size
True
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .compiled import CompiledScenario, thresholds, touched_rules

#: Largest half, in rows; provisions beyond it are conditioned on.
MAX_HALF = 1 << 17
#: Rows per block when the space is scored in whole-package chunks.
CHUNK_ROWS = 1 << 18


@dataclass
class Plan:
    """Which provisions are conditioned on (C) and which form each half."""

    C: list[int]
    A: list[int]
    B: list[int]
    additive: bool


@dataclass
class Half:
    """The rows of one half under one conditioning assignment.

    ``util[n, P]`` partial utilities; ``red``/``need`` bitmasks over parties;
    ``idx`` the half's part of the package index; ``dist`` its number of
    provisions that differ from the draft; ``X`` the option indices;
    ``touch`` bitmasks over the quota consent rules the row touches.
    """

    cols: list[int]
    X: np.ndarray
    util: np.ndarray
    red: np.ndarray
    need: np.ndarray
    idx: np.ndarray
    dist: np.ndarray
    touch: np.ndarray

    @property
    def n(self) -> int:
        return self.util.shape[0]

    def take(self, rows) -> "Half":
        return Half(self.cols, self.X[rows], self.util[rows], self.red[rows], self.need[rows],
                    self.idx[rows], self.dist[rows], self.touch[rows])


@dataclass
class Block:
    """One conditioning assignment: the A and B halves, B sorted by ``key``."""

    fixed: dict[int, int]
    A: Half
    B: Half
    key: int


def _log_size(cs: CompiledScenario, provs) -> float:
    return sum(math.log2(int(cs.radix[j])) for j in provs)


def plan_split(cs: CompiledScenario) -> Plan:
    """Choose the conditioning set and the two halves.

    Greedy: provisions of multi-provision terms form a graph; while its
    connected components cannot be packed into two halves of at most
    ``MAX_HALF`` rows, the provision with most term links moves to C.
    """
    J = cs.n_provisions
    if cs.aggregation != "weighted_sum":
        # Whole packages only: condition on leading provisions until the rest fits a chunk.
        C, rest = [], list(range(J))
        while rest and _log_size(cs, rest) > math.log2(CHUNK_ROWS):
            C.append(rest.pop(0))
        return Plan(C, rest, [], False)
    edges = [set(t.provs.tolist()) for t in cs.terms if len(t.provs) > 1]
    C: list[int] = []
    limit = math.log2(MAX_HALF)
    while True:
        free = [j for j in range(J) if j not in C]
        comps = _components(free, [e - set(C) for e in edges])
        A, B = _pack(cs, comps)
        if _log_size(cs, A) <= limit and _log_size(cs, B) <= limit:
            return Plan(C, A, B, True)
        degree = {j: 0 for j in free}
        for e in edges:
            e = e - set(C)
            if len(e) > 1:
                for j in e:
                    degree[j] += len(e) - 1
        biggest = max(comps, key=lambda c: _log_size(cs, c))
        if len(biggest) > 1 and max(degree[j] for j in biggest) > 0:
            C.append(max(biggest, key=lambda j: (degree[j], -j)))
        else:
            # Nothing links the provisions any more, the space is just too big: condition on one.
            C.append(free[0])


def _components(nodes: list[int], edges: list[set]) -> list[list[int]]:
    parent = {j: j for j in nodes}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for e in edges:
        e = [j for j in e if j in parent]
        for j in e[1:]:
            parent[find(j)] = find(e[0])
    groups: dict[int, list[int]] = {}
    for j in nodes:
        groups.setdefault(find(j), []).append(j)
    return list(groups.values())


def _pack(cs, comps) -> tuple[list[int], list[int]]:
    A: list[int] = []
    B: list[int] = []
    for comp in sorted(comps, key=lambda c: (-_log_size(cs, c), c)):
        (A if _log_size(cs, A) <= _log_size(cs, B) else B).extend(comp)
    return sorted(A), sorted(B)


def _bits(flags: np.ndarray) -> np.ndarray:
    """``[P, n]`` booleans -> ``[n]`` int64 bitmasks (bit ``p`` for party ``p``, ``P <= 64``).

    Party 63 owns the sign bit: masks are built as uint64 (a shift by 63 of a
    signed 1 is not portable) and viewed as int64, the type the kernels take.
    Every test of a mask is ``!= 0`` or ``(m >> p) & 1``, which read the sign
    bit like any other; never compare a mask with ``> 0``.

    >>> m = _bits(np.array([[True], [False]] + [[False]] * 61 + [[True]]))
    >>> int(m[0]) == 1 - 2**63, int((m[0] >> 63) & 1)
    (True, 1)
    """
    from negosim.limits import MAX_PARTIES
    if flags.shape[0] > MAX_PARTIES:
        # A shift by 64 or more would drop the party silently: refuse instead.
        raise ValueError(f"at most {MAX_PARTIES} parties fit a bitmask (got {flags.shape[0]})")
    out = np.zeros(flags.shape[1], dtype=np.uint64)
    for p in range(flags.shape[0]):  # parties, or consent rules (at most 64 of either)
        out |= flags[p].astype(np.uint64) << np.uint64(p)
    return out.view(np.int64)


def _half(cs: CompiledScenario, cols: list[int], fixed: dict[int, int], count_fixed: bool) -> Half:
    radix = [int(cs.radix[j]) for j in cols]
    n = math.prod(radix)
    X = np.empty((n, len(cols)), dtype=np.int64)
    rest = np.arange(n, dtype=np.int64)
    for k in range(len(cols) - 1, -1, -1):
        rest, X[:, k] = np.divmod(rest, radix[k])
    util, red, need = cs.partial_scores(cols, X, fixed, count_fixed=count_fixed)
    strides = cs.space.strides
    idx = X @ strides[cols] if cols else np.zeros(n, np.int64)
    dist = (X != cs.draft[cols][None, :]).sum(axis=1) if cols else np.zeros(n, np.int64)
    if count_fixed:
        for j, o in fixed.items():
            idx = idx + o * strides[j]
            dist = dist + int(o != cs.draft[j])
    touch = _bits(touched_rules(cs, cols, X, fixed, count_fixed))
    return Half(cols, X, np.ascontiguousarray(util.T), _bits(red), _bits(need), idx, dist.astype(np.int64), touch)


def choose_key(cs: CompiledScenario, A: Half, B: Half) -> int:
    """The always-needed party whose threshold alone leaves the fewest pairs."""
    best, key = None, -1
    for p in np.flatnonzero(cs.always_needed):
        sb = np.sort(B.util[:, p])
        need = thresholds(cs.reservation[p]) - A.util[:, p]
        pairs = int((B.n - np.searchsorted(sb, need, side="left")).sum())
        if best is None or pairs < best:
            best, key = pairs, int(p)
    return key


def blocks(cs: CompiledScenario, plan: Plan, drop_red: bool = True):
    """Yield one :class:`Block` per assignment of the conditioning provisions.

    With ``drop_red`` (for zone work), rows that cross a red line of a party
    whose consent every package needs are dropped up front: they can never be
    in the zone. Without it the blocks cover the whole space.
    """
    always = always_bits(cs)
    for combo in itertools.product(*[range(int(cs.radix[j])) for j in plan.C]):
        fixed = dict(zip(plan.C, combo))
        A = _half(cs, plan.A, fixed, count_fixed=True)
        B = _half(cs, plan.B, fixed, count_fixed=False)
        if drop_red:
            A = A.take(np.flatnonzero((A.red & always) == 0))
            B = B.take(np.flatnonzero((B.red & always) == 0))
        key = choose_key(cs, A, B) if A.n and B.n else -1
        if key >= 0:
            B = B.take(np.argsort(-B.util[:, key], kind="stable"))
        yield Block(fixed, A, B, key)


def always_bits(cs: CompiledScenario) -> int:
    """Bitmask of the parties whose consent every package needs, as a Python int in int64's range.

    With party 63 among them the value is negative (its bit is the sign bit), so
    that numpy and numba read it as int64, the type of the row masks; a Python
    int of ``2**63`` or more would not fit int64 and would be typed uint64.
    """
    return int(_bits(cs.always_needed[:, None])[0])
