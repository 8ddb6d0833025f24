"""How does the acceptance of Ukraine's counterproposal depend on European support?

Run: ``python experiments/c_counterproposal_europe.py`` (``--quick`` for a coarse grid).

Sweeps ``europe_support`` of ``scenarios/ukraine_counter_2025_04.yaml`` over
its range, at three levels of ``us_pressure`` (-0.5, 0, +0.5). Each row draws
the uncertain numbers (common random numbers across rows) and records each
party's probability of accepting the counterproposal, the probability that
every party whose consent is needed accepts it (with a 95 % Wilson
interval), and each party's margin over its reservation at point values.
Writes ``experiments/out/c_counterproposal_europe.{csv,parquet,png}``,
reports progress on stderr, and prints, at each pressure level, how each
party's acceptance moves from the lowest to the highest European support,
then what binds, in labels: a red line (which no parameter moves) or a
shortfall, with where it comes closest.
"""

from __future__ import annotations

from common import (SCENARIOS, Progress, crosses_red_line, draft_reasons, options, parameter_label, save_figure,
                    save_table, what_binds)

import negosim
from negosim.sweep.run import Sweep, run_sweep

STEM = "c_counterproposal_europe"
SCENARIO = SCENARIOS / "ukraine_counter_2025_04.yaml"
PRESSURE = [-0.5, 0.0, 0.5]
#: Line styles of the three pressure levels (colours are the parties').
PRESSURE_STYLES = {-0.5: ":", 0.0: "-", 0.5: "--"}


def sweep(steps: int, samples: int) -> Sweep:
    return Sweep(scenario=str(SCENARIO), scope="draft", samples=samples, seed=404,
                 axes={"us_pressure": {"values": PRESSURE}, "europe_support": {"range": [-1, 1], "steps": steps}})


def figure(df, parties, scenario):
    """Three panels in negosim's style (party colours and labels)."""
    from negosim.plots.style import LABEL_SIZE, SMALL_SIZE, new_figure, party_color, title
    from negosim.brief import party_label
    fig = new_figure(16, 5.2)
    axes = fig.subplots(1, 3)
    mid = df[df["us_pressure"] == 0.0]
    support = parameter_label(scenario, "europe_support")
    # Lines often coincide (several parties at 1): each is drawn thinner than the one before, so all show.
    widths = {p: 1.5 + 1.3 * (len(parties) - 1 - k) for k, p in enumerate(parties)}
    ax = axes[0]
    for p in parties:
        ax.plot(mid["europe_support"], mid[f"p_accepts_{p}"], color=party_color(p), lw=widths[p],
                label=party_label(scenario, p))
    ax.set_title("Each party's P(accepts the counterproposal), US pressure 0", fontsize=LABEL_SIZE)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("probability", fontsize=LABEL_SIZE)
    ax.legend(fontsize=SMALL_SIZE)
    ax = axes[1]
    for level, g in df.groupby("us_pressure"):
        ax.plot(g["europe_support"], g["p_all"], color="#455a64", ls=PRESSURE_STYLES.get(level, "-"), lw=2,
                label=f"US pressure {level:+.1f}")
        ax.fill_between(g["europe_support"], g["p_all_low"], g["p_all_high"], color="#455a64", alpha=0.12, lw=0)
    ax.set_title("P(every needed party accepts), band: 95 % interval", fontsize=LABEL_SIZE)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=SMALL_SIZE)
    ax = axes[2]
    for p in parties:
        ax.plot(mid["europe_support"], mid[f"margin_{p}"], color=party_color(p), lw=widths[p],
                label=party_label(scenario, p))
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title("Margin over the reservation (point values), US pressure 0", fontsize=LABEL_SIZE)
    ax.legend(fontsize=SMALL_SIZE)
    for ax in axes:
        ax.set_xlabel(support, fontsize=LABEL_SIZE)
        ax.tick_params(labelsize=SMALL_SIZE)
        ax.grid(True, color="#e5e5e5", lw=0.5)
    reasons = [r for p, r in draft_reasons(scenario).items() if crosses_red_line(scenario, p)]
    title(fig, "Ukraine's counterproposal (Apr 2025): acceptance against European support",
          ("a red line binds at every value: " + "; ".join(reasons)) if reasons else None)
    return fig


def answer(df, parties, scenario) -> list[str]:
    """Per pressure level, how acceptance moves with European support; and what binds, in labels."""
    from negosim.brief import party_label
    out = []
    for level, g in df.groupby("us_pressure"):
        lo, hi = g.iloc[0], g.iloc[-1]
        moves = ", ".join(f"{party_label(scenario, p)} {lo[f'p_accepts_{p}']:.2f} -> {hi[f'p_accepts_{p}']:.2f}"
                          for p in parties)
        out.append(f"US pressure {level:+.1f}, European support -1 -> +1: P(all) {lo['p_all']:.3f} -> "
                   f"{hi['p_all']:.3f}; {moves}")
    out += what_binds(df, parties, scenario, ("us_pressure", "europe_support"))
    if df["p_all"].max() >= 0.5:
        ok = df[df["p_all"] >= 0.5]
        out.append(f"P(all accept) >= 0.5 in {len(ok)} of {len(df)} rows.")
    return out


def main() -> None:
    args = options(__doc__, samples=1000)
    scenario = negosim.load(SCENARIO)
    df = run_sweep(sweep(9 if args.quick else 41, args.samples), workers=args.workers, progress=Progress(STEM))
    parties = [c[len("p_accepts_"):] for c in df.columns if c.startswith("p_accepts_")]
    table = save_table(df, STEM)
    png = save_figure(figure(df, parties, scenario), STEM)
    print("\n".join(answer(df, parties, scenario)))
    print(f"table: {table}\nfigure: {png}")


if __name__ == "__main__":
    main()
