"""Does negosim's analysis agree with NegMAS, or with the brute-force reference?

Each check compares package indices (NegMAS outcomes are mapped through
their option tuples first, see :mod:`negmas_side`). A failed check carries a
description precise enough to reproduce: how many packages differ and the
first few, with every party's utility margin over its reservation.

Solution points: NegMAS returns every point within 1e-12 of the best, and
negosim one of them (lowest package index among exact ties), so negosim's
pick must be *among* NegMAS's. Kalai-Smorodinsky is not compared with NegMAS,
whose ``ks_points`` measures gains against the best over the whole outcome
space and minimises their spread, a different definition from negosim's
(best gain within the zone, maximise the smallest ratio).

Example
-------
>>> import numpy as np
>>> c = same_set("zone", np.array([1, 2, 3]), np.array([1, 2, 4]), cs=None)
>>> c.ok, c.detail
(False, 'negosim 3, other 3; only negosim: 1 [3]; only other: 1 [4]')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: How many differing packages a check describes.
SHOW = 3


@dataclass
class Check:
    """One comparison: its name, whether both sides agree, and what differs."""

    name: str
    ok: bool
    detail: str = ""

    def to_json(self) -> dict:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


def _describe(cs, indices) -> str:
    """Indices, or with a compiled scenario the packages and margins over reservations."""
    shown = [int(i) for i in indices[:SHOW]]
    if cs is None:
        return str(shown)
    X = cs.space.decode(np.asarray(shown, dtype=np.int64))
    margins = cs.score(X).util - cs.reservation[:, None]
    parts = []
    for k, i in enumerate(shown):
        opts = "".join(str(int(o)) for o in X[k])
        m = ", ".join(f"{p} {margins[q, k]:+.3g}" for q, p in enumerate(cs.party_ids))
        parts.append(f"#{i} (options {opts}; margins {m})")
    return "[" + "; ".join(parts) + "]"


def same_set(name: str, ours: np.ndarray, theirs: np.ndarray, cs) -> Check:
    """Equal sets of package indices."""
    ours, theirs = np.unique(ours), np.unique(theirs)
    only_ours = np.setdiff1d(ours, theirs)
    only_theirs = np.setdiff1d(theirs, ours)
    ok = not len(only_ours) and not len(only_theirs)
    detail = f"negosim {len(ours)}, other {len(theirs)}"
    if not ok:
        detail += (f"; only negosim: {len(only_ours)} {_describe(cs, only_ours)}"
                   f"; only other: {len(only_theirs)} {_describe(cs, only_theirs)}")
    return Check(name, ok, detail)


def among(name: str, ours, theirs: np.ndarray) -> Check:
    """negosim's pick (an index or None) is one of the other side's (empty: none)."""
    if ours is None:
        return Check(name, len(theirs) == 0, f"negosim none, other {theirs[:SHOW].tolist()}")
    return Check(name, int(ours) in set(theirs.tolist()),
                 f"negosim #{int(ours)}, other {theirs[:SHOW].tolist()}"
                 + (f" (+{len(theirs) - SHOW} tied)" if len(theirs) > SHOW else ""))


def _index(solution):
    return None if solution is None else solution.index


def _pareto_indices(a) -> np.ndarray:
    return np.array([s.index for s in a.pareto], dtype=np.int64)


def versus_negmas(a, nm, cs) -> list[Check]:
    """Checks of an analysis (made with ``members=True``) against a :class:`negmas_side.NegmasRun`."""
    return [
        Check("zone size", a.zone_size == len(nm.zone), f"negosim {a.zone_size}, NegMAS {len(nm.zone)}"),
        same_set("zone members", a.members, nm.zone, cs),
        same_set("Pareto set", _pareto_indices(a), nm.front, cs),
        among("Nash point", _index(a.solutions["nash"]), nm.nash),
        among("egalitarian (NegMAS kalai_points)", _index(a.solutions["egalitarian"]), nm.egalitarian),
        among("utilitarian (NegMAS max_welfare_points)", _index(a.solutions["utilitarian"]), nm.utilitarian),
    ]


def versus_brute(a, b: dict, cs, top: int) -> list[Check]:
    """Checks of an analysis (``members=True``, ``top`` repairs) against ``tests/bruteforce.brute``'s result."""
    checks = [
        Check("zone size", a.zone_size == len(b["zone"]), f"negosim {a.zone_size}, brute {len(b['zone'])}"),
        same_set("zone members", a.members, b["zone"], cs),
        same_set("Pareto set", _pareto_indices(a), b["front"], cs),
    ]
    for name, want in b["solutions"].items():
        got = _index(a.solutions[name])
        checks.append(Check(f"{name} point", got == want, f"negosim {got}, brute {want}"))
    size, count, order, _ = b["repairs"]
    got = [r.index for r in a.repairs]
    checks.append(Check("repairs (size, count, best)", (a.repair_size, a.repair_count, got)
                        == (size, count, order[:top]),
                        f"negosim ({a.repair_size}, {a.repair_count}, {got}), "
                        f"brute ({size}, {count}, {order[:top]})"))
    return checks
