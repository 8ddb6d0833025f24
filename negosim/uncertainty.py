"""Sampling the uncertain numbers of a scenario, and the tables of each draw.

A number is *uncertain* when it has a range or a distribution (see
:mod:`negosim.quantity`). :class:`Sampler` draws every uncertain number of a
scenario by inverse transform: each number gets its own stream of uniform
numbers, keyed by its document path under one root
:class:`numpy.random.SeedSequence`. So a number's draws depend only on the seed,
its path and its distribution, never on which other numbers are uncertain or
on their order; and moving a distribution (say, raising a reservation's range)
moves every draw the same way, so comparisons between scenarios share their
random numbers.

:meth:`Sampler.tables` turns a matrix of drawn numbers into stacked compiled
arrays (:class:`Tables`: ``wv[S, P, J, O]``, ``reservation[S, P]``, linkage
bonuses ``[S, T]``) with exactly the arithmetic of
:func:`negosim.compiled.compile_scenario` (parameter effects, clipping,
renormalised weights, quantised weighted values), vectorised over draws.
:meth:`Tables.compiled` gives one draw as a :class:`CompiledScenario`, and
:func:`score_draws` scores packages in every draw with the formula of
:meth:`CompiledScenario.partial_scores`; the tests check both against
``compile_scenario`` on concrete sampled scenarios.

Example
-------
>>> from negosim.random_scenario import random_scenario
>>> s = widen(random_scenario(parties=2, provisions=3, options=2, seed=0), 0.1)
>>> t = sample_tables(s, 200, seed=1)
>>> t.wv.shape, t.reservation.shape
((200, 2, 3, 2), (200, 2))
>>> bool(np.allclose(t.weights.sum(axis=2), 1))
True
>>> len(sample(s, 3, seed=1))
3
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import special, stats

from .compiled import QUANTUM, TOLERANCE, CompiledScenario, compile_scenario, quantize
from .errors import NegosimError
from .quantity import Number

# --------------------------------------------------------------------------- distributions


def ppf(num: Number, u) -> np.ndarray:
    """Inverse CDF of a number's distribution at uniforms ``u`` (the point for a certain number).

    >>> ppf(Number.model_validate({"low": 0.2, "high": 0.4}), [0.0, 0.5]).tolist()
    [0.2, 0.30000000000000004]
    """
    u = np.asarray(u, dtype=np.float64)
    if not num.uncertain:
        return np.full(u.shape, num.point)
    d = num.dist or "uniform"
    lo, hi = num.support
    if d == "uniform":
        return lo + u * (hi - lo)
    if d == "triangular":
        mode = num.mode if num.mode is not None else num.value
        c = (mode - lo) / (hi - lo)
        left = lo + np.sqrt(u * c) * (hi - lo)
        right = hi - np.sqrt((1 - u) * (1 - c)) * (hi - lo)
        return np.where(u < c, left, right)
    if d == "normal":
        mean = num.mean if num.mean is not None else num.value
        # Keep u off 0 and 1, whose quantiles are infinite.
        u = np.clip(u, 2.0 ** -60, 1 - 2.0 ** -53)
        if num.low is None:
            return mean + num.sd * special.ndtri(u)
        a, b = (lo - mean) / num.sd, (hi - mean) / num.sd
        return np.clip(stats.truncnorm.ppf(u, a, b, loc=mean, scale=num.sd), lo, hi)
    # beta, scaled to [lo, hi]
    return lo + (hi - lo) * special.betaincinv(num.a, num.b, u)


def dist_mean(num: Number) -> float:
    """Mean of a number's distribution (its point when it is certain).

    >>> round(dist_mean(Number.model_validate({"dist": "triangular", "low": 0, "mode": 0.3, "high": 0.9})), 12)
    0.4
    """
    if not num.uncertain:
        return num.point
    d = num.dist or "uniform"
    lo, hi = num.support
    if d == "uniform":
        return (lo + hi) / 2
    if d == "triangular":
        mode = num.mode if num.mode is not None else num.value
        return (lo + mode + hi) / 3
    if d == "normal":
        mean = num.mean if num.mean is not None else num.value
        if num.low is None:
            return mean
        return float(stats.truncnorm.mean((lo - mean) / num.sd, (hi - mean) / num.sd, loc=mean, scale=num.sd))
    return lo + (hi - lo) * num.a / (num.a + num.b)


# --------------------------------------------------------------------------- seeds

def root_seed(seed) -> np.random.SeedSequence:
    """A SeedSequence from an int (or None) or an existing SeedSequence (e.g. one spawned per sweep row)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(seed)


def path_key(path: tuple) -> int:
    """A stable 64-bit key of a document path (the same on every machine and run)."""
    text = ".".join(map(str, path)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


def uniforms(seed, path: tuple, n: int) -> np.ndarray:
    """``n`` uniforms of the stream of one number: a child of the root keyed by its path.

    The first ``n`` draws do not change when more are asked for.
    """
    root = root_seed(seed)
    child = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (path_key(path),),
                                   pool_size=root.pool_size)
    return np.random.Generator(np.random.PCG64(child)).random(n)


# --------------------------------------------------------------------------- tables

@dataclass
class Tables:
    """Compiled arrays of ``S`` draws, stacked on a leading axis.

    Attributes
    ----------
    base : CompiledScenario
        The scenario at its point values: ids, package space, red lines,
        vetoes, which do not depend on the numbers.
    numbers : ndarray [S, K]
        The drawn value of every number (columns: ``Sampler.paths``).
    wv, values : ndarray [S, P, J, O]
    weights : ndarray [S, P, J] (renormalised per draw)
    reservation, power, discount, drift : ndarray [S, P]
    bonus : ndarray [S, T]
        Bonus of each term of ``base.terms`` (0 for red lines).
    """

    base: CompiledScenario
    numbers: np.ndarray
    wv: np.ndarray
    weights: np.ndarray
    values: np.ndarray
    reservation: np.ndarray
    power: np.ndarray
    discount: np.ndarray
    drift: np.ndarray
    bonus: np.ndarray

    @property
    def n(self) -> int:
        """Number of draws."""
        return self.wv.shape[0]

    def compiled(self, s: int) -> CompiledScenario:
        """Draw ``s`` as a CompiledScenario (score it with ``.score`` like any other)."""
        return replace(self.base, wv=self.wv[s], weights=self.weights[s], values=self.values[s],
                       reservation=self.reservation[s], power=self.power[s], discount=self.discount[s],
                       drift=self.drift[s],
                       terms=[replace(t, bonus=float(self.bonus[s, i])) for i, t in enumerate(self.base.terms)])

    def take(self, draws) -> "Tables":
        """The tables of some draws (an index array or a slice)."""
        return Tables(self.base, *(getattr(self, f)[draws] for f in (
            "numbers", "wv", "weights", "values", "reservation", "power", "discount", "drift", "bonus")))

    def thresholds(self) -> np.ndarray:
        """``[S, P]`` acceptance thresholds on the ``QUANTUM`` grid.

        Utilities are exact multiples of ``QUANTUM``, so ``u >= reservation -
        TOLERANCE`` holds exactly when ``u`` reaches the smallest grid point at
        or above ``reservation - TOLERANCE``; on the grid, ``thr - uA`` is
        exact too, which lets kernels compare ``uB >= thr - uA``.
        """
        return np.ceil((self.reservation - TOLERANCE) / QUANTUM) * QUANTUM


class Sampler:
    """Draws of a scenario's uncertain numbers and the compiled tables of each draw.

    Parameters
    ----------
    scenario : Scenario

    Attributes
    ----------
    paths : list[tuple]
        Document path of every number (``iter_numbers`` order): the columns of
        the value matrices.
    numbers : list[Number]
    uncertain : list[int]
        Columns of the numbers that have a range or a distribution.
    base : CompiledScenario
        The scenario compiled at its point values.

    Example
    -------
    >>> from negosim.random_scenario import random_scenario
    >>> sm = Sampler(widen(random_scenario(parties=2, provisions=2, options=2, seed=0), 0.1))
    >>> V = sm.draw(5, seed=0)
    >>> V.shape == (5, len(sm.paths))
    True
    >>> bool((sm.tables(sm.points()).wv[0] == sm.base.wv).all())
    True
    """

    def __init__(self, scenario):
        from .scenario import iter_numbers
        self.scenario = scenario
        items = list(iter_numbers(scenario))
        self.paths = [p for p, _ in items]
        self.numbers = [n for _, n in items]
        self.index = {p: k for k, p in enumerate(self.paths)}
        self.uncertain = [k for k, n in enumerate(self.numbers) if n.uncertain]
        self.base = compile_scenario(scenario)
        for pid, prm in scenario.parameters.items():
            lo, hi = prm.value.support
            if lo < prm.range[0] or hi > prm.range[1]:
                raise NegosimError(f"parameters.{pid}.value: its distribution can leave the parameter's range "
                                   f"[{prm.range[0]:g}, {prm.range[1]:g}]")
        self._layout()

    def _layout(self) -> None:
        s, cs = self.scenario, self.base
        P, J, O = cs.wv.shape
        col = self.index
        self._res = np.array([col[("parties", p, "reservation")] for p in cs.party_ids])
        self._power = np.array([col[("parties", p, "power")] for p in cs.party_ids])
        self._discount = np.array([col[("parties", p, "discount")] for p in cs.party_ids])
        self._drift = np.array([col[("parties", p, "drift")] for p in cs.party_ids])
        self._w = np.array([[col[("parties", p, "weights", j)] for j in cs.provision_ids] for p in cs.party_ids])
        vcols, vdest = [], []
        for i, p in enumerate(cs.party_ids):
            for j, prov in enumerate(cs.provision_ids):
                for k, o in enumerate(cs.option_ids[j]):
                    c = col.get(("parties", p, "values", prov, o))
                    if c is not None:  # missing values (zero weight) stay 0, as in compile_scenario
                        vcols.append(c)
                        vdest.append((i * J + j) * O + k)
        self._vcols, self._vdest = np.array(vcols, dtype=np.int64), np.array(vdest, dtype=np.int64)
        # Linkage bonuses, in the order of cs.terms (compile_scenario's order: party, red lines, linkages).
        self._bonus = []
        for t in cs.terms:
            if t.kind == "link":
                li = [lk.id for lk in s.parties[cs.party_ids[t.party]].linkages].index(t.id)
                self._bonus.append(col[("parties", cs.party_ids[t.party], "linkages", li, "bonus")])
            else:
                self._bonus.append(-1)
        from .scenario import resolve_path
        self._effects = []  # (parameter id, per_unit column, target column)
        for pid, prm in s.parameters.items():
            for i, eff in enumerate(prm.effects):
                self._effects.append((pid, col[("parameters", pid, "effects", i, "per_unit")],
                                      col[resolve_path(s, eff.path)]))

    # -- values -------------------------------------------------------------
    def points(self) -> np.ndarray:
        """``[1, K]``: every number at its point value."""
        return np.array([[n.point for n in self.numbers]])

    def draw(self, n: int, seed=0) -> np.ndarray:
        """``[n, K]`` values: uncertain numbers drawn, certain ones at their point."""
        if n < 0:
            raise NegosimError("the number of draws must be 0 or more")
        V = np.repeat(self.points(), n, axis=0)
        root = root_seed(seed)
        for k in self.uncertain:
            V[:, k] = ppf(self.numbers[k], uniforms(root, self.paths[k], n))
        return V

    def column(self, path) -> int:
        """Column of a number given as a document path tuple or a dotted path."""
        if isinstance(path, str):
            path = self.resolve(path)
        if tuple(path) not in self.index:
            raise NegosimError(f"no number at {'.'.join(map(str, path))}")
        return self.index[tuple(path)]

    def resolve(self, dotted: str) -> tuple:
        """Document path of a dotted path (party numbers as in ``resolve_path``, or
        ``parameters.NAME.value`` / ``parameters.NAME.effects.I.per_unit``)."""
        from .errors import PathError
        from .scenario import resolve_path
        if dotted.startswith("parameters."):
            path = tuple(int(p) if p.isdigit() else p for p in dotted.split("."))
            if path not in self.index:
                raise NegosimError(f"no number at {dotted}")
            return path
        try:
            return resolve_path(self.scenario, dotted)
        except PathError as e:
            raise NegosimError(e.message) from None

    # -- tables -------------------------------------------------------------
    def tables(self, V, params: dict[str, float] | None = None,
               overrides: dict | None = None) -> Tables:
        """Compiled arrays of each row of ``V`` (see :class:`Tables`).

        Parameters
        ----------
        V : ``[S, K]`` number values (from :meth:`draw` or :meth:`points`).
        params : parameter values; a parameter given here is held at that
            value, otherwise its own (possibly drawn) value applies.
        overrides : number path (tuple or dotted) -> value, set in every row
            before parameter effects (as ``compile_scenario``'s overrides).
        """
        V = np.array(V, dtype=np.float64, ndmin=2)
        for path, v in (overrides or {}).items():
            V[:, self.column(path)] = float(v)
        params = dict(params or {})
        unknown = set(params) - set(self.scenario.parameters)
        if unknown:
            raise NegosimError(f"unknown parameter '{sorted(unknown)[0]}' "
                               f"(known: {', '.join(self.scenario.parameters) or 'none'})")
        S = V.shape[0]
        vals = V.copy()
        pvals = {}
        for pid, prm in self.scenario.parameters.items():
            v = np.full(S, float(params[pid])) if pid in params else V[:, self.index[("parameters", pid, "value")]]
            lo, hi = prm.range
            if ((v < lo) | (v > hi)).any():
                bad = v[(v < lo) | (v > hi)][0]
                raise NegosimError(f"parameter '{pid}' must lie within [{lo:g}, {hi:g}] (got {bad:g})")
            pvals[pid] = v
        for pid, per_col, target in self._effects:
            vals[:, target] += V[:, per_col] * pvals[pid]
        cs = self.base
        P, J, O = cs.wv.shape
        weights = np.maximum(vals[:, self._w], 0.0)
        total = weights.sum(axis=2)
        if (total <= 0).any():
            s, i = np.argwhere(total <= 0)[0]
            raise NegosimError(f"parties.{cs.party_ids[i]}.weights are all zero in draw {s}")
        weights = weights / total[:, :, None]
        values = np.zeros((S, P * J * O))
        values[:, self._vdest] = np.clip(vals[:, self._vcols], 0.0, 1.0)
        values = values.reshape(S, P, J, O)
        bonus = np.zeros((S, len(self._bonus)))
        for i, c in enumerate(self._bonus):
            if c >= 0:
                bonus[:, i] = quantize(vals[:, c])
        return Tables(cs, V, quantize(weights[:, :, :, None] * values), weights, values,
                      vals[:, self._res], np.maximum(vals[:, self._power], 1e-12),
                      np.clip(vals[:, self._discount], 1e-12, 1.0), vals[:, self._drift], bonus)

    # -- concrete scenarios ------------------------------------------------
    def scenarios(self, V) -> list:
        """One concrete Scenario per row of ``V``: each uncertain number set to its drawn point."""
        out = []
        for row in np.atleast_2d(V):
            trie: dict = {}
            for k in self.uncertain:
                node = trie
                for part in self.paths[k][:-1]:
                    node = node.setdefault(part, {})
                node[self.paths[k][-1]] = self.numbers[k].with_point(row[k])
            out.append(_rebuild(self.scenario, trie))
        return out


def _rebuild(node, trie: dict):
    """A copy of ``node`` with the leaves of ``trie`` replaced (pydantic models, dicts, lists)."""
    from pydantic import BaseModel

    def sub(child, t):
        return t if not isinstance(t, dict) else _rebuild(child, t)
    if isinstance(node, dict):
        out = dict(node)
        for k, t in trie.items():
            out[k] = sub(node[k], t)
        return out
    if isinstance(node, list):
        out = list(node)
        for k, t in trie.items():
            out[k] = sub(node[k], t)
        return out
    assert isinstance(node, BaseModel)
    return node.model_copy(update={k: sub(getattr(node, k), t) for k, t in trie.items()})


#: Allowed range of each kind of party number that :func:`widen` spreads.
_WIDEN_BOUNDS = {"reservation": (0.0, 1.0), "values": (0.0, 1.0), "weights": (0.0, math.inf),
                 "linkages": (-1.0, 1.0)}


def widen(scenario, width: float | None = None, dist: str | None = None):
    """A copy whose certain party numbers become ranges around their points.

    Reservations, weights, values and linkage bonuses that are plain points
    get ``low``/``high`` at ``point -/+ width`` (clipped to the number's
    allowed bounds), keeping their evidence; numbers that already have a range
    or a distribution are left alone. ``width=None`` takes each number's
    ``CONFIDENCE_SPREAD`` (medium when it states no confidence), so weak
    evidence gets wide ranges. ``dist`` ('uniform' or 'triangular' with the
    point as mode) is set on the new ranges; None leaves them plain (uniform).

    >>> from negosim.random_scenario import random_scenario
    >>> s = widen(random_scenario(parties=2, provisions=2, options=2, seed=0), 0.05)
    >>> s.parties["p0"].reservation.bounds
    (0.45, 0.55)
    """
    from .quantity import CONFIDENCE_SPREAD
    from .scenario import iter_numbers
    if dist not in (None, "uniform", "triangular"):
        raise NegosimError("widen() makes uniform or triangular ranges")
    trie: dict = {}
    for path, num in iter_numbers(scenario):
        if path[0] != "parties" or path[2] not in _WIDEN_BOUNDS or num.uncertain:
            continue
        w = width if width is not None else CONFIDENCE_SPREAD[num.confidence or "medium"]
        lo, hi = _WIDEN_BOUNDS[path[2]]
        v = num.point
        low, high = max(lo, v - w), min(hi, v + w)
        if not low < high:
            continue
        update = {"low": low, "high": high, "value": v}
        if dist == "triangular":
            update.update(dist="triangular", value=None, mode=v)
        elif dist == "uniform":
            update["dist"] = "uniform"
        node = trie
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = num.model_copy(update=update)
    return _rebuild(scenario, trie)


def sample(scenario, n: int, seed=0) -> list:
    """Draw ``n`` concrete scenarios: every uncertain number replaced by a drawn point.

    Parameters
    ----------
    scenario : Scenario
    n : number of draws.
    seed : int or numpy SeedSequence.

    Returns
    -------
    list[Scenario]
        Draw ``s`` compiles to the same arrays as ``sample_tables(...)`` row ``s``.
    """
    sm = Sampler(scenario)
    return sm.scenarios(sm.draw(n, seed))


def sample_tables(scenario, n: int, seed=0, params: dict[str, float] | None = None,
                  overrides: dict | None = None) -> Tables:
    """Draw ``n`` scenarios straight into stacked compiled arrays (see :class:`Tables`).

    Parameters
    ----------
    scenario : Scenario
    n : number of draws.
    seed : int or numpy SeedSequence (e.g. one spawned per sweep row).
    params : parameter values held fixed in every draw.
    overrides : number path -> value held fixed in every draw.
    """
    sm = Sampler(scenario)
    return sm.tables(sm.draw(n, seed), params=params, overrides=overrides)


# --------------------------------------------------------------------------- scoring over draws

def half_utilities(tables: Tables, cols, X, fixed: dict[int, int] | None = None,
                   count_fixed: bool = True) -> np.ndarray:
    """Utilities ``[S, P, n]`` of the provisions ``cols`` of packages ``X`` in every draw.

    The formula and the rules for fixed provisions and terms are those of
    :meth:`CompiledScenario.partial_scores` under ``weighted_sum``, vectorised
    over draws; red lines and needs do not depend on the numbers, so take them
    from ``tables.base.partial_scores``.
    """
    cs = tables.base
    fixed = fixed or {}
    cols = list(cols)
    X = np.asarray(X, dtype=np.int64).reshape(-1, len(cols)) if cols else np.zeros((max(len(X), 1), 0), np.int64)
    n = X.shape[0]
    util = np.zeros((tables.n, cs.n_parties, n))
    # Sum the columns in groups whose option grid is no larger than the batch: within a
    # group, by broadcasting over the grid (cheap), then one gather of the batch's rows
    # per group instead of one per column. Exact sums make the grouping irrelevant.
    k = 0
    while k < len(cols):
        g = np.zeros((tables.n, cs.n_parties, 1))
        loc = np.zeros(n, np.int64)
        while k < len(cols) and (g.shape[2] == 1 or g.shape[2] * int(cs.radix[cols[k]]) <= max(n, 16)):
            r = int(cs.radix[cols[k]])
            # An explicit size: with zero draws, reshape cannot infer a -1.
            g = (g[:, :, :, None] + tables.wv[:, :, cols[k], None, :r]).reshape(tables.n, cs.n_parties,
                                                                               g.shape[2] * r)
            loc = loc * r + X[:, k]
            k += 1
        if g.shape[2] == n and (loc == np.arange(n)).all():
            util += g
        else:
            util += g[:, :, loc]
    if count_fixed:
        for j, o in fixed.items():
            util += tables.wv[:, :, j, o][:, :, None]
    _add_bonuses(tables, util, cols, X, fixed, count_fixed)
    return util


def _add_bonuses(tables, util, cols, X, fixed, count_fixed) -> None:
    present = set(cols) | set(fixed)
    for i, t in enumerate(tables.base.terms):
        tp = set(t.provs.tolist())
        if t.kind != "link" or not tp <= present or (not count_fixed and tp <= set(fixed)):
            continue
        hit = t.fires(cols, X, fixed)
        util[:, t.party, :] += np.where(hit[None, :], tables.bonus[:, i:i + 1], 0.0)


def score_draws(tables: Tables, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score whole packages ``X[n, J]`` in every draw.

    Returns
    -------
    util : ndarray [S, P, n]
    red, needed : bool ndarrays [P, n] (the same in every draw)
    """
    cs = tables.base
    X = np.asarray(X, dtype=np.int64).reshape(-1, cs.n_provisions)
    _, red, needed = cs.partial_scores(range(cs.n_provisions), X)
    if cs.aggregation == "mean_of_addressed":
        n = X.shape[0]
        num = np.zeros((tables.n, cs.n_parties, n))
        den = np.zeros((tables.n, cs.n_parties, n))
        for j in range(cs.n_provisions):
            addressed = ~cs.absent[j][X[:, j]]
            num += np.where(addressed, tables.wv[:, :, j, X[:, j]], 0.0)
            den += np.where(addressed, tables.weights[:, :, j:j + 1], 0.0)
        util = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        _add_bonuses(tables, util, list(range(cs.n_provisions)), X, {}, True)
    else:
        util = half_utilities(tables, range(cs.n_provisions), X)
    return util, red, needed


def accepts_draws(tables: Tables, X) -> tuple[np.ndarray, np.ndarray]:
    """Whether each party accepts each package in each draw.

    Returns
    -------
    accepts : bool ndarray [S, P, n]
    needed : bool ndarray [P, n]
    """
    util, red, needed = score_draws(tables, X)
    ok = ~red[None] & (util >= tables.reservation[:, :, None] - TOLERANCE)
    return ok, needed


def unanimous_draws(tables: Tables, X) -> np.ndarray:
    """``[S, n]``: whether every party whose consent is needed accepts, per draw."""
    ok, needed = accepts_draws(tables, X)
    return (ok | ~needed[None]).all(axis=1)


# --------------------------------------------------------------------------- confidence

def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n``.

    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    if n <= 0:
        return (0.0, 1.0)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At k = 0 (k = n) the bound is exactly 0 (1); rounding would leave a speck.
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return (lo, hi)
