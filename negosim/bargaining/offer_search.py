"""Where offers are searched: a view's Pareto front and a text's neighbourhood.

Scanning the whole package space for every offer is far too slow (millions
of packages, hundreds of offers). Every rule an agent offers by is
monotone in the utilities (the most for the proposer among packages that
meet the others' thresholds, or failing that the smallest total shortfall),
so its choice can be made on the Pareto front of the agent's view. The front
is taken over the zone at the *lowest* reservations the talks can reach
before the deadline, so it holds every package that could be offered in any
round. :func:`negosim.engine.analysis.analyze` computes it exactly, half against half.

The single-text mediator instead looks at the *neighbourhood* of the text:
the packages that change one provision, or one group of provisions tied by a
red line or a linkage (which may move together).

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.engine.compiled import compile_scenario
>>> cs = compile_scenario(random_scenario(parties=2, provisions=3, options=3, seed=0))
>>> f = Front.build(cs, cs.reservation)
>>> r = best_offer(f, owner=0, own_floor=0.0, thresholds=cs.reservation)
>>> bool(f.U[r, 1] >= cs.reservation[1])
True
>>> len(neighbours(cs, cs.draft, move_groups(cs)))
6
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
from numba import njit

from negosim.engine.compiled import RED_LINE_COST, TOLERANCE, CompiledScenario, gap_below
from negosim.engine.compiled import shortfall as shortfall_of
from negosim.engine.compiled import thresholds as thresholds_of
from negosim.engine.kernels import accepts_scalar

# The acceptance rule's threshold and gap, compiled from their one definition in compiled.py.
_thresholds = njit(inline="always")(thresholds_of)
_gap_below = njit(inline="always")(gap_below)
#: Spaces up to this many packages are scored whole to find a front.
SMALL_SPACE = 1 << 14
#: Largest group of linked provisions the mediator moves together.
MAX_GROUP = 3


@dataclass
class Front:
    """Pareto front of a view's zone at given (floor) reservations.

    Attributes
    ----------
    X : int array [F, J], the packages.
    index : int array [F], their package indices.
    U : array [F, P], each party's utility in the view.
    red : bool array [F, P], red lines crossed.
    needed : bool array [F, P], whose consent each package needs.
    """

    X: np.ndarray
    index: np.ndarray
    U: np.ndarray
    red: np.ndarray
    needed: np.ndarray

    @property
    def size(self) -> int:
        return len(self.index)

    @classmethod
    def build(cls, view: CompiledScenario, floors: np.ndarray) -> "Front":
        """The front of ``view``'s zone when every party's reservation is ``floors``.

        Small spaces are scored whole (faster than setting up the two-halves
        analysis); larger ones are searched half against half, as
        :func:`negosim.engine.analysis.analyze` does for the zone's front.
        """
        from negosim.engine.analysis import pareto_front, zone_front
        low = dataclasses.replace(view, reservation=np.asarray(floors, dtype=float))
        if view.space.size <= SMALL_SPACE:
            every = view.space.all()
            s = low.score(every)
            U, index = np.ascontiguousarray(s.util.T[s.in_zone]), np.flatnonzero(s.in_zone)
            index = index[pareto_front(U, index)]
        else:
            _, index = zone_front(low)
        X = view.space.decode(index) if len(index) else np.zeros((0, view.n_provisions), np.int64)
        s = view.score(X)
        return cls(X, index, np.ascontiguousarray(s.util.T), s.red.T.copy(), s.needed.T.copy())

    def rescore(self, view: CompiledScenario) -> None:
        """Score the same packages again in ``view`` (after its beliefs changed)."""
        if self.size:
            self.U = np.ascontiguousarray(view.score(self.X).util.T)

    def shortfalls(self, thresholds: np.ndarray) -> np.ndarray:
        """Each needed party's shortfall below its threshold (red line: a large cost), ``[F, P]``."""
        return shortfall_of(self.U, self.red, self.needed, thresholds[None, :])

    def shortfall(self, owner: int, thresholds: np.ndarray) -> np.ndarray:
        """Total shortfall of the *other* needed parties below their thresholds, per row."""
        S = self.shortfalls(thresholds)
        return S.sum(axis=1) - S[:, owner]


@njit(cache=True)
def _best_row(U, red, needed, index, owner, own_thr, thr, red_cost):
    """(row, shortfall) of the owner's choice; row -1 when no row reaches its floor.

    Rows must meet the owner's threshold ``own_thr`` and cross none of its red
    lines; among them: least total shortfall of the other needed parties below
    their thresholds ``thr`` (floors already less the tolerance), then the most
    for the owner, then the lowest package index.
    """
    best, best_short = -1, 0.0
    for f in range(U.shape[0]):
        if red[f, owner] or not accepts_scalar(U[f, owner], own_thr):
            continue
        short = 0.0
        for j in range(U.shape[1]):
            if j != owner and needed[f, j]:
                if red[f, j]:
                    short += red_cost
                short += _gap_below(U[f, j], thr[j])
        if best < 0 or short < best_short or (short == best_short and (
                U[f, owner] > U[best, owner] or (U[f, owner] == U[best, owner] and index[f] < index[best]))):
            best, best_short = f, short
    return best, best_short


@njit(cache=True)
def _backward(U, red, needed, index, probs, discount, res, tol, red_cost):
    T, P = res.shape
    V = np.empty((T + 1, P))
    V[T] = res[T - 1]
    for t in range(T - 1, -1, -1):
        thr = _thresholds(np.maximum(res[t], discount * V[t + 1]), tol)
        V[t] = 0.0
        for k in range(P):
            if probs[k] <= 0.0:
                continue
            r, short = _best_row(U, red, needed, index, k, thr[k], thr, red_cost)
            if r >= 0 and short == 0.0:
                V[t] += probs[k] * U[r]
            else:
                V[t] += probs[k] * discount * V[t + 1]
    return V


def best_offer(front: Front, owner: int, own_floor: float, thresholds: np.ndarray) -> int:
    """Row of the front that ``owner`` offers, or -1 when none reaches its own floor.

    Among rows that give the owner at least ``own_floor`` and cross none of
    its red lines: those with the smallest total shortfall of the others
    below ``thresholds`` (zero when some row meets them all), then the most
    for the owner, then the lowest package index.
    """
    if not front.size:
        return -1
    row, _ = _best_row(front.U, front.red, front.needed, front.index, owner, thresholds_of(float(own_floor)),
                       thresholds_of(np.asarray(thresholds, dtype=float)), RED_LINE_COST)
    return int(row)


def value_table(front: Front, probs: np.ndarray, discount: np.ndarray, reservations: np.ndarray) -> np.ndarray:
    """Expected utilities of a finite random-proposer game, by backward induction (Baron & Ferejohn 1989).

    ``reservations[t]`` holds every party's reservation in round ``t + 1``
    (rounds 1..T, T the deadline). Row ``t`` of the result is what each party
    expects from the game as it stands at the start of round ``t + 1``; the
    last row (after the deadline) is the reservations of the last round. In
    each round proposer ``k`` is drawn with probability ``probs[k]`` and offers
    the best row of the front for itself that gives every other needed party
    its discounted expectation of the next round (never below its
    reservation); a round without such an offer is a round of delay. Far from
    the deadline the values settle on the stationary (infinite-horizon) ones.

    >>> import numpy as np
    >>> shares = np.array([[a, b, 100 - a - b] for a in range(101) for b in range(101 - a)]) / 100
    >>> f = Front(np.zeros((len(shares), 0), np.int64), np.arange(len(shares)), shares,
    ...           np.zeros(shares.shape, bool), np.ones(shares.shape, bool))
    >>> V = value_table(f, np.full(3, 1 / 3), np.full(3, 0.9), np.zeros((5, 3)))
    >>> V[0].round(6).tolist(), V[-1].tolist()
    ([0.333333, 0.333333, 0.333333], [0.0, 0.0, 0.0])
    """
    res = np.ascontiguousarray(reservations, dtype=float)
    if not front.size:
        return np.vstack([res, res[-1:]])
    return _backward(front.U, front.red, front.needed, front.index, np.asarray(probs, dtype=float),
                     np.asarray(discount, dtype=float), res, TOLERANCE, RED_LINE_COST)


def move_groups(cs: CompiledScenario) -> list[tuple[int, ...]]:
    """Provisions the mediator may change in one move: each alone, and each linked group.

    A group is the provisions of a red line or linkage that spans several
    provisions (at most :data:`MAX_GROUP`), since changing one of them alone
    may be worthless until the others move too.
    """
    groups = {(j,) for j in range(cs.n_provisions)}
    for t in cs.terms:
        provs = tuple(sorted(set(int(j) for j in t.provs)))
        if 1 < len(provs) <= MAX_GROUP:
            groups.add(provs)
    return sorted(groups, key=lambda g: (len(g), g))


def group_moves(cs: CompiledScenario, groups: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Every option combination of each group as ``(mask, options)``, both ``[n, J]``.

    Row ``r`` sets provisions ``mask[r]`` to ``options[r]`` and leaves the rest.
    """
    masks, opts = [], []
    for g in groups:
        combos = np.array(list(itertools.product(*[range(int(cs.radix[j])) for j in g])), dtype=np.int64)
        m = np.zeros((len(combos), cs.n_provisions), dtype=bool)
        m[:, list(g)] = True
        o = np.zeros((len(combos), cs.n_provisions), dtype=np.int64)
        o[:, list(g)] = combos
        masks.append(m)
        opts.append(o)
    return np.concatenate(masks), np.concatenate(opts)


def neighbours(cs: CompiledScenario, text: np.ndarray, groups: list[tuple[int, ...]],
               moves: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Every package that differs from ``text`` only within one group (``[n, J]``).

    ``moves`` is :func:`group_moves` of the groups, when already at hand.
    """
    mask, opts = group_moves(cs, groups) if moves is None else moves
    changed = (mask & (opts != text[None, :])).any(axis=1)
    out = np.where(mask[changed], opts[changed], text[None, :])
    return np.unique(out, axis=0) if len(groups) > cs.n_provisions else out
