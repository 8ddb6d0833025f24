"""Distance to yes: the smallest change of one number that flips a party's verdict.

For each party's verdict on the draft (or any package), every uncertain
number (one with a range or a distribution) is moved, alone, across its
evidence range (:attr:`negosim.scenario.numbers.Number.bounds`) away from its point,
and the closest value at which the party's verdict flips is found: a party
that rejects starts to accept ("distance to yes"), one that accepts starts to
reject ("distance to no"). Red lines do not depend on numbers, so a party
held back by one has no distance to yes.

Holding the other numbers, a party's utility is linear in one value, bonus
or reservation and monotone in one weight (weights are renormalised), so the
verdict flips at most once along a side of the range; parameter effects and
clipping at the bounds can bend this, so each side is scanned on a grid
before the flip is bracketed and bisected to about 1e-12. Scoring uses the
stacked tables of :mod:`negosim.uncertainty.sampling` (the compiled formula,
vectorised over trial values), and each reported flip is checked by
recompiling the scenario with the number set to the reported value.

Where no single number flips a rejection, :func:`_beyond_one` names the closest
pair of numbers that does (:class:`Pair`), else the single change that leaves
the smallest shortfall (:class:`Nearest`); docs/model.md, "Distance to yes".

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.uncertainty.sampling import widen
>>> s = widen(random_scenario(parties=2, provisions=3, options=2, seed=0, reservation=0.5), 0.2)
>>> d = distance_to_yes(s)
>>> sorted(d)
['p0', 'p1']
>>> f = d["p0"].flip
>>> f is None or abs(f.change) <= max(abs(f.bounds[0] - f.point), abs(f.bounds[1] - f.point))
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from negosim.engine.compiled import compile_scenario
from negosim.scenario.numbers import dotted_name  # noqa: F401  (also imported from here by drivers)
from .sampling import Sampler, _rebuild, accepts_draws, score_draws

#: Trial values per side of a number's range before bisection.
GRID = 16
#: Bisection steps (the bracket shrinks to about 2**-46 of the grid step).
BISECT = 46
#: Rows of trial values scored at once.
BATCH = 2048
#: When no single number flips a verdict: the most promising single numbers (those whose move to
#: the better end of their range narrows the party's shortfall most) searched two at a time.
PAIR_CANDIDATES = 8


@dataclass
class Flip:
    """Setting one number to ``to`` (from ``point``) flips the party's verdict.

    ``point``, ``to`` and ``bounds`` are values in effect: with the parameters'
    effects added, as the verdicts and the analysis use them.
    """

    path: tuple
    name: str
    point: float
    to: float
    bounds: tuple[float, float]
    source: str | None = None
    assumption: str | None = None

    @property
    def change(self) -> float:
        return self.to - self.point

    @property
    def share(self) -> float:
        """The change as a share of the distance from the point to the end of the range on its side."""
        end = self.bounds[1] if self.change > 0 else self.bounds[0]
        room = abs(end - self.point)
        return abs(self.change) / room if room > 0 else 0.0

    def to_json(self) -> dict:
        return {"number": self.name, "from": self.point, "to": self.to, "change": self.change,
                "share_of_range": self.share, "range": list(self.bounds), "source": self.source,
                "assumption": self.assumption}


@dataclass
class Pair:
    """Two numbers that flip a verdict together where neither does alone: each moved the same
    ``share`` of the way from its point to the end of its range (``flips[i].to``; the smallest such
    share found)."""

    flips: tuple[Flip, Flip]
    share: float

    def to_json(self) -> dict:
        return {"kind": "pair", "share_of_range": self.share, "numbers": [f.to_json() for f in self.flips]}


@dataclass
class Nearest:
    """No pair flips the verdict either: the single change (a number to the end of its range on
    its better side, ``flip.to``) that leaves the party's smallest shortfall."""

    flip: Flip
    shortfall: float

    def to_json(self) -> dict:
        return {"kind": "nearest", "shortfall": self.shortfall, "number": self.flip.to_json()}


@dataclass
class PartyDistance:
    """One party's verdict and the single-number change closest to flipping it.

    ``beyond``: where no single number flips a rejection (and no red line holds it), the
    closest :class:`Pair`, else the :class:`Nearest` single change; None otherwise.
    """

    party: str
    accepts: bool
    needed: bool
    flip: Flip | None
    alternatives: list[Flip] = field(default_factory=list)
    reason: str = ""
    beyond: Pair | Nearest | None = None

    @property
    def direction(self) -> str:
        return "to no" if self.accepts else "to yes"

    def describe(self) -> str:
        """One line: the verdict and the closest flip, or why there is none."""
        verdict = "accepts" if self.accepts else "rejects"
        if self.flip is None:
            b = self.beyond
            if isinstance(b, Pair):
                f, g = b.flips
                return (f"{verdict}; {self.reason}; accepts if {f.name} moves {f.point:.3f} -> {f.to:.3f} and "
                        f"{g.name} {g.point:.3f} -> {g.to:.3f} together ({100 * b.share:.0f}% of their ranges)")
            if isinstance(b, Nearest):
                f = b.flip
                return (f"{verdict}; {self.reason}, nor does any pair; nearest: {f.name} {f.point:.3f} -> "
                        f"{f.to:.3f} leaves it {b.shortfall:.3f} short")
            return f"{verdict}; {self.reason}"
        f = self.flip
        turn = "rejects" if self.accepts else "accepts"
        return (f"{verdict}; {turn} if {f.name} moves {f.point:.3f} -> {f.to:.3f} ({f.change:+.3f}, "
                f"{100 * f.share:.0f}% of its range [{f.bounds[0]:.3f}, {f.bounds[1]:.3f}])")

    def to_json(self) -> dict:
        return {"accepts": self.accepts, "needed": self.needed, "direction": self.direction,
                "flip": None if self.flip is None else self.flip.to_json(),
                "alternatives": [a.to_json() for a in self.alternatives], "reason": self.reason,
                "beyond_one_number": None if self.beyond is None else self.beyond.to_json(),
                "text": self.describe()}


def distance_to_yes(scenario, params: dict[str, float] | None = None, package=None,
                    alternatives: int = 2) -> dict[str, PartyDistance]:
    """For each party, the smallest single-number change that flips its verdict.

    Parameters
    ----------
    scenario : Scenario
    params : parameter values (as for ``analyze``); a parameter set here is
        held fixed, so its own value is not a candidate.
    package : option indices (default: the draft).
    alternatives : how many runners-up (other numbers) to list per party.

    Returns
    -------
    dict[str, PartyDistance]
    """
    params = dict(params or {})
    sm = Sampler(scenario)
    cs = sm.base
    x = cs.draft if package is None else np.asarray(package, dtype=np.int64)
    V0 = sm.points()

    def verdicts(V) -> np.ndarray:  # [rows, P]
        out = []
        for lo in range(0, len(V), BATCH):
            ok, _ = accepts_draws(sm.tables(V[lo:lo + BATCH], params=params), x[None, :])
            out.append(ok[:, :, 0])
        return np.concatenate(out) if out else np.zeros((0, cs.n_parties), bool)

    base = verdicts(V0)[0]
    # What the parameters add to each number (effects add to their target whatever its own value),
    # so that a flip is reported in the values in effect, as the verdicts show them.
    shift = sm.layout.with_parameters(V0, params)[0] - V0[0]
    needed = cs.score(x[None, :]).needed[:, 0]  # vetoes do not depend on numbers or parameters
    reds = cs.red_lines_hit(x)
    cands = []  # (column, t0, lo, hi)
    for k in sm.uncertain:
        path = sm.paths[k]
        if path[0] == "parameters" and path[2] == "value" and path[1] in params:
            continue
        lo, hi = sm.numbers[k].bounds
        t0 = float(V0[0, k])
        if lo < hi:
            cands.append((k, t0, lo, hi))
    # Grid scan: rows (candidate, side, step).
    rows = []
    for ci, (k, t0, lo, hi) in enumerate(cands):
        for end in (lo, hi):
            if end == t0:
                continue
            for i in range(1, GRID + 1):
                rows.append((ci, end, i, t0 + (end - t0) * i / GRID))
    V = np.repeat(V0, len(rows), axis=0)
    for r, (ci, _, _, t) in enumerate(rows):
        V[r, cands[ci][0]] = t
    flips = verdicts(V) != base[None, :]
    # Brackets (party, candidate, side): last unflipped value, first flipped value.
    brackets = []
    r = 0
    while r < len(rows):
        ci, end = rows[r][0], rows[r][1]
        seg = slice(r, r + GRID)
        for p in range(cs.n_parties):
            hit = np.flatnonzero(flips[seg, p])
            if len(hit):
                i = int(hit[0])
                t_in = cands[ci][1] if i == 0 else rows[r + i - 1][3]
                brackets.append([p, ci, t_in, rows[r + i][3]])
        r += GRID
    brackets = _prune(brackets, cands, cs.n_parties, alternatives + 1)
    for _ in range(BISECT):
        if not brackets:
            break
        mids = np.array([(b[2] + b[3]) / 2 for b in brackets])
        V = np.repeat(V0, len(brackets), axis=0)
        for i, b in enumerate(brackets):
            V[i, cands[b[1]][0]] = mids[i]
        f = verdicts(V) != base[None, :]
        for i, b in enumerate(brackets):
            if f[i, b[0]]:
                b[3] = mids[i]
            else:
                b[2] = mids[i]
    out = {}
    for p, party in enumerate(cs.party_ids):
        found = sorted((abs(b[3] - cands[b[1]][1]), sm.paths[cands[b[1]][0]], b) for b in brackets if b[0] == p)
        flips_p = []
        for _, path, b in found:
            k, t0, lo, hi = cands[b[1]]
            if any(f.path == path for f in flips_p):
                continue
            if _verified(scenario, sm, params, x, p, base[p], {path: b[3]}):
                num = sm.numbers[k]
                d = float(shift[k])
                flips_p.append(Flip(path, dotted_name(scenario, path), t0 + d, float(b[3]) + d, (lo + d, hi + d),
                                    num.source, num.assumption))
            if len(flips_p) > alternatives:
                break
        if flips_p:
            reason = ""
        elif not base[p] and reds[party]:
            reason = f"crosses red line {', '.join(reds[party])}; no number changes that"
        elif not cands:
            reason = "no number of the scenario has a range or a distribution"
        else:
            reason = f"no single number within its evidence range flips it ({len(cands)} numbers tried)"
        beyond = None
        if not flips_p and not base[p] and not reds[party] and cands:
            beyond = _beyond_one(scenario, sm, params, x, p, cands, shift, V0)
        out[party] = PartyDistance(party, bool(base[p]), bool(needed[p]), flips_p[0] if flips_p else None,
                                   flips_p[1:], reason, beyond)
    return out


def _beyond_one(scenario, sm, params, x, p, cands, shift, V0) -> Pair | Nearest | None:
    """For party ``p``, whom no single number brings to yes: the closest pair of numbers that does,
    else the single change leaving the smallest shortfall.

    Each candidate number is set to either end of its range and scored (the same stacked
    tables and acceptance rule as the single-number search). The :data:`PAIR_CANDIDATES`
    whose better end narrows the shortfall most are tried two at a time at those ends; for
    each pair that flips the verdict, the smallest common share of the way to the ends is
    bisected, and the closest pair is checked by recompiling the scenario with both numbers
    set (the next is tried if the check fails).
    """
    def margins(V):  # utility minus reservation of party p, and its verdict, per row
        t = sm.tables(V, params=params)
        util, _, _ = score_draws(t, x[None, :])
        ok, _ = accepts_draws(t, x[None, :])
        return util[:, p, 0] - t.reservation[:, p], ok[:, p, 0]

    rows = [(ci, end) for ci, (k, t0, lo, hi) in enumerate(cands) for end in (lo, hi) if end != t0]
    V = np.repeat(V0, len(rows) + 1, axis=0)
    for r, (ci, end) in enumerate(rows):
        V[r + 1, cands[ci][0]] = end
    m, _ = margins(V)
    m0, m = float(m[0]), m[1:]
    best: dict[int, tuple[float, float]] = {}  # candidate -> (margin at its better end, that end)
    for (ci, end), mi in zip(rows, m):
        if ci not in best or mi > best[ci][0]:
            best[ci] = (float(mi), end)
    if not best:
        return None
    ranked = sorted(best, key=lambda ci: -best[ci][0])

    def flip(ci, value) -> Flip:
        k, t0, lo, hi = cands[ci]
        d, num = float(shift[k]), sm.numbers[k]
        return Flip(sm.paths[k], dotted_name(scenario, sm.paths[k]), t0 + d, float(value) + d, (lo + d, hi + d),
                    num.source, num.assumption)

    top = [ci for ci in ranked[:PAIR_CANDIDATES] if best[ci][0] > m0]
    pairs = [(a, b) for i, a in enumerate(top) for b in top[i + 1:]]

    def at(share):  # rows: every pair with both numbers `share` of the way to their better ends
        V = np.repeat(V0, len(pairs), axis=0)
        for r, (a, b) in enumerate(pairs):
            for ci in (a, b):
                k, t0 = cands[ci][0], cands[ci][1]
                V[r, k] = t0 + (best[ci][1] - t0) * share[r]
        return V

    if pairs:
        _, ok = margins(at(np.ones(len(pairs))))
        keep = [r for r in range(len(pairs)) if ok[r]]
        if keep:
            pairs = [pairs[r] for r in keep]
            lo_s, hi_s = np.zeros(len(pairs)), np.ones(len(pairs))
            for _ in range(BISECT):
                mid = (lo_s + hi_s) / 2
                _, ok = margins(at(mid))
                hi_s, lo_s = np.where(ok, mid, hi_s), np.where(ok, lo_s, mid)
            for r in np.argsort(hi_s, kind="stable"):
                a, b = pairs[r]
                values = {sm.paths[cands[ci][0]]: cands[ci][1] + (best[ci][1] - cands[ci][1]) * hi_s[r]
                          for ci in (a, b)}
                if _verified(scenario, sm, params, x, p, False, values):
                    return Pair((flip(a, values[sm.paths[cands[a][0]]]), flip(b, values[sm.paths[cands[b][0]]])),
                                float(hi_s[r]))
    ci = ranked[0]
    return Nearest(flip(ci, best[ci][1]), float(-best[ci][0]))


def _prune(brackets, cands, P, keep):
    """Drop brackets that cannot be among a party's ``keep`` closest flips (by distinct number)."""
    out = []
    for p in range(P):
        mine = [b for b in brackets if b[0] == p]
        far = {}
        for b in mine:
            d = abs(b[3] - cands[b[1]][1])
            far[b[1]] = min(far.get(b[1], np.inf), d)
        limit = sorted(far.values())[keep - 1] if len(far) >= keep else np.inf
        out += [b for b in mine if abs(b[2] - cands[b[1]][1]) <= limit]
    return out


def _verified(scenario, sm, params, x, p, base_accepts, values: dict) -> bool:
    """Recompile with each number of ``values`` (``{path: value}``) set and check that the verdict flipped."""
    overrides, trie = {}, {}
    for path, value in values.items():
        if path[0] in ("parties", "no_deal"):
            overrides[path] = value
        else:
            node = trie
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = sm.numbers[sm.index[path]].with_point(value)
    cs = compile_scenario(_rebuild(scenario, trie) if trie else scenario, params, overrides=overrides or None)
    return bool(cs.score(x[None, :]).accepts[p, 0]) != bool(base_accepts)
