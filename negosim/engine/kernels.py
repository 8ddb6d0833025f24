"""Compiled inner loops over pairs of half-packages (numba).

The analysis splits the provisions into two halves A and B (see
:mod:`negosim.engine.split`); a package is a pair ``(a, b)`` and each party's utility
is ``uA[a, p] + uB[b, p]``. These loops visit pairs without materialising them.
Rows of B come sorted by a *key* party's utility (descending), so the rows
that can satisfy that party form a prefix found by binary search: most pairs
are never touched when the zone of agreement is small.

Conventions for every kernel:

- ``uA[nA, P]``, ``uB[nB, P]``: exact utilities (see ``QUANTUM`` in
  :mod:`negosim.engine.compiled`), so sums do not depend on order.
- ``redA``, ``redB``, ``needA``, ``needB``: per-row bitmasks over parties
  (bit ``p`` set: a red line of ``p`` is crossed / ``p``'s consent is needed).
- ``touchA``, ``touchB``: per-row bitmasks over the quota consent rules
  (k_of_n, weighted, double) the row touches; ``rules``: their integer table
  (:class:`negosim.engine.compiled.Consent`; ``[0, P + 2]`` when there are none).
- ``always``: bitmask of parties whose consent every package needs.
- ``thr[P]``: reservation minus the acceptance tolerance
  (:func:`negosim.engine.compiled.thresholds`); a utility is accepted when
  :func:`accepts_scalar` (that is, :func:`negosim.engine.compiled.meets`) holds.
- ``key``: the party sorting B (one in ``always``), or -1 for none. Quota rules
  make nobody needed on their own, so pruning by the key stays valid.

Example
-------
>>> import numpy as np
>>> uA = np.array([[0.2], [0.6]]); uB = np.array([[0.5], [0.1]])
>>> z = np.zeros(2, np.int64)
>>> int(zone_counts(uA, z, z, z, uB, z, z, z, 1, np.array([0.5]), np.zeros((0, 3), np.int64), 0).sum())
3
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .compiled import meets

#: The acceptance comparison, compiled from the one definition (:func:`negosim.engine.compiled.meets`)
#: into every kernel that uses it (here, in bargaining/offer_search.py and in uncertainty/kernels.py). Numba's
#: on-disk cache does not notice edits to ``meets``: clear ``__pycache__`` after changing it.
accepts_scalar = njit(inline="always")(meets)


@njit(cache=True, inline="always")
def _limit(uB, key, need):
    """Number of leading rows of B (sorted descending on ``key``) with ``uB[:, key] >= need``."""
    lo, hi = 0, uB.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if accepts_scalar(uB[mid, key], need):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, inline="always")
def quota_rules_met(rules, t, accepting):
    """Whether every quota consent rule whose bit is in ``t`` is met by the parties of ``accepting``.

    The one check of the quota rules (k_of_n, weighted, double), compiled into every
    kernel that needs it (here and in uncertainty/kernels.py), each of which builds
    ``accepting`` (bit ``p``: party ``p`` accepts) from its own layout of utilities.
    ``rules[K, P + 2]``: per constraint the members' integer weights, the quota and
    the rule's bit (:class:`negosim.engine.compiled.Consent`).
    """
    P = rules.shape[1] - 2
    for k in range(rules.shape[0]):
        if not (t >> rules[k, P + 1]) & 1:
            continue
        s = 0
        for p in range(P):
            if (accepting >> p) & 1:
                s += rules[k, p]
        if s < rules[k, P]:
            return False
    return True


@njit(cache=True, inline="always")
def _accept(uA, redA, needA, touchA, a, uB, redB, needB, touchB, b, always, thr, rules):
    """Whether the pair is agreed: every needed party accepts, and every touched quota rule is met.

    ``rules[K, P + 2]``: per constraint the members' integer weights, the
    quota and the rule's bit in ``touchA | touchB`` (see
    :class:`negosim.engine.compiled.Consent`).
    """
    m = always | needA[a] | needB[b]
    red = redA[a] | redB[b]
    if red & m:
        return False
    P = uA.shape[1]
    for p in range(P):
        if (m >> p) & 1:
            if not accepts_scalar(uA[a, p] + uB[b, p], thr[p]):
                return False
    t = touchA[a] | touchB[b]
    if t == 0:
        return True
    acc = 0
    for p in range(P):
        if not (red >> p) & 1 and accepts_scalar(uA[a, p] + uB[b, p], thr[p]):
            acc |= 1 << p
    return quota_rules_met(rules, t, acc)


@njit(parallel=True, cache=True)
def zone_counts(uA, redA, needA, touchA, uB, redB, needB, touchB, always, thr, rules, key):
    """Number of zone members ``(a, b)`` for each row ``a`` of A."""
    nA = uA.shape[0]
    out = np.zeros(nA, np.int64)
    for a in prange(nA):
        lim = uB.shape[0] if key < 0 else _limit(uB, key, thr[key] - uA[a, key])
        c = 0
        for b in range(lim):
            if _accept(uA, redA, needA, touchA, a, uB, redB, needB, touchB, b, always, thr, rules):
                c += 1
        out[a] = c
    return out


@njit(parallel=True, cache=True)
def zone_distance_counts(uA, redA, needA, touchA, dA, uB, redB, needB, touchB, dB, always, thr, rules, key, maxd):
    """Zone members of each row of A by distance ``dA[a] + dB[b]`` (shape ``[nA, maxd + 1]``)."""
    nA = uA.shape[0]
    out = np.zeros((nA, maxd + 1), np.int64)
    for a in prange(nA):
        lim = uB.shape[0] if key < 0 else _limit(uB, key, thr[key] - uA[a, key])
        for b in range(lim):
            if _accept(uA, redA, needA, touchA, a, uB, redB, needB, touchB, b, always, thr, rules):
                out[a, dA[a] + dB[b]] += 1
    return out


@njit(parallel=True, cache=True)
def zone_pairs(uA, redA, needA, touchA, uB, redB, needB, touchB, always, thr, rules, key, counts):
    """Every zone member as ``(a, b)`` rows, given ``counts`` from :func:`zone_counts`."""
    nA = uA.shape[0]
    start = np.zeros(nA + 1, np.int64)
    for a in range(nA):
        start[a + 1] = start[a] + counts[a]
    out = np.empty((start[nA], 2), np.int64)
    for a in prange(nA):
        lim = uB.shape[0] if key < 0 else _limit(uB, key, thr[key] - uA[a, key])
        k = start[a]
        for b in range(lim):
            if _accept(uA, redA, needA, touchA, a, uB, redB, needB, touchB, b, always, thr, rules):
                out[k, 0] = a
                out[k, 1] = b
                k += 1
    return out


@njit(cache=True)
def _nash(uA, a, uB, b, res, power, vetoing):
    prod = 1.0
    for p in range(uA.shape[1]):
        if vetoing[p]:
            g = uA[a, p] + uB[b, p] - res[p]
            if g <= 0.0:
                return 0.0
            prod *= g ** power[p]
    return prod


@njit(parallel=True, cache=True)
def top_at_distance(uA, redA, needA, touchA, dA, idxA, uB, redB, needB, touchB, dB, idxB, always, thr, rules, key,
                    dist, res, power, vetoing, K):
    """For each row of A, its best ``K`` zone partners at exact distance ``dist``.

    Ranked by Nash product (descending), then by package index ``idxA + idxB``
    (ascending). Returns ``(nash[nA, K], b[nA, K])`` with ``b = -1`` for empty slots.
    """
    nA = uA.shape[0]
    best = np.full((nA, K), -1.0)
    who = np.full((nA, K), -1, np.int64)
    for a in prange(nA):
        if dA[a] > dist:
            continue
        lim = uB.shape[0] if key < 0 else _limit(uB, key, thr[key] - uA[a, key])
        for b in range(lim):
            if dA[a] + dB[b] != dist:
                continue
            if not _accept(uA, redA, needA, touchA, a, uB, redB, needB, touchB, b, always, thr, rules):
                continue
            v = _nash(uA, a, uB, b, res, power, vetoing)
            pos = K
            # insertion into the sorted row, ties by lower package index first
            while pos > 0:
                wb = who[a, pos - 1]
                if wb >= 0 and (best[a, pos - 1] > v or (best[a, pos - 1] == v and idxB[wb] < idxB[b])):
                    break
                pos -= 1
            if pos < K:
                for s in range(K - 1, pos, -1):
                    best[a, s] = best[a, s - 1]
                    who[a, s] = who[a, s - 1]
                best[a, pos] = v
                who[a, pos] = b
    return best, who


@njit(cache=True, inline="always")
def _dominates(F, j, X, i):
    """Whether row ``j`` of F is at least as good as row ``i`` of X everywhere and better once."""
    better = False
    for p in range(X.shape[1]):
        d = F[j, p] - X[i, p]
        if d < 0.0:
            return False
        if d > 0.0:
            better = True
    return better


@njit(cache=True)
def front_extend(U, order, nf, lo, hi):
    """Go on with the pass of :func:`front_sorted` over rows ``lo..hi`` of ``U``.

    ``order[:nf]`` holds the front of the rows before ``lo`` (updated in place).
    Returns the new ``nf`` and the number of dominance tests made, so that a
    caller can take the pass in steps: to show progress, or to stop when it
    costs more than it may.
    """
    tests = 0
    for i in range(lo, hi):
        dominated = False
        for f in range(nf):
            j = order[f]
            tests += 1
            if _dominates(U, j, U, i):
                dominated = True
                if f > 0:  # move the successful dominator to the front
                    order[f] = order[0]
                    order[0] = j
                break
        if not dominated:
            order[nf] = i
            nf += 1
    return nf, tests


@njit(cache=True)
def front_sorted(U):
    """Indices of the non-dominated rows of ``U``, given rows sorted by descending sum.

    A row is dominated when another is at least as good for every column and
    better for one. Exact sums make a dominator always come first, so one pass
    suffices (sort-filter-skyline). The dominator found last is tried first
    next time, which is usually the one that dominates the next row too.
    """
    N = U.shape[0]
    order = np.empty(N, np.int64)
    nf, _ = front_extend(U, order, 0, 0, N)
    return np.sort(order[:nf])


@njit(parallel=True, cache=True)
def dominated_by_any(X, F):
    """For each row of X, whether some row of F dominates it."""
    n = X.shape[0]
    out = np.zeros(n, np.bool_)
    for i in prange(n):
        for j in range(F.shape[0]):
            if _dominates(F, j, X, i):
                out[i] = True
                break
    return out
