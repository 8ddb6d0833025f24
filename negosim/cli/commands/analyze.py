"""``negosim analyze FILE``: exact analysis of a scenario's package space."""

from __future__ import annotations

import json
import sys
import time

from negosim.cli.argtypes import int_in, seed
from negosim.limits import MAX_SAMPLES, MAX_TOP, MAX_WORK, WORK_PER_SECOND
from . import add_scenario_args, parse_params


def add_parser(sub) -> None:
    p = sub.add_parser("analyze", help="who accepts the draft, the zone of agreement, solutions, repairs",
                       description="Analyse every package of a scenario exactly: each party's verdict on "
                                   "the draft and why, the zone of agreement, its Pareto front, the Nash, "
                                   "Kalai-Smorodinsky, egalitarian and utilitarian points, and the minimal "
                                   "repairs of the draft.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object (a stable contract for scripts; "
                   "its 'summary' holds the brief's sentences)")
    p.add_argument("--brief", action="store_true",
                   help="print only the brief: the verdict, why each rejecting party rejects, the smallest "
                        "repair, the number that would bring each rejecting party closest to yes, and whether "
                        "any package is acceptable to every needed party")
    p.add_argument("--top", type=int_in(0, MAX_TOP), default=5, metavar="K",
                   help=f"how many minimal repairs to list (default 5, at most {MAX_TOP:,})")
    p.add_argument("--pareto", action="store_true",
                   help="compute the full Pareto front whatever it costs (within --max-work) and include its "
                        "members in --json output; without it the front's size is shown only when it takes "
                        "at most about 2 s")
    p.add_argument("--samples", type=int_in(0, MAX_SAMPLES), default=0, metavar="N",
                   help="draw the uncertain numbers N times and report acceptance probabilities of the draft, "
                        "the solution points and repairs, and the most robust package (default 0: off; "
                        f"at least 2, at most {MAX_SAMPLES:,})")
    p.add_argument("--drivers", action="store_true",
                   help="name, for each headline result (each party's verdict on the draft, whether the zone of "
                        "agreement is empty, each party's acceptance of the Nash point), the numbers whose "
                        "change within their evidence range flips it, closest first, with their grade of "
                        "support (--json: a 'drivers' key; see docs/model.md, 'Reading the drivers')")
    p.add_argument("--seed", type=seed, default=0, metavar="S", help="seed of the draws (default 0)")
    p.add_argument("--max-work", type=int_in(1, 2**63 - 1), default=None, metavar="UNITS",
                   help=f"refuse an analysis estimated to need more than this many work units (about "
                        f"{WORK_PER_SECOND:.0e} a second on two cores; default {MAX_WORK:.0e}, about 10 minutes; "
                        "the estimate is made before the work starts, see docs/limits.md)")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr (none is shown with --json)")
    add_scenario_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from negosim.engine.analysis import analyze
    from negosim.errors import NegosimError
    from negosim.scenario.yaml_io import load_scenario
    if args.samples == 1:
        raise NegosimError("--samples must be 0 (off) or at least 2")
    ls = load_scenario(args.file, articles=args.articles)
    params = parse_params(args.param)
    with Progress(quiet=args.quiet or args.json) as progress:
        result = analyze(ls, params=params, top=args.top, pareto=True if args.pareto else "auto",
                         max_work=args.max_work, progress=progress.analysis)
        from negosim.uncertainty.acceptance import acceptance_report
        from negosim.uncertainty.distance_to_yes import distance_to_yes
        distance = distance_to_yes(ls.scenario, params=params)
        probs = acceptance_report(ls.scenario, args.samples, seed=args.seed, params=params, analysis=result,
                                  progress=progress.robust) if args.samples else None
        drivers = None
        if args.drivers:
            from negosim.uncertainty.drivers import find_drivers
            drivers = find_drivers(ls, params=params, analysis=result, progress=progress.analysis,
                                   max_work=args.max_work)
    from negosim.brief import brief
    summary = brief(ls.scenario, result, distance)
    if args.json:
        out = result.to_json(pareto=args.pareto)
        out["summary"] = summary
        out["distance_to_yes"] = {p: d.to_json() for p, d in distance.items()}
        out["probabilities"] = None if probs is None else probs.to_json()
        if drivers is not None:
            out["drivers"] = drivers.to_json()
        json.dump(out, sys.stdout, indent=2)
        print()
    elif args.brief:
        from rich.console import Console
        from negosim.cli.render import print_brief
        print_brief(ls.scenario, result, Console(soft_wrap=False, highlight=False), lines=summary)
    else:
        from negosim.cli.render import print_analysis
        print_analysis(ls.scenario, result, distance=distance, probabilities=probs, drivers=drivers,
                       brief_lines=summary)
    return 0


class Progress:
    """A rich progress bar with the time left, on stderr, for work that runs past about a second.

    Nothing is drawn when ``quiet``, when stderr is not a terminal (rich's
    ``TTY_COMPATIBLE=1`` forces one), or before ``delay`` seconds have passed:
    most analyses end sooner and should print nothing but their result.
    """

    def __init__(self, quiet: bool = False, delay: float = 1.0):
        self.quiet, self.delay = quiet, delay
        self.start = time.monotonic()
        self.bar = None
        self.task = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

    def _update(self, done: float, total: float, phase: str) -> None:
        if self.quiet:
            return
        if self.bar is None:
            if time.monotonic() - self.start < self.delay or done >= total:
                return
            from rich.console import Console
            con = Console(stderr=True)
            if not con.is_terminal:
                self.quiet = True
                return
            from rich.progress import BarColumn, Progress as Bar, TaskProgressColumn, TextColumn, \
                TimeElapsedColumn, TimeRemainingColumn
            self.bar = Bar(TextColumn("{task.description:<14}"), BarColumn(), TaskProgressColumn(),
                           TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=con,
                           transient=True)
            self.task = self.bar.add_task(phase, total=total)
            self.bar.start()
        self.bar.update(self.task, completed=done, total=total, description=phase)

    def analysis(self, done: float, total: float, phase: str) -> None:
        """Callback of :func:`negosim.engine.analysis.analyze`."""
        self._update(done, total, phase)

    def robust(self, done: int, total: int) -> None:
        """Callback of the most robust package's search (blocks done / total)."""
        self._update(done, total, "most robust")
