"""How much US pressure on Kyiv, against how much Russian cost of war, makes the 28-point plan acceptable to all?

Run: ``python experiments/a_plan28_pressure_vs_war_cost.py`` (``--quick`` for a coarse grid).

Sweeps the two parameters ``us_pressure`` and ``russia_war_cost`` of
``scenarios/plan28_2025_11.yaml`` over their whole ranges on a grid. Each row
draws the scenario's uncertain numbers (common random numbers across the
grid, so neighbouring cells differ by the parameters, not by noise) and
records the probability that every party whose consent is needed accepts
the plan's draft, each party's probability of accepting it, and, exactly
over the whole package space, the size of the zone of agreement at point
values and the probability that all accept the zone's Nash package. Writes ``experiments/out/a_plan28_pressure_vs_war_cost.{csv,parquet,png}``
and prints the answer: where the draft is accepted by all with probability
at least one half, or, if nowhere, which party blocks it and how close the
parameters bring it.
"""

from __future__ import annotations

import numpy as np

from common import SCENARIOS, options, save_figure, save_table

from negosim.sweep.run import Sweep, run_sweep

STEM = "a_plan28_pressure_vs_war_cost"


def sweep(steps: int, samples: int) -> Sweep:
    return Sweep(scenario=str(SCENARIOS / "plan28_2025_11.yaml"), task="analyze", scope="space",
                 samples=samples, seed=2025,
                 axes={"us_pressure": {"range": [-1, 1], "steps": steps},
                       "russia_war_cost": {"range": [-1, 1], "steps": steps}})


def grid(df, column):
    t = df.pivot(index="russia_war_cost", columns="us_pressure", values=column)
    return t.columns.to_numpy(), t.index.to_numpy(), t.to_numpy(dtype=float)


def figure(df, parties):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [("p_all", "P(every needed party accepts the draft)", "viridis", (0, 1))]
    panels += [(f"p_accepts_{p}", f"P({p} accepts the draft)", "viridis", (0, 1)) for p in parties]
    panels += [("nash_p_all", "P(all accept the Nash package of the zone)", "viridis", (0, 1)),
               ("log_zone", "zone of agreement, log10(1 + packages)", "magma", None)]
    cols = 3
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.9 * rows), squeeze=False, layout="constrained")
    for ax, (col, title, cmap, lim) in zip(axes.flat, panels):
        x, y, z = grid(df, col)
        kw = {"vmin": lim[0], "vmax": lim[1]} if lim else {}
        mesh = ax.pcolormesh(x, y, z, shading="nearest", cmap=cmap, **kw)
        if lim and np.nanmin(z) < 0.5 < np.nanmax(z):
            ax.contour(x, y, z, levels=[0.5], colors="white", linewidths=1.2)
        fig.colorbar(mesh, ax=ax, shrink=0.9)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("US pressure on Kyiv")
        ax.set_ylabel("Russia's cost of war")
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle("28-point plan (Nov 2025): acceptance over US pressure and Russia's cost of war")
    return fig


def answer(df, parties) -> str:
    ok = df[df["p_all"] >= 0.5]
    if len(ok):
        least = ok.loc[(ok["us_pressure"].abs() + ok["russia_war_cost"].abs()).idxmin()]
        return (f"P(all accept) >= 0.5 in {len(ok)} of {len(df)} cells; the mildest is US pressure "
                f"{least['us_pressure']:+.2f}, Russia's cost of war {least['russia_war_cost']:+.2f} "
                f"(P = {least['p_all']:.2f}, 95% CI {least['p_all_low']:.2f}-{least['p_all_high']:.2f})")
    best = {p: df[f"p_accepts_{p}"].max() for p in parties}
    blocker = min(best, key=best.get)
    # Where the blocker comes closest: its largest margin (utility minus reservation) at point values.
    at = df.loc[df[f"margin_{blocker}"].idxmax()]
    return (f"nowhere in the ranges is the draft accepted by all with probability >= 0.5 "
            f"(highest P(all) {df['p_all'].max():.3f}); the blocker is {blocker}, whose probability of "
            f"accepting is at most {best[blocker]:.3f}; it comes closest at US pressure {at['us_pressure']:+.2f}, "
            f"Russia's cost {at['russia_war_cost']:+.2f}, still {-at[f'margin_{blocker}']:.3f} short of "
            f"its reservation at point values")


def main() -> None:
    args = options(__doc__, samples=400)
    spec = sweep(5 if args.quick else 17, args.samples)
    df = run_sweep(spec, workers=args.workers)
    df["log_zone"] = np.log10(1 + df["zone_size"])
    parties = [c[len("p_accepts_"):] for c in df.columns if c.startswith("p_accepts_")]
    table = save_table(df, STEM)
    png = save_figure(figure(df, parties), STEM)
    print(answer(df, parties))
    print(f"table: {table}\nfigure: {png}")


if __name__ == "__main__":
    main()
