"""The negotiation trace ("dance of offers"): each party's utility of the text, round by round.

Solid lines: each party's utility of the package on the table in each round.
Dashed lines: its reservation, which drifts round by round. Dotted lines: its
aspiration (what it holds out for), where the trace records one. A grey
line marks each round where the text changed, and a list under the plot says
what changed, in provision and option labels; the end of the talks is marked
with their outcome. Every kind of mark has a legend entry.

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
from .style import LABEL_SIZE, SMALL_SIZE, label_axes, new_figure, party_color, party_label, title, wrap

REQUIRED = ("round", "party", "utility", "reservation")
CHANGE_COLOR = "#9e9e9e"
OUTCOME_COLORS = {"agreement": "#2e7d32", "deadline": "#c62828", "deadlock": "#c62828"}
#: Lines of the list of changes under the plot (rounds beyond them are counted).
MAX_LINES = 18
#: Height of one line of that list.
LINE_POINTS = SMALL_SIZE * 1.35
LINE_INCHES = LINE_POINTS / 72


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


def change_words(diff: dict[str, str], scenario=None, most: int = 3) -> str:
    """One round's changes in labels: ``"Kyiv-held Donbas → Demilitarised zone; ..."``.

    A provision back at the draft's option reads "back to the draft"; more
    than ``most`` changes are counted, and two of them named.

    >>> change_words({"x": "o1", "y": "(draft)"})
    'x → o1; y → back to the draft'
    >>> change_words({"a": "1", "b": "2", "c": "3", "d": "4"})
    '4 provisions changed, among them a → 1; b → 2'
    """
    def one(prov: str, opt: str) -> str:
        name = prov
        if scenario is not None and prov in scenario.provisions:
            p = scenario.provisions[prov]
            name = p.label or prov
            if opt in p.options:
                opt = p.options[opt].label or opt
        return f"{name} → {'back to the draft' if opt == '(draft)' else opt}"
    items = [one(p, o) for p, o in diff.items()]
    if len(items) > most:
        return f"{len(items)} provisions changed, among them " + "; ".join(items[:2])
    return "; ".join(items)


def _change_list(changes: dict[int, dict[str, str]], scenario, chars: int) -> list[str]:
    """The lines of the list of changes under the plot, each wrapped to ``chars``."""
    rounds = list(changes.items())
    out: list[str] = []
    used = 0
    for k, (rnd, diff) in enumerate(rounds):
        text = wrap(f"round {rnd}: {change_words(diff, scenario)}", chars)
        n = text.count("\n") + 1
        # The last entry may take the place of the line that would count the rest.
        if used + n > MAX_LINES - (k + 1 < len(rounds)):
            break
        out.append(text)
        used += n
    shown = out
    if len(shown) < len(rounds):
        out.append(f"and {len(rounds) - len(shown)} more rounds with changes (all are in the trace's "
                   "changes column)")
    return out


def trace_figure(trace, *, scenario=None, aspirations: bool = True, width: float = 9.0, height: float = 5.5,
                 note: str | None = None):
    """Each party's utility of the text on the table, round by round.

    Below the plot, a list says what changed in the text in each round marked
    by a grey line (in labels when ``scenario`` is given).

    Parameters
    ----------
    trace : trace DataFrame, a simulation result (``.trace``) or a NegotiationModel.
    scenario : the Scenario, for party and provision labels and the title.
    aspirations : also draw each party's aspiration (dotted), when recorded.
    note : words for the subtitle (e.g. the protocol and seed).
    width, height : inches; the list of changes adds to the height.

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = trace_of(trace).sort_values("round", kind="stable")  # parties keep the scenario's order
    changes = provision_changes(t)
    cols = 2 if width >= 7 and len(changes) > 3 else 1
    # 0.62 em a character: room for text that runs wider at some resolutions.
    chars = max(30, int(width / cols * 72 / (SMALL_SIZE * 0.62)) - 4)
    listed = _change_list(changes, scenario, chars)
    per_col = -(-sum(x.count("\n") + 1 for x in listed) // cols) if listed else 0
    list_h = 0.3 + LINE_INCHES * per_col if listed else 0.0
    fig = new_figure(width, height + list_h)
    if listed:
        ax, panel = fig.subplots(2, 1, height_ratios=[height, list_h], gridspec_kw={"hspace": 0.02})
    else:
        ax, panel = fig.add_subplot(), None
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
    proposed = _proposers(ax, t, parties)
    for rnd in changes:
        ax.axvline(rnd, color=CHANGE_COLOR, lw=0.8, alpha=0.7, gid=f"change:{rnd}", zorder=1)
    if panel is not None:
        _draw_list(panel, listed, cols)
    outcome, status = _outcome(ax, t)
    label_axes(ax, "round", "utility of the text on the table")
    ax.grid(True, color="#ececec", lw=0.5)
    ax.set_xlim(t["round"].min() - 0.5, t["round"].max() + 0.5)
    lo = float(np.nanmin(t[["utility", "reservation"]].to_numpy(float)))
    hi = float(np.nanmax(t[["utility", "reservation"]].to_numpy(float)))
    has_aspiration = aspirations and "aspiration" in t.columns and t["aspiration"].notna().any()
    if has_aspiration:
        hi = max(hi, float(np.nanmax(t["aspiration"].to_numpy(float))))
    pad = 0.08 * max(hi - lo, 0.05)
    ax.set_ylim(lo - pad, hi + pad)
    handles = [Line2D([], [], color=party_color(p), lw=2.5, label=party_label(scenario, p)) for p in parties]
    handles += [Line2D([], [], color="#444444", lw=2, marker="o", ms=3, label="utility of the text"),
                Line2D([], [], color="#444444", lw=1.3, ls="--", label="reservation (drifts)")]
    if has_aspiration:
        handles.append(Line2D([], [], color="#444444", lw=1, ls=":", label="aspiration"))
    if changes:
        handles.append(Line2D([], [], color=CHANGE_COLOR, lw=0.8, label="text changed (listed below)"))
    if proposed:
        handles.append(Line2D([], [], ls="", marker="s", ms=5, mfc="#444444", mec="none",
                              label="proposer of the round (its colour)"))
    if status in OUTCOME_COLORS:
        handles.append(Line2D([], [], color=OUTCOME_COLORS[status], lw=2.2,
                              label="agreement" if status == "agreement" else f"no deal ({status})"))
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 5), fontsize=SMALL_SIZE,
               frameon=False)
    name = f"{scenario.name}: " if scenario is not None else ""
    title(fig, "Negotiation trace: each party's utility of the text on the table",
          f"{name}{note + '; ' if note else ''}{outcome}")
    return fig


def _draw_list(panel, listed: list[str], cols: int) -> None:
    """The list of changes, in ``cols`` columns, top to bottom."""
    panel.set_axis_off()
    per_col = -(-sum(x.count("\n") + 1 for x in listed) // cols)
    col, used = 0, 0
    panel.annotate("What changed in the text (rounds with a grey line):", (0, 1), xycoords="axes fraction",
                   va="top", fontsize=SMALL_SIZE, fontweight="bold", color="#333333", gid="changes-title")
    for k, text in enumerate(listed):
        n = text.count("\n") + 1
        if used and used + n > per_col and col + 1 < cols:
            col, used = col + 1, 0
        panel.annotate(text, (col / cols, 1), xycoords="axes fraction", xytext=(0, -LINE_POINTS * (used + 1.2)),
                       textcoords="offset points", va="top", fontsize=SMALL_SIZE, color="#333333",
                       linespacing=1.15, gid=f"change-label:{k}")
        used += n


def _outcome(ax, t: pd.DataFrame) -> tuple[str, str]:
    """Mark how the talks ended; return it in words, and the status."""
    last = int(t["round"].max())
    status = str(t[t["round"] == last]["status"].iloc[0]) if "status" in t.columns else ""
    if status in OUTCOME_COLORS:
        color = OUTCOME_COLORS[status]
        ax.axvline(last, color=color, lw=2.2, gid="outcome", zorder=5)
        words = "agreement" if status == "agreement" else f"no deal ({status})"
        ax.annotate(words, (last, 0.03), xycoords=("data", "axes fraction"), xytext=(-5, 0),
                    textcoords="offset points", ha="right", fontsize=LABEL_SIZE, color=color,
                    fontweight="bold", zorder=7, gid="outcome-label",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
        return (f"agreement in round {last}" if status == "agreement" else
                f"no deal: {status} after round {last}"), status
    return f"{last} rounds", status


def _proposers(ax, t: pd.DataFrame, parties: list[str]) -> bool:
    """A small square in the proposer's colour under each round where a party proposed; whether any was."""
    if "proposer" not in t.columns:
        return False
    per_round = t.groupby("round", sort=True)["proposer"].first()
    rounds = [r for r, p in per_round.items() if p in parties]
    if rounds:
        ax.scatter(rounds, [0.0] * len(rounds), transform=ax.get_xaxis_transform(), marker="s", s=22,
                   c=[party_color(per_round[r]) for r in rounds], clip_on=False, gid="proposer", zorder=6)
    return bool(rounds)
