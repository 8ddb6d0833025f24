"""Regenerate the figures of docs/figures.md from the shipped scenarios.

Run: ``python experiments/make_doc_figures.py`` (``--quick`` for coarser sweeps,
``--out DIR`` to write elsewhere than ``docs/img``).

Every figure is made through the same Python API the CLI uses
(:mod:`negosim.plots`), from ``scenarios/plan28_2025_11.yaml`` and, for the
parameter-space frontiers, ``freeze_2025_04.yaml``. PNGs are kept under
200 KB each (larger ones are reduced to a 256-colour palette, which keeps
lines and text sharp). The sweeps run on local worker processes, so the
script must be run as a file, not piped into Python. Each figure's size and
time is printed as it is written, with the sweeps' numbers that
docs/figures.md quotes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
MAX_BYTES = 200_000


def shrink(path: Path) -> int:
    """Re-save a PNG with a 256-colour palette when it is over MAX_BYTES; return its size."""
    if path.stat().st_size > MAX_BYTES:
        from PIL import Image
        with Image.open(path) as img:
            img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path.stat().st_size


def zone_sweep(name: str, steps: int):
    """Zone size of one shipped draft over US pressure x Russia's cost of war (exact, every package)."""
    from negosim.sweep.run import Sweep, run_sweep
    spec = Sweep(scenario=str(SCENARIOS / f"{name}.yaml"), task="analyze", scope="space", seed=2025,
                 axes={"us_pressure": {"range": [-1, 1], "steps": steps},
                       "russia_war_cost": {"range": [-1, 1], "steps": steps}})
    return run_sweep(spec)


def acceptance_line(name: str, steps: int, samples: int, replicates: int):
    """Each party's probability of accepting the draft along US pressure, over replicates of the draws."""
    from negosim.sweep.run import Sweep, run_sweep
    spec = Sweep(scenario=str(SCENARIOS / f"{name}.yaml"), task="analyze", scope="draft", samples=samples,
                 replicates=replicates, seed=7, axes={"us_pressure": {"range": [-1, 1], "steps": steps}})
    return run_sweep(spec)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="coarser sweeps (for a fast check)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"), help="folder of the PNGs")
    args = ap.parse_args(argv)
    from negosim.plots import (frontier, frontier_matrix, gains_figure, package_figure, save_figure,
                               sweep_figure, trace_figure)
    from negosim.plots.common import resolve
    from negosim.plots.sweep_figure import scenario_marks
    from negosim.plots.trace import run_trace
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plan = SCENARIOS / "plan28_2025_11.yaml"
    sub = resolve(plan)
    steps = 5 if args.quick else 9

    def make(fname, build, dpi=90):
        start = time.perf_counter()
        path = save_figure(build(), out / fname, dpi=dpi)
        size = shrink(path)
        print(f"{fname}: {size / 1000:.0f} KB in {time.perf_counter() - start:.1f} s", flush=True)

    make("frontier_plan28.png", lambda: frontier(sub, ["ukraine", "russia"]))
    make("frontier_matrix_plan28.png", lambda: frontier_matrix(sub), dpi=72)
    make("package_plan28.png", lambda: package_figure(sub))
    make("gains_plan28.png", lambda: gains_figure(sub))
    make("trace_plan28.png", lambda: trace_figure(run_trace(sub.loaded, "single_text", seed=0),
                                                  scenario=sub.scenario, note="single_text, seed 0"))

    def zone_map():
        main_df = zone_sweep("plan28_2025_11", steps)
        # The April 2025 scenarios carry that month's numbers: how far has the frontier moved since?
        also = {"freeze_2025_04 (April numbers)": zone_sweep("freeze_2025_04", steps)}
        for name, df in (("plan28_2025_11", main_df), *also.items()):
            z = df["zone_size"]
            at0 = df.loc[df["us_pressure"] == 0, "zone_size"]
            print(f"  {name}: zone {z.min():,} to {z.max():,} packages ({at0.min():,} to {at0.max():,} at no US "
                  "pressure)", flush=True)
        marks = scenario_marks([sub.loaded], "us_pressure", "russia_war_cost")
        return sweep_figure(main_df, "us_pressure", "russia_war_cost", value="zone_size", marks=marks,
                            also=also, scenario=sub.scenario)
    make("sweep_zone_plan28.png", zone_map)

    def acceptance():
        freeze = resolve(SCENARIOS / "freeze_2025_04.yaml")
        df = acceptance_line("freeze_2025_04", steps, 100 if args.quick else 200, 4 if args.quick else 10)
        marks = scenario_marks([freeze.loaded], "us_pressure")
        mean = df.groupby("us_pressure")["p_accepts_ukraine"].mean()
        print(f"  freeze_2025_04: mean P(Ukraine accepts) {mean.min():.3f} to {mean.max():.3f}", flush=True)
        return sweep_figure(df, "us_pressure", value="p_accepts_ukraine", marks=marks, scenario=freeze.scenario)
    make("sweep_line_freeze.png", acceptance)
    return 0


if __name__ == "__main__":
    sys.exit(main())
