"""negosim against NegMAS 0.16 on the ANAC benchmark domains (GENIUS XML).

``python benchmarks/bench_genius.py [FOLDER ...]`` (default: every domain under
``../shared/genius``). For each domain folder negosim imports the files
(``negosim import``), compiles and analyses the scenario, and NegMAS loads the
same folder (``negmas.inout.Scenario.load``, discounting ignored: the analysis is
undiscounted). Both are compared on the same outcome space, outcome by outcome
(NegMAS outcomes are mapped to negosim packages through their value names):

- the number of outcomes;
- the utilities: NegMAS's loader keeps GENIUS's raw evaluations (Travel's reach
  395) and evaluates an integer issue as ``slope * x + offset`` where GENIUS
  itself divides each discrete issue's evaluations by their largest and
  evaluates ``slope * (x - lowerbound) + offset`` (docs/genius.md). The
  comparison applies GENIUS's rule to NegMAS's loaded tables (the column
  ``raw`` says whether NegMAS's own utilities already equal GENIUS's);
- the outcomes rational for all (every utility at least NegMAS's reserved value);
- the Pareto front among them (NegMAS's ``pareto_frontier_active``), as sets of
  utility vectors (rounded to 1e-9: NegMAS keeps one outcome per vector, negosim
  every package, and float sums differ in the last bits);
- the Nash, egalitarian (NegMAS ``kalai_points``), max-welfare and
  Kalai-Smorodinsky points: negosim's point must reach NegMAS's optimum within
  1e-9 (ties). Kalai-Smorodinsky: NegMAS's ``ks_points`` minimises the spread of
  the normalised gains, negosim maximises the smallest; with ideal points taken
  over the rational set on both sides the two coincide where the front allows
  equal ratios and may differ on a discrete front (a convention: the column
  reports it).

No folder of ../shared/genius has a ``pareto.xml``, so no stored frontier is
compared (the script does not read one).

A row per domain (outcomes, parties, agreement, negosim's and NegMAS's seconds)
and the totals with the speed ratio; ``benchmarks/results/genius.json`` holds
every check. Exit status 1 when a check fails that is not an explained
convention. Domains above ``MAX_NEGMAS_OUTCOMES`` outcomes are skipped for NegMAS
with a printed reason (none of the shipped ones is).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT = ROOT.parent / "shared" / "genius"
#: NegMAS scores outcome by outcome in Python; above this many outcomes it is skipped.
MAX_NEGMAS_OUTCOMES = 1_000_000
#: Utilities closer than this count as equal (negosim quantises to 2**-40; float sums differ by ulps).
TIE = 1e-9


def domains(root: Path) -> list[Path]:
    """Every folder under ``root`` that holds XML files."""
    return sorted({p.parent for p in root.rglob("*.xml")})


# --------------------------------------------------------------------------- negosim side

def negosim_side(folder: Path) -> dict:
    """Import, compile and analyse a domain; times and the results the checks need."""
    from negosim.engine.analysis import analyze
    from negosim.engine.compiled import compile_scenario
    from negosim.formats.domain import to_scenario
    from negosim.formats.files import read_domain
    from negosim.scenario.schema import Scenario
    t0 = time.perf_counter()
    domain = read_domain([folder])
    s = Scenario.model_validate(to_scenario(domain, Path(tempfile.gettempdir()) / "x.yaml"))
    t1 = time.perf_counter()
    cs = compile_scenario(s)
    a = analyze(cs, members=True, pareto=True, top=1)
    t2 = time.perf_counter()
    X = cs.space.all()
    util = cs.score(X).util.T  # packages x parties
    # NegMAS YAML utilities were rescaled per party on import: (offset, factor) maps them back.
    scale = np.array([p.scale for p in domain.profiles], dtype=float)
    return {"scenario": s, "cs": cs, "analysis": a, "util": util, "import_s": t1 - t0, "analyze_s": t2 - t1,
            "scale": scale}


# --------------------------------------------------------------------------- NegMAS side

def genius_ufun(u, issues, scale: bool = True):
    """NegMAS's loaded utility function with GENIUS's evaluation rule applied to its tables.

    Its weights are rescaled to sum to 1, as negosim does (a few ANAC profiles' sum to
    0.99 or 1.0001; the column ``weights`` of the table names them).
    """
    from negmas import LinearAdditiveUtilityFunction, TableFun
    values = []
    for fun, issue in zip(u.values, issues):
        if isinstance(fun, TableFun) and not scale:
            values.append(fun)
        elif isinstance(fun, TableFun):
            top = max(fun.mapping.values())
            values.append(TableFun({k: (v / top if top > 1e-5 else 0.0) for k, v in fun.mapping.items()}))
        else:  # an integer issue: NegMAS's AffineFun(slope, bias) at x; GENIUS: from the lower bound
            lo = issue.min_value
            values.append(TableFun({x: min(1.0, max(0.0, fun.slope * (x - lo) + fun.bias))
                                    for x in issue.all}))
    total = math.fsum(u.weights)  # negosim rescales weights to sum to 1 (GENIUS and NegMAS do not)
    return LinearAdditiveUtilityFunction(values=values, weights=[w / total for w in u.weights], outcome_space=u.outcome_space,
                                         reserved_value=u.reserved_value, name=u.name)


def negmas_side(folder: Path) -> dict:
    """NegMAS loads the folder and finds its rational set, front and points; times of each step."""
    from negmas.inout import Scenario
    from negmas.preferences.ops import kalai_points, ks_points, max_welfare_points, nash_points, \
        pareto_frontier_active
    t0 = time.perf_counter()
    from negosim.formats.files import detect
    sc = Scenario.load(folder, ignore_discount=True)
    issues = sc.outcome_space.issues
    # GeniusWeb utilities are used as written; only GENIUS scales its evaluations. NegMAS's own
    # YAML is NegMAS's arithmetic: its functions as loaded.
    fmt = detect([folder])
    ufuns = list(sc.ufuns) if fmt == "negmas" else [genius_ufun(u, issues, fmt == "genius") for u in sc.ufuns]
    outcomes = list(sc.outcome_space.enumerate())
    U = np.array([[float(u(o)) for u in ufuns] for o in outcomes])
    t1 = time.perf_counter()
    raw = np.array([[float(u(o)) for u in sc.ufuns] for o in outcomes])
    t2 = time.perf_counter()
    res = np.array([float(u.reserved_value) for u in ufuns])
    rational = np.flatnonzero((U >= res).all(axis=1))  # NegMAS's rule in pareto_frontier
    rows = pareto_frontier_active(U[rational]) if len(rational) else []
    front = rational[np.asarray(rows, dtype=np.int64)] if len(rational) else np.zeros(0, np.int64)
    frontier = [tuple(U[i]) for i in front]
    points = {}
    if frontier:
        # Gains from the reserved values (negosim's disagreement point), ideal over the rational set.
        ranges = [(r, float(U[rational, k].max())) for k, r in enumerate(res)]
        for name, fn in (("nash", nash_points), ("egalitarian", kalai_points),
                         ("utilitarian", max_welfare_points), ("kalai_smorodinsky", ks_points)):
            points[name] = [front[i] for _, i in fn(ufuns, frontier, ranges=ranges, outcome_space=sc.outcome_space)]
    t3 = time.perf_counter()
    return {"outcomes": outcomes, "U": U, "raw": raw, "reserved": res, "rational": rational, "front": front,
            "points": points, "seconds": (t1 - t0) + (t3 - t2), "issues": issues,
            "weight_sums": [math.fsum(u.weights) for u in sc.ufuns]}


# --------------------------------------------------------------------------- comparison

def _objective(name: str, U: np.ndarray, res: np.ndarray, ideal: np.ndarray) -> np.ndarray:
    g = U - res
    if name == "nash":
        return np.prod(np.maximum(g, 0), axis=1)
    if name == "egalitarian":
        return g.min(axis=1)
    if name == "utilitarian":
        return U.sum(axis=1)
    pos = ideal - res > 0
    return (g[:, pos] / (ideal - res)[pos]).min(axis=1)


def compare(ours: dict, theirs: dict) -> list[dict]:
    """Checks of negosim's results against NegMAS's, each ``{check, ok, convention, detail}``."""
    cs, a = ours["cs"], ours["analysis"]
    checks = []

    def check(name, ok, detail="", convention=""):
        checks.append({"check": name, "ok": bool(ok), "convention": convention if not ok else "", "detail": detail})

    n = len(theirs["outcomes"])
    check("outcomes", n == cs.space.size, f"negosim {cs.space.size}, NegMAS {n}")
    # NegMAS outcome -> negosim package index, by the value names (integer values by their digits).
    s = ours["scenario"]
    labels = [{o.label: k for k, o in enumerate(p.options.values())} for p in s.provisions.values()]
    X = np.array([[labels[j][str(v)] for j, v in enumerate(o)] for o in theirs["outcomes"]], dtype=np.int64)
    idx = cs.space.encode(X)
    check("same outcome space", len(np.unique(idx)) == n == cs.space.size, "every NegMAS outcome is one package")
    U = theirs["U"]
    # negosim's utilities in NegMAS's outcome order, on NegMAS's scale
    offset, factor = ours["scale"][:, 0], ours["scale"][:, 1]
    mine = offset + factor * ours["util"][idx]
    rescaled = bool((ours["scale"] != [0.0, 1.0]).any())
    diff = float(np.abs(mine - U).max()) if n else 0.0
    wsum = theirs["weight_sums"]
    check("utilities", diff <= TIE, f"max |difference| {diff:.2g}")
    raw_diff = float(np.abs(theirs["raw"] - U).max()) if n else 0.0
    res = theirs["reserved"]
    zone = np.sort(idx[theirs["rational"]])
    members = np.sort(a.members)
    near = np.abs(U - res).min(axis=1) <= TIE  # outcomes within TIE of some reservation
    only = np.setdiff1d(np.union1d(zone, members), np.intersect1d(zone, members))
    pos = {int(i): k for k, i in enumerate(idx)}
    explained = all(near[pos[int(i)]] for i in only)
    check("rational set", len(only) == 0, f"negosim {len(members)}, NegMAS {len(zone)}; differ on {len(only)}",
          "negosim accepts within 1e-9 below a reservation (float sums reach it exactly or miss by ulps)"
          if explained else "")
    # Fronts as sets of utility vectors, equal within TIE.
    ours_front = offset + factor * np.array([list(p.utilities.values()) for p in a.pareto]) if a.pareto \
        else np.zeros((0, len(res)))
    theirs_front = U[theirs["front"]]
    same = _covers(ours_front, theirs_front) and _covers(theirs_front, ours_front)
    # Utilities that tie in exact arithmetic differ by a quantum (9e-13) after negosim's rounding to
    # 2**-40, and by ulps in NegMAS's float sums: either side may then keep a package the other
    # drops. Every such package is dominated within TIE by the other side's front.
    quantum = not same and _covers(theirs_front, ours_front, dominated=True) and \
        _covers(ours_front, theirs_front, dominated=True)
    check("Pareto front", same, f"negosim {len(a.pareto or [])} packages, NegMAS {len(theirs['front'])} outcomes",
          "follows from the rational set (tolerance at a reservation)" if explained and len(only) else
          "near-ties (within 1e-9) split by rounding: every unmatched member of either front is dominated "
          "within 1e-9 by the other front"
          if quantum else "")
    ideal = U[theirs["rational"]].max(axis=0) if len(theirs["rational"]) else res
    for name in ("nash", "egalitarian", "utilitarian", "kalai_smorodinsky"):
        sol = a.solutions.get(name)
        theirs_pts = theirs["points"].get(name, [])
        if sol is None or not theirs_pts:
            # Nash needs every gain positive, KS some party's ideal gain; NegMAS returns a point anyway.
            zero = sol is None and theirs_pts and (
                name == "nash" and _objective(name, U[theirs_pts], res, ideal).max() <= TIE
                or name == "kalai_smorodinsky" and (ideal - res <= TIE).all())
            check(name, sol is None and not theirs_pts, f"negosim {'none' if sol is None else 'a point'}, "
                  f"NegMAS {len(theirs_pts)} points",
                  "no outcome gives the parties a positive gain: negosim's point is undefined, NegMAS "
                  "returns one of zero gains" if zero else "")
            continue
        ov = _objective(name, mine[[pos[sol.index]]], res, ideal)[0]
        tv = _objective(name, U[theirs_pts], res, ideal).max()
        if name == "kalai_smorodinsky":
            same_pt = any(np.allclose(U[i], mine[pos[sol.index]], atol=TIE) for i in theirs_pts)
            # A convention only if negosim's point is at least as good by negosim's own objective.
            check(name, same_pt, f"negosim {np.round(mine[pos[sol.index]], 4).tolist()}, NegMAS "
                  f"{np.round(U[theirs_pts[0]], 4).tolist()} ({len(theirs_pts)} tied); smallest normalised "
                  f"gain negosim {ov:.4f}, NegMAS {tv:.4f}",
                  "NegMAS minimises the spread of normalised gains, negosim maximises the smallest"
                  if ov >= tv - TIE else "")
        else:
            check(name, ov >= tv - TIE, f"objective negosim {ov:.9g}, NegMAS {tv:.9g}",
                  "negosim rescaled each party's NegMAS utility to [0, 1]: a point that compares utilities "
                  "across parties moves" if rescaled and name in ("egalitarian", "utilitarian") else "")
    checks.append({"check": "NegMAS raw utilities = GENIUS's", "ok": True, "convention": "",
                   "detail": f"max |difference| {raw_diff:.3g}", "info": raw_diff <= TIE})
    checks.append({"check": "weights sum to 1", "ok": True, "convention": "",
                   "detail": ", ".join(f"{w:.6g}" for w in wsum), "info": all(abs(w - 1) <= 1e-9 for w in wsum)})
    return checks


def _covers(A: np.ndarray, B: np.ndarray, dominated: bool = False) -> bool:
    """Every row of A has a row of B within TIE in every coordinate (``dominated``: at least
    as good as it, less TIE, in every coordinate)."""
    if len(A) == 0 or len(B) == 0:
        return len(A) == 0
    for k in range(0, len(A), 256):
        d = B[None, :, :] - A[k:k + 256, None, :]
        near = (d >= -TIE).all(axis=2) if dominated else (np.abs(d) <= TIE).all(axis=2)
        if not near.any(axis=1).all():
            return False
    return True


def run(folder: Path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = negosim_side(folder)
        size = ours["cs"].space.size
        row = {"domain": str(folder.relative_to(DEFAULT) if folder.is_relative_to(DEFAULT) else folder),
               "outcomes": int(size), "parties": ours["cs"].n_parties, "import_s": ours["import_s"],
               "negosim_s": ours["import_s"] + ours["analyze_s"]}
        if size > MAX_NEGMAS_OUTCOMES:
            row.update(skipped=f"{size:,} outcomes > {MAX_NEGMAS_OUTCOMES:,}: NegMAS not run")
            return row
        theirs = negmas_side(folder)
    checks = compare(ours, theirs)
    row.update(negmas_s=theirs["seconds"], checks=checks,
               raw=next(c["info"] for c in checks if c["check"].startswith("NegMAS raw")),
               weights=next(c["info"] for c in checks if c["check"] == "weights sum to 1"),
               agree=all(c["ok"] for c in checks), explained=all(c["ok"] or c["convention"] for c in checks))
    return row


def table(rows: list[dict]) -> str:
    """The markdown table of docs/performance.md and docs/genius.md."""
    out = ["| domain | outcomes | parties | agreement | NegMAS raw = GENIUS | weights sum to 1 | import s | negosim s "
           "| NegMAS s |", "|---|---:|---:|---|---|---|---:|---:|---:|"]
    for r in rows:
        if "skipped" in r:
            out.append(f"| {r['domain']} | {r['outcomes']:,} | {r['parties']} | skipped: {r['skipped']} | | | "
                       f"{r['import_s']:.3f} | {r['negosim_s']:.3f} | |")
            continue
        bad = [c for c in r["checks"] if not c["ok"]]
        agree = "all" if not bad else "all but " + ", ".join(f"{c['check']} ({'convention' if c['convention'] else 'UNEXPLAINED'})" for c in bad)
        out.append(f"| {r['domain']} | {r['outcomes']:,} | {r['parties']} | {agree} | {'yes' if r['raw'] else 'no'} | "
                   f"{'yes' if r['weights'] else 'no'} | {r['import_s']:.3f} | "
                   f"{r['negosim_s']:.3f} | {r['negmas_s']:.3f} |")
    done = [r for r in rows if "skipped" not in r]
    ours, theirs = sum(r["negosim_s"] for r in done), sum(r["negmas_s"] for r in done)
    out.append(f"| **total** ({len(done)} domains) | {sum(r['outcomes'] for r in done):,} | | "
               f"{sum(r['agree'] for r in done)} agree on every check, {sum(r['explained'] and not r['agree'] for r in done)} "
               f"up to a stated convention | {sum(r['raw'] for r in done)} yes | "
               f"{sum(r['weights'] for r in done)} yes | {sum(r['import_s'] for r in done):.2f} | {ours:.2f} | {theirs:.2f} |")
    out.append("")
    out.append(f"NegMAS / negosim time: {theirs / ours:.1f}x (negosim s: import, compile and exact analysis; "
               "NegMAS s: load, score every outcome, rational set, front and the four points).")
    return "\n".join(out)


def tournament_tables(folders: list[Path], seeds: int) -> str:
    """``--tournament``: the round-robin of ``negosim run --tournament`` on imported bilateral
    domains; per strategy (over the pairs it plays, on either side, on every domain) and per
    pair on each domain, as markdown."""
    from negosim.bargaining.tournament import tournament
    from negosim.formats.domain import to_scenario
    from negosim.formats.files import read_domain
    from negosim.scenario.schema import Scenario
    results = {}
    for f in folders:
        t0 = time.perf_counter()
        s = Scenario.model_validate(to_scenario(read_domain([f]), Path(tempfile.gettempdir()) / "x.yaml"))
        results[f.name] = (tournament(s, seeds=seeds), time.perf_counter() - t0, s)
    names = list(dict.fromkeys(r.first for r in next(iter(results.values()))[0].rows))
    out = [f"Per strategy, over the {len(names) * 2 - 1} pairs it plays in on each of {', '.join(results)} "
           f"({seeds} seeds per pair; its own utility is its side's):", "",
           "| strategy | agreement | own utility | distance to Nash | distance to Pareto |", "|---|---:|---:|---:|---:|"]
    for n in names:
        agree, own, dn, dp = [], [], [], []
        for t, _, _ in results.values():
            for r in t.rows:
                for side, u in (("first", r.utility_first), ("second", r.utility_second)):
                    if getattr(r, side) == n:
                        agree.append(r.agreement_rate)
                        own.append(u)
                        dn.append(r.distance_nash)
                        dp.append(r.distance_pareto)
        out.append(f"| {n} | {np.mean(agree):.0%} | {np.mean(own):.3f} | {np.mean(dn):.3f} | {np.mean(dp):.3f} |")
    for name, (t, secs, s) in results.items():
        size = math.prod(len(p.options) for p in s.provisions.values())
        p1, p2 = t.parties
        out += ["", f"{name} ({size:,} outcomes; Nash point {np.round(t.nash, 3).tolist()}; {secs:.1f} s for "
                    f"{len(t.rows) * seeds} runs): the first strategy is {p1}'s, the second {p2}'s.", "",
                f"| {p1} | {p2} | agreement | u {p1} | u {p2} | to Nash | to Pareto | round |",
                "|---|---|---:|---:|---:|---:|---:|---:|"]
        for r in t.rows:
            rnd = "" if r.mean_round is None else f"{r.mean_round:.1f}"
            out.append(f"| {r.first} | {r.second} | {r.agreement_rate:.0%} | {r.utility_first:.3f} | "
                       f"{r.utility_second:.3f} | {r.distance_nash:.3f} | {r.distance_pareto:.3f} | {rnd} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*", type=Path)
    ap.add_argument("--json", type=Path, default=HERE / "results" / "genius.json")
    ap.add_argument("--tournament", action="store_true", help="instead: the strategy round-robin on the "
                    "given bilateral domains (default: Coffee 2013, ItexvsCypress 2010, Travel 2010)")
    ap.add_argument("--seeds", type=int, default=3, help="--tournament: runs per pair (default 3)")
    args = ap.parse_args(argv)
    if args.tournament:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            print(tournament_tables(args.folders or [DEFAULT / "y2013" / "Coffee", DEFAULT / "y2010" / "ItexvsCypress",
                                                     DEFAULT / "y2010" / "Travel"], args.seeds))
        return 0
    folders = args.folders or domains(DEFAULT)
    # Warm numba's kernels once, so the first domain's time is not compile time.
    from negosim import analyze, random_scenario
    analyze(random_scenario(parties=2, provisions=3, options=2, seed=0), members=True)
    rows = []
    for f in folders:
        r = run(f)
        rows.append(r)
        for c in r.get("checks", []):
            if not c["ok"]:
                print(f"{r['domain']}: {c['check']}: {c['detail']}" + (f" [convention: {c['convention']}]"
                                                                       if c["convention"] else " [UNEXPLAINED]"))
        if "skipped" in r:
            print(f"{r['domain']}: {r['skipped']}")
    print(table(rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0 if all(r.get("explained", True) for r in rows) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
