"""``negosim plot KIND ...``: draw a figure and write it as PNG, SVG or PDF.

Kinds: ``frontier`` (acceptance frontier in utility space), ``sweep``
(acceptance frontier in parameter space, from a sweep's results), ``trace``
(a bargaining run round by round), ``package`` (why each party accepts or
rejects a package) and ``gains`` (who gained and who gave, relative to the
draft). The output format follows the file's extension.
"""

from __future__ import annotations

from pathlib import Path

from negosim.cli.argtypes import finite_float, int_in, output_file, seed
from negosim.limits import MAX_BINS, MAX_DPI, MAX_REPAIR_RANK, MAX_ROUNDS, MIN_BINS, MIN_DPI
from . import add_scenario_args, parse_params


def _kind(kinds, name: str, func, help: str, description: str, scenario: bool = True):
    """One ``negosim plot KIND`` parser with the options every kind shares."""
    p = kinds.add_parser(name, help=help, description=description)
    if scenario:
        p.add_argument("scenario", metavar="SCENARIO")
        add_scenario_args(p)
    p.add_argument("-o", "--out", type=output_file, required=True, metavar="FILE",
                   help="figure to write: .png, .svg or .pdf")
    p.add_argument("--dpi", type=finite_float(MIN_DPI, MAX_DPI), default=None, metavar="N",
                   help=f"resolution of a PNG, {MIN_DPI} to {MAX_DPI} (default 100)")
    p.set_defaults(func=func)
    return p


def add_parser(sub) -> None:
    p = sub.add_parser("plot", help="draw a figure (frontier, sweep, trace, package, gains) to PNG/SVG/PDF",
                       description="Draw one of negosim's figures and write it as PNG, SVG or PDF "
                                   "(chosen by the output file's extension).")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True)

    f = _kind(kinds, "frontier", run_frontier, "acceptance frontier in utility space",
              "Every package in two parties' utility space, the zone of agreement, its Pareto front, the "
              "reservations, the draft and the Nash, Kalai-Smorodinsky and egalitarian points. Three or more "
              "parties (or 'all') give a matrix of every pair.")
    f.add_argument("--parties", metavar="A,B", help="two party ids (default: ukraine,russia when present); "
                                                      "three or more, or 'all', for a matrix")
    f.add_argument("--bins", type=int_in(MIN_BINS, MAX_BINS), default=150, metavar="N",
                   help=f"bins per axis of the density layer, {MIN_BINS} to {MAX_BINS} (default 150)")

    s = _kind(kinds, "sweep", run_sweep, "acceptance frontier in parameter space, from sweep results",
              "A heatmap over two axes of a sweep (or a line over one) of the probability that everyone "
              "accepts, or of the zone size, with the 0.5 contour as the frontier and the scenario as shipped "
              "marked.", scenario=False)
    s.add_argument("results", metavar="RESULTS.parquet")
    s.add_argument("--x", required=True, metavar="AXIS", help="axis on the x axis")
    s.add_argument("--y", metavar="AXIS", help="axis on the y axis (none: a line over x)")
    s.add_argument("--value", metavar="COLUMN",
                   help="output to show (default: p_all, else zone_size, draft_accepted, agreement)")
    s.add_argument("--mark", action="append", default=[], metavar="SCENARIO",
                   help="mark where this scenario's own numbers lie (repeatable; the swept scenario is "
                        "marked by default when its file is found)")
    s.add_argument("--also", action="append", default=[], metavar="RESULTS.parquet",
                   help="draw the frontier of another sweep over the same axes (e.g. another draft; repeatable)")

    t = _kind(kinds, "trace", run_trace, "a bargaining run, round by round",
              "Run the bargaining model once and draw each party's utility of the text on the table per "
              "round, its drifting reservation, and where the text changed.")
    t.add_argument("--protocol", metavar="P", help="single_text, alternating_offers or random_proposer "
                                                   "(default: the scenario's)")
    t.add_argument("--seed", type=seed, default=0, metavar="N", help="seed of the run (default 0)")
    t.add_argument("--rounds", type=int_in(1, MAX_ROUNDS), metavar="T",
                   help=f"deadline in rounds, 1 to {MAX_ROUNDS:,} (default: the scenario's)")

    k = _kind(kinds, "package", run_package, "why each party accepts or rejects a package",
              "Each party's utility of a package as stacked contributions per provision against its "
              "reservation, with red lines flagged. The draft unless --package gives changes from it.")
    k.add_argument("--package", metavar="PROV=OPT,...", help="changes from the draft (default: the draft)")

    g = _kind(kinds, "gains", run_gains, "who gained and who gave, relative to the draft",
              "For the best minimal repair of the draft (or another repair, a solution point, or a package), "
              "each party's gain or loss on each changed provision.")
    which = g.add_mutually_exclusive_group()
    which.add_argument("--repair", type=int_in(1, MAX_REPAIR_RANK), metavar="K",
                       help=f"the K-th best minimal repair (1 = best, at most {MAX_REPAIR_RANK})")
    which.add_argument("--solution", metavar="NAME", help="nash, kalai_smorodinsky, egalitarian or utilitarian")
    which.add_argument("--package", metavar="PROV=OPT,...", help="changes from the draft")


def _load(args):
    from negosim.plots.common import resolve
    return resolve(args.scenario, parse_params(args.param), articles=args.articles)


def _save(fig, args) -> int:
    from negosim.plots.style import save_figure
    save_figure(fig, args.out, dpi=args.dpi)
    print(f"wrote {args.out}")
    return 0


def _check_out(args) -> None:
    """Refuse a bad output name before any work is done."""
    from negosim.plots.style import figure_format
    figure_format(args.out)


def run_frontier(args) -> int:
    from negosim.errors import NegosimError
    from negosim.plots.frontier import frontier, frontier_matrix
    _check_out(args)
    sub = _load(args)
    parties = None if args.parties in (None, "all") else [x.strip() for x in args.parties.split(",") if x.strip()]
    if args.parties == "all" or (parties is not None and len(parties) > 2):
        fig = frontier_matrix(sub, parties, bins=args.bins)
    else:
        if parties is not None and len(parties) < 2:
            raise NegosimError("--parties needs two party ids (or three or more, or 'all', for a matrix)")
        fig = frontier(sub, parties, bins=args.bins)
    return _save(fig, args)


def run_sweep(args) -> int:
    from negosim.plots.sweep_figure import scenario_marks, sweep_figure
    from negosim.scenario.yaml_io import load_scenario
    from negosim.sweep.store import read_results
    _check_out(args)
    df = read_results(args.results)
    recorded = df.attrs.get("negosim", {}).get("scenario")
    scenarios = [load_scenario(m) for m in args.mark]
    own = None
    if recorded and Path(recorded).is_file():
        own = load_scenario(recorded, check_quotes=False)
        scenarios.insert(0, own)
    marks = scenario_marks(scenarios, args.x, args.y)
    also = {}
    for path in args.also:
        other = read_results(path)
        label = Path(str(other.attrs.get("negosim", {}).get("scenario") or path)).stem
        also[label if label not in also else f"{label} ({path})"] = other
    fig = sweep_figure(df, args.x, args.y, value=args.value, marks=marks, also=also,
                       scenario=own.scenario if own is not None else None)
    return _save(fig, args)


def run_trace(args) -> int:
    from negosim.plots.trace import run_trace as simulate_once, trace_figure
    _check_out(args)
    sub = _load(args)
    scenario = sub.scenario
    protocol = args.protocol or (scenario.protocol.name if scenario.protocol else "single_text")
    result = simulate_once(sub.loaded, protocol, seed=args.seed, rounds=args.rounds, params=sub.params)
    fig = trace_figure(result, scenario=scenario, note=f"{protocol}, seed {args.seed}")
    return _save(fig, args)


def run_package(args) -> int:
    from negosim.plots.package import package_figure
    _check_out(args)
    return _save(package_figure(_load(args), args.package), args)


def run_gains(args) -> int:
    from negosim.plots.gains import gains_figure
    _check_out(args)
    repair = None if args.repair is None else args.repair - 1
    return _save(gains_figure(_load(args), args.package, repair=repair, solution=args.solution), args)
