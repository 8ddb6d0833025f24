"""``negosim report FILE -o report.html``: one self-contained HTML page about a scenario."""

from __future__ import annotations

from negosim.cli.argtypes import output_file, seed
from . import add_scenario_args, parse_params


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report of a scenario",
                       description="Write one HTML page (figures embedded, nothing fetched from the network) "
                                   "with the analysis tables, the figures, the sources and quotes behind the "
                                   "numbers, and the run's settings with their provenance.")
    p.add_argument("file", metavar="FILE", help="the scenario")
    p.add_argument("-o", "--out", type=output_file, required=True, metavar="report.html", help="the page to write")
    p.add_argument("--seed", type=seed, default=0, metavar="N", help="seed of the bargaining run (default 0)")
    p.add_argument("--protocol", metavar="P", help="protocol of the bargaining run (default: the scenario's)")
    p.add_argument("--no-trace", action="store_true", help="leave out the bargaining run")
    p.add_argument("--sweep", metavar="RESULTS.parquet", help="also draw this sweep's acceptance frontier")
    add_scenario_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from negosim.report import check_report_path, write_report
    from negosim.scenario.yaml_io import load_scenario
    check_report_path(args.out)
    ls = load_scenario(args.file, articles=args.articles)
    write_report(args.out, ls, params=parse_params(args.param), seed=args.seed, protocol=args.protocol,
                 trace=not args.no_trace, sweep=args.sweep)
    print(f"wrote {args.out}")
    return 0
