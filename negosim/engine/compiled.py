"""The compiled scenario: numpy tables that every consumer scores through.

:func:`compile_scenario` turns a validated :class:`~negosim.scenario.schema.Scenario`
(plus parameter settings) into a :class:`CompiledScenario`: weighted values
``wv[party, provision, option]``, red-line and linkage terms, veto scopes and
reservations. The arrays that depend on the scenario's numbers are derived in
one place, :meth:`NumberLayout.derive`, over a leading axis of rows (one row
here; a sweep's rows and the sampler's draws in :mod:`negosim.sweep.axes` and
:mod:`negosim.uncertainty.sampling`). :func:`stacked_scores` is the one function that
scores packages (or parts of packages, for the two-halves analysis), in any
number of stacked draws; :meth:`CompiledScenario.partial_scores` is its view of
one draw, and nothing else in negosim derives utilities.

Weighted values and bonuses are rounded to multiples of ``QUANTUM`` (2**-40,
about 1e-12), so every sum of them is exact in float64: utilities do not
depend on summation order, chunking or the split into halves, and ties are
real ties.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> cs = compile_scenario(random_scenario(parties=2, provisions=3, options=2, seed=1))
>>> cs.space.size
8
>>> s = cs.score(cs.space.all())
>>> s.util.shape
(2, 8)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from negosim.errors import NegosimError
from .space import PackageSpace

QUANTUM = 2.0 ** -40
#: A party accepts when its utility reaches its reservation minus this.
TOLERANCE = 1e-9
#: Cost of a crossed red line in a shortfall (larger than any utility gap).
RED_LINE_COST = 10.0


# -- the acceptance rule ------------------------------------------------------
# Everything in negosim that decides acceptance goes through these functions;
# numba kernels jit ``meets`` itself (see kernels.py), so a change here changes
# every consumer at once.

def meets(u, thr):
    """Whether a utility reaches an acceptance threshold (the one comparison).

    Plain Python on purpose: numpy calls it on arrays, and the numba kernels
    compile this same function (``numba.njit(inline="always")(meets)``).

    >>> bool(meets(0.5, thresholds(0.5)))
    True
    """
    return u >= thr


def thresholds(reservation, tol=TOLERANCE):
    """The lowest utility each party accepts: reservation minus ``TOLERANCE``.

    Takes a float or an array (numba kernels compile this function too, and
    pass ``tol`` themselves so that their on-disk cache follows its value).

    >>> thresholds(0.5) == 0.5 - TOLERANCE
    True
    """
    return reservation - tol


def gap_below(u, thr):
    """How far a utility lies below a threshold (0 when it reaches it); numba kernels compile it too.

    >>> float(gap_below(0.25, 0.5)), float(gap_below(0.75, 0.5))
    (0.25, 0.0)
    """
    return np.maximum(thr - u, 0.0)


def _along(reservation, util):
    # Reservations carry every axis of util but the last (packages): add that one.
    r = np.asarray(reservation, dtype=np.float64)
    return r[..., None] if r.ndim < np.ndim(util) else r


def accepts(util, red, reservation):
    """Whether a party accepts: no red line crossed and utility reaches reservation - TOLERANCE.

    Parameters
    ----------
    util : utilities, packages on the last axis (``[P, n]``, ``[S, P, n]``) or a scalar.
    red : whether a red line is crossed; broadcasts against ``util``.
    reservation : reservations with util's axes but the last (``[P]``, ``[S, P]``),
        or util's full shape.

    Returns
    -------
    bool ndarray (or numpy bool for scalars) of the broadcast shape.

    Examples
    --------
    >>> accepts(np.array([[0.5, 0.4]]), np.array([[False, False]]), np.array([0.5])).tolist()
    [[True, False]]
    >>> bool(accepts(0.9, True, 0.5))
    False
    """
    return ~np.asarray(red, dtype=bool) & meets(util, thresholds(_along(reservation, util)))


def unanimous(ok, needed, axis: int = -2, touched=None, consent: "Consent | None" = None):
    """Whether a package is agreed: every party whose consent is needed accepts, and every
    consent rule the package touches is satisfied by the parties that accept it.

    Parameters
    ----------
    ok : bool ndarray of acceptances, parties on ``axis`` (``[P, n]``, ``[S, P, n]``).
    needed : bool ndarray broadcasting against ``ok``: whose consent is needed.
    axis : the parties' axis (default: second to last).
    touched : bool ndarray like ``needed`` with the quota rules of ``consent`` on the
        parties' axis (``[R, n]``): which rules each package touches (:func:`touched_rules`).
    consent : the scenario's quota rules (``CompiledScenario.consent``); unanimity rules
        are already folded into ``needed``.

    >>> unanimous(np.array([[True, False], [False, False]]), np.array([[True], [False]])).tolist()
    [True, False]
    """
    ok = np.asarray(ok, dtype=bool)
    out = (ok | ~np.asarray(needed, dtype=bool)).all(axis=axis)
    if consent is not None and consent.n_rules:
        if touched is None:
            raise ValueError("the scenario has consent rules: pass the rules each package touches")
        out = out & consent.met(ok, touched, axis)
    return out


@dataclass(frozen=True, eq=False)
class Consent:
    """The k_of_n, weighted and double consent rules of a scenario, as integer quotas.

    Unanimity rules need no table: their members' consent is folded into the
    veto arrays (``veto_provs``, ``always_needed``). Each remaining rule is one
    or two constraints ``sum of the accepting members' weights >= quota`` on
    whole numbers (:meth:`negosim.scenario.schema.ConsentRule.constraints`), so
    sums are exact in int64.

    Attributes
    ----------
    ids : tuple[str, ...], one per rule.
    provs : ndarray [R, J] bool: the provisions whose move off the status quo touches the rule.
    always : ndarray [R] bool: rules over ``all`` provisions (every package touches them).
    table : ndarray [K, P + 2] int64: per constraint the members' weights, the quota, the rule.

    >>> c = Consent.empty(2, 3)
    >>> c.n_rules, c.table.shape
    (0, (0, 4))
    """

    ids: tuple[str, ...]
    provs: np.ndarray
    always: np.ndarray
    table: np.ndarray

    @classmethod
    def empty(cls, P: int, J: int) -> "Consent":
        return cls((), np.zeros((0, J), bool), np.zeros(0, bool), np.zeros((0, P + 2), np.int64))

    @property
    def n_rules(self) -> int:
        return len(self.ids)

    @property
    def members(self) -> np.ndarray:
        """``[P]`` bool: the parties some rule counts."""
        P = self.table.shape[1] - 2
        return (self.table[:, :P] != 0).any(axis=0) if len(self.table) else np.zeros(P, bool)

    def satisfied(self, ok, axis: int = -2) -> np.ndarray:
        """``[..., R]``: whether the accepting parties (``ok``, parties on ``axis``) satisfy each rule."""
        P = self.table.shape[1] - 2
        okm = np.moveaxis(np.asarray(ok, dtype=bool), axis, -1).astype(np.int64)  # [..., P]
        sat = (okm @ self.table[:, :P].T) >= self.table[:, P]  # [..., K]
        return np.stack([sat[..., self.table[:, P + 1] == r].all(axis=-1) for r in range(self.n_rules)], axis=-1)

    def met(self, ok, touched, axis: int = -2) -> np.ndarray:
        """Whether every touched rule is satisfied by the accepting parties (see :func:`unanimous`)."""
        tm = np.moveaxis(np.asarray(touched, dtype=bool), axis, -1)  # [..., R]
        return (~tm | self.satisfied(ok, axis)).all(axis=-1)


def shortfall(util, red, needed, reservation, red_cost: float = RED_LINE_COST):
    """How far each needed party is from accepting: gap below its threshold plus ``red_cost`` per red line.

    Zero for parties whose consent is not needed; shapes as in :func:`accepts`.

    >>> shortfall(np.array([[0.3], [0.9]]), np.array([[False], [True]]), np.array([[True], [True]]),
    ...           np.array([0.5, 0.5])).round(6).tolist()
    [[0.2], [10.0]]
    """
    gap = gap_below(util, thresholds(_along(reservation, util)))
    return np.where(needed, gap + red_cost * np.asarray(red, dtype=bool), 0.0)


# -- what a library function is given ------------------------------------------

def as_scenario(source, articles=None, error: str | None = None):
    """The scenario of a file path, a ``LoadedScenario`` or a ``Scenario``, and its file when loaded.

    The one place where library functions turn what they were given into a
    :class:`~negosim.scenario.schema.Scenario` (a path is loaded and validated with
    :func:`~negosim.scenario.yaml_io.load_scenario`, checking quotes against ``articles``).

    Parameters
    ----------
    source : str, os.PathLike, LoadedScenario or Scenario.
    articles : folder of the articles, for a path (default: the scenario's key).
    error : the TypeError message for anything else.

    Returns
    -------
    (Scenario, LoadedScenario or None)

    Examples
    --------
    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=2, options=2, seed=0)
    >>> as_scenario(s) == (s, None)
    True
    >>> as_scenario(3.0)
    Traceback (most recent call last):
    ...
    TypeError: expected a scenario file, a LoadedScenario or a Scenario (got float)
    """
    from negosim.scenario.schema import Scenario
    from negosim.scenario.yaml_io import LoadedScenario, load_scenario
    if isinstance(source, (str, os.PathLike)):
        source = load_scenario(source, articles=articles)
    if isinstance(source, LoadedScenario):
        return source.scenario, source
    if isinstance(source, Scenario):
        return source, None
    raise TypeError(error or f"expected a scenario file, a LoadedScenario or a Scenario (got {type(source).__name__})")


def quantize(x):
    """Round to the ``QUANTUM`` grid (exact sums of up to millions of terms)."""
    return np.round(np.asarray(x, dtype=np.float64) / QUANTUM) * QUANTUM


@dataclass(frozen=True)
class Term:
    """A red line or linkage: a combination of options across provisions.

    ``allowed[k, o]`` says whether option ``o`` of provision ``provs[k]`` is part
    of the combination; the term fires when every listed provision's chosen
    option is allowed.
    """

    kind: str  # "red" or "link"
    party: int
    id: str
    provs: np.ndarray
    allowed: np.ndarray
    bonus: float = 0.0

    def fires(self, cols: list[int], X: np.ndarray, fixed: dict[int, int]) -> np.ndarray:
        hit = np.ones(X.shape[0], dtype=bool)
        for k, j in enumerate(self.provs):
            if j in fixed:
                if not self.allowed[k, fixed[j]]:
                    return np.zeros(X.shape[0], dtype=bool)
            else:
                hit &= self.allowed[k][X[:, cols.index(j)]]
        return hit


@dataclass
class Scores:
    """Scores of a batch of packages for every party (arrays ``[P, n]``).

    ``touched [R, n]``: the quota rules of ``consent`` each package touches.
    """

    util: np.ndarray
    red: np.ndarray
    needed: np.ndarray
    reservation: np.ndarray = field(repr=False)
    touched: np.ndarray | None = field(default=None, repr=False)
    consent: Consent | None = field(default=None, repr=False)

    @property
    def accepts(self) -> np.ndarray:
        """Whether each party accepts: no red line crossed, utility reaches reservation."""
        return accepts(self.util, self.red, self.reservation)

    @property
    def in_zone(self) -> np.ndarray:
        """Whether each package is agreed (``[n]``): see :func:`unanimous`."""
        return unanimous(self.accepts, self.needed, touched=self.touched, consent=self.consent)


@dataclass(frozen=True, eq=False, repr=False)
class CompiledScenario:
    """Arrays of a scenario with parameters applied; see the module doc.

    Immutable: built by :func:`compile_scenario`, changed only with
    :func:`dataclasses.replace` (which shares the arrays it does not replace).
    The arrays themselves stay writeable: an agent's private view learns by
    editing its own ``wv`` in place (:mod:`negosim.bargaining.beliefs`).
    Equality is identity (arrays have no single truth value).

    Attributes
    ----------
    party_ids, provision_ids : tuple[str, ...]
    option_ids : tuple[tuple[str, ...], ...]
    radix : ndarray [J]
        Number of options of each provision.
    space : PackageSpace
        Derived from ``radix`` (kept by ``replace`` while radix is unchanged).
    wv : ndarray [P, J, O]
        Weight times value, quantized (0 for padding).
    weights : ndarray [P, J]
        Normalised weights.
    values : ndarray [P, J, O]
        Option values in [0, 1].
    absent : ndarray [J, O] bool
    status_quo : ndarray [J] (-1 where none)
    reservation, power, discount, drift : ndarray [P]
    always_needed : ndarray [P] bool
    vetoing : ndarray [P] bool
        Parties whose consent some package may need (veto not ``none``, or a member of a
        consent rule): the bargainers of the solution points.
    veto_provs : ndarray [P, J] bool
        For list vetoes, the provisions that make the party's consent needed
        (with those of the unanimity rules the party is a member of).
    consent : Consent
        The k_of_n, weighted and double consent rules (unanimity rules are folded
        into ``always_needed`` and ``veto_provs``).
    terms : tuple[Term, ...]
    draft : ndarray [J]
    aggregation : str

    Examples
    --------
    >>> import dataclasses
    >>> from negosim.engine.random_scenario import random_scenario
    >>> cs = compile_scenario(random_scenario(parties=2, provisions=2, options=2, seed=0))
    >>> low = dataclasses.replace(cs, reservation=cs.reservation - 0.1)
    >>> low.wv is cs.wv, low.space is cs.space
    (True, True)
    """

    party_ids: tuple[str, ...]
    provision_ids: tuple[str, ...]
    option_ids: tuple[tuple[str, ...], ...]
    radix: np.ndarray
    wv: np.ndarray
    weights: np.ndarray
    values: np.ndarray
    absent: np.ndarray
    status_quo: np.ndarray
    reservation: np.ndarray
    power: np.ndarray
    discount: np.ndarray
    drift: np.ndarray
    always_needed: np.ndarray
    vetoing: np.ndarray
    veto_provs: np.ndarray
    terms: tuple[Term, ...]
    draft: np.ndarray
    aggregation: str
    space: PackageSpace | None = None
    consent: Consent | None = None

    def __post_init__(self):
        # Frozen: derived fields are set through object.__setattr__, once, here.
        object.__setattr__(self, "terms", tuple(self.terms))
        if self.consent is None:
            object.__setattr__(self, "consent", Consent.empty(len(self.party_ids), len(self.provision_ids)))
        if self.space is None or not np.array_equal(self.space.radix, self.radix):
            object.__setattr__(self, "space", PackageSpace(self.radix))

    # -- helpers ------------------------------------------------------------
    @property
    def n_parties(self) -> int:
        return len(self.party_ids)

    @property
    def n_provisions(self) -> int:
        return len(self.provision_ids)

    def package_dict(self, package) -> dict[str, str]:
        """``{provision: option}`` of an option-index tuple."""
        return {p: self.option_ids[j][int(o)] for j, (p, o) in enumerate(zip(self.provision_ids, package))}

    def package_from_dict(self, mapping: dict[str, str]) -> np.ndarray:
        """Option indices of a ``{provision: option}`` mapping (every provision required)."""
        out = np.empty(self.n_provisions, dtype=np.int64)
        for j, p in enumerate(self.provision_ids):
            if p not in mapping:
                raise NegosimError(f"package misses provision '{p}'")
            o = mapping[p]
            if o not in self.option_ids[j]:
                raise NegosimError(f"unknown option '{o}' of provision '{p}' "
                                   f"(known: {', '.join(self.option_ids[j])})")
            out[j] = self.option_ids[j].index(o)
        unknown = set(mapping) - set(self.provision_ids)
        if unknown:
            raise NegosimError(f"unknown provision '{sorted(unknown)[0]}'")
        return out

    # -- scoring ------------------------------------------------------------
    def partial_scores(self, cols, X, fixed: dict[int, int] | None = None, count_fixed: bool = True,
                       terms: str = "present"):
        """Score the provisions ``cols`` of packages ``X`` (``[n, len(cols)]``).

        This is :func:`stacked_scores` (see it for ``cols``, ``X``, ``fixed``
        and ``count_fixed``) on this scenario's own tables, one draw.
        ``terms="present"`` scores every term whose provisions are all in
        ``cols`` or ``fixed``.

        Returns
        -------
        (util, red, needed) : arrays ``[P, n]``; ``red``/``needed`` as bool.
        """
        util, red, needed = stacked_scores(self, cols, X, fixed, count_fixed)
        return util[0], red, needed

    def score(self, X) -> Scores:
        """Score whole packages (``[n, J]`` option indices) for every party.

        >>> # cs.score(cs.space.all()).in_zone.sum()  -> size of the zone
        """
        util, red, needed = self.partial_scores(range(self.n_provisions), X)
        return Scores(util, red, needed, self.reservation, touched_rules(self, range(self.n_provisions), X),
                      self.consent)

    def agreed(self, ok, needed, X) -> np.ndarray:
        """Whether whole packages ``X [n, J]`` are agreed (:func:`unanimous` with their touched rules).

        ``ok [..., P, n]`` acceptances (e.g. per draw), ``needed [P, n]``.
        """
        return unanimous(ok, needed, touched=self.touched(X), consent=self.consent)

    def touched(self, X) -> np.ndarray:
        """``[R, n]``: the quota consent rules each whole package (``[n, J]``) touches."""
        return touched_rules(self, range(self.n_provisions), np.asarray(X, dtype=np.int64).reshape(-1, self.n_provisions))

    def red_lines_hit(self, package) -> dict[str, list[str]]:
        """Ids of the red lines one package crosses, by party."""
        X = np.asarray(package, dtype=np.int64)[None, :]
        cols = list(range(self.n_provisions))
        out: dict[str, list[str]] = {p: [] for p in self.party_ids}
        for t in self.terms:
            if t.kind == "red" and t.fires(cols, X, {})[0]:
                out[self.party_ids[t.party]].append(t.id)
        return out

    def linkages_hit(self, package) -> dict[str, list[tuple[str, float]]]:
        """``(id, bonus)`` of the linkages one package triggers, by party."""
        X = np.asarray(package, dtype=np.int64)[None, :]
        cols = list(range(self.n_provisions))
        out: dict[str, list[tuple[str, float]]] = {p: [] for p in self.party_ids}
        for t in self.terms:
            if t.kind == "link" and t.fires(cols, X, {})[0]:
                out[self.party_ids[t.party]].append((t.id, float(t.bonus)))
        return out

    def contributions(self, package) -> np.ndarray:
        """Each provision's part of each party's utility (``[P, J]``; linkages excluded).

        Under ``mean_of_addressed`` the parts are divided by the weight of the
        addressed provisions, so they still add up to the utility less linkages.
        """
        x = np.asarray(package, dtype=np.int64)
        J = self.n_provisions
        if self.aggregation != "mean_of_addressed":
            return self.wv[:, np.arange(J), x]
        # The same parts and denominator as stacked_scores, one draw and one package.
        parts = [(j, x[j:j + 1]) for j in range(J)]
        c = np.concatenate([_addressed_value(self, self.wv[None], j, xj) for j, xj in parts], axis=2)
        return _per_addressed_weight(c, _addressed_weight(self, self.weights[None], parts))[0]


# -- the one scorer -----------------------------------------------------------
# CompiledScenario.partial_scores is this on one draw (S = 1); the sampler scores
# its stacked draws through it too (negosim.uncertainty.sampling), so there is one formula.

def stacked_scores(cs, cols, X, fixed: dict[int, int] | None = None, count_fixed: bool = True, *,
                   wv=None, weights=None, bonus=None, flags: bool = True):
    """Score the provisions ``cols`` of packages ``X`` in ``S`` stacked tables at once.

    Parameters
    ----------
    cs : CompiledScenario
        What does not depend on the numbers (aggregation, absent options,
        terms, vetoes) and, unless ``wv``/``weights``/``bonus`` are given, the
        tables themselves (``S = 1``).
    cols : list of provision indices given by the columns of X.
    X : int array ``[n, len(cols)]`` of option indices.
    fixed : provisions held at one option for the whole batch (conditioning).
    count_fixed : count the values, needs and terms that involve only fixed
        provisions (the A half does; the B half must not, or they would
        count twice).
    wv, weights : ``[S, P, J, O]`` and ``[S, P, J]`` tables of ``S`` draws.
    bonus : ``[S, T]`` bonus of each term of ``cs.terms`` (default: the terms' own).
    flags : also find red lines and needs; they do not depend on the numbers.

    Returns
    -------
    util : ndarray ``[S, P, n]``
    red, needed : bool ndarrays ``[P, n]`` (None when ``flags`` is false)

    Example
    -------
    >>> from negosim.engine.random_scenario import random_scenario
    >>> cs = compile_scenario(random_scenario(parties=2, provisions=3, options=2, seed=1))
    >>> X = cs.space.all()
    >>> util, red, needed = stacked_scores(cs, range(3), X, wv=np.stack([cs.wv, cs.wv / 2]))
    >>> util.shape, bool((util[0] == cs.score(X).util).all())
    ((2, 2, 8), True)
    """
    fixed = fixed or {}
    cols = list(cols)
    X = np.asarray(X, dtype=np.int64).reshape(-1, len(cols)) if cols else np.zeros((max(len(X), 1), 0), np.int64)
    wv = cs.wv[None] if wv is None else wv
    weights = cs.weights[None] if weights is None else weights
    n, S, P = X.shape[0], wv.shape[0], cs.n_parties
    if cs.aggregation == "mean_of_addressed" and (cols or count_fixed):
        # Not additive: only whole packages (given columns plus fixed ones) can be scored.
        if not count_fixed or set(cols) | set(fixed) != set(range(cs.n_provisions)):
            raise NegosimError("mean_of_addressed scores whole packages only")
        parts = [(j, X[:, k]) for k, j in enumerate(cols)]
        parts += [(j, np.full(n, o, dtype=np.int64)) for j, o in fixed.items()]
        num = np.zeros((S, P, n))
        for j, x in parts:
            num += _addressed_value(cs, wv, j, x)
        util = _per_addressed_weight(num, _addressed_weight(cs, weights, parts))
    elif cs.aggregation == "mean_of_addressed":
        util = np.zeros((S, P, n))  # the empty B half of a whole-package block
    else:
        util = _weighted_sum(cs, wv, cols, X)
        if count_fixed:
            for j, o in fixed.items():
                util += wv[:, :, j, o][:, :, None]
    red = np.zeros((P, n), dtype=bool) if flags else None
    present = set(cols) | set(fixed)
    for i, t in enumerate(cs.terms):
        if t.kind == "red" and not flags:
            continue
        tp = set(t.provs.tolist())
        if not tp <= present:
            continue
        if not count_fixed and tp <= set(fixed):
            continue
        hit = t.fires(cols, X, fixed)
        if t.kind == "red":
            red[t.party] |= hit
        else:
            gain = t.bonus if bonus is None else bonus[:, i:i + 1]  # per draw: [S, 1]
            util[:, t.party] += np.where(hit, gain, 0.0)
    return util, red, (_needed(cs, cols, X, fixed, count_fixed) if flags else None)


def _weighted_sum(cs, wv, cols, X) -> np.ndarray:
    """``[S, P, n]``: the sum of the weighted values of the columns (``weighted_sum``)."""
    S, P, n = wv.shape[0], wv.shape[1], X.shape[0]
    util = np.zeros((S, P, n))
    # Sum the columns in groups whose option grid is no larger than the batch: within a
    # group, by broadcasting over the grid (cheap), then one gather of the batch's rows
    # per group instead of one per column. Exact sums make the grouping irrelevant.
    k = 0
    while k < len(cols):
        g = np.zeros((S, P, 1))
        loc = np.zeros(n, np.int64)
        while k < len(cols) and (g.shape[2] == 1 or g.shape[2] * int(cs.radix[cols[k]]) <= max(n, 16)):
            r = int(cs.radix[cols[k]])
            # An explicit size: with zero draws, reshape cannot infer a -1.
            g = (g[:, :, :, None] + wv[:, :, cols[k], None, :r]).reshape(S, P, g.shape[2] * r)
            loc = loc * r + X[:, k]
            k += 1
        if g.shape[2] == n and (loc == np.arange(n)).all():
            util += g
        else:
            util += g[:, :, loc]
    return util


def _addressed_value(cs, wv, j, x) -> np.ndarray:
    """``[S, P, n]``: provision ``j``'s weighted value at options ``x``, 0 where the option is absent."""
    return np.where(~cs.absent[j][x], wv[:, :, j, x], 0.0)


def _addressed_weight(cs, weights, parts) -> np.ndarray:
    """``[S, P, n]``: the weight of the provisions of ``parts`` (``(j, x)`` pairs) whose option is addressed."""
    S, P = weights.shape[:2]
    den = np.zeros((S, P, len(parts[0][1])))
    # In the order of the parts, the same in every caller: these sums are not exact.
    for j, x in parts:
        den += np.where(~cs.absent[j][x], weights[:, :, j:j + 1], 0.0)
    return den


def _per_addressed_weight(num, den) -> np.ndarray:
    """``num / den``, and 0 where nothing is addressed (``mean_of_addressed``)."""
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _touched(cs, by_prov, always, cols, X, fixed, count_fixed) -> np.ndarray:
    """``[rows, n]``: which rows of a provision set the packages touch (vetoes and quota rules alike).

    Row ``r`` is touched when a package moves a provision ``j`` with
    ``by_prov[r, j]`` off its status quo (a provision without one,
    ``status_quo[j] < 0``, is never moved), or when ``always[r]``; the
    ``fixed`` provisions and ``always`` count only with ``count_fixed``
    (the half that counts the fixed provisions).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> cs = compile_scenario(random_scenario(parties=2, provisions=2, options=2, seed=0))
    >>> by_prov, always = np.array([[True, False], [False, True]]), np.array([False, False])
    >>> _touched(cs, by_prov, always, [0], np.array([[0], [1]]), {1: 1}, True).astype(int).tolist()
    [[0, 1], [1, 1]]
    """
    out = np.zeros((by_prov.shape[0], X.shape[0]), dtype=bool)
    for k, j in enumerate(cols):
        if cs.status_quo[j] >= 0:
            out |= by_prov[:, j:j + 1] & (X[:, k] != cs.status_quo[j])[None, :]
    if count_fixed:
        for j, o in fixed.items():
            if cs.status_quo[j] >= 0 and o != cs.status_quo[j]:
                out |= by_prov[:, j:j + 1]
        out |= always[:, None]
    return out


def _needed(cs, cols, X, fixed, count_fixed) -> np.ndarray:
    """``[P, n]``: whose consent the packages need (from vetoes; no number matters)."""
    return _touched(cs, cs.veto_provs, cs.always_needed, cols, X, fixed, count_fixed)


def touched_rules(cs, cols, X, fixed: dict[int, int] | None = None, count_fixed: bool = True) -> np.ndarray:
    """``[R, n]``: the quota consent rules that the packages touch (as :func:`_needed` for vetoes).

    A package touches a rule when it moves one of the rule's provisions off its
    status quo, and every package touches a rule over ``all`` provisions;
    ``fixed`` and ``count_fixed`` as in :func:`stacked_scores` (the rules over
    ``all`` count in the half that counts the fixed provisions).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> cs = compile_scenario(random_scenario(parties=2, provisions=2, options=2, seed=0))
    >>> touched_rules(cs, range(2), cs.space.all()).shape
    (0, 4)
    """
    fixed = fixed or {}
    cols = list(cols)
    X = np.asarray(X, dtype=np.int64).reshape(-1, len(cols)) if cols else np.zeros((max(len(X), 1), 0), np.int64)
    return _touched(cs, cs.consent.provs, cs.consent.always, cols, X, fixed, count_fixed)


def _consent_structure(scenario, always, vetoing, veto_provs) -> Consent:
    """Fold the unanimity rules into the veto arrays (in place); the other rules as a :class:`Consent`."""
    parties, provs = list(scenario.parties), list(scenario.provisions)
    P, J = len(parties), len(provs)
    ids, rows, rule_provs, rule_all = [], [], [], []
    for rule in scenario.consent:
        touch = np.zeros(J, dtype=bool)
        if rule.provisions != "all":
            touch[[provs.index(p) for p in rule.provisions]] = True
        members = [parties.index(m) for m in rule.members()]
        vetoing[members] = True  # each member's consent may be needed: a bargainer
        if rule.kind == "unanimity":
            for i in members:
                if rule.provisions == "all":
                    always[i] = True
                else:
                    veto_provs[i] |= touch
            continue
        for weights, quota in rule.constraints():
            row = np.zeros(P + 2, dtype=np.int64)
            for m, w in weights.items():
                row[parties.index(m)] = w
            row[P], row[P + 1] = quota, len(ids)
            rows.append(row)
        ids.append(rule.id)
        rule_provs.append(touch)
        rule_all.append(rule.provisions == "all")
    if not ids:
        return Consent.empty(P, J)
    return Consent(tuple(ids), np.array(rule_provs, dtype=bool).reshape(len(ids), J), np.array(rule_all, dtype=bool),
                   np.array(rows, dtype=np.int64).reshape(len(rows), P + 2))


def _option_mask(prov, ref, n_opt) -> np.ndarray:
    ids = list(prov.options)
    mask = np.zeros(n_opt, dtype=bool)
    for o in ([ref] if isinstance(ref, str) else ref):
        mask[ids.index(o)] = True
    return mask


# -- the one derivation of the tables from the numbers -------------------------

#: The arrays that derive from a scenario's numbers (:meth:`NumberLayout.derive`), in this order.
NUMBER_ARRAYS = ("wv", "weights", "values", "reservation", "power", "discount", "drift", "bonus")


class NumberLayout:
    """Where each number of a scenario sits in a row of numbers, and the tables derived from rows.

    A row holds every number that :func:`~negosim.scenario.schema.iter_numbers`
    yields (the parties', the parameters', then no_deal's), at its point value or drawn.
    :meth:`with_parameters` adds the parameters' linear effects to rows;
    :meth:`derive` turns rows into the arrays of :class:`CompiledScenario`
    (values clipped to [0, 1], weights clipped to >= 0 and renormalised,
    weighted values and bonuses quantised), over a leading axis of rows. The
    reservation of a party whose reservation is ``no_deal`` is derived there
    too, row by row: its expected utility of the no-deal outcomes' packages
    (probabilities clipped at 0 and renormalised; utilities from
    :func:`stacked_scores` on the row's own tables, red lines not applied)
    minus its cost of fighting on.
    Compiling a scenario is the case of one row; sweeps (:mod:`negosim.sweep.axes`)
    and sampling (:mod:`negosim.uncertainty.sampling`) derive their tables with the same
    code, so all three agree bit for bit.

    Attributes
    ----------
    paths : list[tuple]
        Document path of each column.
    numbers : list[Number]
    index : dict
        Column of each path.
    structure : CompiledScenario
        What no number changes (ids, terms, absent options, vetoes, draft), with zero tables.
    no_deal_parties : ndarray
        Indices of the parties whose reservation is ``no_deal``.
    outcomes : ndarray [outcomes, J]
        Option indices of the no-deal outcomes' packages (status quo where an outcome is silent).

    Example
    -------
    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=3, options=2, seed=1)
    >>> lay = NumberLayout(s)
    >>> d = lay.derive(lay.with_parameters(np.repeat(lay.points(), 4, axis=0)))
    >>> d["wv"].shape, d["reservation"].shape
    ((4, 2, 3, 2), (4, 2))
    >>> bool((d["wv"][0] == compile_scenario(s).wv).all())
    True
    """

    def __init__(self, scenario):
        from negosim.scenario.schema import iter_numbers, resolve_path
        items = list(iter_numbers(scenario))
        self.paths = [p for p, _ in items]
        self.numbers = [n for _, n in items]
        self.index = {p: k for k, p in enumerate(self.paths)}
        self._points = np.array([n.point for n in self.numbers], dtype=np.float64).reshape(1, len(self.numbers))
        col = self.index
        parties, provs = list(scenario.parties), list(scenario.provisions)
        options = [list(p.options) for p in scenario.provisions.values()]
        self.party_ids = parties
        P, J, O = len(parties), len(provs), max(map(len, options))
        self.shape = (P, J, O)

        def cols(field):
            # -1: a reservation derived from no_deal (no column of its own).
            return np.array([col.get(("parties", p, field), -1) for p in parties], dtype=np.int64)
        self._res, self._power, self._discount, self._drift = map(cols, ("reservation", "power", "discount",
                                                                         "drift"))
        #: What does not depend on the numbers (ids, terms, absent options, vetoes): the outcomes of
        #: no_deal are scored on it by the one scorer, and compile_scenario fills it with the tables.
        self.structure = _structure(scenario, self.shape)
        self._no_deal_setup(scenario)
        self._w = np.array([[col[("parties", p, "weights", j)] for j in provs] for p in parties],
                           dtype=np.int64).reshape(P, J)
        vcols, vdest = [], []
        for i, p in enumerate(parties):
            for j, prov in enumerate(provs):
                for k, o in enumerate(options[j]):
                    c = col.get(("parties", p, "values", prov, o))
                    if c is not None:  # a value not given (zero weight) stays 0
                        vcols.append(c)
                        vdest.append((i * J + j) * O + k)
        self._vcols, self._vdest = np.array(vcols, dtype=np.int64), np.array(vdest, dtype=np.int64)
        # One column per term of compile_scenario (per party: red lines, then linkages); -1: no bonus.
        bonus = []
        for p, party in scenario.parties.items():
            bonus += [-1] * len(party.red_lines)
            bonus += [col[("parties", p, "linkages", li, "bonus")] for li in range(len(party.linkages))]
        self._bonus = np.array(bonus, dtype=np.int64)
        #: Per parameter: id, column of its value, its range, (per_unit column, target column) of each effect.
        self.parameters = [
            (pid, col[("parameters", pid, "value")], tuple(prm.range),
             [(col[("parameters", pid, "effects", i, "per_unit")], col[resolve_path(scenario, eff.path)])
              for i, eff in enumerate(prm.effects)])
            for pid, prm in scenario.parameters.items()]
        self._pcols = np.array([vcol for _, vcol, _, _ in self.parameters], dtype=np.int64)
        self._lo, self._hi = (np.array([r[i] for _, _, r, _ in self.parameters], dtype=np.float64) for i in (0, 1))
        # Every effect, flattened in the order compile_scenario has always added them.
        flat = [(per, target, k) for k, (*_, effects) in enumerate(self.parameters) for per, target in effects]
        self._eff_per, self._eff_target, self._eff_param = (np.array([f[i] for f in flat], dtype=np.int64)
                                                            for i in range(3))

    def _no_deal_setup(self, scenario) -> None:
        """Columns and outcome packages of the parties whose reservation is ``no_deal``."""
        from negosim.scenario.schema import outcome_packages
        #: Indices of the parties whose reservation derives from no_deal.
        self.no_deal_parties = np.flatnonzero(self._res < 0)
        packages = outcome_packages(scenario) if len(self.no_deal_parties) else []
        #: ``[outcomes, J]`` option indices of the no-deal outcomes' packages.
        self.outcomes = np.array([[self.structure.option_ids[j].index(pkg[p])
                                   for j, p in enumerate(self.structure.provision_ids)] for pkg in packages],
                                 dtype=np.int64).reshape(len(packages), self.shape[1])
        self._p = np.array([self.index[("no_deal", "outcomes", k, "p")] for k in range(len(packages))],
                           dtype=np.int64)
        self._cost = np.array([self.index[("no_deal", "cost", self.party_ids[i])] for i in self.no_deal_parties],
                              dtype=np.int64)

    def points(self) -> np.ndarray:
        """``[1, K]``: every number at its point value (a new array)."""
        return self._points.copy()

    def with_parameters(self, V, params: dict[str, float] | None = None) -> np.ndarray:
        """Rows ``V[S, K]`` with the parameters' effects added (a copy).

        A parameter given in ``params`` takes that value in every row; the
        others take their column's value. Each effect adds ``per_unit`` times
        the parameter's value to its target, in the scenario's order.
        """
        V = np.array(V, dtype=np.float64, ndmin=2)
        params = dict(params or {})
        unknown = set(params) - {pid for pid, *_ in self.parameters}
        if unknown:
            raise NegosimError(f"unknown parameter '{sorted(unknown)[0]}' "
                               f"(known: {', '.join(pid for pid, *_ in self.parameters) or 'none'})")
        pv = V[:, self._pcols]  # [S, parameters]
        for k, (pid, *_) in enumerate(self.parameters):
            if pid in params:
                pv[:, k] = float(params[pid])
        out = ~((self._lo <= pv) & (pv <= self._hi))
        if out.any():
            k = int(np.flatnonzero(out.any(axis=0))[0])
            raise NegosimError(f"parameter '{self.parameters[k][0]}' must lie within "
                               f"[{self._lo[k]:g}, {self._hi[k]:g}] (got {pv[out[:, k], k][0]:g})")
        vals = V.copy()
        if len(self._eff_target):
            # Unbuffered and in order: effects on one number add up one after the other.
            np.add.at(vals, (slice(None), self._eff_target), V[:, self._eff_per] * pv[:, self._eff_param])
        return vals

    def derive(self, vals, draws: bool = False) -> dict[str, np.ndarray]:
        """The arrays of :data:`NUMBER_ARRAYS` of each row of ``vals`` (after :meth:`with_parameters`).

        Returns ``wv, values [S, P, J, O]``, ``weights [S, P, J]``,
        ``reservation, power, discount, drift [S, P]`` and ``bonus [S, T]``
        (per term of :func:`compile_scenario`'s ``terms``; 0 for red lines).
        ``draws`` names the row in the error on all-zero weights.
        """
        vals = np.asarray(vals, dtype=np.float64)
        S, (P, J, O) = vals.shape[0], self.shape
        weights = np.maximum(vals[:, self._w], 0.0)
        total = weights.sum(axis=2)
        if (total <= 0).any():
            s, i = np.argwhere(total <= 0)[0]
            where = f"in draw {s}" if draws else "after parameter effects"
            raise NegosimError(f"parties.{self.party_ids[i]}.weights are all zero {where}")
        weights = weights / total[:, :, None]
        values = np.zeros((S, P * J * O))
        values[:, self._vdest] = np.clip(vals[:, self._vcols], 0.0, 1.0)
        values = values.reshape(S, P, J, O)
        bonus = np.zeros((S, len(self._bonus)))
        link = self._bonus >= 0
        bonus[:, link] = quantize(vals[:, self._bonus[link]])
        wv = quantize(weights[:, :, :, None] * values)
        reservation = vals[:, self._res]
        if len(self.no_deal_parties):
            reservation[:, self.no_deal_parties] = self._no_deal_reservation(vals, wv, weights, bonus, draws)
        return dict(wv=wv, weights=weights, values=values,
                    reservation=reservation, power=np.maximum(vals[:, self._power], 1e-12),
                    discount=np.clip(vals[:, self._discount], 1e-12, 1.0), drift=vals[:, self._drift],
                    bonus=bonus)

    def _no_deal_reservation(self, vals, wv, weights, bonus, draws: bool) -> np.ndarray:
        """``[S, no-deal parties]``: expected utility of the no-deal outcomes minus the cost, per row.

        The probabilities are clipped at 0 and renormalised (as weights are); the
        utilities come from the one scorer, with the row's own tables; red lines
        do not apply to what fighting brings.
        """
        p = np.maximum(vals[:, self._p], 0.0)
        total = p.sum(axis=1)
        if (total <= 0).any():
            s = int(np.flatnonzero(total <= 0)[0])
            where = f"in draw {s}" if draws else "after parameter effects"
            raise NegosimError(f"no_deal.outcomes' probabilities are all zero {where}")
        p = p / total[:, None]
        util = stacked_scores(self.structure, range(self.shape[1]), self.outcomes, wv=wv, weights=weights,
                              bonus=bonus, flags=False)[0]  # [S, P, outcomes]
        expected = (p[:, None, :] * util[:, self.no_deal_parties, :]).sum(axis=2)
        return expected - vals[:, self._cost]


def with_numbers(cs: CompiledScenario, s: int = 0, **arrays) -> CompiledScenario:
    """``cs`` with the number-derived arrays of row ``s`` (see :meth:`NumberLayout.derive`).

    ``arrays`` holds every name of :data:`NUMBER_ARRAYS` (with the row axis
    first); any other keyword is replaced as it is (e.g. ``draft``).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=2, options=2, seed=0)
    >>> cs, lay = compile_scenario(s), NumberLayout(s)
    >>> bool((with_numbers(cs, 0, **lay.derive(lay.points() * 2)).reservation == 2 * cs.reservation).all())
    True
    """
    import dataclasses
    import math
    bonus = arrays.pop("bonus")[s].tolist()
    rows = {k: arrays.pop(k)[s] for k in NUMBER_ARRAYS if k != "bonus"}
    # A term whose bonus is unchanged (to the sign of a zero) is kept: sweeps call this per row.
    terms = tuple(t if t.bonus == b and math.copysign(1.0, t.bonus) == math.copysign(1.0, b)
                  else dataclasses.replace(t, bonus=b) for t, b in zip(cs.terms, bonus))
    return dataclasses.replace(cs, **rows, terms=terms, **arrays)


def held_at_status_quo(cs: CompiledScenario, provisions) -> CompiledScenario:
    """``cs`` with each of ``provisions`` (indices) reduced to its status-quo option.

    The space shrinks (those provisions have one option), the draft takes the
    status quo there, and red lines and linkages keep their meaning on the
    options left; every number (reservations included, derived from no_deal or
    not) is unchanged. The analysis of the result is the analysis of the
    packages that leave those provisions where they are.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> import dataclasses
    >>> cs = compile_scenario(random_scenario(parties=2, provisions=3, options=3, seed=0))
    >>> cs = dataclasses.replace(cs, status_quo=np.array([2, -1, -1]))
    >>> r = held_at_status_quo(cs, [0])
    >>> r.radix.tolist(), r.option_ids[0] == (cs.option_ids[0][2],), r.space.size
    ([1, 3, 3], True, 9)
    """
    import dataclasses
    held = sorted(set(int(j) for j in provisions))
    if not held:
        return cs
    wv, values, absent = cs.wv.copy(), cs.values.copy(), cs.absent.copy()
    radix, sq, draft, option_ids = cs.radix.copy(), cs.status_quo.copy(), cs.draft.copy(), list(cs.option_ids)
    for j in held:
        o = int(cs.status_quo[j])
        if o < 0:
            raise NegosimError(f"provision '{cs.provision_ids[j]}' has no status-quo option to hold it at")
        for arr in (wv, values):
            arr[:, j, 0], arr[:, j, 1:] = arr[:, j, o], 0.0
        absent[j, 0], absent[j, 1:] = absent[j, o], False
        radix[j], sq[j], draft[j], option_ids[j] = 1, 0, 0, (cs.option_ids[j][o],)
    terms = []
    for t in cs.terms:
        allowed = t.allowed.copy()
        for k, j in enumerate(t.provs):
            if int(j) in held:
                allowed[k, 0], allowed[k, 1:] = t.allowed[k, int(cs.status_quo[j])], False
        terms.append(dataclasses.replace(t, allowed=allowed))
    return dataclasses.replace(cs, wv=wv, values=values, absent=absent, radix=radix, status_quo=sq, draft=draft,
                               option_ids=tuple(option_ids), terms=tuple(terms), space=None)


def _party_row(layout: NumberLayout, overrides: dict[tuple, float] | None) -> np.ndarray:
    """``[1, K]``: the point values, with ``overrides`` of party (or no-deal) numbers set."""
    V = layout.points()
    for path, v in (overrides or {}).items():
        if path not in layout.index or path[0] not in ("parties", "no_deal"):
            raise NegosimError(f"no number at {'.'.join(map(str, path))}")
        V[0, layout.index[path]] = float(v)
    return V


def point_values(scenario, params: dict[str, float] | None = None,
                 overrides: dict[tuple, float] | None = None) -> dict[tuple, float]:
    """Point value of every party and no-deal number, after parameter effects and overrides.

    Parameters
    ----------
    params : parameter id -> value (defaults to each parameter's own value).
    overrides : document path -> value, set before parameter effects apply.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> point_values(random_scenario(parties=2, provisions=2, options=2, seed=0))[("parties", "p0", "reservation")]
    0.5
    """
    layout = NumberLayout(scenario)
    vals = layout.with_parameters(_party_row(layout, overrides), params)[0]
    return {path: float(vals[k]) for k, path in enumerate(layout.paths) if path[0] in ("parties", "no_deal")}


def compile_scenario(scenario, params: dict[str, float] | None = None,
                     overrides: dict[tuple, float] | None = None) -> CompiledScenario:
    """Compile a scenario into arrays (see :class:`CompiledScenario`).

    Parameter effects are applied to point values; afterwards values are
    clipped to [0, 1], weights to >= 0 and renormalised to sum to 1
    (:meth:`NumberLayout.derive`, the one derivation, on one row).
    """
    from negosim.limits import MAX_PARTIES
    parties = list(scenario.parties)
    if len(parties) > MAX_PARTIES:
        # The loader refuses such files; this guards scenarios built in Python, whose
        # extra parties the 64-bit consent masks of the exact engine would drop silently.
        raise NegosimError(f"the scenario has {len(parties)} parties; at most {MAX_PARTIES} are supported "
                           "(the exact engine keeps one bit per party in a 64-bit mask)")
    layout = NumberLayout(scenario)
    tables = layout.derive(layout.with_parameters(_party_row(layout, overrides), params))
    return with_numbers(layout.structure, 0, **tables)


def _structure(scenario, shape: tuple[int, int, int]) -> CompiledScenario:
    """The parts of a compiled scenario that no number changes; number arrays zero, bonuses 0."""
    provs = list(scenario.provisions)
    P, J, O = shape
    always = np.zeros(P, dtype=bool)
    vetoing = np.zeros(P, dtype=bool)
    veto_provs = np.zeros((P, J), dtype=bool)
    terms: list[Term] = []
    for i, party in enumerate(scenario.parties.values()):
        if party.veto == "all":
            always[i] = vetoing[i] = True
        elif isinstance(party.veto, list):
            vetoing[i] = True
            for prov in party.veto:
                veto_provs[i, provs.index(prov)] = True
        for kind, items, attr in (("red", party.red_lines, "forbid"), ("link", party.linkages, "when")):
            for item in items:
                combo = getattr(item, attr)
                idx = np.array([provs.index(p) for p in combo], dtype=np.int64)
                allowed = np.stack([_option_mask(scenario.provisions[p], ref, O) for p, ref in combo.items()])
                terms.append(Term(kind, i, item.id, idx, allowed, 0.0))
    consent = _consent_structure(scenario, always, vetoing, veto_provs)
    absent = np.zeros((J, O), dtype=bool)
    sq = np.full(J, -1, dtype=np.int64)
    for j, prov in enumerate(scenario.provisions.values()):
        for k, opt in enumerate(prov.options.values()):
            absent[j, k] = opt.absent
            if opt.status_quo:
                sq[j] = k
    draft = np.array([list(scenario.provisions[p].options).index(scenario.draft[p]) for p in provs],
                     dtype=np.int64)
    zeros = dict(wv=np.zeros((P, J, O)), weights=np.zeros((P, J)), values=np.zeros((P, J, O)),
                 **{k: np.zeros(P) for k in ("reservation", "power", "discount", "drift")})
    return CompiledScenario(
        party_ids=tuple(scenario.parties), provision_ids=tuple(provs),
        option_ids=tuple(tuple(p.options) for p in scenario.provisions.values()),
        radix=np.array([len(p.options) for p in scenario.provisions.values()], dtype=np.int64),
        **zeros, absent=absent, status_quo=sq, always_needed=always, vetoing=vetoing, veto_provs=veto_provs,
        terms=terms, draft=draft, aggregation=scenario.aggregation, consent=consent)
