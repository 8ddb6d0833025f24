"""Which single concessions most raise the probability that everyone accepts the 20-point framework, and which parameters matter most?

Run: ``python experiments/b_framework20_concessions.py`` (``--quick`` for fewer draws and Sobol points).

Part 1, concessions: every change of one provision of the draft of
``scenarios/framework20_2025_12.yaml`` to another of its options is one row of
a ``points`` sweep (plus the unchanged draft). All rows share their draws of
the uncertain numbers (common random numbers), so the differences between
them are due to the change alone. Rows are ranked by the probability that
every party whose consent is needed accepts (``p_all``), then by the
probability of the least willing party (``p_least``), then by the smallest
margin of any party over its reservation at point values (``min_margin``),
which still moves when both probabilities are zero.

Part 2, sensitivity: a Sobol' analysis (``scipy.stats.sobol_indices``,
Saltelli's estimators) of the four parameters over their ranges, on three
continuous outputs of the draft: ``p_all``, ``p_least`` and ``min_margin``;
first-order and total indices with 95 % bootstrap intervals. An output that
does not vary over the parameters has no indices (reported as such).

Writes ``experiments/out/b_framework20_concessions.{csv,parquet}`` (the
``change`` column in ids, ``change_label`` in labels),
``experiments/out/b_framework20_sobol.csv`` and
``experiments/out/b_framework20_concessions.png``; reports progress on
stderr, and prints the answer in labels: what binds the draft (a red line or
a shortfall at point values, or, when every party accepts there, the least
willing party under uncertainty), the best single change and what still
binds after it, and the parameters that matter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from common import SCENARIOS, Progress, draft_reasons, options, parameter_label, save_figure, save_table

import negosim
from negosim.sweep.run import Sweep, run_sweep

STEM = "b_framework20_concessions"
SCENARIO = SCENARIOS / "framework20_2025_12.yaml"
SEED = 20


def concession_sweep(scenario, samples: int) -> tuple[Sweep, list[str]]:
    """A points sweep: the draft, then each single change of one provision."""
    draft = dict(scenario.draft)
    changes = ["(the draft)"]
    rows = [draft]
    for prov, p in scenario.provisions.items():
        for opt in p.options:
            if opt != draft[prov]:
                rows.append({**draft, prov: opt})
                changes.append(f"{prov}={opt}")
    axes = {f"draft.{prov}": {"values": [r[prov] for r in rows]} for prov in scenario.provisions}
    return Sweep(scenario=str(SCENARIO), scope="draft", samples=samples, seed=SEED, design="points",
                 axes=axes), changes


#: Outputs of the draft that the sensitivity analysis looks at.
OUTPUTS = ("p_all", "p_least", "min_margin")


def outputs(df: pd.DataFrame, parties) -> pd.DataFrame:
    """p_all, p_least (the least willing party's probability) and min_margin (point values)."""
    return pd.DataFrame({"p_all": df["p_all"], "p_least": df[[f"p_accepts_{p}" for p in parties]].min(axis=1),
                         "min_margin": df[[f"margin_{p}" for p in parties]].min(axis=1)})


def change_label(scenario, change: str) -> str:
    """``"donbas=kyiv_holds"`` -> ``"Kyiv-held Donbas: Ceded to Russia → Kyiv keeps it"`` (the draft's option first)."""
    if "=" not in change:
        return change
    prov, opt = change.split("=", 1)
    p = scenario.provisions[prov]
    old = scenario.draft[prov]
    return f"{p.label or prov}: {p.options[old].label or old} → {p.options[opt].label or opt}"


def concessions(scenario, samples: int, workers) -> pd.DataFrame:
    spec, changes = concession_sweep(scenario, samples)
    df = run_sweep(spec, workers=workers, progress=Progress(f"{STEM}, single changes"))
    parties = list(scenario.parties)
    out = pd.DataFrame({"change": changes, "change_label": [change_label(scenario, c) for c in changes]})
    for col in ["p_all_low", "p_all_high"] + [f"p_accepts_{p}" for p in parties] + [f"margin_{p}" for p in parties]:
        out[col] = df[col]
    for col, v in outputs(df, parties).items():
        out[col] = v
        out[f"gain_{col}"] = v - v.iloc[0]
    base = out.iloc[:1]
    ranked = out.iloc[1:].sort_values(["p_all", "p_least", "min_margin", "change"],
                                      ascending=[False, False, False, True])
    out = pd.concat([base, ranked], ignore_index=True)
    out.attrs = df.attrs
    return out


def sobol(scenario, n: int, samples: int, workers):
    """Sobol' indices of the OUTPUTS over the parameters (a DataFrame; NaN for a constant output)."""
    import warnings
    from scipy import stats
    names = list(scenario.parameters)
    parties = list(scenario.parties)
    seen = []

    def model(x: np.ndarray) -> np.ndarray:
        spec = Sweep(scenario=str(SCENARIO), scope="draft", samples=samples, seed=SEED, design="points",
                     axes={k: {"values": x[i].tolist()} for i, k in enumerate(names)})
        done = Progress(f"{STEM}, Sobol' batch {len(seen) + 1}")
        y = np.array(outputs(run_sweep(spec, workers=workers, progress=done), parties)[list(OUTPUTS)],
                     dtype=float).T.copy()
        seen.append(y)
        return y

    dists = [stats.uniform(loc=lo, scale=hi - lo) for lo, hi in (scenario.parameters[k].range for k in names)]
    with warnings.catch_warnings():
        # A constant output divides by a zero variance; it is reported as such below.
        warnings.simplefilter("ignore")
        res = stats.sobol_indices(func=model, n=n, dists=dists, rng=np.random.default_rng(SEED))
        boot = res.bootstrap(confidence_level=0.95, n_resamples=999)
    varies = np.hstack(seen).var(axis=1) > 0
    rows = []
    for k, output in enumerate(OUTPUTS):
        for i, name in enumerate(names):
            row = {"output": output, "parameter": name}
            for order in ("first", "total"):
                est = getattr(res, f"{order}_order")[k, i]
                ci = getattr(boot, f"{order}_order").confidence_interval
                row.update({f"{order}_order": est, f"{order}_low": ci.low[k, i], f"{order}_high": ci.high[k, i]})
            if not varies[k]:
                row.update({c: np.nan for c in row if c not in ("output", "parameter")})
            rows.append(row)
    return pd.DataFrame(rows)


def stable(g: pd.DataFrame) -> bool:
    """Whether an output's indices are usable: defined, finite intervals, estimates within [0, 1] (± 0.05)."""
    cols = ["first_order", "total_order", "first_low", "first_high", "total_low", "total_high"]
    v = g[cols].to_numpy(dtype=float)
    est = g[["first_order", "total_order"]].to_numpy(dtype=float)
    return bool(np.isfinite(v).all() and (est > -0.05).all() and (est < 1.05).all())


#: Colours of the two probabilities and the two Sobol' orders (no party's colour: these are not parties).
P_ALL_COLOR, P_LEAST_COLOR = "#455a64", "#ef6c00"
FIRST_COLOR, TOTAL_COLOR = "#00897b", "#8e24aa"


def figure(table: pd.DataFrame, sens: pd.DataFrame, scenario, top: int = 12):
    """Three panels in negosim's style: the best single changes, the least satisfied party's margin, Sobol'."""
    from negosim.plots.style import SMALL_SIZE, new_figure, title, wrap
    fig = new_figure(17, 6.8)
    a, m, b = fig.subplots(1, 3, width_ratios=[1.35, 0.6, 0.9])
    best = table.iloc[1:top + 1].iloc[::-1]
    base = table.iloc[0]
    y = np.arange(len(best))
    a.barh(y - 0.2, best["p_all"], height=0.4, color=P_ALL_COLOR, label="P(every needed party accepts), 95 % CI",
           xerr=[best["p_all"] - best["p_all_low"], best["p_all_high"] - best["p_all"]], capsize=2)
    a.barh(y + 0.2, best["p_least"], height=0.4, color=P_LEAST_COLOR, label="P(the least willing party accepts)")
    a.axvline(base["p_all"], color=P_ALL_COLOR, ls="--", lw=1, label=f"the draft: P(all) {base['p_all']:.2f}")
    a.axvline(base["p_least"], color=P_LEAST_COLOR, ls=":", lw=1.2, label=f"the draft: P(least) {base['p_least']:.2f}")
    a.set_yticks(y, [wrap(t, 52) for t in best["change_label"]], fontsize=SMALL_SIZE - 0.5)
    a.set_xlim(0, 1)
    a.set_xlabel("probability", fontsize=SMALL_SIZE + 1)
    a.set_title(f"The {len(best)} best single changes of the draft", fontsize=SMALL_SIZE + 1)
    a.legend(fontsize=SMALL_SIZE - 1, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, frameon=False)
    m.barh(y, best["min_margin"], color=np.where(best["min_margin"] >= 0, "#2e7d32", "#c62828"))
    m.axvline(base["min_margin"], color="black", ls="--", lw=1, label=f"the draft {base['min_margin']:+.2f}")
    m.axvline(0, color="black", lw=0.5)
    m.set_yticks(y, [])
    m.set_xlabel("smallest margin over a reservation\n(point values; green: all accept)", fontsize=SMALL_SIZE + 1)
    m.set_title("How far the least satisfied party is", fontsize=SMALL_SIZE + 1)
    m.legend(fontsize=SMALL_SIZE - 1)
    groups = [(o, g) for o, g in sens.groupby("output", sort=False) if stable(g)]
    left_out = [o for o in sens["output"].unique() if o not in dict(groups)]
    # Horizontal bars, one row per (output, parameter), so that every label reads on one line.
    y0 = 0
    ticks, labels = [], []
    for output, g in groups:
        yy = y0 + np.arange(len(g))
        for off, order, color in ((-0.2, "first", FIRST_COLOR), (0.2, "total", TOTAL_COLOR)):
            v = g[f"{order}_order"].to_numpy(dtype=float)
            err = np.clip([v - g[f"{order}_low"].to_numpy(dtype=float), g[f"{order}_high"].to_numpy(dtype=float) - v],
                          0, None)
            b.barh(yy + off, v, height=0.4, color=color, xerr=err, capsize=2,
                   label=f"{order} order" if y0 == 0 else None)
        ticks += list(yy)
        labels += [f"{parameter_label(scenario, p)} ({output})" for p in g["parameter"]]
        y0 += len(g) + 1
    b.set_yticks(ticks, labels, fontsize=SMALL_SIZE - 0.5)
    b.invert_yaxis()
    b.set_xlim(0, 1.05)
    b.set_xlabel("Sobol' index (95 % bootstrap interval)", fontsize=SMALL_SIZE + 1)
    note = f"\nnot shown (constant or unstable): {', '.join(left_out)}" if left_out else ""
    b.set_title("Sensitivity to the parameters" + note, fontsize=SMALL_SIZE + 1)
    if groups:
        b.legend(fontsize=SMALL_SIZE, loc="lower right")
    for ax in (a, m, b):
        ax.tick_params(labelsize=SMALL_SIZE)
        ax.grid(True, axis="x", color="#e5e5e5", lw=0.5)
        ax.set_axisbelow(True)
    title(fig, "20-point framework (Dec 2025): single changes and sensitivity of the draft's acceptance",
          "p_all: P(every needed party accepts); p_least: the least willing party's P(accepts); "
          "min_margin: the smallest margin over a reservation at point values")
    return fig


def answer(scenario, table: pd.DataFrame, sens: pd.DataFrame) -> list[str]:
    """The answer in labels: the draft, the best single change, what binds, and the parameters that matter."""
    from negosim.brief import party_label
    parties = list(scenario.parties)
    base, best = table.iloc[0], table.iloc[1]
    least = min(parties, key=lambda p: base[f"p_accepts_{p}"])
    out = [f"The draft: P(all accept) {base['p_all']:.3f}, least willing party {base['p_least']:.3f}, "
           f"smallest margin {base['min_margin']:+.3f}."]
    reasons = draft_reasons(scenario)
    if reasons:
        out.append("What binds the draft at point values: " + "; ".join(reasons.values()) + ".")
    else:
        out.append(f"Every party accepts the draft at point values; what binds is uncertainty: "
                   f"{party_label(scenario, least)} is the least willing (P(accepts) {base[f'p_accepts_{least}']:.3f}, "
                   f"margin {base[f'margin_{least}']:+.3f} at point values).")
    out.append(f"Best single change: {best['change_label']}: P(all accept) {best['p_all']:.3f} "
               f"(95% CI {best['p_all_low']:.3f}-{best['p_all_high']:.3f}), least willing {best['p_least']:.3f}, "
               f"smallest margin {best['min_margin']:+.3f}.")
    if "=" in best["change"]:
        prov, opt = best["change"].split("=", 1)
        after = draft_reasons(scenario, {**scenario.draft, prov: opt})
        out.append("After it, at point values: " + ("; ".join(after.values()) if after else "every party accepts") + ".")
    for output, g in sens.groupby("output", sort=False):
        if g["total_order"].isna().all():
            out.append(f"Sobol' on {output}: it does not vary over the parameters.")
            continue
        note = "" if stable(g) else " (unstable: the output is almost constant; more points needed)"
        g = g.sort_values("total_order", ascending=False)
        out.append(f"Sobol' total order on {output}{note}: " + ", ".join(
            f"{parameter_label(scenario, r.parameter)} {r.total_order:.2f} [{r.total_low:.2f}, {r.total_high:.2f}]"
            for r in g.itertuples()))
    return out


def main() -> None:
    args = options(__doc__, samples=1000)
    scenario = negosim.load(SCENARIO)
    table = concessions(scenario, args.samples, args.workers)
    sens = sobol(scenario, 64 if args.quick else 256, min(args.samples, 200), args.workers)
    csv = save_table(table, STEM)
    sens.to_csv(csv.with_name("b_framework20_sobol.csv"), index=False)
    png = save_figure(figure(table, sens, scenario), STEM)
    print("\n".join(answer(scenario, table, sens)))
    print(f"tables: {csv}, {csv.with_name('b_framework20_sobol.csv')}\nfigure: {png}")


if __name__ == "__main__":
    main()
