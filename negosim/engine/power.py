"""Veto power: Shapley–Shubik and Banzhaf indices of the simple games that consent rules make.

A *simple game* on parties ``N`` says which coalitions ``C ⊆ N`` are *winning*; it must be
monotone (a superset of a winning coalition wins), the empty coalition must lose and ``N`` must
win. A party ``i`` *swings* for a losing coalition ``S ∌ i`` when ``S ∪ {i}`` wins. With ``n``
parties and ``s = |S|``:

- Shapley–Shubik (1954): ``φ_i = Σ_{swings S} s! (n - s - 1)! / n!`` (the share of the ``n!``
  orders in which ``i`` is the party that turns the coalition winning; the ``φ_i`` sum to 1);
- Banzhaf (1965; Penrose 1946), raw: ``β'_i = swings_i / 2^(n-1)`` (the chance that ``i``
  decides when every other party votes yes or no at random), normalised:
  ``β_i = swings_i / Σ_j swings_j``.

Every index is an exact :class:`fractions.Fraction`. Two ways to compute them:

- enumeration (:func:`power_indices` on any :class:`SimpleGame`): every coalition as a bitmask,
  ``2^n`` of them, at most ``MAX_POWER_COALITIONS`` (negosim/limits.py);
- counting (:func:`weighted_power`) for a weighted game, possibly with a quota on the number of
  members and parties with a veto: coalitions of the others counted by size and weight in
  ``n`` tables of at most ``n × (quota + 1)`` cells (pseudo-polynomial: 27 EU members with
  populations in tenths of a million take milliseconds).

:func:`consent_game` builds the game of a group of provisions from a scenario's consent rules and
its parties' vetoes (docs/model.md, "Veto power"): a coalition wins when it satisfies every rule
touching the group and holds every party whose veto covers the group. When that game is a
weighted game with vetoes it is counted, otherwise enumerated.

Example
-------
>>> g = weighted_game({"a": 50, "b": 49, "c": 1}, quota=51)
>>> ix = power_indices(g)
>>> [str(ix.shapley_shubik[p]) for p in ix.parties], [str(ix.banzhaf[p]) for p in ix.parties]
(['2/3', '1/6', '1/6'], ['3/5', '1/5', '1/5'])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from negosim.errors import NegosimError
from negosim.limits import MAX_POWER_COALITIONS

#: The group name of the whole deal in :func:`consent_power` (every provision moved).
DEAL = "deal"


class PowerError(NegosimError):
    """A game whose power indices cannot be computed (not a simple game, or too large)."""


@dataclass(frozen=True)
class PowerIndices:
    """The power indices of one simple game, each an exact fraction, keyed by party id.

    ``swings[p]`` counts the losing coalitions without ``p`` that ``p`` turns winning;
    ``banzhaf_raw[p] = swings[p] / 2**(n-1)`` and ``banzhaf[p] = swings[p] / sum(swings)``.
    """

    parties: tuple[str, ...]
    shapley_shubik: dict[str, Fraction]
    banzhaf_raw: dict[str, Fraction]
    banzhaf: dict[str, Fraction]
    swings: dict[str, int]
    method: str  # "enumeration" or "counting"

    def as_dict(self) -> dict[str, dict[str, float]]:
        """The indices as floats, one mapping per party (for JSON and tables).

        >>> power_indices(unanimity_game(["a", "b"])).as_dict()["a"]["shapley_shubik"]
        0.5
        """
        return {p: {"shapley_shubik": float(self.shapley_shubik[p]),
                    "banzhaf": float(self.banzhaf[p]),
                    "banzhaf_raw": float(self.banzhaf_raw[p]),
                    "swings": self.swings[p]} for p in self.parties}


@dataclass(frozen=True)
class Weighted:
    """A weighted game with two extras, in integers.

    A coalition wins when it holds every party of ``vetoers``, its members' ``weights`` sum to at
    least ``quota`` and it holds at least ``min_members`` of the parties in ``weights``. Parties
    in neither are null. ``min_members`` is how the EU's double majority (a share of the states
    and a share of the population) counts: the states' quota is a quota on members.
    """

    weights: dict[str, int]
    quota: int
    min_members: int = 0
    vetoers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SimpleGame:
    """A simple game: its parties and which coalitions (bitmasks over ``parties``) win.

    ``win(masks)`` maps an integer array of coalitions (bit ``i`` set: ``parties[i]`` is in) to a
    boolean array. ``weighted``, when set, is the same game as a :class:`Weighted`, which
    :func:`power_indices` counts instead of enumerating.
    """

    parties: tuple[str, ...]
    win: Callable[[np.ndarray], np.ndarray]
    weighted: Weighted | None = field(default=None)

    def winning(self, coalition: Iterable[str]) -> bool:
        """Whether the coalition of these party ids wins.

        >>> unanimity_game(["a", "b"]).winning({"a"})
        False
        """
        pos = {p: i for i, p in enumerate(self.parties)}
        mask = sum(1 << pos[p] for p in set(coalition))
        return bool(self.win(np.array([mask], dtype=np.int64))[0])


# ------------------------------------------------------------------ building games


def _exact(x: Any) -> Fraction:
    """A number as an exact fraction: a float by its shortest decimal (0.55 is 11/20, not the
    binary double), so quotas written in a file compare as written."""
    if isinstance(x, bool) or not isinstance(x, (int, float, Fraction)):
        raise PowerError(f"not a number: {x!r}")
    if isinstance(x, float):
        if not math.isfinite(x):
            raise PowerError(f"not a finite number: {x!r}")
        return Fraction(str(x))
    return Fraction(x)


def _scaled(weights: Mapping[str, Any], quota: Any) -> tuple[dict[str, int], int]:
    """Weights and quota in integers: the weights over their common denominator, the quota
    rounded up to that unit (a coalition's weight is a whole number of units, so it reaches the
    quota exactly when it reaches the rounded quota; 65 % of a population in tenths of a million
    stays in tenths)."""
    fr = {k: _exact(v) for k, v in weights.items()}
    den = math.lcm(*(f.denominator for f in fr.values()), 1)
    return {k: int(f * den) for k, f in fr.items()}, math.ceil(_exact(quota) * den)


def _bits(masks: np.ndarray, i: int) -> np.ndarray:
    return (masks >> i) & 1


def _weighted_win(parties: Sequence[str], form: Weighted) -> Callable[[np.ndarray], np.ndarray]:
    pos = {p: i for i, p in enumerate(parties)}
    veto_mask = sum(1 << pos[p] for p in form.vetoers)

    def win(masks: np.ndarray) -> np.ndarray:
        masks = np.asarray(masks, dtype=np.int64)
        big = max(form.quota, sum(form.weights.values())) > 2**62  # int64 would overflow
        weight = np.zeros(masks.shape, dtype=object if big else np.int64)
        members = np.zeros(masks.shape, dtype=np.int64)
        for p, w in form.weights.items():
            b = _bits(masks, pos[p])
            weight = weight + b * w
            members += b
        return ((masks & veto_mask) == veto_mask) & (weight >= form.quota) & (members >= form.min_members)

    return win


def weighted_game(weights: Mapping[str, Any], quota: Any, *, min_members: int = 0,
                  vetoers: Iterable[str] = (), parties: Sequence[str] | None = None) -> SimpleGame:
    """The weighted game ``[quota; weights]``: a coalition wins when its weights sum to ``quota``.

    Weights and quota may be ints, fractions or floats (read by their decimals); they are scaled
    to integers. ``min_members`` also asks for that many members of ``weights``; every party of
    ``vetoers`` must be in a winning coalition. ``parties`` (default: the weights' keys, then the
    vetoers) may add null parties.

    >>> weighted_game({"a": 2, "b": 1}, 2).winning({"a"})
    True
    """
    for p, w in weights.items():
        if _exact(w) < 0:
            raise PowerError(f"weight of '{p}' is negative: {w}")
    w_int, q_int = _scaled(weights, quota)
    vet = frozenset(vetoers)
    order = list(parties) if parties is not None else list(dict.fromkeys([*weights, *sorted(vet)]))
    missing = (set(weights) | vet) - set(order)
    if missing:
        raise PowerError(f"parties {sorted(missing)} of the game are not among its parties")
    form = Weighted(weights=w_int, quota=q_int, min_members=int(min_members), vetoers=vet)
    return SimpleGame(tuple(order), _weighted_win(order, form), form)


def unanimity_game(members: Iterable[str], *, parties: Sequence[str] | None = None) -> SimpleGame:
    """Every party of ``members`` must be in a winning coalition (a veto each).

    >>> unanimity_game(["a", "b"], parties=["a", "b", "c"]).winning({"a", "b"})
    True
    """
    members = list(dict.fromkeys(members))
    return weighted_game({}, 0, vetoers=members, parties=parties or members)


def predicate_game(parties: Sequence[str], winning: Callable[[frozenset[str]], bool]) -> SimpleGame:
    """A simple game from a predicate on coalitions (sets of party ids), asked once per coalition.

    >>> g = predicate_game(["a", "b", "c"], lambda c: len(c) >= 2)
    >>> [str(v) for v in power_indices(g).shapley_shubik.values()]
    ['1/3', '1/3', '1/3']
    """
    parties = tuple(parties)
    _check_size(len(parties))

    def win(masks: np.ndarray) -> np.ndarray:
        return np.fromiter((bool(winning(frozenset(p for i, p in enumerate(parties) if (int(m) >> i) & 1)))
                            for m in np.asarray(masks).ravel()), dtype=bool, count=np.asarray(masks).size)

    return SimpleGame(parties, win)


# ------------------------------------------------------------------ the indices


def _check_size(n: int) -> None:
    if 2**n > MAX_POWER_COALITIONS:
        raise PowerError(
            f"power indices by enumeration of {n} parties would visit 2**{n} coalitions, more than "
            f"MAX_POWER_COALITIONS = 2**{MAX_POWER_COALITIONS.bit_length() - 1} (docs/limits.md); "
            f"a weighted game is counted instead at any size")


def _result(parties: Sequence[str], swings: list[int], ss_num: list[int], method: str) -> PowerIndices:
    n = len(parties)
    total = sum(swings)
    if total == 0:
        raise PowerError("no coalition is winning, or every one is: not a simple game")
    nfact = math.factorial(n)
    return PowerIndices(
        parties=tuple(parties),
        shapley_shubik={p: Fraction(ss_num[i], nfact) for i, p in enumerate(parties)},
        banzhaf_raw={p: Fraction(swings[i], 2 ** (n - 1)) for i, p in enumerate(parties)},
        banzhaf={p: Fraction(swings[i], total) for i, p in enumerate(parties)},
        swings={p: swings[i] for i, p in enumerate(parties)},
        method=method,
    )


def _order_weights(n: int) -> list[int]:
    """``s! (n - s - 1)!`` for ``s = 0 .. n - 1``: the orders in which a swing for a coalition of
    size ``s`` happens."""
    return [math.factorial(s) * math.factorial(n - s - 1) for s in range(n)]


def enumerate_power(game: SimpleGame) -> PowerIndices:
    """The indices by visiting every coalition (``2**n``, bounded by ``MAX_POWER_COALITIONS``).

    Checks that the game is simple: the empty coalition loses, everyone together wins, and
    adding a party never turns a winning coalition losing.

    >>> str(enumerate_power(unanimity_game(["a", "b", "c"])).banzhaf_raw["a"])
    '1/4'
    """
    n = len(game.parties)
    if n == 0:
        raise PowerError("a game needs at least one party")
    _check_size(n)
    masks = np.arange(1 << n, dtype=np.int64)
    win = np.asarray(game.win(masks), dtype=bool)
    if win[0] or not win[-1]:
        raise PowerError("not a simple game: the empty coalition must lose and all parties together win")
    size = np.zeros(1 << n, dtype=np.int64)
    for i in range(n):
        size += _bits(masks, i)
    ow = _order_weights(n)
    swings, ss = [], []
    for i in range(n):
        without = masks[_bits(masks, i) == 0]
        w_out, w_in = win[without], win[without | (1 << i)]
        if np.any(w_out & ~w_in):
            raise PowerError(f"not a simple game: adding '{game.parties[i]}' turns a winning coalition losing")
        by_size = np.bincount(size[without][w_in & ~w_out], minlength=n)
        swings.append(int(by_size.sum()))
        ss.append(sum(int(c) * ow[s] for s, c in enumerate(by_size)))
    return _result(game.parties, swings, ss, "enumeration")


def _count_tables(free: list[int], cap: int, dtype) -> np.ndarray:
    """``t[k, s]``: how many subsets of ``free`` (weights) have ``k`` members and weight ``s``
    (``s = cap`` holds every weight from ``cap`` up: only whether a quota is met matters)."""
    t = np.zeros((len(free) + 1, cap + 1), dtype=dtype)
    t[0, 0] = 1
    for j, w in enumerate(free):
        prev = t[: j + 1].copy()
        if w >= cap:
            t[1: j + 2, cap] += prev.sum(axis=1)
        else:
            t[1: j + 2, w:cap] += prev[:, : cap - w]
            t[1: j + 2, cap] += prev[:, cap - w:].sum(axis=1)
    return t


def weighted_power(form: Weighted, parties: Sequence[str]) -> PowerIndices:
    """The indices of a :class:`Weighted` game by counting coalitions (no enumeration).

    For each party ``i``, the coalitions of the others are counted by size and weight (capped at
    the quota), with the vetoers other than ``i`` always in; ``i`` swings for those that lose
    without it and win with it. Null parties (in neither ``weights`` nor ``vetoers``) never swing;
    they still count in ``n`` (coalition sizes and ``2**(n-1)``).

    >>> g = weighted_game({"a": 50, "b": 49, "c": 1}, quota=51)
    >>> [str(v) for v in weighted_power(g.weighted, g.parties).banzhaf_raw.values()]
    ['3/4', '1/4', '1/4']
    """
    n = len(parties)
    if n == 0:
        raise PowerError("a game needs at least one party")
    if (set(form.weights) | form.vetoers) - set(parties):
        raise PowerError("a party of the game is not among its parties")
    q, m = form.quota, form.min_members
    active = [p for p in parties if p in form.weights or p in form.vetoers]
    n_null = n - len(active)
    cells = (len(active) + 1) * (max(q, 0) + 1)
    if cells > MAX_POWER_COALITIONS:
        raise PowerError(f"counting the coalitions of this weighted game takes tables of {cells:,} cells "
                         f"(quota {q} after scaling to integers), more than MAX_POWER_COALITIONS = "
                         f"{MAX_POWER_COALITIONS:,} (docs/limits.md); write the weights in coarser units")
    # Counts reach 2**(n-1); int64 holds them up to 62 parties, Python integers beyond.
    dtype = np.int64 if n <= 60 else object
    ow = _order_weights(n)
    # Null parties join any coalition freely: a swing of size s with z of them among the n_null
    # is counted C(n_null, z) times at size s + z.
    null_spread = [math.comb(n_null, z) for z in range(n_null + 1)]
    swings, ss = [], []
    for p in parties:
        if p not in form.weights and p not in form.vetoers:
            swings.append(0)
            ss.append(0)
            continue
        forced = [o for o in active if o != p and o in form.vetoers]
        free = [o for o in active if o != p and o not in form.vetoers]
        base_w = sum(form.weights.get(o, 0) for o in forced)
        base_m = sum(1 for o in forced if o in form.weights)
        qq = max(q, 0)
        t = _count_tables([form.weights.get(o, 0) for o in free], qq, dtype)
        w_i = form.weights.get(p, 0)
        m_i = 1 if p in form.weights else 0
        # Every free party is a member (a party neither member nor vetoer is null): a coalition
        # of k free parties holds k + base_m members.
        sw_k = np.zeros(len(free) + 1, dtype=object)
        weights_col = np.arange(qq + 1)
        for k in range(len(free) + 1):
            s_tot = np.minimum(weights_col + base_w, qq)       # weight of S (capped)
            mem = k + base_m
            wins_with = (np.minimum(s_tot + w_i, qq) >= q) & (mem + m_i >= m)
            if p in form.vetoers:
                loses_without = np.ones_like(wins_with)       # S lacks p's veto
            else:
                loses_without = (s_tot < q) | (mem < m)
            sw_k[k] = int(t[k][wins_with & loses_without].sum())
        size0 = len(forced)
        total_sw, total_ss = 0, 0
        for k in range(len(free) + 1):
            c = sw_k[k]
            if not c:
                continue
            for z, spread in enumerate(null_spread):
                total_sw += c * spread
                total_ss += c * spread * ow[size0 + k + z]
        swings.append(total_sw)
        ss.append(total_ss)
    return _result(parties, swings, ss, "counting")


def power_indices(game: SimpleGame) -> PowerIndices:
    """Shapley–Shubik and Banzhaf indices of ``game``: counted when it is weighted, else enumerated.

    >>> ix = power_indices(weighted_game({"d": 3, "x": 1, "y": 1}, 3))
    >>> str(ix.shapley_shubik["d"]), str(ix.banzhaf["x"])
    ('1', '0')
    """
    if game.weighted is not None:
        return weighted_power(game.weighted, game.parties)
    return enumerate_power(game)


# ------------------------------------------------------------------ games from consent rules


def _rule(raw: Any) -> Any:
    """A consent rule as the schema's ``ConsentRule`` (a plain mapping is validated into one), so
    the rules mean here exactly what they mean to the engine: the same integer quotas
    (``ConsentRule.constraints``)."""
    from pydantic import ValidationError

    from negosim.scenario.schema import ConsentRule

    if isinstance(raw, ConsentRule):
        return raw
    try:
        return ConsentRule.model_validate(raw)
    except ValidationError as e:
        rid = raw.get("id", "?") if isinstance(raw, Mapping) else "?"
        raise PowerError(f"consent rule '{rid}': " + "; ".join(
            str(err.get("ctx", {}).get("error", err["msg"])) for err in e.errors())) from None


def _veto_scope(veto: Any) -> frozenset[str] | None | bool:
    """A party's veto as None (all provisions), False (none) or its provisions."""
    veto = getattr(veto, "veto", veto)  # the schema's Party, or its veto itself
    if veto == "all":
        return None
    if veto == "none" or veto is None:
        return False
    return frozenset(veto)


def _touches(scope: frozenset[str] | None, group: frozenset[str] | None) -> bool:
    """Whether a rule or veto over ``scope`` (None: every provision) concerns ``group`` (None:
    the whole deal, every provision moved)."""
    if scope is None:
        return True
    return bool(scope) if group is None else bool(scope & group)


def consent_game(parties: Mapping[str, Any], rules: Sequence[Any], group: Iterable[str] | None = None) -> SimpleGame:
    """The simple game of a package that moves the provisions of ``group`` (None: every provision).

    A coalition wins when it holds every party whose veto covers the group (``veto: all``, or a
    list naming one of the group's provisions) and satisfies every consent rule that touches the
    group (``provisions: all``, or one in common). ``parties`` maps each party id to its veto
    (``"all"``, ``"none"``, a list of provisions, or an object with a ``veto`` attribute, such as
    the schema's ``Party``); ``rules`` are consent rules as plain mappings in the format of
    docs/scenario-format.md or the schema's ``ConsentRule``. Parties that neither rule nor veto
    concerns are null: power 0.

    >>> g = consent_game({"us": "all", "eu": ["sanctions"], "ru": "all"}, [], ["army"])
    >>> [str(v) for v in power_indices(g).shapley_shubik.values()]
    ['1/2', '0', '1/2']
    """
    order = tuple(parties)
    grp = None if group is None else frozenset(group)
    vetoers = {p for p, v in parties.items()
               if (scope := _veto_scope(v)) is not False and _touches(scope, grp)}
    active = [r for r in map(_rule, rules) if _touches(None if r.provisions == "all" else frozenset(r.provisions), grp)]
    for r in active:
        unknown = [p for p in r.members() if p not in parties]
        if unknown:
            raise PowerError(f"consent rule '{r.id}' names {unknown}, not parties of the scenario")
    # Each rule is one or two quotas on whole numbers. A quota that needs every member (a
    # unanimity, or k = n) is a veto for each; what is left is counted when it is one quota, or
    # a population quota with a quota on the number of the same members (a double majority),
    # and enumerated otherwise.
    quotas = []
    for r in active:
        for weights, quota in r.constraints():
            if all(w > 0 for w in weights.values()) and quota == sum(weights.values()):
                vetoers.update(weights)
            else:
                quotas.append((weights, quota))
    if not quotas:
        return weighted_game({}, 0, vetoers=vetoers, parties=order)
    if len(quotas) == 1:
        return weighted_game(quotas[0][0], quotas[0][1], vetoers=vetoers, parties=order)
    if len(quotas) == 2:
        (w1, q1), (w2, q2) = sorted(quotas, key=lambda wq: set(wq[0].values()) != {1})
        if set(w1.values()) == {1} and set(w1) == set(w2):
            return weighted_game(w2, q2, min_members=q1, vetoers=vetoers, parties=order)
    parts = [weighted_game(w, q, parties=order) for w, q in quotas]
    veto = weighted_game({}, 0, vetoers=vetoers, parties=order)

    def win(masks: np.ndarray) -> np.ndarray:
        out = veto.win(masks)
        for g in parts:
            out = out & g.win(masks)
        return out

    return SimpleGame(order, win)


def consent_power(parties: Mapping[str, Any], rules: Sequence[Any]) -> dict[str, PowerIndices]:
    """Each party's power under the consent rules: per rule (the group of that rule's provisions)
    and for the whole deal (key :data:`DEAL`).

    >>> rules = [{"id": "eu", "provisions": ["sanctions"], "rule": {"unanimity": ["de", "be"]}}]
    >>> out = consent_power({"us": "all", "de": "none", "be": "none"}, rules)
    >>> {g: [str(v) for v in ix.shapley_shubik.values()] for g, ix in out.items()}
    {'eu': ['1/3', '1/3', '1/3'], 'deal': ['1/3', '1/3', '1/3']}
    """
    out: dict[str, PowerIndices] = {}
    for r in map(_rule, rules):
        if r.id == DEAL:
            raise PowerError(f"consent rule id '{DEAL}' is the name of the whole deal's power; rename the rule")
        out[r.id] = power_indices(consent_game(parties, rules, None if r.provisions == "all" else r.provisions))
    out[DEAL] = power_indices(consent_game(parties, rules, None))
    return out


def scenario_power(scenario: Any) -> dict[str, PowerIndices]:
    """:func:`consent_power` of a loaded scenario: its parties' vetoes and its ``consent`` rules
    (none before the format has them: then the vetoes alone).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> sorted(scenario_power(random_scenario(parties=2, provisions=2, seed=1)))
    ['deal']
    """
    parties = {pid: p.veto for pid, p in scenario.parties.items()}
    return consent_power(parties, list(getattr(scenario, "consent", None) or []))
