"""Benchmark of parameter sweeps: 10,000 exact analyses, serial and on 2 workers.

Run ``python benchmarks/bench_sweep.py [--rows N]``. The scenario is
``random_scenario(4, 8, 4)`` (4 parties, 65,536 packages) with two named
parameters that move reservations, weights and values, swept on a 100 x 100
grid (``task: analyze``, ``scope: space``: zone size, draft verdicts, Nash
point per row). It times the same sweep with ``workers=1`` (serial, in this
process) and ``workers=2`` (this process and one worker process, its
start-up included), checks that both tables are identical, and prints:

- seconds for the 10,000 rows on 2 workers (bar: under 60 s);
- the speed-up from 1 to 2 workers (bar: at least 1.7x).

The load average is printed before and after, and the CPU seconds of the
serial run: on a busy machine wall-clock figures say more about the
neighbours than about the sweep. Figures go to ``benchmarks/results/sweep.json``; the exit
status is 1 when a bar is missed or the tables differ.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

import pandas as pd  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import negosim  # noqa: E402
from negosim.scenario.schema import Scenario  # noqa: E402
from negosim.sweep.run import Sweep, run_sweep  # noqa: E402

BAR_ROWS_S = 60.0
BAR_SPEEDUP = 1.7


def scenario() -> Scenario:
    """random_scenario(4, 8, 4) plus two parameters with linear effects."""
    base = negosim.random_scenario(4, 8, 4, seed=0)
    data = base.model_dump(mode="python", exclude_none=True)
    data["parameters"] = {
        "pressure": {"label": "Pressure on p1", "range": (0.0, 1.0), "value": 0.0, "effects": [
            {"path": "parties.p1.reservation", "per_unit": -0.3},
            {"path": "parties.p1.values.x0.o1", "per_unit": 0.4},
            {"path": "parties.p0.weights.x2", "per_unit": 0.2}]},
        "cost": {"label": "Cost of war for p2", "range": (0.0, 1.0), "value": 0.0, "effects": [
            {"path": "parties.p2.reservation", "per_unit": -0.25},
            {"path": "parties.p2.weights.x5", "per_unit": 0.3}]},
    }
    return Scenario.model_validate(data)


def spec(rows: int) -> Sweep:
    side = int(round(math.sqrt(rows)))
    return Sweep(scenario=scenario(), task="analyze", seed=0,
                 axes={"pressure": {"range": [0, 1], "steps": side}, "cost": {"range": [0, 1], "steps": side}})


def timed(sp: Sweep, workers: int) -> tuple[float, float, pd.DataFrame]:
    """Wall seconds, CPU seconds of this process, and the table."""
    t, c = time.perf_counter(), time.process_time()
    df = run_sweep(sp, workers=workers)
    return time.perf_counter() - t, time.process_time() - c, df


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000, help="rows of the sweep (a square grid; default 10000)")
    args = ap.parse_args(argv)
    con = Console()
    sp = spec(args.rows)
    load_before = os.getloadavg()
    # Warm the numba cache and this process's imports so both runs start equal.
    run_sweep(Sweep(scenario=sp.scenario, axes={"pressure": {"values": [0.5]}}), workers=1)
    t1, cpu1, df1 = timed(sp, 1)
    t2, _, df2 = timed(sp, 2)
    load_after = os.getloadavg()
    same = df1.equals(df2) and df1.attrs == df2.attrs
    speedup = t1 / t2
    ok = t2 < BAR_ROWS_S and speedup >= BAR_SPEEDUP and same
    table = Table(title=f"sweep: {sp.n_rows:,} rows x 65,536 packages (analyze)")
    for col in ("measure", "value", "bar"):
        table.add_column(col)
    table.add_row("1 worker (serial)", f"{t1:.1f} s ({t1 / sp.n_rows * 1e3:.2f} ms/row; CPU {cpu1:.1f} s)", "")
    table.add_row("2 local workers", f"{t2:.1f} s", f"< {BAR_ROWS_S:.0f} s")
    table.add_row("speed-up 1 -> 2 workers", f"{speedup:.2f}x", f">= {BAR_SPEEDUP}x")
    table.add_row("tables identical", str(same), "True")
    table.add_row("load average before / after", f"{load_before[0]:.2f} / {load_after[0]:.2f}",
                  f"{os.cpu_count()} CPUs")
    con.print(table)
    result = {"rows": sp.n_rows, "packages": 65536, "serial_s": t1, "serial_cpu_s": cpu1, "two_workers_s": t2,
              "speedup": speedup,
              "identical": same, "load_before": load_before, "load_after": load_after,
              "cpus": os.cpu_count(), "python": platform.python_version(), "negosim": negosim.__version__,
              "bars": {"two_workers_s": BAR_ROWS_S, "speedup": BAR_SPEEDUP}, "ok": ok}
    out = HERE / "results" / "sweep.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    con.print(f"{'all bars met' if ok else 'a bar was missed'}; figures in {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
