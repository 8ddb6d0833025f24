"""The compiled scenario: numpy tables that every consumer scores through.

:func:`compile_scenario` turns a validated :class:`~negosim.scenario.Scenario`
(plus parameter settings) into a :class:`CompiledScenario`: weighted values
``wv[party, provision, option]``, red-line and linkage terms, veto scopes and
reservations. :meth:`CompiledScenario.partial_scores` is the one function that
scores packages (or parts of packages, for the two-halves analysis); nothing
else in negosim derives utilities.

Weighted values and bonuses are rounded to multiples of ``QUANTUM`` (2**-40,
about 1e-12), so every sum of them is exact in float64: utilities do not
depend on summation order, chunking or the split into halves, and ties are
real ties.

Example
-------
>>> from negosim.random_scenario import random_scenario
>>> cs = compile_scenario(random_scenario(parties=2, provisions=3, options=2, seed=1))
>>> cs.space.size
8
>>> s = cs.score(cs.space.all())
>>> s.util.shape
(2, 8)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import NegosimError
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


def thresholds(reservation):
    """The lowest utility each party accepts: reservation minus ``TOLERANCE``.

    >>> float(thresholds(0.5)) == 0.5 - TOLERANCE
    True
    """
    return np.asarray(reservation, dtype=np.float64) - TOLERANCE


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


def unanimous(ok, needed, axis: int = -2):
    """Whether every party whose consent is needed accepts.

    Parameters
    ----------
    ok : bool ndarray of acceptances, parties on ``axis`` (``[P, n]``, ``[S, P, n]``).
    needed : bool ndarray broadcasting against ``ok``: whose consent is needed.
    axis : the parties' axis (default: second to last).

    >>> unanimous(np.array([[True, False], [False, False]]), np.array([[True], [False]])).tolist()
    [True, False]
    """
    return (np.asarray(ok, dtype=bool) | ~np.asarray(needed, dtype=bool)).all(axis=axis)


def shortfall(util, red, needed, reservation, red_cost: float = RED_LINE_COST):
    """How far each needed party is from accepting: gap below its threshold plus ``red_cost`` per red line.

    Zero for parties whose consent is not needed; shapes as in :func:`accepts`.

    >>> shortfall(np.array([[0.3], [0.9]]), np.array([[False], [True]]), np.array([[True], [True]]),
    ...           np.array([0.5, 0.5])).round(6).tolist()
    [[0.2], [10.0]]
    """
    gap = np.maximum(thresholds(_along(reservation, util)) - util, 0.0)
    return np.where(needed, gap + red_cost * np.asarray(red, dtype=bool), 0.0)


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
    """Scores of a batch of packages for every party (arrays ``[P, n]``)."""

    util: np.ndarray
    red: np.ndarray
    needed: np.ndarray
    reservation: np.ndarray = field(repr=False)

    @property
    def accepts(self) -> np.ndarray:
        """Whether each party accepts: no red line crossed, utility reaches reservation."""
        return accepts(self.util, self.red, self.reservation)

    @property
    def in_zone(self) -> np.ndarray:
        """Whether every party whose consent is needed accepts (``[n]``)."""
        return unanimous(self.accepts, self.needed)


@dataclass(frozen=True, eq=False, repr=False)
class CompiledScenario:
    """Arrays of a scenario with parameters applied; see the module doc.

    Immutable: built by :func:`compile_scenario`, changed only with
    :func:`dataclasses.replace` (which shares the arrays it does not replace).
    The arrays themselves stay writeable: an agent's private view learns by
    editing its own ``wv`` in place (:mod:`negosim.beliefs`).
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
        Parties whose consent some package needs (veto not ``none``).
    veto_provs : ndarray [P, J] bool
        For list vetoes, the provisions that make the party's consent needed.
    terms : tuple[Term, ...]
    draft : ndarray [J]
    aggregation : str

    Examples
    --------
    >>> import dataclasses
    >>> from negosim.random_scenario import random_scenario
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

    def __post_init__(self):
        # Frozen: derived fields are set through object.__setattr__, once, here.
        object.__setattr__(self, "terms", tuple(self.terms))
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

        Parameters
        ----------
        cols : list of provision indices given by the columns of X.
        X : int array ``[n, len(cols)]`` of option indices.
        fixed : provisions held at one option for the whole batch (conditioning).
        count_fixed : count the values, needs and terms that involve only fixed
            provisions (the A half does; the B half must not, or they would
            count twice).
        terms : "present" scores every term whose provisions are all in
            ``cols`` or ``fixed``.

        Returns
        -------
        (util, red, needed) : arrays ``[P, n]``; ``red``/``needed`` as bool.
        """
        fixed = fixed or {}
        cols = list(cols)
        X = np.asarray(X, dtype=np.int64).reshape(-1, len(cols)) if len(cols) else np.zeros((max(len(X), 1), 0), np.int64)
        n = X.shape[0]
        P = self.n_parties
        util = np.zeros((P, n))
        red = np.zeros((P, n), dtype=bool)
        needed = np.zeros((P, n), dtype=bool)
        if self.aggregation == "mean_of_addressed" and (cols or count_fixed):
            # Not additive: only whole packages (given columns plus fixed ones) can be scored.
            if not count_fixed or set(cols) | set(fixed) != set(range(self.n_provisions)):
                raise NegosimError("mean_of_addressed scores whole packages only")
            num = np.zeros((P, n))
            den = np.zeros((P, n))
            parts = [(j, X[:, k]) for k, j in enumerate(cols)]
            parts += [(j, np.full(n, o, dtype=np.int64)) for j, o in fixed.items()]
            for j, x in parts:
                addressed = ~self.absent[j][x]
                num += np.where(addressed, self.wv[:, j, x], 0.0)
                den += np.where(addressed, self.weights[:, j:j + 1], 0.0)
            util = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
        elif self.aggregation == "mean_of_addressed":
            pass  # the empty B half of a whole-package block
        else:
            for k, j in enumerate(cols):
                util += self.wv[:, j, X[:, k]]
            if count_fixed:
                for j, o in fixed.items():
                    util += self.wv[:, j, o][:, None]
        present = set(cols) | set(fixed)
        for t in self.terms:
            tp = set(t.provs.tolist())
            if not tp <= present:
                continue
            if not count_fixed and tp <= set(fixed):
                continue
            hit = t.fires(cols, X, fixed)
            if t.kind == "red":
                red[t.party] |= hit
            else:
                util[t.party] += np.where(hit, t.bonus, 0.0)
        for k, j in enumerate(cols):
            if self.status_quo[j] >= 0:
                moved = X[:, k] != self.status_quo[j]
                needed |= self.veto_provs[:, j:j + 1] & moved[None, :]
        if count_fixed:
            for j, o in fixed.items():
                if self.status_quo[j] >= 0 and o != self.status_quo[j]:
                    needed |= self.veto_provs[:, j:j + 1]
            needed |= self.always_needed[:, None]
        return util, red, needed

    def score(self, X) -> Scores:
        """Score whole packages (``[n, J]`` option indices) for every party.

        >>> # cs.score(cs.space.all()).in_zone.sum()  -> size of the zone
        """
        util, red, needed = self.partial_scores(range(self.n_provisions), X)
        return Scores(util, red, needed, self.reservation)

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
        c = self.wv[:, np.arange(self.n_provisions), x]
        if self.aggregation == "mean_of_addressed":
            addressed = ~self.absent[np.arange(self.n_provisions), x]
            c = np.where(addressed[None, :], c, 0.0)
            den = (self.weights * addressed[None, :]).sum(axis=1, keepdims=True)
            c = np.divide(c, den, out=np.zeros_like(c), where=den > 0)
        return c


def _option_mask(prov, ref, n_opt) -> np.ndarray:
    ids = list(prov.options)
    mask = np.zeros(n_opt, dtype=bool)
    for o in ([ref] if isinstance(ref, str) else ref):
        mask[ids.index(o)] = True
    return mask


def point_values(scenario, params: dict[str, float] | None = None,
                 overrides: dict[tuple, float] | None = None) -> dict[tuple, float]:
    """Point value of every party number, after parameter effects and overrides.

    Parameters
    ----------
    params : parameter id -> value (defaults to each parameter's own value).
    overrides : document path -> value, set before parameter effects apply.
    """
    from .scenario import iter_numbers
    vals = {path: num.point for path, num in iter_numbers(scenario) if path[0] == "parties"}
    for path, v in (overrides or {}).items():
        if path not in vals:
            raise NegosimError(f"no number at {'.'.join(map(str, path))}")
        vals[path] = float(v)
    params = dict(params or {})
    unknown = set(params) - set(scenario.parameters)
    if unknown:
        raise NegosimError(f"unknown parameter '{sorted(unknown)[0]}' "
                           f"(known: {', '.join(scenario.parameters) or 'none'})")
    from .scenario import resolve_path
    for pid, prm in scenario.parameters.items():
        v = params.get(pid, prm.value.point)
        lo, hi = prm.range
        if not lo <= v <= hi:
            raise NegosimError(f"parameter '{pid}' must lie within [{lo:g}, {hi:g}] (got {v:g})")
        for eff in prm.effects:
            path = resolve_path(scenario, eff.path)
            vals[path] += eff.per_unit.point * v
    return vals


def compile_scenario(scenario, params: dict[str, float] | None = None,
                     overrides: dict[tuple, float] | None = None) -> CompiledScenario:
    """Compile a scenario into arrays (see :class:`CompiledScenario`).

    Parameter effects are applied to point values; afterwards values are
    clipped to [0, 1], weights to >= 0 and renormalised to sum to 1.
    """
    from .limits import MAX_PARTIES
    parties = list(scenario.parties)
    if len(parties) > MAX_PARTIES:
        # The loader refuses such files; this guards scenarios built in Python, whose
        # extra parties the 64-bit consent masks of the exact engine would drop silently.
        raise NegosimError(f"the scenario has {len(parties)} parties; at most {MAX_PARTIES} are supported "
                           "(the exact engine keeps one bit per party in a 64-bit mask)")
    vals = point_values(scenario, params, overrides)
    provs = list(scenario.provisions)
    radix = [len(p.options) for p in scenario.provisions.values()]
    P, J, O = len(parties), len(provs), max(radix)
    weights = np.zeros((P, J))
    values = np.zeros((P, J, O))
    reservation = np.zeros(P)
    power = np.ones(P)
    discount = np.ones(P)
    drift = np.zeros(P)
    always = np.zeros(P, dtype=bool)
    vetoing = np.zeros(P, dtype=bool)
    veto_provs = np.zeros((P, J), dtype=bool)
    terms: list[Term] = []
    for i, (name, party) in enumerate(scenario.parties.items()):
        base = ("parties", name)
        reservation[i] = vals[base + ("reservation",)]
        power[i] = max(vals[base + ("power",)], 1e-12)
        discount[i] = min(max(vals[base + ("discount",)], 1e-12), 1.0)
        drift[i] = vals[base + ("drift",)]
        for j, prov in enumerate(provs):
            weights[i, j] = max(vals[base + ("weights", prov)], 0.0)
            for k, oid in enumerate(scenario.provisions[prov].options):
                key = base + ("values", prov, oid)
                values[i, j, k] = min(max(vals.get(key, 0.0), 0.0), 1.0)
        total = weights[i].sum()
        if total <= 0:
            raise NegosimError(f"parties.{name}.weights are all zero after parameter effects")
        weights[i] /= total
        if party.veto == "all":
            always[i] = vetoing[i] = True
        elif isinstance(party.veto, list):
            vetoing[i] = True
            for prov in party.veto:
                veto_provs[i, provs.index(prov)] = True
        for kind, items, attr in (("red", party.red_lines, "forbid"), ("link", party.linkages, "when")):
            for li, item in enumerate(items):
                combo = getattr(item, attr)
                idx = np.array([provs.index(p) for p in combo], dtype=np.int64)
                allowed = np.stack([_option_mask(scenario.provisions[p], ref, O) for p, ref in combo.items()])
                bonus = vals[base + ("linkages", li, "bonus")] if kind == "link" else 0.0
                terms.append(Term(kind, i, item.id, idx, allowed, float(quantize(bonus))))
    wv = quantize(weights[:, :, None] * values)
    absent = np.zeros((J, O), dtype=bool)
    sq = np.full(J, -1, dtype=np.int64)
    for j, prov in enumerate(scenario.provisions.values()):
        for k, opt in enumerate(prov.options.values()):
            absent[j, k] = opt.absent
            if opt.status_quo:
                sq[j] = k
    draft = np.array([list(scenario.provisions[p].options).index(scenario.draft[p]) for p in provs],
                     dtype=np.int64)
    return CompiledScenario(
        party_ids=tuple(parties), provision_ids=tuple(provs),
        option_ids=tuple(tuple(p.options) for p in scenario.provisions.values()),
        radix=np.array(radix, dtype=np.int64), wv=wv, weights=weights, values=values,
        absent=absent, status_quo=sq, reservation=reservation, power=power, discount=discount,
        drift=drift, always_needed=always, vetoing=vetoing, veto_provs=veto_provs, terms=terms,
        draft=draft, aggregation=scenario.aggregation)
