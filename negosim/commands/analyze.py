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
    add_scenario_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis import analyze
    from ..errors import NegosimError
    from ..yamlio import load_scenario
    if args.top < 0:
        raise NegosimError("--top must be 0 or more")
    ls = load_scenario(args.file, articles=args.articles)
    result = analyze(ls, params=parse_params(args.param), top=args.top)
    if args.json:
        json.dump(result.to_json(pareto=args.pareto), sys.stdout, indent=2)
        print()
    else:
        from ..render import print_analysis
        print_analysis(ls.scenario, result)
    return 0
