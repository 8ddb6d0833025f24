"""``negosim sweep SPEC.yaml``: run a parameter sweep and write its table to Parquet."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="run a scenario over a design of parameters; write a Parquet table",
                       description="Run a sweep spec (scenario, axes, design, task) row by row on local "
                                   "processes (default: one per CPU), serially (--workers 1) or on a Dask "
                                   "cluster (--scheduler), writing the rows to Parquet as they finish.")
    from negosim.cli.argtypes import int_in, output_file
    from negosim.limits import MAX_WORKERS, SCHEDULER_TIMEOUT_S  # not from runners: it imports numpy
    p.add_argument("spec", metavar="SPEC.yaml", help="the sweep spec")
    p.add_argument("--scheduler", metavar="ADDR",
                   help=f"address of a Dask scheduler, e.g. tcp://host:8786 (must answer within "
                        f"{SCHEDULER_TIMEOUT_S} s)")
    p.add_argument("--workers", type=int_in(1, MAX_WORKERS), metavar="N",
                   help="processes computing rows, this one included (default: one per CPU; 1 runs serially; "
                        "more than the CPUs is capped at their number)")
    p.add_argument("--force-workers", action="store_true",
                   help=f"use --workers N even when N is more than the CPUs (at most {MAX_WORKERS})")
    p.add_argument("--out", metavar="results.parquet", type=output_file,
                   help="output file (default: the spec's name with .parquet, next to it); an existing file "
                        "is replaced only if it is a result of the same sweep")
    p.add_argument("--resume", action="store_true",
                   help="keep the chunks an interrupted run of the same sweep wrote (each checked first), "
                        "run the rest")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=run)


def run(args) -> int:
    from negosim.sweep.run import load_sweep, run_sweep
    from negosim.sweep.runners import check_scheduler_address
    if args.scheduler is not None:
        check_scheduler_address(args.scheduler)
    ls = load_sweep(args.spec)
    out = Path(args.out) if args.out else Path(args.spec).with_suffix(".parquet")
    start = time.perf_counter()
    with _progress(args.quiet, ls.spec.n_rows) as progress:
        df = run_sweep(args.spec, workers=args.workers, scheduler=args.scheduler, out=out,
                       resume=args.resume, progress=progress, force_workers=args.force_workers)
    if not args.quiet:
        took = time.perf_counter() - start
        print(f"wrote {len(df):,} rows to {out} in {took:.1f} s")
        if "draft_accepted" in df:
            print(f"draft accepted by every needed party in {df['draft_accepted'].mean():.1%} of rows")
        if "p_all" in df:
            print(f"probability of unanimous acceptance of the draft: {df['p_all'].min():.3f} to "
                  f"{df['p_all'].max():.3f} across rows")
        if "agreement" in df:
            print(f"agreement reached in {df['agreement'].mean():.1%} of rows")
    return 0


class _progress:
    """A rich progress bar on stderr when it is a terminal (a no-op callback otherwise)."""

    def __init__(self, quiet: bool, total: int):
        self.bar = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn
            self.bar = Progress("sweep", BarColumn(), MofNCompleteColumn(), "rows", TimeElapsedColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task("sweep", total=total)

    def __enter__(self):
        if self.bar is None:
            return None
        self.bar.start()
        return self

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
