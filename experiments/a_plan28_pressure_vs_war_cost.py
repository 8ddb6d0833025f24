"""How much US pressure on Kyiv, against how much Russian cost of war, makes the 28-point plan acceptable to all?

Run: ``python experiments/a_plan28_pressure_vs_war_cost.py`` (``--quick`` for a coarse grid).

Sweeps the two parameters ``us_pressure`` and ``russia_war_cost`` of
``scenarios/plan28_2025_11.yaml`` over their whole ranges on a grid. Each row
draws the scenario's uncertain numbers (common random numbers across the
grid, so neighbouring cells differ by the parameters, not by noise) and
records the probability that every party whose consent is needed accepts
the plan's draft, each party's probability of accepting it, and, exactly
over the whole package space, the size of the zone of agreement at point
values and the probability that all accept the zone's Nash package. Writes
``experiments/out/a_plan28_pressure_vs_war_cost.{csv,parquet,png}`` (grey
cells in the figure are cells without a value: no zone of agreement, so no
Nash package), reports progress on stderr, and prints the answer: where the
draft is accepted by all with probability at least one half, or, if nowhere,
which party blocks it and why (a red line, which binds at every parameter
value, or a shortfall, with where it comes closest).
"""

from __future__ import annotations

import textwrap

import numpy as np

from common import SCENARIOS, Progress, options, parameter_label, save_figure, save_table, what_binds

import negosim
from negosim.sweep.run import Sweep, run_sweep

STEM = "a_plan28_pressure_vs_war_cost"
SCENARIO = SCENARIOS / "plan28_2025_11.yaml"
X, Y = "us_pressure", "russia_war_cost"


def sweep(steps: int, samples: int) -> Sweep:
    return Sweep(scenario=str(SCENARIO), task="analyze", scope="space", samples=samples, seed=2025,
                 axes={X: {"range": [-1, 1], "steps": steps}, Y: {"range": [-1, 1], "steps": steps}})


def figure(df, parties, scenario):
    """One heatmap per output, drawn as ``negosim plot sweep`` draws one (same colours, frontier, grey)."""
    from negosim.plots.style import SMALL_SIZE, new_figure, title
    from negosim.plots.sweep_figure import heatmap, value_words
    panels = ["p_all"] + [f"p_accepts_{p}" for p in parties] + ["nash_p_all", "zone_size"]
    cols = 3
    rows = -(-len(panels) // cols)
    fig = new_figure(5.0 * cols, 4.3 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    greys = set()
    for ax, col in zip(axes.flat, panels):
        frontier, grey = heatmap(fig, ax, df, X, Y, col, scenario,
                                 bar_label="packages" if col == "zone_size" else "probability")
        if col == "nash_p_all" and grey:
            grey = "grey: no zone of agreement, so no Nash package"
        greys |= {grey} - {""}
        words = value_words(col, scenario) + "\n" + "; ".join(w for w in (frontier, grey) if w)
        ax.set_title("\n".join(textwrap.fill(line, 58) for line in words.splitlines()), fontsize=SMALL_SIZE)
        ax.set_xlabel(parameter_label(scenario, X), fontsize=SMALL_SIZE + 1)
        ax.set_ylabel(parameter_label(scenario, Y), fontsize=SMALL_SIZE + 1)
        ax.tick_params(labelsize=SMALL_SIZE)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_axis_off()
    cells = "; ".join(sorted(greys)) if greys else "no cell is grey (every cell has a value)"
    title(fig, "28-point plan (Nov 2025): acceptance over US pressure and Russia's cost of war",
          f"black line: the 0.5 frontier, where there is one; {cells}")
    return fig


def answer(df, parties, scenario) -> list[str]:
    """The answer in labels: where the draft is accepted by all, or who blocks it everywhere and why."""
    ok = df[df["p_all"] >= 0.5]
    xl, yl = parameter_label(scenario, X), parameter_label(scenario, Y)
    if len(ok):
        least = ok.loc[(ok[X].abs() + ok[Y].abs()).idxmin()]
        return [f"P(all accept) >= 0.5 in {len(ok)} of {len(df)} cells; the mildest is {xl} {least[X]:+.2f}, "
                f"{yl} {least[Y]:+.2f} (P = {least['p_all']:.2f}, 95% CI {least['p_all_low']:.2f}-"
                f"{least['p_all_high']:.2f})"]
    out = [f"Nowhere in the ranges is the draft accepted by all with probability >= 0.5 (highest P(all) "
           f"{df['p_all'].max():.3f})."]
    return out + what_binds(df, parties, scenario, (X, Y))


def main() -> None:
    args = options(__doc__, samples=400)
    scenario = negosim.load(SCENARIO)
    spec = sweep(5 if args.quick else 17, args.samples)
    df = run_sweep(spec, workers=args.workers, progress=Progress(STEM))
    parties = [c[len("p_accepts_"):] for c in df.columns if c.startswith("p_accepts_")]
    table = save_table(df, STEM)
    png = save_figure(figure(df, parties, scenario), STEM)
    print("\n".join(answer(df, parties, scenario)))
    print(f"table: {table}\nfigure: {png}")


if __name__ == "__main__":
    main()
