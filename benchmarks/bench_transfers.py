"""Benchmark of the zone and Nash point with side payments on a shipped round (issue 15.5).

``python benchmarks/bench_transfers.py [--repeat 3]``

The scenario is ``scenarios/framework20_assets_2025_12.yaml``: the December 2025 framework
with the frozen assets transferable, 127,401,984 packages. Timed, after a warm-up call that
loads numba's cached kernels: :func:`negosim.engine.transfers.analyze_transfers` (the zone with
transfers by the half-pair kernels and the Nash point with transfers), best of ``--repeat``
runs, wall and CPU seconds; the same with key-party pruning turned off (every pair of half
rows visited, the cost when pruning finds nothing); and the package-by-package scorer it
replaces (``scored_transfers``) on a 1,048,576-package random scenario, for the
rate per package. Figures go to ``benchmarks/results/transfers.json`` with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(f, repeat):
    best = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = f()
        w, c = time.perf_counter() - w, time.process_time() - c
        if best is None or w < best[0]:
            best = (w, c)
    return out, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import numpy as np
    import negosim
    import negosim.engine.split as split
    from negosim.engine.random_scenario import random_scenario
    from negosim.engine.transfers import analyze_transfers, scored_transfers
    from negosim.scenario.schema import Transferable

    load_start = os.getloadavg()
    s = negosim.load(HERE.parent / "scenarios" / "framework20_assets_2025_12.yaml")
    cs = negosim.compile_scenario(s)
    analyze_transfers(s, cs)  # warm-up
    t, (wall, cpu) = timed(lambda: analyze_transfers(s, cs), args.repeat)
    key = split.choose_key
    split.choose_key = lambda *a: -1
    try:
        u, (wall_np, cpu_np) = timed(lambda: analyze_transfers(s, cs), args.repeat)
    finally:
        split.choose_key = key
    assert (u.zone_size, u.nash.index) == (t.zone_size, t.nash.index)
    plain = negosim.analyze(negosim.load(HERE.parent / "scenarios" / "framework20_2025_12.yaml"), pareto=False)

    base = random_scenario(parties=4, provisions=10, options=4, seed=0)
    rng = np.random.default_rng(0)
    prov = base.provisions["x0"].model_copy(update={"transferable": Transferable(
        total=0.5, unit="u", value_per_unit={p: float(rng.uniform(0.2, 1)) for p in base.parties})})
    r = base.model_copy(update={"provisions": {**base.provisions, "x0": prov}})
    a, (wall_k, _) = timed(lambda: analyze_transfers(r), 1)
    b, (wall_s, _) = timed(lambda: scored_transfers(r), 1)
    assert (a.zone_size, a.nash.index) == (b.zone_size, b.nash.index)
    out = {
        "round": {"packages": cs.space.size, "zone": plain.zone_size, "zone_with_transfers": t.zone_size,
                  "nash_index": t.nash.index, "nash_split": t.nash.split, "wall_s": wall, "cpu_s": cpu,
                  "no_pruning_wall_s": wall_np, "no_pruning_cpu_s": cpu_np},
        "random_1M": {"packages": 4**10, "zone_with_transfers": a.zone_size, "kernels_wall_s": wall_k,
                      "scorer_wall_s": wall_s},
        "load": [load_start, os.getloadavg()],
    }
    (HERE / "results" / "transfers.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
