"""How does the acceptance of Ukraine's counterproposal depend on European support?

Run: ``python experiments/c_counterproposal_europe.py`` (``--quick`` for a coarse grid).

Sweeps ``europe_support`` of ``scenarios/ukraine_counter_2025_04.yaml`` over
its range, at three levels of ``us_pressure`` (-0.5, 0, +0.5). Each row draws
the uncertain numbers (common random numbers across rows) and records each
party's probability of accepting the counterproposal, the probability that
every party whose consent is needed accepts it (with a 95 % Wilson
interval), and each party's margin over its reservation at point values.
Writes ``experiments/out/c_counterproposal_europe.{csv,parquet,png}`` and
prints, at each pressure level, how each party's acceptance moves from the
lowest to the highest European support.
"""

from __future__ import annotations

from common import SCENARIOS, options, save_figure, save_table

from negosim.sweep.run import Sweep, run_sweep

STEM = "c_counterproposal_europe"
PRESSURE = [-0.5, 0.0, 0.5]


def sweep(steps: int, samples: int) -> Sweep:
    return Sweep(scenario=str(SCENARIOS / "ukraine_counter_2025_04.yaml"), scope="draft", samples=samples,
                 seed=404, axes={"us_pressure": {"values": PRESSURE},
                                 "europe_support": {"range": [-1, 1], "steps": steps}})


def figure(df, parties):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), layout="constrained")
    mid = df[df["us_pressure"] == 0.0]
    ax = axes[0]
    for p in parties:
        ax.plot(mid["europe_support"], mid[f"p_accepts_{p}"], label=p)
    ax.set_title("Each party's P(accept), US pressure 0", fontsize=10)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    ax = axes[1]
    for level, g in df.groupby("us_pressure"):
        line, = ax.plot(g["europe_support"], g["p_all"], label=f"US pressure {level:+.1f}")
        ax.fill_between(g["europe_support"], g["p_all_low"], g["p_all_high"], color=line.get_color(), alpha=0.2)
    ax.set_title("P(every needed party accepts), 95% CI", fontsize=10)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    ax = axes[2]
    for p in parties:
        ax.plot(mid["europe_support"], mid[f"margin_{p}"], label=p)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_title("Margin over reservation (point values), US pressure 0", fontsize=10)
    ax.legend(fontsize=8)
    for ax in axes:
        ax.set_xlabel("European support for Ukraine")
    fig.suptitle("Ukraine's counterproposal (Apr 2025): acceptance against European support")
    return fig


def main() -> None:
    args = options(__doc__, samples=1000)
    df = run_sweep(sweep(9 if args.quick else 41, args.samples), workers=args.workers)
    parties = [c[len("p_accepts_"):] for c in df.columns if c.startswith("p_accepts_")]
    table = save_table(df, STEM)
    png = save_figure(figure(df, parties), STEM)
    for level, g in df.groupby("us_pressure"):
        lo, hi = g.iloc[0], g.iloc[-1]
        moves = ", ".join(f"{p} {lo[f'p_accepts_{p}']:.2f} -> {hi[f'p_accepts_{p}']:.2f}" for p in parties)
        print(f"US pressure {level:+.1f}, European support -1 -> +1: P(all) {lo['p_all']:.3f} -> "
              f"{hi['p_all']:.3f}; {moves}")
    print(f"table: {table}\nfigure: {png}")


if __name__ == "__main__":
    main()
