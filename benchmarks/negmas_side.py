"""The same analysis done with NegMAS 0.16, for timing and agreement checks.

NegMAS is given exactly negosim's utilities: one
``LinearAdditiveUtilityFunction`` per party whose table for each provision
holds the party's compiled weighted values ``cs.wv[p, j, o]`` (weights 1, so
NegMAS sums the same quantized numbers and its sums are exact too) and whose
reserved value is the party's reservation. Only scenarios without red lines
and linkages can be expressed this way (see :func:`kinds.linear`).

The pipeline follows what ``negmas.pareto_frontier`` does inside, with each
step timed on its own: score every outcome with every utility function, keep
the outcomes that reach every reserved value, run NegMAS's active Pareto
filter on them, then its Nash, Kalai (egalitarian) and maximum-welfare points
on the front. Outcomes are mapped back to negosim package indices through
their option tuples, never by position.

One convention is aligned: by default NegMAS's solution points measure a
party's gain from the larger of its reserved value and its worst utility in
the whole space, where negosim measures it from the reservation. The two
differ when a reservation lies below everything a party can get, so NegMAS
is given explicit ``ranges`` whose lower ends are the reserved values.

Example
-------
>>> from negosim import compile_scenario, random_scenario
>>> cs = compile_scenario(random_scenario(parties=2, provisions=3, options=2, seed=1))
>>> run = run_negmas(cs)
>>> run.n_outcomes, run.zone.size >= run.front.size
(8, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from negmas import LinearAdditiveUtilityFunction, TableFun, make_issue, make_os
from negmas.preferences.ops import kalai_points, max_welfare_points, nash_points, pareto_frontier_active


@dataclass
class NegmasRun:
    """What NegMAS found, as sorted negosim package indices, and how long each step took."""

    n_outcomes: int
    zone: np.ndarray
    front: np.ndarray
    nash: np.ndarray
    egalitarian: np.ndarray
    utilitarian: np.ndarray
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Seconds to score, count the zone, find the front and the Nash point."""
        return sum(self.seconds[k] for k in ("score", "zone", "front", "nash"))


def ufuns_for(cs, reserved=None):
    """NegMAS outcome space and one utility function per party, from compiled tables.

    ``reserved`` replaces the reserved values (default: the reservations).
    """
    reserved = cs.reservation if reserved is None else reserved
    issues = [make_issue(list(opts), name=prov) for prov, opts in zip(cs.provision_ids, cs.option_ids)]
    space = make_os(issues)
    ufuns = []
    for p in range(cs.n_parties):
        tables = {prov: TableFun({o: float(cs.wv[p, j, k]) for k, o in enumerate(cs.option_ids[j])})
                  for j, prov in enumerate(cs.provision_ids)}
        ufuns.append(LinearAdditiveUtilityFunction(
            tables, weights={prov: 1.0 for prov in cs.provision_ids}, outcome_space=space,
            reserved_value=float(reserved[p]), name=cs.party_ids[p]))
    return space, ufuns


def indices_of(cs, outcomes) -> np.ndarray:
    """negosim package indices of NegMAS outcomes (tuples of option ids), sorted."""
    lookup = [{o: k for k, o in enumerate(opts)} for opts in cs.option_ids]
    X = np.array([[lookup[j][v] for j, v in enumerate(out)] for out in outcomes], dtype=np.int64)
    if len(X) == 0:
        return np.zeros(0, np.int64)
    return np.sort(cs.space.encode(X))


def run_negmas(cs, reserved=None) -> NegmasRun:
    """Score the whole space with NegMAS and find its zone, front and solution points."""
    space, ufuns = ufuns_for(cs, reserved)
    sec: dict[str, float] = {}
    t = time.perf_counter()
    outcomes = list(space.enumerate())
    U = np.array([[float(u(o)) for u in ufuns] for o in outcomes])
    sec["score"] = time.perf_counter() - t

    t = time.perf_counter()
    res = np.array([u.reserved_value for u in ufuns])
    rational = np.flatnonzero((U >= res).all(axis=1))  # NegMAS's rule in pareto_frontier
    sec["zone"] = time.perf_counter() - t

    t = time.perf_counter()
    rows = pareto_frontier_active(U[rational]) if len(rational) else np.zeros(0, np.int64)
    front_pos = rational[np.asarray(rows, dtype=np.int64)]
    frontier = [tuple(U[i]) for i in front_pos]
    sec["front"] = time.perf_counter() - t

    found = {}
    for name, fn in (("nash", nash_points), ("egalitarian", kalai_points), ("utilitarian", max_welfare_points)):
        t = time.perf_counter()
        # NegMAS measures gains from max(reserved value, worst utility); negosim from the
        # reservation. Ranges starting at the reserved values make the two definitions one.
        ranges = [(u.reserved_value, u.minmax(space, above_reserve=False)[1]) for u in ufuns]
        points = fn(ufuns, frontier, ranges=ranges, outcome_space=space) if frontier else ()
        sec[name] = time.perf_counter() - t
        found[name] = indices_of(cs, [outcomes[front_pos[i]] for _, i in points])
    return NegmasRun(len(outcomes), indices_of(cs, [outcomes[i] for i in rational]),
                     indices_of(cs, [outcomes[i] for i in front_pos]), found["nash"],
                     found["egalitarian"], found["utilitarian"], sec)
