"""Benchmark: ``negosim calibrate`` over every shipped round, 100,000 draws.

The issue's bar: 100,000 draws of the shipped scenarios' verdicts take seconds, not minutes.
Prints, for the five shipped round files and the shipped observations, the wall and CPU time
of :func:`negosim.calibration.calibrate.calibrate` without the exact analyses (the draws,
their tables through ``NumberLayout.derive`` and the verdicts on every draft), the draws per
second (and file-draws per second: each draw is derived and scored for every file), and the
time of the exact analyses that give the solution points (independent of the number of
draws). Loading the files is timed apart and excluded. On a shared machine the wall time
depends on the load; the CPU time much less.

Run: ``.venv/bin/python benchmarks/bench_calibrate.py [--draws 100000] [--repeat 3] [--hold-out 2025-11 2025-12]``
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from negosim.calibration.calibrate import CHUNK, calibrate
from negosim.calibration.observations import load_observations
from negosim.scenario.yaml_io import load_scenario

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = ["freeze_2025_04", "ukraine_counter_2025_04", "plan28_2025_11", "framework20_2025_12",
          "framework20_russia_2025_12"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--hold-out", nargs="*", default=["2025-11", "2025-12"])
    args = ap.parse_args(argv)
    t = time.perf_counter()
    loaded = [load_scenario(ROOT / "scenarios" / f"{name}.yaml") for name in ROUNDS]
    obs = load_observations(ROOT / "scenarios" / "observations.yaml",
                            scenarios={ls.path.resolve(): ls for ls in loaded})
    print(f"loading {len(loaded)} files and {len(obs.items)} observations: {time.perf_counter() - t:.2f} s; "
          f"{os.cpu_count()} cores, chunks of {CHUNK:,} draws")
    calibrate(loaded, obs, draws=CHUNK, hold_out=args.hold_out, solutions=False)  # warm caches and imports
    best, cpu, result = float("inf"), 0.0, None
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        result = calibrate(loaded, obs, draws=args.draws, hold_out=args.hold_out, solutions=False)
        wall = time.perf_counter() - t
        if wall < best:
            best, cpu = wall, time.process_time() - c
    print(f"{args.draws:,} draws x {len(loaded)} files (held out: {', '.join(args.hold_out) or 'none'}): "
          f"best of {args.repeat}: {best:.2f} s wall, {cpu:.2f} s CPU")
    print(f"  {args.draws / best:,.0f} draws/s, {args.draws * len(loaded) / best:,.0f} file-draws/s; "
          f"kept {result.kept:,} ({100 * result.share:.1f} %), hit rate {result.hit_rate}")
    t = time.perf_counter()
    calibrate(loaded, obs, draws=0, solutions=True)
    print(f"exact analyses for the solution points ({len(loaded)} files, once per call): "
          f"{time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
