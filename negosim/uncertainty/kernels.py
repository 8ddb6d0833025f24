"""Compiled loops that count, per package, the draws in which a deal is unanimous (numba).

A package is a pair ``(a, b)`` of half-packages (see :mod:`negosim.engine.split`);
in draw ``s`` party ``p``'s utility is ``uA[s, p, a] + uB[s, p, b]``. These
kernels add, for every pair, the number of draws in which every party whose
consent the pair needs accepts it.

Conventions:

- ``uA[S, P, nA]``, ``uB[S, P, nB]``: exact utilities on the ``QUANTUM`` grid,
  and ``thr[S, P]`` thresholds on the same grid, so ``uB >= thr - uA`` is
  exactly ``uA + uB >= thr`` (see :meth:`negosim.uncertainty.sampling.Tables.thresholds`);
  the comparison is :func:`negosim.engine.kernels.accepts_scalar`, the one rule.
- ``needA[a]``, ``needB[b]``, ``always``: bitmasks over parties whose consent
  the row needs / every package needs.
- ``freeB[p, b]``: 1 when party ``p``'s consent is not needed because of row
  ``b`` (so, unless ``a`` or ``always`` needs it, ``p`` need not accept).
- ``valid[a, b]``: 0 when the pair crosses a red line of a party whose consent
  it needs (never accepted, whatever the numbers).
- ``touchA``, ``touchB``, ``rules``: the quota consent rules each row touches
  (bitmasks) and their integer table (see :func:`_rules_met`).
- ``lim[a]``: only the first ``lim[a]`` rows of B can pair with ``a`` (see
  :func:`negosim.uncertainty.acceptance` for how B is ordered so that this holds).

The loop for one row ``a`` and one draw is a few passes over the contiguous
row ``uB[s, p, :]`` (one per party), which the compiler vectorises; draws are
taken in tiles that stay in cache while a chunk of rows of A reuses them.

Example
-------
>>> import numpy as np
>>> uA = np.array([[[0.2, 0.6]]]); uB = np.array([[[0.5, 0.1]]])   # one draw, one party
>>> out = np.zeros((2, 2), np.int32)
>>> z = np.zeros(2, np.int64)
>>> unanimous_counts(uA, z, uB, np.zeros((1, 2), np.uint8), 1, np.array([[0.5]]), np.ones((2, 2), np.uint8),
...                  np.array([2, 2]), 0, 1, out, 2, z, z, z, z, np.zeros((0, 3), np.int64))
>>> out.tolist()
[[1, 0], [1, 1]]
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from negosim.engine.kernels import accepts_scalar, quota_rules_met

#: Bytes of ``uB`` (and ``freeB``) a tile of draws should occupy: well inside a core's L2.
TILE_BYTES = 1 << 18


@njit(cache=True, inline="always")
def _rules_met(uA, uB, thr, s, a, b, red, t, rules):
    """Whether the pair meets, in draw ``s``, every quota consent rule of the mask ``t`` it touches.

    ``rules[K, P + 2]``: per constraint the members' integer weights, the quota and
    the rule's bit (:class:`negosim.engine.compiled.Consent`); ``red``: the parties
    whose red lines the pair crosses (they do not accept).
    """
    acc = 0
    for p in range(uB.shape[1]):
        if not (red >> p) & 1 and accepts_scalar(uB[s, p, b], thr[s, p] - uA[s, p, a]):
            acc |= 1 << p
    return quota_rules_met(rules, t, acc)


@njit(parallel=True, cache=True)
def unanimous_counts(uA, needA, uB, freeB, always, thr, valid, lim, s_lo, s_hi, out, n_chunks,
                     redA, touchA, redB, touchB, rules):
    """Add to ``out[a, b]`` the draws ``s_lo <= s < s_hi`` in which the pair is unanimous.

    See the module doc for the arguments. Only rows ``b < lim[a]`` are
    visited: the caller orders B so that pairs beyond that prefix can never
    be unanimous (their counts stay 0). ``redA``, ``touchA``, ``redB``,
    ``touchB`` and ``rules``: red-line and touched-rule masks of the rows and
    the quota consent rules (``[0, P + 2]`` when there are none); a pair that
    touches a rule counts only in the draws whose accepting parties meet it.
    ``out`` is an int32 ``[nA, nB]``
    array updated in place. Rows of A are split into ``n_chunks`` parallel
    chunks: each chunk streams all of ``uB`` once per tile of draws, so a few
    large chunks (a small multiple of the thread count) keep memory traffic low.
    """
    P = uB.shape[1]
    nA = uA.shape[2]
    nB = uB.shape[2]
    anyB = 0
    for p in range(P):
        for b in range(nB):
            if freeB[p, b] == 0:
                anyB |= 1 << p
                break
    tile = max(1, TILE_BYTES // max(1, P * nB * 9))
    n_chunks = min(nA, max(1, n_chunks))
    for c in prange(n_chunks):
        a_lo = c * nA // n_chunks
        a_hi = (c + 1) * nA // n_chunks
        ok = np.empty(nB, np.uint8)
        for t0 in range(s_lo, s_hi, tile):
            t1 = min(t0 + tile, s_hi)
            for a in range(a_lo, a_hi):
                forced = always | needA[a]
                nb = lim[a]
                va = valid[a]
                row = out[a]
                live = 0
                for b in range(nb):
                    live |= va[b]
                if live == 0:
                    continue  # every pair of this row crosses a needed party's red line
                for s in range(t0, t1):
                    first = True
                    live = 1
                    for p in range(P):
                        if not ((forced | anyB) >> p) & 1:
                            continue  # no pair of this row needs p
                        t = thr[s, p] - uA[s, p, a]
                        u = uB[s, p]
                        live = 0
                        if (forced >> p) & 1:
                            if first:
                                for b in range(nb):
                                    x = va[b] & np.uint8(accepts_scalar(u[b], t))
                                    ok[b] = x
                                    live |= x
                            else:
                                for b in range(nb):
                                    x = ok[b] & np.uint8(accepts_scalar(u[b], t))
                                    ok[b] = x
                                    live |= x
                        else:
                            f = freeB[p]
                            if first:
                                for b in range(nb):
                                    x = va[b] & (np.uint8(accepts_scalar(u[b], t)) | f[b])
                                    ok[b] = x
                                    live |= x
                            else:
                                for b in range(nb):
                                    x = ok[b] & (np.uint8(accepts_scalar(u[b], t)) | f[b])
                                    ok[b] = x
                                    live |= x
                        first = False
                        if live == 0:
                            break  # nobody left to count in this draw
                    if live == 0:
                        continue
                    if rules.shape[0] > 0:
                        ta = touchA[a]
                        for b in range(nb):
                            x = va[b] if first else ok[b]
                            t = ta | touchB[b]
                            if x != 0 and t != 0 and not _rules_met(uA, uB, thr, s, a, b, redA[a] | redB[b], t, rules):
                                x = np.uint8(0)
                            ok[b] = x
                        first = False
                    if first:  # no party's consent is needed by any pair of this row
                        for b in range(nb):
                            row[b] += va[b]
                    else:
                        for b in range(nb):
                            row[b] += ok[b]
