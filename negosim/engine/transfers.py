"""Side payments: the zone of agreement and the Nash point when an amount can be split.

A provision may be ``transferable: {total, unit, value_per_unit}`` (e.g. the
frozen Russian assets): besides the options of the package, the parties split
up to ``total`` units among themselves, and a party receiving ``s_i`` units
gains ``v_i s_i`` utility. With ``t`` the total available under the
package's option of that provision (``total``, or 0 under an option not listed
in ``options``), ``u_i`` the utility from the one scorer and ``r_i`` the
reservation (docs/model.md, "Side payments"):

- a package is in the **zone with transfers** when some split ``s >= 0`` with
  ``sum s <= t`` makes every needed party accept: no red line crossed and
  ``u_i + v_i s_i`` meets its threshold. Each needed party must get at least
  ``m_i = max(0, (thr_i - u_i) / v_i)`` (``v_i > 0``) or already accept
  (``v_i = 0``), so the zone is ``sum_i m_i <= t`` (:func:`needs`);
- the **Nash point with transfers** maximises the weighted Nash product
  ``prod_B (u_i + v_i s_i - r_i) ** pi_i`` over packages and splits. For one
  package the best split pays the needed non-bargainers their ``m_i`` and
  shares the rest by water-filling (:func:`water_fill`):
  ``s_i = max(0, pi_i L - g_i / v_i)`` with the level ``L`` that spends it all.

Example
-------
>>> s = water_fill(np.array([[0.1, 0.3]]), np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.array([0.4]))
>>> s.round(6).tolist()  # both end at gain 0.4: 0.1 + 0.3 and 0.3 + 0.1
[[0.3, 0.1]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from negosim.errors import NegosimError
from .compiled import compile_scenario, thresholds
from .kernels import _limit, accepts_scalar


def water_fill(g, v, pi, T) -> np.ndarray:
    """The split of ``T`` that maximises ``sum_i pi_i log(g_i + v_i s_i)`` (``s >= 0``, ``sum s <= T``).

    Parameters
    ----------
    g : ``[n, K]`` gains without transfer (utility minus reservation), one row per package.
    v : ``[K]`` or ``[n, K]`` values per unit, all > 0.
    pi : ``[K]`` powers, all > 0.
    T : ``[n]`` amounts to split (>= 0).

    Returns
    -------
    ``[n, K]`` split. The objective grows in every ``s_i``, so all of ``T`` is spent; at the
    optimum (KKT) ``pi_i v_i / (g_i + v_i s_i)`` is the same ``1 / L`` for every party that
    receives something and at most that for the others, so ``g_i + v_i s_i = pi_i v_i L``
    for receivers: ``s_i = max(0, pi_i L - g_i / v_i)``. Sorting the breakpoints
    ``b_i = g_i / (v_i pi_i)``, the ``k`` lowest receive when
    ``L = (T + sum_{first k} g_i / v_i) / sum_{first k} pi_i`` exceeds ``b_(k)``; the
    largest such ``k`` gives the level.

    >>> water_fill(np.array([[0.5, 0.0]]), np.array([1.0, 2.0]), np.array([1.0, 1.0]), np.array([0.2])).round(6).tolist()
    [[0.0, 0.2]]
    """
    g = np.asarray(g, dtype=np.float64)
    n, K = g.shape
    v = np.broadcast_to(np.asarray(v, dtype=np.float64), (n, K))
    pi = np.broadcast_to(np.asarray(pi, dtype=np.float64), (n, K))
    T = np.asarray(T, dtype=np.float64).reshape(n)
    if K == 0:
        return np.zeros((n, 0))
    a = g / v  # units that would bring each gain to 0 from below (negative: owed)
    b = a / pi
    order = np.argsort(b, axis=1, kind="stable")
    bs = np.take_along_axis(b, order, axis=1)
    level = (T[:, None] + np.cumsum(np.take_along_axis(a, order, axis=1), axis=1)) / \
        np.cumsum(np.take_along_axis(pi, order, axis=1), axis=1)
    valid = bs < level
    # The last valid k (0: nobody receives, when T is 0 and every gain is positive).
    k = np.where(valid.any(axis=1), K - 1 - np.argmax(valid[:, ::-1], axis=1), -1)
    L = np.where(k >= 0, level[np.arange(n), np.maximum(k, 0)], 0.0)
    return np.maximum(0.0, pi * L[:, None] - a) * (k >= 0)[:, None]


# --------------------------------------------------------------------------- over half pairs

@njit(cache=True, inline="always")
def _buys(uA, redA, needA, availA, a, uB, redB, needB, availB, b, always, thr, value, total):
    """Whether the pair is in the zone with transfers: the test of :func:`needs`, on one pair.

    Every needed party crosses no red line, and either accepts on its own or has ``v_i > 0``;
    the units the latter lack, ``(thr_i - u_i) / v_i``, summed in party order, are at most the
    amount under the pair's option of the transferable provision (``availA[a] & availB[b]``).
    """
    m = always | needA[a] | needB[b]
    if (redA[a] | redB[b]) & m:
        return False
    amount = total if availA[a] and availB[b] else 0.0
    lack = 0.0
    for p in range(uA.shape[1]):
        if (m >> p) & 1:
            u = uA[a, p] + uB[b, p]
            if not accepts_scalar(u, thr[p]):
                if value[p] <= 0.0:
                    return False
                lack += (thr[p] - u) / value[p]
                if lack > amount:  # the sum of non-negative terms only grows
                    return False
    return True


@njit(cache=True, inline="always")
def _key_limit(uA, a, uB, key, thr, value, total):
    """Rows of B (sorted descending on ``key``) with which the key party could still be bought.

    The key party accepts with a transfer only when ``u_key >= thr_key - v_key * total``; the
    margin keeps rounding from dropping a row (extra rows are checked in full).
    """
    if key < 0:
        return uB.shape[0]
    give = value[key] * total
    return _limit(uB, key, thr[key] - give - 1e-9 * (1.0 + give) - uA[a, key])


@njit(parallel=True, cache=True)
def transfer_zone_counts(uA, redA, needA, availA, uB, redB, needB, availB, always, thr, value, total, key):
    """Number of zone-with-transfers members ``(a, b)`` for each row ``a`` of A.

    The conventions of :mod:`negosim.engine.kernels`; ``availA``/``availB`` per-row flags
    (the amount is split when both are set), ``value[P]`` the values per unit.

    >>> uA = np.array([[0.25], [0.5]]); uB = np.array([[0.5], [0.125]]); z = np.zeros(2, np.int64)
    >>> t = np.ones(2, np.bool_)  # (0, 1) lacks 0.375 > 0.25; (1, 1) lacks 0.125
    >>> transfer_zone_counts(uA, z, z, t, uB, z, z, t, 1, np.array([0.75]), np.array([1.0]), 0.25, 0).tolist()
    [1, 2]
    """
    nA = uA.shape[0]
    out = np.zeros(nA, np.int64)
    for a in prange(nA):
        c = 0
        for b in range(_key_limit(uA, a, uB, key, thr, value, total)):
            if _buys(uA, redA, needA, availA, a, uB, redB, needB, availB, b, always, thr, value, total):
                c += 1
        out[a] = c
    return out


@njit(parallel=True, cache=True)
def transfer_zone_pairs(uA, redA, needA, availA, uB, redB, needB, availB, always, thr, value, total, key, start):
    """Every zone-with-transfers member as ``(a, b)`` rows; ``start[nA + 1]``: where each row of A's
    members begin (the running sum of :func:`transfer_zone_counts` from 0)."""
    nA = uA.shape[0]
    out = np.empty((start[nA], 2), np.int64)
    for a in prange(nA):
        k = start[a]
        for b in range(_key_limit(uA, a, uB, key, thr, value, total)):
            if _buys(uA, redA, needA, availA, a, uB, redB, needB, availB, b, always, thr, value, total):
                out[k, 0] = a
                out[k, 1] = b
                k += 1
    return out


@dataclass
class Transfer:
    """The transferable provision of a compiled scenario (point values)."""

    provision: str
    j: int
    unit: str
    total: float
    available: np.ndarray  # [O_j] bool: options under which the amount is split
    value: np.ndarray  # [P] value per unit

    @classmethod
    def of(cls, scenario, cs) -> "Transfer | None":
        """The scenario's transferable provision, or None."""
        for j, (pid, prov) in enumerate(scenario.provisions.items()):
            t = prov.transferable
            if t is None:
                continue
            avail = np.array([t.options is None or o in t.options for o in prov.options], dtype=bool)
            value = np.array([t.value_per_unit[p].point if p in t.value_per_unit else 0.0 for p in cs.party_ids])
            return cls(pid, j, t.unit, float(t.total.point), avail, value)
        return None

    def amount(self, X) -> np.ndarray:
        """``[n]``: the units to split in each package (``total`` where the option allows it, else 0)."""
        return np.where(self.available[np.asarray(X)[:, self.j]], self.total, 0.0)


def needs(util, red, needed, reservation, value, amount) -> tuple[np.ndarray, np.ndarray]:
    """The least units each needed party must get to accept, and whether the packages are in the zone.

    ``util, red, needed`` ``[P, n]``; ``reservation, value`` ``[P]``; ``amount`` ``[n]``.
    A needed party with ``v_i = 0`` or a crossed red line must accept without a transfer.

    Returns
    -------
    m : ``[P, n]`` (0 for parties not needed)
    ok : ``[n]`` bool, ``sum_i m_i <= amount`` and every needed party can be brought to accept

    >>> m, ok = needs(np.array([[0.3], [0.6]]), np.zeros((2, 1), bool), np.ones((2, 1), bool),
    ...               np.array([0.5, 0.5]), np.array([0.1, 0.0]), np.array([2.5]))
    >>> m.round(6).tolist(), ok.tolist()
    ([[2.0], [0.0]], [True])
    """
    thr = thresholds(np.asarray(reservation, dtype=np.float64))[:, None]
    v = np.asarray(value, dtype=np.float64)[:, None]
    lack = np.maximum(thr - util, 0.0)
    m = np.where(needed & (v > 0), lack / np.where(v > 0, v, 1.0), 0.0)
    stuck = needed & (red | ((v <= 0) & (lack > 0)))  # no transfer can make these accept
    return m, ~stuck.any(axis=0) & (m.sum(axis=0) <= amount)


def best_split(util, red, needed, reservation, power, bargainers, value, amount):
    """The split of each package that maximises the weighted Nash product, and its log.

    Needed non-bargainers get their least units (:func:`needs`); the rest goes to the
    bargainers with ``v_i > 0`` by :func:`water_fill`. Returns ``s [P, n]`` and the log of
    the product ``[n]`` (``-inf`` outside the zone with transfers or where some
    bargainer's gain stays at or below 0), and whether each package is in the zone with
    transfers (``ok`` of :func:`needs`).
    """
    util = np.asarray(util, dtype=np.float64)
    P, n = util.shape
    m, ok = needs(util, red, needed, reservation, value, amount)
    pay = np.where(bargainers[:, None], 0.0, m)  # the least that buys the needed non-bargainers
    left = np.maximum(amount - pay.sum(axis=0), 0.0)
    g = util - np.asarray(reservation)[:, None]
    fill = bargainers & (value > 0)
    s = pay.copy()
    if fill.any():
        s[fill] = water_fill(g[fill].T, value[fill], power[fill], left).T
    gain = g + value[:, None] * s
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(gain[bargainers] > 0, np.log(np.maximum(gain[bargainers], 1e-300)), -np.inf)
    log_nash = (power[bargainers][:, None] * logs).sum(axis=0) if bargainers.any() else np.zeros(n)
    log_nash = np.where(ok & (gain[bargainers] > 0).all(axis=0), log_nash, -np.inf)
    return s, log_nash, ok


@dataclass
class TransferPoint:
    """The Nash point with transfers: a package, its split and each party's utility with it."""

    index: int
    package: dict[str, str]
    split: dict[str, float]
    utilities: dict[str, float]
    nash_product: float

    def to_json(self) -> dict:
        return {"index": self.index, "package": self.package, "split": self.split, "utilities": self.utilities,
                "nash_product": self.nash_product}


@dataclass
class TransferAnalysis:
    """What ``analyze`` adds for a transferable provision."""

    provision: str
    unit: str
    total: float
    zone_size: int
    nash: TransferPoint | None

    def to_json(self) -> dict:
        return {"provision": self.provision, "unit": self.unit, "total": self.total, "zone_size": self.zone_size,
                "nash": None if self.nash is None else self.nash.to_json()}


def _avail(tr: "Transfer", h, fixed: dict[int, int] | None) -> np.ndarray:
    """Per row of a half, whether its option of the transferable provision allows the split
    (``fixed``: the block's conditioning assignment, given for the half that counts it)."""
    if tr.j in h.cols:
        return tr.available[h.X[:, h.cols.index(tr.j)]]
    ok = bool(tr.available[fixed[tr.j]]) if fixed is not None and tr.j in fixed else True
    return np.full(h.n, ok, dtype=np.bool_)


def _flags(masks: np.ndarray, P: int) -> np.ndarray:
    """``[n]`` int64 bitmasks -> ``[P, n]`` booleans."""
    return ((masks[None, :] >> np.arange(P, dtype=np.int64)[:, None]) & 1).astype(bool)


def analyze_transfers(scenario, cs=None, params: dict[str, float] | None = None,
                      max_packages: int | None = None, chunk: int = 1 << 21) -> TransferAnalysis | None:
    """The zone with transfers and the Nash point with transfers, exactly over the whole space
    (None when no provision is transferable).

    The space is walked half against half like the zone (:func:`negosim.engine.split.blocks`):
    :func:`transfer_zone_counts` counts the pairs that :func:`needs` would accept, with the key
    party's threshold lowered by ``v_key * total``; the members (at most ``chunk`` at a time) get
    their best split from :func:`best_split`. The product is compared through its logarithm;
    ties go to the lowest package index.
    """
    from negosim.limits import MAX_TRANSFER_PACKAGES
    from .split import always_bits, blocks, plan_split
    cs = compile_scenario(scenario, params) if cs is None else cs
    tr = Transfer.of(scenario, cs)
    if tr is None:
        return None
    cap = MAX_TRANSFER_PACKAGES if max_packages is None else max_packages
    if cs.space.size > cap:
        raise NegosimError(f"side payments: {cs.space.size:,} packages are more than {cap:,}")
    if getattr(getattr(cs, "consent", None), "n_rules", 0):
        raise NegosimError("side payments with k_of_n, weighted or double consent rules are not supported")
    bargainers = cs.vetoing.copy() if cs.vetoing.any() else np.ones(cs.n_parties, dtype=bool)
    thr, always, P = thresholds(cs.reservation), always_bits(cs), cs.n_parties
    value = np.ascontiguousarray(tr.value, dtype=np.float64)
    zone, best, best_at = 0, -np.inf, None
    for b in blocks(cs, plan_split(cs)):
        if not (b.A.n and b.B.n):
            continue
        availA, availB = _avail(tr, b.A, b.fixed), _avail(tr, b.B, None)
        args = (b.A.util, b.A.red, b.A.need, availA, b.B.util, b.B.red, b.B.need, availB, always, thr, value,
                tr.total, b.key)
        counts = transfer_zone_counts(*args)
        zone += int(counts.sum())
        # Rows of A in runs of at most ``chunk`` members (a single row may exceed it).
        cum = np.concatenate([[0], np.cumsum(counts)])
        lo = 0
        while lo < len(counts):
            hi = max(lo + 1, int(np.searchsorted(cum, cum[lo] + chunk, side="right")) - 1)
            if cum[hi] == cum[lo]:
                lo = hi
                continue
            sub = b.A.take(np.arange(lo, hi))
            pairs = transfer_zone_pairs(sub.util, sub.red, sub.need, availA[lo:hi], *args[4:], cum[lo:hi + 1] - cum[lo])
            pa, pb = pairs[:, 0], pairs[:, 1]
            util = (sub.util[pa] + b.B.util[pb]).T
            red = _flags(sub.red[pa] | b.B.red[pb], P)
            needed = _flags(sub.need[pa] | b.B.need[pb], P) | cs.always_needed[:, None]
            amount = np.where(availA[lo:hi][pa] & availB[pb], tr.total, 0.0)
            split, log_nash, _ = best_split(util, red, needed, cs.reservation, cs.power, bargainers, value, amount)
            top = float(log_nash.max())
            if top > -np.inf and top >= best:
                idx = sub.idx[pa] + b.B.idx[pb]
                k = int(np.flatnonzero(log_nash == top)[np.argmin(idx[log_nash == top])])
                if top > best or idx[k] < best_at[0]:
                    best, best_at = top, (int(idx[k]), split[:, k], util[:, k])
            lo = hi
    nash = None
    if best_at is not None:
        index, split, util = best_at
        with_t = util + tr.value * split
        nash = TransferPoint(index, cs.package_dict(cs.space.decode_one(index)),
                             {p: float(v) for p, v in zip(cs.party_ids, split)},
                             {p: float(u) for p, u in zip(cs.party_ids, with_t)}, float(np.exp(best)))
    return TransferAnalysis(tr.provision, tr.unit, tr.total, zone, nash)


def scored_transfers(scenario, cs=None, params: dict[str, float] | None = None, chunk: int = 1 << 16) -> TransferAnalysis | None:
    """:func:`analyze_transfers` package by package, for small spaces and the tests.

    Every package is scored by the one scorer (``cs.score``), chunk by chunk: no halves, no
    pruning, so it checks the kernels (about 3 s per million packages with four parties).
    """
    cs = compile_scenario(scenario, params) if cs is None else cs
    tr = Transfer.of(scenario, cs)
    if tr is None:
        return None
    if getattr(getattr(cs, "consent", None), "n_rules", 0):
        raise NegosimError("side payments with k_of_n, weighted or double consent rules are not supported")
    bargainers = cs.vetoing.copy() if cs.vetoing.any() else np.ones(cs.n_parties, dtype=bool)
    zone, best, best_at = 0, -np.inf, None
    for start, X in zip(range(0, cs.space.size, chunk), cs.space.chunks(chunk)):
        s = cs.score(X)
        amount = tr.amount(X)
        split, log_nash, ok = best_split(s.util, s.red, s.needed, cs.reservation, cs.power, bargainers,
                                         tr.value, amount)
        zone += int(ok.sum())
        k = int(np.argmax(log_nash))
        if log_nash[k] > best:
            best, best_at = float(log_nash[k]), (start + k, X[k], split[:, k], s.util[:, k])
    nash = None
    if best_at is not None:
        index, x, split, util = best_at
        with_t = util + tr.value * split
        nash = TransferPoint(int(index), cs.package_dict(x), {p: float(v) for p, v in zip(cs.party_ids, split)},
                             {p: float(u) for p, u in zip(cs.party_ids, with_t)}, float(np.exp(best)))
    return TransferAnalysis(tr.provision, tr.unit, tr.total, zone, nash)


def with_transfers(analysis, scenario, params: dict[str, float] | None = None):
    """``analysis`` with :attr:`~negosim.engine.analysis.Analysis.transfers` set when ``scenario`` (a
    Scenario, LoadedScenario or path) has a transferable provision."""
    from .compiled import CompiledScenario, as_scenario
    if isinstance(scenario, CompiledScenario):
        return analysis
    from negosim.errors import NegosimError
    s, _ = as_scenario(scenario)
    if any(p.transferable is not None for p in s.provisions.values()):
        try:
            analysis.transfers = analyze_transfers(s, analysis.compiled, params)
        except NegosimError as e:  # too many packages, or quota rules: the rest of the analysis stands
            analysis.meta["transfers_skipped"] = str(e)
    return analysis


def transfer_lines(analysis, labels: dict[str, str] | None = None) -> list[str]:
    """The terminal's lines on side payments (none without a transferable provision)."""
    t = getattr(analysis, "transfers", None)
    if t is None:
        return []
    labels = labels or {}
    out = [f"With side payments ({t.total:g} {t.unit} of {t.provision} to split): zone of agreement "
           f"{t.zone_size:,} package{'s' if t.zone_size != 1 else ''} (without: {analysis.zone_size:,})"]
    if t.nash is None:
        out.append("Nash point with side payments: none")
    else:
        split = ", ".join(f"{labels.get(p, p)} {v:.3g}" for p, v in t.nash.split.items() if v > 0) or "nothing paid"
        out.append(f"Nash point with side payments: package {t.nash.index}, split {split} {t.unit}; utilities "
                   + ", ".join(f"{labels.get(p, p)} {u:.3f}" for p, u in t.nash.utilities.items()))
    return out
