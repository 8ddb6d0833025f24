"""The negotiation trace ("dance of offers"): each party's utility of the text, round by round.

Solid lines: each party's utility of the package on the table in each round.
Dashed lines: its reservation, which drifts round by round. Dotted lines: its
aspiration (what it holds out for), where the trace records one. A grey
marker line labelled with the provision shows each round where the text
changed; the end of the talks is marked with their outcome.

The trace is the DataFrame the bargaining model's ``DataCollector`` gives
(:meth:`negosim.bargaining.model.NegotiationModel.trace`): one row per round and party,
with at least ``round``, ``party``, ``utility`` and ``reservation``, and
optionally ``aspiration``, ``changes`` (the text's changes from the draft,
``"prov=opt, ..."``), ``status`` and ``proposer``.

Example
-------
>>> import pandas as pd
>>> t = pd.DataFrame({"round": [1, 1, 2, 2], "party": ["a", "b", "a", "b"],
...                   "utility": [0.4, 0.7, 0.5, 0.6], "reservation": [0.45, 0.5, 0.44, 0.5],
...                   "changes": ["no change", "no change", "x=o1", "x=o1"]})
>>> fig = trace_figure(t)
>>> sorted(l.get_gid() for l in fig.axes[0].lines if (l.get_gid() or "").startswith("utility"))
['utility:a', 'utility:b']
>>> provision_changes(t)
{2: {'x': 'o1'}}
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from negosim.errors import NegosimError
from .style import LABEL_SIZE, SMALL_SIZE, label_axes, new_figure, party_color, party_label, title

REQUIRED = ("round", "party", "utility", "reservation")
#: Rows of change labels at the top of the plot, and the width of one character of them in inches.
LABEL_ROWS = 3
CHAR_INCHES = 0.075
CHANGE_COLOR = "#9e9e9e"


def _parse(changes) -> dict[str, str]:
    if not isinstance(changes, str) or changes.strip() in ("", "no change"):
        return {}
    out = {}
    for part in changes.split(","):
        prov, sep, opt = part.strip().partition("=")
        if sep:
            out[prov.strip()] = opt.strip()
    return out


def provision_changes(trace: pd.DataFrame) -> dict[int, dict[str, str]]:
    """Rounds where the text on the table changed: ``{round: {provision: new option}}``.

    The trace's ``changes`` column says how each round's text differs from the
    draft; a provision that returns to the draft's option shows as
    ``"(draft)"``.
    """
    if "changes" not in trace.columns:
        return {}
    per_round = trace.groupby("round", sort=True)["changes"].first()
    out: dict[int, dict[str, str]] = {}
    before: dict[str, str] = {}
    for rnd, text in per_round.items():
        now = _parse(text)
        diff = {p: o for p, o in now.items() if before.get(p) != o}
        diff.update({p: "(draft)" for p in before if p not in now})
        if diff:
            out[int(rnd)] = diff
        before = now
    return out


def trace_of(obj) -> pd.DataFrame:
    """The trace DataFrame of a DataFrame, a result with ``.trace`` or a model with ``.trace()``."""
    if isinstance(obj, pd.DataFrame):
        t = obj
    else:
        t = getattr(obj, "trace", None)
        t = t() if callable(t) else t
        if not isinstance(t, pd.DataFrame):
            raise TypeError("expected a trace DataFrame, a simulation result or a NegotiationModel")
    missing = [c for c in REQUIRED if c not in t.columns]
    if missing:
        raise NegosimError(f"the trace lacks column(s) {', '.join(missing)}")
    if t.empty:
        raise NegosimError("the trace is empty: no round was played")
    return t


def run_trace(source, protocol: str | None = None, seed: int = 0, rounds: int | None = None,
              params: dict | None = None):
    """Run the bargaining model once (:func:`negosim.bargaining.simulate.simulate`); the result has ``.trace``."""
    from negosim.bargaining.simulate import simulate
    kwargs = {k: v for k, v in (("rounds", rounds), ("params", params)) if v}
    return simulate(source, protocol=protocol, seed=seed, **kwargs)


def trace_figure(trace, *, scenario=None, aspirations: bool = True, width: float = 9.0, height: float = 5.5,
                 note: str | None = None):
    """Each party's utility of the text on the table, round by round.

    Parameters
    ----------
    trace : trace DataFrame, a simulation result (``.trace``) or a NegotiationModel.
    scenario : the Scenario, for party and provision labels and the title.
    aspirations : also draw each party's aspiration (dotted), when recorded.
    note : words for the subtitle (e.g. the protocol and seed).

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = trace_of(trace).sort_values("round", kind="stable")  # parties keep the scenario's order
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    parties = list(dict.fromkeys(t["party"]))
    for p in parties:
        rows = t[t["party"] == p]
        c = party_color(p)
        r = rows["round"].to_numpy()
        ax.plot(r, rows["utility"].to_numpy(float), color=c, lw=2.0, marker="o", ms=3, gid=f"utility:{p}",
                zorder=4)
        ax.plot(r, rows["reservation"].to_numpy(float), color=c, lw=1.3, ls="--", gid=f"reservation:{p}",
                zorder=3)
        if aspirations and "aspiration" in rows.columns and rows["aspiration"].notna().any():
            ax.plot(r, rows["aspiration"].to_numpy(float), color=c, lw=1.0, ls=":", alpha=0.8,
                    gid=f"aspiration:{p}", zorder=2)
    _proposers(ax, t, parties)
    changes = provision_changes(t)
    # Labels go in the first of three rows where they do not overlap the previous one; a
    # change with no free row is marked but not labelled.
    lo_r, hi_r = float(t["round"].min()) - 0.5, float(t["round"].max()) + 0.5
    per_char = CHAR_INCHES * (hi_r - lo_r) / (0.85 * fig.get_figwidth())  # rounds per character
    row_end = [-np.inf] * LABEL_ROWS
    for rnd, diff in changes.items():
        ax.axvline(rnd, color=CHANGE_COLOR, lw=0.8, alpha=0.7, gid=f"change:{rnd}", zorder=1)
        words = ", ".join(f"{p}→{o}" for p, o in diff.items()) if len(diff) <= 2 else f"{len(diff)} provisions"
        row = next((k for k, end in enumerate(row_end) if end < rnd), None)
        if row is None:
            continue
        row_end[row] = rnd + (len(words) + 1) * per_char
        ax.annotate(words, (rnd, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -4 - 10 * row),
                    textcoords="offset points", fontsize=SMALL_SIZE - 1, color="#555555", va="top",
                    gid=f"change-label:{rnd}")
    outcome = _outcome(ax, t)
    label_axes(ax, "round", "utility of the text on the table")
    ax.grid(True, color="#ececec", lw=0.5)
    ax.set_xlim(t["round"].min() - 0.5, t["round"].max() + 0.5)
    lo = float(np.nanmin(t[["utility", "reservation"]].to_numpy(float)))
    hi = float(np.nanmax(t[["utility", "reservation"]].to_numpy(float)))
    if aspirations and "aspiration" in t.columns:
        hi = max(hi, float(np.nanmax(t["aspiration"].to_numpy(float))))
    pad = 0.08 * max(hi - lo, 0.05)
    # Extra head room for the change labels.
    ax.set_ylim(lo - pad, hi + pad * (3.5 if changes else 1))
    handles = [Line2D([], [], color=party_color(p), lw=2.5, label=party_label(scenario, p)) for p in parties]
    handles += [Line2D([], [], color="#444444", lw=2, marker="o", ms=3, label="utility of the text"),
                Line2D([], [], color="#444444", lw=1.3, ls="--", label="reservation (drifts)")]
    if aspirations and "aspiration" in t.columns:
        handles.append(Line2D([], [], color="#444444", lw=1, ls=":", label="aspiration"))
    if changes:
        handles.append(Line2D([], [], color=CHANGE_COLOR, lw=0.8, label="text changed (provision→option)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 5), fontsize=SMALL_SIZE,
               frameon=False)
    name = f"{scenario.name}: " if scenario is not None else ""
    title(ax, "Negotiation trace: each party's utility of the text on the table",
          f"{name}{note + '; ' if note else ''}{outcome}")
    return fig


def _outcome(ax, t: pd.DataFrame) -> str:
    """Mark how the talks ended; return it in words."""
    last = int(t["round"].max())
    status = str(t[t["round"] == last]["status"].iloc[0]) if "status" in t.columns else ""
    if status == "agreement":
        ax.axvline(last, color="#2e7d32", lw=2.2, gid="outcome", zorder=5)
        ax.annotate("agreement", (last, 0.02), xycoords=("data", "axes fraction"), xytext=(-4, 0),
                    textcoords="offset points", ha="right", fontsize=LABEL_SIZE, color="#2e7d32",
                    fontweight="bold")
        return f"agreement in round {last}"
    if status in ("deadline", "deadlock"):
        ax.axvline(last, color="#c62828", lw=2.2, gid="outcome", zorder=5)
        ax.annotate(f"no deal ({status})", (last, 0.02), xycoords=("data", "axes fraction"), xytext=(-4, 0),
                    textcoords="offset points", ha="right", fontsize=LABEL_SIZE, color="#c62828",
                    fontweight="bold")
        return f"no deal: {status} after round {last}"
    return f"{last} rounds"


def _proposers(ax, t: pd.DataFrame, parties: list[str]) -> None:
    """A small square in the proposer's colour under each round where a party proposed."""
    if "proposer" not in t.columns:
        return
    per_round = t.groupby("round", sort=True)["proposer"].first()
    rounds = [r for r, p in per_round.items() if p in parties]
    if rounds:
        ax.scatter(rounds, [0.0] * len(rounds), transform=ax.get_xaxis_transform(), marker="s", s=22,
                   c=[party_color(per_round[r]) for r in rounds], clip_on=False, gid="proposer", zorder=6)
