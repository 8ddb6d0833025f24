"""Shared bits of the experiment scripts: paths, options, progress, output files, answers in words.

Every experiment writes its table (CSV, and Parquet with the sweep's record
when it comes from one sweep) and its figure (PNG) to ``experiments/out/``.
Figures are drawn with negosim's own style (:mod:`negosim.plots.style`: the
party colours, sizes and titles of ``negosim plot``), without pyplot. Long
sweeps report their progress on stderr; each script ends by printing its
answer in labels, with the reason that binds it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "experiments"
OUT = HERE / "out"
SCENARIOS = ROOT / "scenarios"
#: Resolution of the PNGs.
DPI = 110


def options(doc: str, samples: int) -> argparse.Namespace:
    """``--workers N``, ``--samples S`` and ``--quick`` (a small version for a smoke run)."""
    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per CPU)")
    ap.add_argument("--samples", type=int, default=samples, help=f"draws per row (default {samples})")
    ap.add_argument("--quick", action="store_true", help="a coarse version, for a smoke run")
    return ap.parse_args()


class Progress:
    """``progress(done, total)`` for :func:`negosim.sweep.run.run_sweep`: a line on stderr now and then.

    >>> p = Progress("test", every=0.0, stream=sys.stdout)
    >>> p(5, 10)
    test: 5 of 10 rows (50 %)
    """

    def __init__(self, what: str, every: float = 5.0, stream=None):
        self.what, self.every, self.stream = what, every, stream or sys.stderr
        self.last = -float("inf")

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= self.every or done == total:
            self.last = now
            print(f"{self.what}: {done:,} of {total:,} rows ({100 * done / max(total, 1):.0f} %)",
                  file=self.stream, flush=True)


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
    """Write ``OUT/stem.png`` with negosim's writer (the figure needs no closing: no pyplot)."""
    from negosim.plots.style import save_figure as write
    OUT.mkdir(parents=True, exist_ok=True)
    return write(fig, OUT / f"{stem}.png", dpi=DPI)


def draft_reasons(scenario, package: dict[str, str] | None = None) -> dict[str, str]:
    """Why each party that rejects a package (default: the draft) at point values rejects it, in labels.

    ``{party: "Ukraine rejects it on a red line, Kyiv-held Donbas: Ceded to Russia"}``. A red line
    is held by the options, not by a number, so it binds at every parameter value.
    """
    from negosim.brief import reason_text
    from negosim.engine.analysis import verdict
    from negosim.engine.compiled import compile_scenario
    cs = compile_scenario(scenario)
    package = dict(scenario.draft) if package is None else package
    verdicts = verdict(cs, cs.package_from_dict(package))
    return {p: reason_text(scenario, v, package) for p, v in verdicts.items() if not v.accepts}


def crosses_red_line(scenario, party: str, package: dict[str, str] | None = None) -> bool:
    """Whether a package (default: the draft) crosses one of the party's red lines."""
    from negosim.engine.compiled import compile_scenario
    cs = compile_scenario(scenario)
    x = cs.package_from_dict(dict(scenario.draft) if package is None else package)
    return bool(cs.red_lines_hit(x)[party])


def parameter_label(scenario, name: str) -> str:
    """A parameter's label ("US pressure on Kyiv"), else its name."""
    p = scenario.parameters.get(name)
    return (p.label or name) if p is not None else name


def what_binds(df: pd.DataFrame, parties, scenario, axes) -> list[str]:
    """For each party whose probability of accepting the draft stays under one half on the whole grid:
    what binds it, in labels.

    A red line the draft crosses binds at every parameter value (no parameter moves the draft's
    options); otherwise the party is short of its reservation everywhere, and the line says
    where, on the sweep's ``axes``, it comes closest.
    """
    from negosim.brief import party_label
    reasons = draft_reasons(scenario)
    out = []
    for p in parties:
        best = df[f"p_accepts_{p}"].max()
        if best >= 0.5:
            continue
        who = party_label(scenario, p)
        if crosses_red_line(scenario, p):
            out.append(f"{who}'s red line binds at every parameter value: {reasons.get(p, who + ' rejects it')} "
                       f"(its probability of accepting is at most {best:.3f}).")
        else:
            at = df.loc[df[f"margin_{p}"].idxmax()]
            where = ", ".join(f"{parameter_label(scenario, a)} {at[a]:+.2f}" for a in axes)
            out.append(f"{who} stays short of its reservation at every parameter value (probability of accepting "
                       f"at most {best:.3f}); it comes closest at {where}, still {-at[f'margin_{p}']:.3f} short "
                       "at point values.")
    return out
