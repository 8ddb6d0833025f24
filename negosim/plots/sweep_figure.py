"""Acceptance frontier in parameter space, from a sweep's result table.

Two axes: a heatmap of the mean over replicates of an output (by default the
probability that every needed party accepts the draft, ``p_all``, or, in a
sweep without samples, the zone size) with the frontier drawn as the 0.5
contour: where the probability crosses one half, or, for a count such as the
zone size, where the zone is non-empty in half the replicates. Points of
quasi-random designs (Sobol, Latin hypercube) are drawn as dots over a
triangulated contour. One axis: a line of the mean with a band over
replicates (min to max, or 5-95 % with 10 or more replicates; a 95 %
interval when one replicate carries ``p_all_low``/``p_all_high``).

Shipped scenarios are marked where their own parameter values put them
(:func:`scenario_marks`).

The table is the one :func:`negosim.sweep.run.run_sweep` returns (columns: the
axes, ``replicate``, and outputs such as ``zone_size``, ``p_all``,
``draft_accepted``, ``accepts_PARTY``, ``agreement``).

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"a": [0.0, 0.0, 1.0, 1.0], "b": [0.0, 1.0, 0.0, 1.0], "p_all": [0.1, 0.4, 0.6, 0.9]})
>>> fig = sweep_figure(df, "a", "b")
>>> [im.get_gid() for im in fig.axes[0].collections if im.get_gid()]
['heatmap', 'frontier']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import LogNorm, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.tri import Triangulation

from negosim.errors import NegosimError
from .style import DRAFT_COLOR, SMALL_SIZE, label_axes, new_figure, party_label, title

#: Output columns tried, in order, when none is named.
DEFAULT_VALUES = ("p_all", "zone_size", "draft_accepted", "agreement")
FRONTIER_COLOR = "#111111"
#: Cells with no value (or a count of 0 on a log scale).
GREY = "#d9d9d9"
#: Colour and line style of the frontiers of other sweeps drawn over one heatmap.
OVERLAY_STYLES = (("#1565c0", "--"), ("#6a1b9a", "-."), ("#ef6c00", ":"), ("#00838f", "--"), ("#ad1457", "-."))

#: Words for the usual outputs.
VALUE_WORDS = {
    "p_all": "P(every needed party accepts the draft)",
    "zone_size": "zone of agreement (packages)",
    "draft_accepted": "share of rows where the draft is accepted",
    "agreement": "share of runs ending in agreement",
    "repair_size": "provisions to change to reach the zone",
    "agreement_round": "round of agreement",
    "nash_p_all": "P(every needed party accepts the zone's Nash package)",
}


def value_words(value: str, scenario=None) -> str:
    """What an output column holds, in words (party labels when the scenario is given).

    >>> value_words("p_accepts_ukraine")
    'P(ukraine accepts the draft)'
    """
    if value in VALUE_WORDS:
        return VALUE_WORDS[value]
    for prefix, words in (("p_accepts_", "P({} accepts the draft)"), ("accepts_", "share of rows where {} accepts"),
                          ("utility_", "{}'s utility of the draft"), ("margin_", "{}'s margin over its reservation")):
        if value.startswith(prefix):
            return words.format(party_label(scenario, value[len(prefix):]))
    return value


def _axis_words(axis: str, scenario=None) -> str:
    """A parameter's label alone (for titles), or the axis itself."""
    if scenario is not None and axis in getattr(scenario, "parameters", {}):
        return scenario.parameters[axis].label or axis
    return axis


def pick_value(df: pd.DataFrame, value: str | None) -> str:
    """The output column to plot (checked), defaulting to the first usual one present."""
    if value is not None:
        if value not in df.columns:
            raise NegosimError(f"the results have no column '{value}' (outputs: {', '.join(_outputs(df))})")
        return value
    for name in DEFAULT_VALUES:
        if name in df.columns and df[name].notna().any():
            return name
    raise NegosimError(f"no column to plot; name one with --value (outputs: {', '.join(_outputs(df))})")


def _outputs(df: pd.DataFrame) -> list[str]:
    axes = set((df.attrs.get("negosim", {}).get("spec", {}) or {}).get("axes", {}))
    skip = {"row", "replicate", "seed"} | axes
    return [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]


def is_probability(df: pd.DataFrame, value: str) -> bool:
    """Whether a column reads as a probability or a yes/no (its mean is a share)."""
    col = df[value]
    if pd.api.types.is_bool_dtype(col):
        return True
    named = value.startswith("p_") or value.endswith("_p_all")
    return named and bool(((col.dropna() >= 0) & (col.dropna() <= 1)).all())


def _numeric(df: pd.DataFrame, value: str) -> pd.Series:
    if not (pd.api.types.is_numeric_dtype(df[value]) or pd.api.types.is_bool_dtype(df[value])):
        raise NegosimError(f"column '{value}' is not numeric")
    return df[value].astype(float)


def _axis_values(df: pd.DataFrame, axis: str) -> tuple[np.ndarray, list | None]:
    """Numeric positions of an axis column, and tick labels when it is categorical (option ids)."""
    if axis not in df.columns:
        axes = list((df.attrs.get("negosim", {}).get("spec", {}) or {}).get("axes", {}))
        known = axes or [c for c in df.columns if c not in ("row", "replicate", "seed")]
        raise NegosimError(f"the results have no axis '{axis}' (axes: {', '.join(map(str, known))})")
    col = df[axis]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.to_numpy(float), None
    cats = list(dict.fromkeys(col.astype(str)))
    return col.astype(str).map({c: i for i, c in enumerate(cats)}).to_numpy(float), cats


def axis_label(axis: str, scenario=None) -> str:
    """A parameter's label with its id, or the dotted path itself."""
    if scenario is not None and axis in getattr(scenario, "parameters", {}):
        return f"{scenario.parameters[axis].label} ({axis})"
    return axis


def scenario_marks(scenarios, x: str, y: str | None = None) -> dict[str, tuple]:
    """Where each scenario's own numbers put it on the sweep's axes.

    An axis that is a parameter takes the parameter's value; a dotted party
    path takes that number's point value; ``draft.PROV`` takes the draft's
    option. Scenarios that lack an axis are left out.

    Parameters
    ----------
    scenarios : iterable of Scenario, LoadedScenario or file paths.
    """
    from negosim.engine.compiled import as_scenario
    from negosim.scenario.schema import get_number, resolve_path
    out: dict[str, tuple] = {}
    for s in scenarios:
        s = as_scenario(s)[0]
        pos = []
        for axis in [a for a in (x, y) if a is not None]:
            if axis in s.parameters:
                pos.append(s.parameters[axis].value.point)
            elif axis.startswith("draft.") and axis[6:] in s.draft:
                pos.append(s.draft[axis[6:]])
            else:
                try:
                    pos.append(get_number(s, resolve_path(s, axis)).point)
                except Exception:  # the axis is not a number of this scenario
                    break
        else:
            out[s.name] = tuple(pos)
    return out


def sweep_figure(df: pd.DataFrame, x: str, y: str | None = None, *, value: str | None = None,
                 marks: dict[str, tuple] | None = None, scenario=None, also: dict[str, pd.DataFrame] | None = None,
                 width: float = 7.5, height: float = 6.0):
    """The acceptance frontier over one or two axes of a sweep.

    Parameters
    ----------
    df : the sweep's result table.
    x, y : axis columns (``y`` None: a line over ``x``).
    value : output column (default: ``p_all``, else ``zone_size``, ``draft_accepted``, ``agreement``).
    marks : ``{label: (x, y)}`` points to mark, e.g. from :func:`scenario_marks`.
    scenario : the swept scenario, for parameter labels.
    also : ``{label: table}`` sweeps of other drafts over the same axes; each
        one's frontier is drawn over this one's (one line each), so the
        shipped drafts can be compared where they become acceptable.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if len(df) == 0:
        raise NegosimError("the results table is empty")
    value = pick_value(df, value)
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    recorded = df.attrs.get("negosim", {}).get("scenario") or ""
    # The record holds the scenario's file path when the sweep read one; its stem is the name.
    name = scenario.name if scenario is not None else (Path(recorded).stem if recorded.endswith((".yaml", ".yml"))
                                                       else recorded)
    reps = int(df["replicate"].nunique()) if "replicate" in df.columns else 1
    words = value_words(value, scenario)
    handles = []
    if y is None:
        _line(ax, df, x, value, reps)
        label_axes(ax, axis_label(x, scenario), words)
        what = f"{words} along {_axis_words(x, scenario)}"
    else:
        if x == y:
            raise NegosimError("--x and --y must be different axes")
        words_frontier, grey = heatmap(fig, ax, df, x, y, value, scenario)
        handles.append(Line2D([], [], color=FRONTIER_COLOR, lw=2.2, label=f"{name or 'this sweep'}: {words_frontier}"))
        if grey:
            handles.append(Patch(facecolor=GREY, edgecolor="#999999", label=grey))
        label_axes(ax, axis_label(x, scenario), axis_label(y, scenario))
        what = f"{words} over {_axis_words(x, scenario)} and {_axis_words(y, scenario)}"
    for k, (label, other_df) in enumerate((also or {}).items()):
        for col in [c for c in (x, y, value) if c is not None and c not in other_df.columns]:
            raise NegosimError(f"the results of '{label}' have no column '{col}'")
        color, ls = OVERLAY_STYLES[k % len(OVERLAY_STYLES)]
        if y is None:
            xs, _ = _axis_values(other_df, x)
            mean = pd.Series(_numeric(other_df, value).to_numpy(), index=xs).groupby(level=0).mean()
            ax.plot(mean.index, mean.to_numpy(), color=color, ls=ls, lw=1.8, gid=f"also:{label}", label=label)
        else:
            missing = _contour(ax, other_df, x, y, value, color=color, ls=ls, gid=f"also:{label}")
            handles.append(Line2D([], [], color=color, ls=ls, lw=2.2,
                                  label=f"{label}: " + (missing or _level_of(other_df, value)[1])))
    _marks(ax, marks or {}, df, x, y)
    if y is None:
        ax.legend(fontsize=SMALL_SIZE, loc="best")
    else:
        ax.legend(handles=handles, loc="upper left", fontsize=SMALL_SIZE, framealpha=0.85)
    other = [a for a in (df.attrs.get("negosim", {}).get("spec", {}) or {}).get("axes", {})
             if a not in (x, y) and a in df.columns and df[a].nunique() > 1]
    over = ([f"{reps} replicates"] if reps > 1 else []) + other
    sub = f"{name}: " if name else ""
    title(ax, "Acceptance frontier in parameter space", f"{sub}{what}"
          + (f" (mean over {', '.join(over)})" if over else ""))
    return fig


def _grid_means(df: pd.DataFrame, x: str, y: str, value: str):
    xs, xcats = _axis_values(df, x)
    ys, ycats = _axis_values(df, y)
    v = _numeric(df, value)
    frame = pd.DataFrame({"x": xs, "y": ys, "v": v.to_numpy(), "pos": (v > 0).to_numpy(float)})
    g = frame.groupby(["x", "y"], sort=True).mean()
    return g, xcats, ycats


#: What "the value is above 0" means, for outputs that are counts.
POSITIVE_WORDS = {"zone_size": "the zone is non-empty", "repair_size": "the draft needs a repair"}


def _level_of(df: pd.DataFrame, value: str) -> tuple[str, str]:
    """Which mean the frontier contours (the value itself, or the share of rows with value > 0), in words."""
    if is_probability(df, value):
        return "v", "frontier where the probability is 0.5"
    return "pos", f"frontier where {POSITIVE_WORDS.get(value, value + ' > 0')} in half the rows"


def _contour(ax, df, x, y, value, *, color, ls="-", gid="frontier") -> str:
    """Draw the 0.5 frontier of one sweep; return "" or, when it is not crossed, why there is no line."""
    g, _, _ = _grid_means(df, x, y, value)
    level, _ = _level_of(df, value)
    ux = np.unique(g.index.get_level_values(0))
    uy = np.unique(g.index.get_level_values(1))
    L = g[level]
    prob = level == "v"
    positive = POSITIVE_WORDS.get(value, f"{value} > 0")
    if L.min() >= 0.5:
        return ("no frontier here: the probability is above 0.5 everywhere" if prob else
                f"no frontier here: {positive} everywhere" + ("" if L.min() == 1 else " (in most rows)"))
    if L.max() <= 0.5:
        return ("no frontier here: the probability is below 0.5 everywhere" if prob else
                f"no frontier here: {positive} nowhere" + ("" if L.max() == 0 else " (in most rows)"))
    kw = {"levels": [0.5], "colors": color, "linewidths": 2.2, "linestyles": ls}
    if len(g) == len(ux) * len(uy) and len(ux) > 1 and len(uy) > 1:
        ax.contour(ux, uy, L.unstack().reindex(index=ux, columns=uy).to_numpy().T, **kw).set_gid(gid)
        return ""
    px, py = g.index.get_level_values(0).to_numpy(float), g.index.get_level_values(1).to_numpy(float)
    try:
        ax.tricontour(Triangulation(px, py), L.to_numpy(), **kw).set_gid(gid)
    except (ValueError, RuntimeError):  # collinear points: no triangulation, no contour
        return "frontier not drawn (the points lie on a line)"
    return ""


def heatmap(fig, ax, df, x, y, value, scenario=None, bar_label: str | None = None) -> tuple[str, str]:
    """The mean of ``value`` over the grid (or as dots off a grid), with its colour bar and 0.5 frontier.

    The one heatmap of every sweep figure, the experiments' panels included.

    ``bar_label`` replaces the colour bar's label (the value in words). Returns the
    frontier's words and, when some cells are grey, what grey means ("" when none is).
    """
    g, xcats, ycats = _grid_means(df, x, y, value)
    prob = is_probability(df, value)
    ux = np.unique(g.index.get_level_values(0))
    uy = np.unique(g.index.get_level_values(1))
    v = g["v"]
    if prob:
        norm, cmap = Normalize(0, 1), "RdYlGn"
    elif value.endswith("size"):
        # Counts span orders of magnitude; zero (no zone at all) shows as grey.
        norm, cmap = LogNorm(vmin=float(v[v > 0].min()) if (v > 0).any() else 1.0, vmax=max(float(v.max()), 1.0)), \
            "viridis"
    else:
        norm, cmap = Normalize(float(v.min()), max(float(v.max()), float(v.min()) + 1e-9)), "viridis"
    log = isinstance(norm, LogNorm)
    cm = colormaps[cmap].with_extremes(bad=GREY, under=GREY)
    grey = ""
    if log and (v <= 0).any():
        grey = "grey: no zone of agreement" if value == "zone_size" else f"grey: {value} is 0"
    elif (~np.isfinite(v.to_numpy(float))).any():
        grey = "grey: no value in these cells"
    if len(g) == len(ux) * len(uy) and len(ux) > 1 and len(uy) > 1:
        V = v.unstack().reindex(index=ux, columns=uy).to_numpy().T
        data = np.ma.masked_where(~np.isfinite(V) | ((V <= 0) & log), V)
        mesh = ax.pcolormesh(_edges(ux), _edges(uy), data, cmap=cm, norm=norm, shading="flat", gid="heatmap")
    else:
        px, py = g.index.get_level_values(0).to_numpy(float), g.index.get_level_values(1).to_numpy(float)
        vals = v.to_numpy()
        mesh = ax.scatter(px, py, c=np.where((vals <= 0) & log, np.nan, vals), cmap=cm, norm=norm, s=40,
                          edgecolors="none", gid="heatmap", plotnonfinite=True)
    bar = fig.colorbar(mesh, ax=ax, shrink=0.9)
    bar.set_label(value_words(value, scenario) if bar_label is None else bar_label, fontsize=SMALL_SIZE + 1)
    bar.ax.tick_params(labelsize=SMALL_SIZE)
    for cats, setter in ((xcats, ax.set_xticks), (ycats, ax.set_yticks)):
        if cats is not None:
            setter(range(len(cats)), cats, fontsize=SMALL_SIZE)
    missing = _contour(ax, df, x, y, value, color=FRONTIER_COLOR)
    return missing or _level_of(df, value)[1], grey


def _edges(u: np.ndarray) -> np.ndarray:
    """Cell edges halfway between sorted grid values."""
    if len(u) == 1:
        return np.array([u[0] - 0.5, u[0] + 0.5])
    mid = (u[:-1] + u[1:]) / 2
    return np.concatenate([[u[0] - (mid[0] - u[0])], mid, [u[-1] + (u[-1] - mid[-1])]])


def _line(ax, df, x, value, reps) -> None:
    xs, xcats = _axis_values(df, x)
    v = _numeric(df, value)
    frame = pd.DataFrame({"x": xs, "v": v.to_numpy()})
    g = frame.groupby("x", sort=True)["v"]
    mean = g.mean()
    ux = mean.index.to_numpy(float)
    prob = is_probability(df, value)
    per = int(g.size().max())
    if per > 1:
        # The band spans every row at a point: its replicates, and any axis not plotted.
        lo_q, hi_q = (0.05, 0.95) if per >= 10 else (0.0, 1.0)
        lo, hi = g.quantile(lo_q).to_numpy(), g.quantile(hi_q).to_numpy()
        rows = f"{reps} replicates" if per == reps else f"the {per} rows at each point"
        band = f"{int(lo_q * 100)}-{int(hi_q * 100)} % of {rows}" if per >= 10 else f"min to max of {rows}"
    elif value == "p_all" and {"p_all_low", "p_all_high"} <= set(df.columns):
        lo = pd.Series(df["p_all_low"].to_numpy(), index=xs).groupby(level=0).mean().to_numpy()
        hi = pd.Series(df["p_all_high"].to_numpy(), index=xs).groupby(level=0).mean().to_numpy()
        band = "95 % interval"
    else:
        lo = hi = None
        band = None
    if lo is not None:
        if prob and float(np.nanmax(np.asarray(hi) - np.asarray(lo))) < 0.01:
            band += " (too narrow to see)"  # on the 0-1 scale of a probability
        ax.fill_between(ux, lo, hi, color="#1f77b4", alpha=0.22, linewidth=0, gid="band", label=band)
    ax.plot(ux, mean.to_numpy(), color="#1f77b4", lw=2, marker="o", ms=3.5, gid="mean",
            label="mean" if per > 1 else value)
    if prob:
        ax.axhline(0.5, color=FRONTIER_COLOR, ls=":", lw=1.2, gid="frontier", label="0.5: the frontier")
        ax.set_ylim(-0.03, 1.03)
    if xcats is not None:
        ax.set_xticks(range(len(xcats)), xcats, fontsize=SMALL_SIZE)
    ax.grid(True, color="#e5e5e5", lw=0.5)


def _marks(ax, marks: dict[str, tuple], df, x, y) -> None:
    """Star each marked scenario at its position (categorical axes by option id)."""
    def position(axis, v):
        if isinstance(v, str):
            _, cats = _axis_values(df, axis)
            return None if cats is None or v not in cats else float(cats.index(v))
        return float(v)
    for label, pos in marks.items():
        pos = tuple(pos) if isinstance(pos, (tuple, list)) else (pos,)
        px = position(x, pos[0])
        if px is None:
            continue
        if y is None:
            ax.axvline(px, color=DRAFT_COLOR, lw=1.4, ls="--", gid=f"mark:{label}")
            # The name goes at the end of the line the curve is far from (top or bottom).
            mean = next((ln for ln in ax.lines if ln.get_gid() == "mean"), None)
            high = True
            if mean is not None and len(mean.get_xdata()):
                lo, hi = ax.get_ylim()
                at = float(np.interp(px, np.asarray(mean.get_xdata(), float), np.asarray(mean.get_ydata(), float)))
                high = (at - lo) / (hi - lo) > 0.5
            ax.annotate(label, (px, 0.03 if high else 0.97), xycoords=("data", "axes fraction"), xytext=(4, 0),
                        textcoords="offset points", va="bottom" if high else "top", fontsize=SMALL_SIZE,
                        color=DRAFT_COLOR,
                        gid=f"mark-label:{label}", zorder=7,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
            continue
        py = position(y, pos[1]) if len(pos) > 1 else None
        if py is None:
            continue
        ax.scatter([px], [py], marker="*", s=220, c=DRAFT_COLOR, edgecolors="black", linewidths=0.7, zorder=6,
                   gid=f"mark:{label}")
        ax.annotate(label, (px, py), xytext=(8, 6), textcoords="offset points", fontsize=SMALL_SIZE,
                    zorder=7, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
