"""A slow, obviously correct reference: score every package, then filter.

It shares only :meth:`CompiledScenario.score` (whole packages) with the fast
engine; the zone, front, solution points and repairs are recomputed here
with plain numpy over the full space.
"""

from __future__ import annotations

import numpy as np

from negosim.engine.compiled import compile_scenario
from negosim.engine.solutions import SOLUTION_NAMES


def dominated(U: np.ndarray, block: int = 256) -> np.ndarray:
    """Whether each row of U is dominated by another row (all pairs, in blocks)."""
    out = np.zeros(len(U), dtype=bool)
    for lo in range(0, len(U), block):
        X = U[lo:lo + block]
        ge = (U[None, :, :] >= X[:, None, :]).all(axis=2)
        gt = (U[None, :, :] > X[:, None, :]).any(axis=2)
        out[lo:lo + block] = (ge & gt).any(axis=1)
    return out


def brute(scenario):
    cs = compile_scenario(scenario)
    X = cs.space.all()
    s = cs.score(X)
    zone = np.flatnonzero(s.in_zone)
    U = s.util[:, zone].T
    # O(n^2) dominance: fine for the small spaces the tests use.
    front = np.flatnonzero(~dominated(U))
    bargainers = cs.vetoing.copy() if cs.vetoing.any() else np.ones(cs.n_parties, bool)
    res = cs.reservation
    F = U[front] if len(front) else np.zeros((0, cs.n_parties))
    g = F[:, bargainers] - res[bargainers]
    sols = {}
    if len(front):
        objs = {}
        objs["nash"] = np.prod(np.maximum(g, 0) ** cs.power[bargainers], axis=1)
        ideal = (U[:, bargainers] - res[bargainers]).max(axis=0)
        pos = ideal > 0
        objs["kalai_smorodinsky"] = (g[:, pos] / ideal[pos]).min(axis=1) if pos.any() else None
        objs["egalitarian"] = g.min(axis=1)
        objs["utilitarian"] = F.sum(axis=1)
        for name in SOLUTION_NAMES:
            o = objs[name]
            if o is None or (name == "nash" and o.max() <= 0):
                sols[name] = None
                continue
            tied = np.flatnonzero(o == o.max())
            sols[name] = int(zone[front[tied]].min())
    else:
        sols = {n: None for n in SOLUTION_NAMES}
    dist = (X[zone] != cs.draft).sum(axis=1)
    if len(zone):
        k = dist.min()
        rep = zone[dist == k]
        nash = np.prod(np.maximum(s.util[:, rep].T[:, bargainers] - res[bargainers], 0) ** cs.power[bargainers], axis=1)
        order = np.lexsort((rep, -nash))
        repairs = (int(k), int(len(rep)), rep[order].tolist(), nash[order].tolist())
    else:
        repairs = (None, 0, [], [])
    return {"zone": zone, "front": np.sort(zone[front]), "solutions": sols, "repairs": repairs}
