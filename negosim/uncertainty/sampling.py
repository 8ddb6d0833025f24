"""Sampling the uncertain numbers of a scenario, and the tables of each draw.

A number is *uncertain* when it has a range or a distribution (see
:mod:`negosim.scenario.numbers`). :class:`Sampler` draws every uncertain number of a
scenario by inverse transform: each number gets its own stream of uniform
numbers, keyed by its document path under one root
:class:`numpy.random.SeedSequence`. So a number's draws depend only on the seed,
its path and its distribution, never on which other numbers are uncertain or
on their order; and moving a distribution (say, raising a reservation's range)
moves every draw the same way, so comparisons between scenarios share their
random numbers.

:meth:`Sampler.tables` turns a matrix of drawn numbers into stacked compiled
arrays (:class:`Tables`: ``wv[S, P, J, O]``, ``reservation[S, P]``, linkage
bonuses ``[S, T]``) with :meth:`negosim.engine.compiled.NumberLayout.derive`, the
derivation :func:`negosim.engine.compiled.compile_scenario` runs on one row
(parameter effects, clipping, renormalised weights, quantised weighted
values). :meth:`Tables.compiled` gives one draw as a :class:`CompiledScenario`,
and :func:`score_draws` scores packages in every draw with
:func:`negosim.engine.compiled.stacked_scores`, the scorer behind
:meth:`CompiledScenario.partial_scores`; the tests check both against
``compile_scenario`` on concrete sampled scenarios.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
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
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from negosim.engine.compiled import (NUMBER_ARRAYS, QUANTUM, CompiledScenario, NumberLayout, accepts, compile_scenario,
                       stacked_scores, thresholds, unanimous, with_numbers)
from negosim.errors import NegosimError
from negosim.scenario.numbers import Number, clip_bounds

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


def uniforms(seed, path: tuple, n: int, start: int = 0) -> np.ndarray:
    """Uniforms ``start .. start + n`` of the stream of one number: a child of the root keyed by its path.

    The first draws do not change when more are asked for, and ``start`` skips ahead
    without making the skipped draws (PCG64 jumps; each uniform uses one 64-bit output),
    so draws made chunk by chunk are the draws of one call, whatever the chunk size.
    ``seed`` is an int or a root :class:`numpy.random.SeedSequence` (:func:`root_seed`).

    >>> bool((uniforms(1, ("x",), 5, start=3) == uniforms(1, ("x",), 8)[3:]).all())
    True
    """
    root = root_seed(seed)
    child = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (path_key(path),),
                                   pool_size=root.pool_size)
    bits = np.random.PCG64(child)
    if start:
        bits.advance(start)
    return np.random.Generator(bits).random(n)


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
        return with_numbers(self.base, s, **{k: getattr(self, k) for k in NUMBER_ARRAYS})

    def take(self, draws) -> "Tables":
        """The tables of some draws (an index array or a slice)."""
        return Tables(self.base, *(getattr(self, f)[draws] for f in (
            "numbers", "wv", "weights", "values", "reservation", "power", "discount", "drift", "bonus")))

    def thresholds(self) -> np.ndarray:
        """``[S, P]`` acceptance thresholds on the ``QUANTUM`` grid.

        Utilities are exact multiples of ``QUANTUM``, so a utility meets
        :func:`~negosim.engine.compiled.thresholds` exactly when it reaches the
        smallest grid point at or above it; on the grid, ``thr - uA`` is
        exact too, which lets kernels compare ``uB >= thr - uA``.
        """
        return np.ceil(thresholds(self.reservation) / QUANTUM) * QUANTUM


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
    >>> from negosim.engine.random_scenario import random_scenario
    >>> sm = Sampler(widen(random_scenario(parties=2, provisions=2, options=2, seed=0), 0.1))
    >>> V = sm.draw(5, seed=0)
    >>> V.shape == (5, len(sm.paths))
    True
    >>> bool((sm.tables(sm.points()).wv[0] == sm.base.wv).all())
    True
    """

    def __init__(self, scenario):
        self.scenario = scenario
        #: Where each number sits in a row and how the tables derive from rows (shared with compile_scenario).
        self.layout = NumberLayout(scenario)
        self.paths, self.numbers, self.index = self.layout.paths, self.layout.numbers, self.layout.index
        self.uncertain = [k for k, n in enumerate(self.numbers) if n.uncertain]
        self.base = compile_scenario(scenario)
        for pid, prm in scenario.parameters.items():
            lo, hi = prm.value.support
            if lo < prm.range[0] or hi > prm.range[1]:
                raise NegosimError(f"parameters.{pid}.value: its distribution can leave the parameter's range "
                                   f"[{prm.range[0]:g}, {prm.range[1]:g}]")

    # -- values -------------------------------------------------------------
    def points(self) -> np.ndarray:
        """``[1, K]``: every number at its point value."""
        return self.layout.points()

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
        from negosim.errors import PathError
        from negosim.scenario.schema import resolve_path
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
        derived = self.layout.derive(self.layout.with_parameters(V, params), draws=True)
        return Tables(self.base, V, **derived)

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


#: Allowed range of each kind of party (and no-deal) number that :func:`widen` spreads.
_WIDEN_BOUNDS = {field: clip_bounds(field) for field in ("reservation", "values", "weights", "linkages", "cost", "p")}


def widen(scenario, width: float | None = None, dist: str | None = None):
    """A copy whose certain party numbers become ranges around their points.

    Reservations, weights, values, linkage bonuses and the no-deal
    probabilities and costs that are plain points get ``low``/``high`` at ``point -/+ width`` (clipped to the number's
    allowed bounds), keeping their evidence; numbers that already have a range
    or a distribution are left alone. ``width=None`` takes each number's
    ``CONFIDENCE_SPREAD`` (medium when it states no confidence), so weak
    evidence gets wide ranges. ``dist`` ('uniform' or 'triangular' with the
    point as mode) is set on the new ranges; None leaves them plain (uniform).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = widen(random_scenario(parties=2, provisions=2, options=2, seed=0), 0.05)
    >>> s.parties["p0"].reservation.bounds
    (0.45, 0.55)
    """
    from negosim.scenario.numbers import CONFIDENCE_SPREAD
    from negosim.scenario.schema import iter_numbers, number_kind
    if dist not in (None, "uniform", "triangular"):
        raise NegosimError("widen() makes uniform or triangular ranges")
    trie: dict = {}
    for path, num in iter_numbers(scenario):
        if path[0] not in ("parties", "no_deal") or number_kind(path) not in _WIDEN_BOUNDS or num.uncertain:
            continue
        w = width if width is not None else CONFIDENCE_SPREAD[num.confidence or "medium"]
        lo, hi = _WIDEN_BOUNDS[number_kind(path)]
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

    This is :func:`negosim.engine.compiled.stacked_scores` on the tables of the draws
    (the scorer of :meth:`CompiledScenario.partial_scores`); red lines and
    needs do not depend on the numbers, so take them from
    ``tables.base.partial_scores``.
    """
    return stacked_scores(tables.base, cols, X, fixed, count_fixed, wv=tables.wv, weights=tables.weights,
                          bonus=tables.bonus, flags=False)[0]


def score_draws(tables: Tables, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score whole packages ``X[n, J]`` in every draw.

    Returns
    -------
    util : ndarray [S, P, n]
    red, needed : bool ndarrays [P, n] (the same in every draw)
    """
    cs = tables.base
    X = np.asarray(X, dtype=np.int64).reshape(-1, cs.n_provisions)
    return stacked_scores(cs, range(cs.n_provisions), X, wv=tables.wv, weights=tables.weights, bonus=tables.bonus)


def accepts_draws(tables: Tables, X) -> tuple[np.ndarray, np.ndarray]:
    """Whether each party accepts each package in each draw.

    Returns
    -------
    accepts : bool ndarray [S, P, n]
    needed : bool ndarray [P, n]
    """
    util, red, needed = score_draws(tables, X)
    return accepts(util, red[None], tables.reservation), needed


def unanimous_draws(tables: Tables, X) -> np.ndarray:
    """``[S, n]``: whether every party whose consent is needed accepts, per draw."""
    ok, needed = accepts_draws(tables, X)
    return tables.base.agreed(ok, needed, np.asarray(X, dtype=np.int64).reshape(-1, tables.base.n_provisions))


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
