"""Shared bits of the experiment scripts: paths, command-line options, output files.

Every experiment writes its table (CSV, and Parquet with the sweep's record
when it comes from one sweep) and its figure (PNG) to ``experiments/out/``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "experiments"
OUT = HERE / "out"
SCENARIOS = ROOT / "scenarios"


def options(doc: str, samples: int) -> argparse.Namespace:
    """``--workers N``, ``--samples S`` and ``--quick`` (a small version for a smoke run)."""
    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per CPU)")
    ap.add_argument("--samples", type=int, default=samples, help=f"draws per row (default {samples})")
    ap.add_argument("--quick", action="store_true", help="a coarse version, for a smoke run")
    return ap.parse_args()


def save_table(df: pd.DataFrame, stem: str) -> Path:
    """Write ``OUT/stem.csv`` and ``OUT/stem.parquet`` (with the sweep's record, if any)."""
    OUT.mkdir(parents=True, exist_ok=True)
    df.to_csv(OUT / f"{stem}.csv", index=False)
    table = df.copy()
    if "negosim" in df.attrs:
        table.attrs = {"negosim": json.loads(json.dumps(df.attrs["negosim"]))}
    table.to_parquet(OUT / f"{stem}.parquet", index=False)
    return OUT / f"{stem}.csv"


def save_figure(fig, stem: str) -> Path:
    """Write ``OUT/stem.png`` and close the figure."""
    import matplotlib.pyplot as plt
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{stem}.png"
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path
