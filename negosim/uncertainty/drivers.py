"""What drives the headline results: the numbers whose change within their evidence range flips them.

The headline results of a scenario are each party's verdict on the draft,
whether the zone of agreement is empty, and each party's acceptance of the
Nash point (the package of the point-value analysis, held fixed). For each of
them, every uncertain number (one with a range or a distribution, other than
a parameter's value) is moved **alone** across its evidence range
(:attr:`negosim.scenario.numbers.Number.bounds`), every other number at its
point value and every parameter at its value, and the value closest to the
point at which the result flips is found. The numbers that flip a result are
its *drivers*, ranked by their **share of range**: the distance from the
point to the flip over the distance from the point to the end of the range on
that side (0 at the point, 1 at the end).

Every row of numbers goes through :class:`negosim.engine.compiled.NumberLayout`
(parameter effects, clipping, renormalised weights, no-deal reservations) and
is scored by :func:`negosim.engine.compiled.stacked_scores`; the zone test is
the exact one of the analysis: the half tables of :mod:`negosim.engine.split`
and :func:`negosim.engine.kernels.zone_counts`, with every row's utilities of
the halves' rows scored in one stacked call.

- **Verdicts** (draft, Nash point) are scanned on a grid of ``GRID`` values per
  side of each range and the first flip is bisected (``BISECT`` steps): with
  the other numbers held, a party's utility of one package is linear in a
  value, a bonus or a reservation and monotone in a renormalised weight, so
  the flip is found to about 1e-12.
- **The zone's emptiness** is monotone in a reservation (raising it shrinks
  that party's acceptance set and nothing else), in a no-deal cost or, when
  only one party falls back on no_deal, an outcome's probability (each moves
  that one reservation, linearly or as a ratio of linear functions), and in a
  value or linkage bonus of a party whose reservation does not move with it
  (raising it raises that party's utility of some packages and lowers none).
  For those numbers the two ends decide whether the zone flips and bisection
  finds where (``ZONE_BISECT`` steps). For the others (weights, per-unit
  effects, probabilities shared by several fallbacks, values that move a
  no-deal reservation) the ends and ``ZONE_GRID - 1`` interior points per side
  are tested: a flip that flips back between two tested points is missed.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.uncertainty.sampling import widen
>>> d = find_drivers(widen(random_scenario(parties=2, provisions=3, options=2, seed=0, reservation=0.5), 0.2))
>>> [h.id for h in d.headlines][:3]
['draft.p0', 'draft.p1', 'zone']
>>> all(0 <= x.share <= 1 for h in d.headlines for x in h.drivers)
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from negosim.engine.compiled import (NumberLayout, accepts, as_scenario, compile_scenario, stacked_scores,
                                     thresholds, unanimous)
from negosim.brief import possessive
from negosim.errors import NegosimError

#: Trial values per side of a range when scanning verdicts (cheap: one package per row).
GRID = 16
#: Bisection steps of a verdict's flip (the bracket shrinks to 2**-46 of a grid step).
BISECT = 46
#: Tested values per side (the end and interior points) for numbers the zone is not proven monotone in.
ZONE_GRID = 4
#: Bisection steps of the zone's flip (the bracket shrinks to about 1e-9 of the range).
ZONE_BISECT = 30
#: Bytes of stacked half utilities held at once by the zone test.
MEMORY = 1 << 27
#: Zone members at the point values from which the zone test picks its witnesses.
WITNESS_POOL = 1 << 18
#: Witnesses per needed party (largest margins), and for the tightest margin.
WITNESSES = 64
#: Grades of support that leave a number's size an assumption.
ASSUMED = ("context", "assumption", "unsourced")


def grade(num) -> str:
    """A number's grade of support: its ``supports`` (states, implies, context) when it quotes a
    source, ``ungraded`` when the quote has no grade; without a quote ``assumption`` when it says
    why, else ``unsourced`` (the scenario layer's evidence grade, when it defines one).

    >>> from negosim.scenario.numbers import Number
    >>> grade(Number.model_validate({"low": 0.2, "high": 0.4, "assumption": "no data"}))
    'assumption'
    """
    own = getattr(num, "grade", None)
    if isinstance(own, str):
        return own
    if num.source is not None and num.quote is not None:
        return num.supports or "ungraded"
    return "assumption" if num.assumption else "unsourced"


@dataclass
class Driver:
    """Setting one number to ``to`` (from ``point``) flips a headline result.

    ``exact``: the flip was bisected where the result is monotone in the number
    (always for verdicts); False when only tested points of the range were tried.
    """

    path: tuple
    name: str
    point: float
    to: float
    bounds: tuple[float, float]
    grade: str
    source: str | None = None
    quote: str | None = None
    assumption: str | None = None
    exact: bool = True

    @property
    def assumed(self) -> bool:
        """Whether the number's size is an assumption (graded context, or no source)."""
        return self.grade in ASSUMED

    @property
    def share(self) -> float:
        """Share of range: distance to the flip over distance from the point to the end on that side."""
        end = self.bounds[1] if self.to > self.point else self.bounds[0]
        room = abs(end - self.point)
        return min(1.0, abs(self.to - self.point) / room) if room > 0 else 0.0

    def to_json(self) -> dict:
        return {"number": self.name, "path": list(self.path), "point": self.point, "to": self.to,
                "share_of_range": self.share, "range": list(self.bounds), "grade": self.grade,
                "assumed": self.assumed, "source": self.source, "quote": self.quote,
                "assumption": self.assumption, "exact": self.exact}


@dataclass
class Headline:
    """One headline result and the numbers that flip it, closest (smallest share of range) first.

    ``kind``: ``"draft"`` or ``"nash"`` (a party's verdict on that package) or
    ``"zone"`` (whether any package is unanimous). ``now``: the result at the
    point values (the party accepts; the zone is not empty); None when there is
    no Nash point. ``reason`` says why no number flips it, when none does.
    """

    id: str
    kind: str
    party: str | None
    label: str
    now: bool | None
    needed: bool | None = None
    drivers: list[Driver] = field(default_factory=list)
    reason: str = ""
    zone_size: int | None = None
    red_lines: list[str] = field(default_factory=list)

    @property
    def assumed(self) -> list[Driver]:
        return [d for d in self.drivers if d.assumed]

    def subject(self) -> str:
        """The result in words: "Russia's rejection of the draft", "the zone of agreement (55 packages)"."""
        if self.kind == "zone":
            return (f"the zone of agreement ({self.zone_size:,} package{'s' if self.zone_size != 1 else ''})" if self.now
                    else "the empty zone of agreement")
        what = "the draft" if self.kind == "draft" else "the Nash point"
        if self.now is None:
            return f"{possessive(self.label)} verdict on {what}"
        aside = "" if self.needed is not False else " (its consent is not needed)"
        return f"{possessive(self.label)} {'acceptance' if self.now else 'rejection'} of {what}{aside}"

    def effect(self) -> str:
        """What the closest driver's flip does, in words."""
        if self.kind == "zone":
            return "the zone would be empty" if self.now else "the zone would open"
        return f"{self.label} would {'reject' if self.now else 'accept'}"

    def segments(self) -> list[tuple[str, str | None]]:
        """The headline as ``(text, tag)`` pieces: tag ``"assumed"`` marks what rests on an assumption,
        ``"grade"`` any other grade; the terminal and the report style them, :meth:`sentence` joins them."""
        subject = self.subject()
        if self.kind == "zone":  # the others start with the party's label, as written
            subject = subject[0].upper() + subject[1:]
        if self.now is None:
            return [(f"{subject}: {self.reason}.", None)]
        if not self.drivers:
            return [(f"{subject} does not hang on any single number: {self.reason}.", None)]
        n, k, d = len(self.drivers), len(self.assumed), self.drivers[0]
        if n == 1:
            out = [(f"{subject} hangs on 1 number, {d.name} (", None)]
        else:
            out = [(f"{subject} hangs on {n} numbers", None)]
            if k:
                out += [(", ", None), ("all of them assumed" if k == n else f"{k} of them assumed", "assumed")]
            out += [(f"; the closest is {d.name} (", None)]
        out += [(d.grade, "assumed" if d.assumed else "grade"),
                (f"): at {d.to:.4g} {self.effect()} ({100 * d.share:.0f} % of its range).", None)]
        return out

    def sentence(self) -> str:
        """The headline in one plain sentence."""
        return "".join(t for t, _ in self.segments())

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "party": self.party, "now": self.now, "needed": self.needed,
                "zone_size": self.zone_size, "red_lines": self.red_lines,
                "drivers": [d.to_json() for d in self.drivers],
                "assumed": len(self.assumed), "reason": self.reason, "text": self.sentence()}


@dataclass
class Drivers:
    """The result of :func:`find_drivers`: the headlines, in order (draft verdicts, zone, Nash verdicts)."""

    headlines: list[Headline]
    numbers_tried: int
    zone_tests: int
    seconds: float
    nash_index: int | None = None

    def to_json(self) -> dict:
        return {"numbers_tried": self.numbers_tried, "zone_tests": self.zone_tests,
                "nash_index": self.nash_index, "headlines": [h.to_json() for h in self.headlines]}


def number_name(scenario, path: tuple) -> str:
    """The dotted name of a number (linkages and no-deal outcomes by id, as in ``resolve_path``).

    >>> from negosim.engine.random_scenario import random_scenario
    >>> number_name(random_scenario(parties=2, provisions=2, options=2, seed=0), ("parties", "p0", "reservation"))
    'parties.p0.reservation'
    """
    from .distance_to_yes import dotted_name
    if path[:2] == ("no_deal", "outcomes"):
        return f"no_deal.outcomes.{scenario.no_deal.outcomes[path[2]].id}.p"
    return dotted_name(scenario, path)


# --------------------------------------------------------------------------- the zone test

class ZoneTest:
    """Whether any package is unanimous, for many rows of numbers at once (exact).

    The blocks of the analysis (:func:`negosim.engine.split.blocks`) are built
    once at the point values; rows that cross a red line of a party whose
    consent every package needs are already dropped, and red lines and needs
    depend on no number. Per row of numbers only the utilities of the kept half
    rows are scored again (one :func:`stacked_scores` call for a batch of rows;
    none for a row whose tables equal the point's), B is sorted again by the
    key party, and :func:`negosim.engine.kernels.zone_counts` counts the pairs.
    A row stops at the first block with a member.

    Before that, a few **witnesses** are scored whole in every row: members of
    the zone at the point values, chosen for the room they leave each party
    (the largest margins of each needed party, and of the tightest one). A
    witness that every needed party accepts in a row is a member of that row's
    zone, so the row is not empty and the pair loops are skipped; only the rows
    no witness settles (near a flip, or once the zone is empty) run them.

    >>> from negosim.engine.random_scenario import random_scenario
    >>> s = random_scenario(parties=2, provisions=3, options=2, seed=0, reservation=0.3)  # a zone of 4 packages
    >>> lay = NumberLayout(s)
    >>> V = np.repeat(lay.points(), 2, axis=0)
    >>> V[1, lay.index[("parties", "p0", "reservation")]] = 0.99  # nothing is worth that much to p0
    >>> ZoneTest(compile_scenario(s)).nonempty(lay.derive(V)).tolist()
    [True, False]
    """

    def __init__(self, cs):
        from negosim.engine.split import always_bits, blocks, plan_split
        self.cs = cs
        self.plan = plan_split(cs)
        self.always = always_bits(cs)
        self.blocks, rows, kept = [], 0, True
        for b in blocks(cs, self.plan):
            if b.A.n and b.B.n:
                rows += b.A.n + b.B.n
                if rows > (MEMORY >> 3):
                    # Whole-package chunks (mean_of_addressed) or a big conditioning set: too many
                    # rows to keep; the blocks are rebuilt per row of numbers instead.
                    kept = False
                    break
                self.blocks.append(b)
        #: Pairs of half rows one test visits at most (the work of one row), when the blocks are kept.
        self.pairs = sum(b.A.n * b.B.n for b in self.blocks)
        self.witnesses = self._witnesses()
        self.witness_needed = stacked_scores(cs, range(cs.n_provisions), self.witnesses)[2]
        self.witness_touched = cs.touched(self.witnesses)
        if not kept:
            self.blocks = None

    def _witnesses(self) -> np.ndarray:
        """``[n, J]`` option indices of zone members at the point values, with room to spare for each party."""
        from negosim.engine import kernels
        cs = self.cs
        thr = thresholds(cs.reservation)
        U, idx = [], []
        for b in self.blocks:
            counts = kernels.zone_counts(b.A.util, b.A.red, b.A.need, b.A.touch, b.B.util, b.B.red, b.B.need,
                                         b.B.touch, self.always, thr, cs.consent.table, b.key)
            # The members of the A rows with most members, up to a pool of WITNESS_POOL.
            rows = np.argsort(-counts, kind="stable")
            rows = np.sort(rows[:max(1, int(np.searchsorted(np.cumsum(counts[rows]), WITNESS_POOL)))])
            rows = rows[counts[rows] > 0]
            if not len(rows):
                continue
            A = b.A.take(rows)
            pairs = kernels.zone_pairs(A.util, A.red, A.need, A.touch, b.B.util, b.B.red, b.B.need, b.B.touch,
                                       self.always, thr, cs.consent.table, b.key, counts[rows])
            U.append(A.util[pairs[:, 0]] + b.B.util[pairs[:, 1]])
            idx.append(A.idx[pairs[:, 0]] + b.B.idx[pairs[:, 1]])
            if sum(map(len, idx)) >= WITNESS_POOL:
                break
        if not idx:
            return np.zeros((0, cs.n_provisions), np.int64)
        U, idx = np.concatenate(U), np.concatenate(idx)
        X = np.asarray(cs.space.decode(idx), dtype=np.int64).reshape(len(idx), cs.n_provisions)
        needed = stacked_scores(cs, range(cs.n_provisions), X)[2].T  # [n, P]
        room = np.where(needed, U - thr[None, :], np.inf)
        pick = [np.argsort(room.min(axis=1), kind="stable")[::-1][:WITNESSES]]
        for p in range(cs.n_parties):
            if needed[:, p].any():
                pick.append(np.argsort(np.where(needed[:, p], room[:, p], -np.inf), kind="stable")[::-1][:WITNESSES])
        return X[np.unique(np.concatenate(pick))]

    def _witnessed(self, tables: dict) -> np.ndarray:
        """``[R]``: rows in which some witness is unanimous (their zone is certainly not empty)."""
        if not len(self.witnesses):
            return np.zeros(tables["reservation"].shape[0], dtype=bool)
        util = stacked_scores(self.cs, range(self.cs.n_provisions), self.witnesses, wv=tables["wv"],
                              weights=tables["weights"], bonus=tables["bonus"], flags=False)[0]
        # No red line of a needed party fires on a zone member, and red lines depend on no number.
        ok = accepts(util, False, tables["reservation"])
        return unanimous(ok, self.witness_needed[None], touched=self.witness_touched[None],
                         consent=self.cs.consent).any(axis=1)

    def nonempty(self, tables: dict) -> np.ndarray:
        """``[R]`` bools: whether the zone has a member in each row of ``tables`` (from ``derive``)."""
        from negosim.engine import kernels
        cs = self.cs
        R = tables["reservation"].shape[0]
        out = self._witnessed(tables)
        thr = thresholds(tables["reservation"])
        same = (tables["wv"] == cs.wv[None]).reshape(R, -1).all(axis=1)
        same &= (tables["bonus"] == np.array([t.bonus for t in cs.terms])[None]).reshape(R, -1).all(axis=1)
        if cs.aggregation != "weighted_sum":
            same &= (tables["weights"] == cs.weights[None]).reshape(R, -1).all(axis=1)
        if self.blocks is None:
            return out | self._rebuilt(tables, thr, out)
        P = cs.n_parties
        for b in self.blocks:
            todo = np.flatnonzero(~out)
            if not len(todo):
                break
            step = max(1, MEMORY // (8 * P * (b.A.n + b.B.n)))
            for lo in range(0, len(todo), step):
                rows = todo[lo:lo + step]
                moved = rows[~same[rows]]
                uA = uB = None
                if len(moved):
                    kw = {k: tables[k][moved] for k in ("wv", "weights", "bonus")}
                    uA = stacked_scores(cs, self.plan.A, b.A.X, b.fixed, True, flags=False, **kw)[0]
                    uB = stacked_scores(cs, self.plan.B, b.B.X, b.fixed, False, flags=False, **kw)[0]
                at = {int(r): i for i, r in enumerate(moved)}
                for r in rows:
                    if r in at:
                        A = np.ascontiguousarray(uA[at[r]].T)
                        B = uB[at[r]].T
                        order = np.argsort(-B[:, b.key], kind="stable") if b.key >= 0 else slice(None)
                        B, redB, needB = np.ascontiguousarray(B[order]), b.B.red[order], b.B.need[order]
                        touchB = b.B.touch[order]
                    else:
                        A, B, redB, needB, touchB = b.A.util, b.B.util, b.B.red, b.B.need, b.B.touch
                    counts = kernels.zone_counts(A, b.A.red, b.A.need, b.A.touch, B, redB, needB, touchB, self.always,
                                                 thr[r], cs.consent.table, b.key)
                    out[r] = bool(counts.any())
        return out

    def _rebuilt(self, tables: dict, thr, done) -> np.ndarray:
        from negosim.engine import kernels
        from negosim.engine.compiled import with_numbers
        from negosim.engine.split import blocks
        R = thr.shape[0]
        out = np.zeros(R, dtype=bool)
        for r in np.flatnonzero(~done):
            cs = with_numbers(self.cs, r, **dict(tables))
            for b in blocks(cs, self.plan):
                if b.A.n and b.B.n and kernels.zone_counts(b.A.util, b.A.red, b.A.need, b.A.touch, b.B.util, b.B.red,
                                                           b.B.need, b.B.touch, self.always, thr[r],
                                                           cs.consent.table, b.key).any():
                    out[r] = True
                    break
        return out


# --------------------------------------------------------------------------- the scan

@dataclass
class _Cand:
    col: int
    point: float
    lo: float
    hi: float
    grid: int = GRID  # tested values per side (the last one is the end)
    exact: bool = True


def _scan(cands, V0, evaluate, base, steps, tick=None) -> dict:
    """Closest flip of each result along each candidate's range, on each side.

    ``evaluate(V[R, K]) -> bool[R, n]`` gives ``n`` results per row; ``base``
    (``[n]``) the results at the point. Each side of a candidate's range is
    tried at ``grid`` evenly spaced values (the last one the end), the first
    flip of each result bracketed and bisected ``steps`` times.

    Returns ``{(result, candidate, side): flip value}`` (side 0: towards low).
    """
    trials = []  # (candidate, side, value)
    for ci, c in enumerate(cands):
        for side, end in enumerate((c.lo, c.hi)):
            if end != c.point:
                trials += [(ci, side, c.point + (end - c.point) * i / c.grid) for i in range(1, c.grid + 1)]
    tick = tick or (lambda planned=0, done=0: None)
    if not trials:
        return {}
    tick(planned=len(trials))
    flipped = _rows(V0, cands, [(ci, t) for ci, _, t in trials], evaluate) != base[None, :]
    tick(done=len(trials))
    brackets: dict = {}
    for r, (ci, side, t) in enumerate(trials):
        for res in np.flatnonzero(flipped[r]):
            key = (int(res), ci, side)
            if key not in brackets:
                # The trials of one side are consecutive: the one before is the last that did not flip.
                same_side = r > 0 and trials[r - 1][:2] == (ci, side)
                brackets[key] = [trials[r - 1][2] if same_side else cands[ci].point, t]
    keys = list(brackets)
    tick(planned=steps * len(keys))
    for _ in range(steps if keys else 0):
        mids = [(brackets[k][0] + brackets[k][1]) / 2 for k in keys]
        f = _rows(V0, cands, [(k[1], m) for k, m in zip(keys, mids)], evaluate)
        for i, k in enumerate(keys):
            brackets[k][1 if f[i, k[0]] != base[k[0]] else 0] = mids[i]
        tick(done=len(keys))
    return {k: b[1] for k, b in brackets.items()}


def _rows(V0, cands, settings, evaluate) -> np.ndarray:
    V = np.repeat(V0, len(settings), axis=0)
    for r, (ci, t) in enumerate(settings):
        V[r, cands[ci].col] = t
    return evaluate(V)


# --------------------------------------------------------------------------- the drivers

def estimate_zone_tests(n_monotone: int, n_grid: int) -> int:
    """Most zone tests :func:`find_drivers` makes: the tested values, then the bisections.

    >>> estimate_zone_tests(1, 0) == 2 + ZONE_BISECT
    True
    """
    return n_monotone * (2 + ZONE_BISECT) + n_grid * 2 * (ZONE_GRID + ZONE_BISECT)


def find_drivers(scenario, params: dict[str, float] | None = None, analysis=None, progress=None,
                 max_work: int | None = None) -> Drivers:
    """The numbers whose change within their evidence range flips each headline result.

    Parameters
    ----------
    scenario : Scenario, LoadedScenario or scenario file.
    params : parameter values (held in every row; parameters' own values are never moved).
    analysis : the :class:`~negosim.engine.analysis.Analysis` at the point values
        (computed when not given), for the zone's size and the Nash point.
    progress : optional callable ``(done, total, phase)`` in zone tests.
    max_work : refuse (:class:`NegosimError`) when the zone tests' estimated work
        (tests times pairs of half rows times parties) exceeds it; None: ``limits.MAX_WORK``.

    Returns
    -------
    Drivers
    """
    from negosim.engine.analysis import _too_much, analyze, estimate_work
    from negosim.limits import MAX_WORK
    t_start = time.monotonic()
    scenario, loaded = as_scenario(scenario, error="find_drivers() takes a Scenario, LoadedScenario or "
                                                   "scenario file")
    params = dict(params or {})
    if analysis is None:
        analysis = analyze(loaded or scenario, params=params, top=0, pareto=False)
    cs = compile_scenario(scenario, params)
    lay = NumberLayout(scenario)
    V0 = lay.points()

    def tables(V):
        return lay.derive(lay.with_parameters(V, params), draws=True)

    P, J = cs.n_parties, cs.n_provisions
    nash = analysis.solutions.get("nash")
    packages = [cs.draft] + ([np.asarray(cs.space.decode_one(nash.index), dtype=np.int64)] if nash else [])
    X = np.stack(packages)
    red, needed = stacked_scores(cs, range(J), X)[1:]

    def verdicts(V) -> np.ndarray:  # [R, P * packages]: party p on package k at column k * P + p
        out = []
        for lo in range(0, len(V), 4096):
            t = tables(V[lo:lo + 4096])
            util = stacked_scores(cs, range(J), X, wv=t["wv"], weights=t["weights"], bonus=t["bonus"],
                                  flags=False)[0]
            ok = accepts(util, red[None], t["reservation"])  # [R, P, packages]
            out.append(ok.transpose(0, 2, 1).reshape(len(ok), -1))
        return np.concatenate(out)

    base_t = tables(V0)
    cands = []
    for k, num in enumerate(lay.numbers):
        path = lay.paths[k]
        if not num.uncertain or (path[0] == "parameters" and path[2] == "value"):
            continue
        lo, hi = num.bounds
        if lo < hi:
            cands.append(_Cand(k, float(V0[0, k]), float(lo), float(hi)))
    # Numbers that move none of the tables a result depends on (power, discount, drift) cannot flip one.
    ends = _rows(V0, cands, [(ci, e) for ci, c in enumerate(cands) for e in (c.lo, c.hi)], lambda V: V)
    end_t = tables(ends) if len(ends) else None
    live = []
    for ci, c in enumerate(cands):
        rows = [2 * ci, 2 * ci + 1]
        moves = {name: ~np.all(end_t[name][rows] == base_t[name], axis=tuple(range(1, base_t[name].ndim)))
                 for name in ("wv", "weights", "bonus", "reservation")}
        if not any(m.any() for m in moves.values()):
            continue
        res_moved = (end_t["reservation"][rows] != base_t["reservation"]).any(axis=0)
        only_res = not (moves["wv"].any() or moves["weights"].any() or moves["bonus"].any())
        path = lay.paths[c.col]
        if path[0] == "parties" and path[2] == "reservation" or path[0] == "no_deal":
            monotone = only_res and res_moved.sum() <= 1
        elif path[0] == "parties" and path[2] in ("values", "linkages"):
            monotone = not res_moved.any()
        else:
            monotone = False
        c.grid, c.exact = (1, True) if monotone else (ZONE_GRID, False)
        live.append(c)
    tester = ZoneTest(cs)
    n_mono = sum(c.exact for c in live)
    bound = estimate_zone_tests(n_mono, len(live) - n_mono)
    per_test = tester.pairs * P if tester.blocks is not None else estimate_work(cs, tester.plan, top=0).units
    max_work = MAX_WORK if max_work is None else int(max_work)
    if bound * per_test > max_work:
        raise _too_much(f"finding the drivers of the zone (up to {bound:,} zone tests of {per_test // P:,} pairs, "
                        f"{P} parties)", bound * per_test, max_work)
    state = {"done": 0, "total": 0}

    def tick(planned=0, done=0):
        state["total"] += planned
        state["done"] += done
        if progress:
            progress(state["done"], max(state["total"], 1), "drivers")

    def zone(V):
        return tester.nonempty(tables(V))[:, None]

    zone_now = analysis.zone_size > 0
    # Verdicts: every candidate on the verdict grid; the zone: monotone numbers at the ends only.
    now_v = verdicts(V0)[0]
    flips_v = _scan([_Cand(c.col, c.point, c.lo, c.hi) for c in live], V0, verdicts, now_v, BISECT)
    flips_z = _scan(live, V0, zone, np.array([zone_now]), ZONE_BISECT, tick)

    def drivers_of(found, res, zone_result=False) -> list[Driver]:
        best: dict[int, Driver] = {}
        for (r, ci, _), t in found.items():
            if r != res:
                continue
            # A verdict is monotone in every number (module doc); the zone only in some.
            d = _driver(scenario, lay, live[ci], t, exact=live[ci].exact or not zone_result)
            if ci not in best or d.share < best[ci].share:
                best[ci] = d
        return sorted(best.values(), key=lambda d: (d.share, abs(d.to - d.point), d.name))

    reds = {p: cs.red_lines_hit(x) for p, x in (("draft", cs.draft), ("nash", packages[-1] if nash else None))
            if x is not None}
    why_none = (f"none of the {len(live)} uncertain numbers that move utilities or reservations flips it "
                "within its evidence range" if live else
                "no number that moves utilities or reservations has a range or a distribution")
    heads = []
    label = {p: (scenario.parties[p].label or p) for p in cs.party_ids}
    for kind, k in (("draft", 0), ("zone", None), ("nash", 1)):
        if kind == "zone":
            h = Headline("zone", "zone", None, "the zone of agreement", zone_now, zone_size=analysis.zone_size,
                         drivers=drivers_of(flips_z, 0, zone_result=True))
            h.reason = "" if h.drivers else why_none
            heads.append(h)
            continue
        for p, party in enumerate(cs.party_ids):
            if kind == "nash" and not nash:
                heads.append(Headline(f"nash.{party}", "nash", party, label[party], None,
                                      reason="there is no Nash point (no package of the zone gives every bargainer "
                                             "a gain)" if zone_now else
                                      "there is no Nash point (the zone of agreement is empty)"))
                continue
            col = k * P + p
            h = Headline(f"{kind}.{party}", kind, party, label[party], bool(now_v[col]),
                         needed=bool(needed[p, k]), drivers=drivers_of(flips_v, col))
            if not h.drivers:
                crossed = reds[kind][party] if not h.now else []
                h.red_lines = list(crossed)
                h.reason = f"it crosses red line {', '.join(crossed)}, which no number changes" if crossed else why_none
            heads.append(h)
    return Drivers(heads, len(live), state["done"], time.monotonic() - t_start,
                   None if nash is None else nash.index)


def _driver(scenario, lay, c: _Cand, to: float, exact: bool) -> Driver:
    num = lay.numbers[c.col]
    path = lay.paths[c.col]
    return Driver(path, number_name(scenario, path), c.point, float(to), (c.lo, c.hi), grade(num), num.source,
                  num.quote, num.assumption, exact)
