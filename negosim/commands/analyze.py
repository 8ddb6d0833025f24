"""``negosim analyze FILE``: exact analysis of a scenario's package space."""

from __future__ import annotations

import json
import sys

from . import add_scenario_args, parse_params


def add_parser(sub) -> None:
    p = sub.add_parser("analyze", help="who accepts the draft, the zone of agreement, solutions, repairs",
                       description="Analyse every package of a scenario exactly: each party's verdict on "
                                   "the draft and why, the zone of agreement, its Pareto front, the Nash, "
                                   "Kalai-Smorodinsky, egalitarian and utilitarian points, and the minimal "
                                   "repairs of the draft.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object (a stable contract for scripts)")
    p.add_argument("--top", type=int, default=5, metavar="K", help="how many minimal repairs to list (default 5)")
    p.add_argument("--pareto", action="store_true", help="include the Pareto front's members in --json output")
    p.add_argument("--samples", type=int, default=0, metavar="N",
                   help="draw the uncertain numbers N times and report acceptance probabilities of the draft, "
                        "the solution points and repairs, and the most robust package (default 0: off)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the draws (default 0)")
    add_scenario_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import analyze
    from ..errors import NegosimError
    from ..yamlio import load_scenario
    if args.top < 0:
        raise NegosimError("--top must be 0 or more")
    if args.samples < 0 or args.samples == 1:
        raise NegosimError("--samples must be 0 (off) or at least 2")
    ls = load_scenario(args.file, articles=args.articles)
    params = parse_params(args.param)
    result = analyze(ls, params=params, top=args.top)
    from ..acceptance import acceptance_report
    from ..distance import distance_to_yes
    distance = distance_to_yes(ls.scenario, params=params)
    probs = acceptance_report(ls.scenario, args.samples, seed=args.seed, params=params,
                              analysis=result) if args.samples else None
    if args.json:
        out = result.to_json(pareto=args.pareto)
        out["distance_to_yes"] = {p: d.to_json() for p, d in distance.items()}
        out["probabilities"] = None if probs is None else probs.to_json()
        json.dump(out, sys.stdout, indent=2)
        print()
    else:
        from ..render import print_analysis
        print_analysis(ls.scenario, result, distance=distance, probabilities=probs)
    return 0
