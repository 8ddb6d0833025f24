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

from negosim.errors import NegosimError
from .compiled import accepts, compile_scenario, thresholds


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


def analyze_transfers(scenario, cs=None, params: dict[str, float] | None = None,
                      max_packages: int | None = None, chunk: int = 1 << 16) -> TransferAnalysis | None:
    """The zone with transfers and the Nash point with transfers, over the whole space (None
    when no provision is transferable).

    Every package is scored by the one scorer (``cs.score``), chunk by chunk. The product is
    compared through its logarithm; ties go to the lowest package index.
    """
    from negosim.limits import MAX_TRANSFER_PACKAGES
    cs = compile_scenario(scenario, params) if cs is None else cs
    tr = Transfer.of(scenario, cs)
    if tr is None:
        return None
    cap = MAX_TRANSFER_PACKAGES if max_packages is None else max_packages
    if cs.space.size > cap:
        raise NegosimError(f"side payments are analysed package by package: {cs.space.size:,} packages are more "
                           f"than {cap:,}")
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
