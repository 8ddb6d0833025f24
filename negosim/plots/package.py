"""Why a party says no: each party's utility of a package, provision by provision.

One horizontal bar per party, stacked from the contribution of each provision
(``CompiledScenario.contributions``) plus any linkage bonuses or penalties,
against a tick at the party's reservation. The verdict is written beside each
bar; a crossed red line is flagged in red, because it vetoes the package
whatever the utility.

Each bar segment carries the gid ``contrib:PARTY:PROVISION`` (linkages:
``link:PARTY:ID``), the reservation tick ``reservation:PARTY``.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> s = random_scenario(parties=3, provisions=4, options=3, seed=1, red_lines=2)
>>> fig = package_figure(s)
>>> ax = fig.axes[0]
>>> width = sum(r.get_width() for r in ax.patches if (r.get_gid() or "").startswith("contrib:p0:"))
>>> from negosim.plots.common import resolve
>>> bool(abs(width - resolve(s).analysis().draft["p0"].utility) < 1e-9)
True
"""

from __future__ import annotations

import textwrap

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from negosim.engine.analysis import all_needed_accept, verdict
from .common import describe_changes, resolve, resolve_package
from .style import LABEL_SIZE, SMALL_SIZE, label_axes, new_figure, party_color, title

#: Provision colours (qualitative, 20 distinct); beyond 20 provisions they repeat with hatching.
PROVISION_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
                    "#bab0ac", "#86bcb6", "#a0cbe8", "#ffbe7d", "#8cd17d", "#d4a6c8", "#f1ce63", "#d37295",
                    "#499894", "#b6992d", "#79706e", "#e15759")
ACCEPT_COLOR = "#2e7d32"
#: Longest "provision: option" legend entry, in characters.
LEGEND_CHARS = 46
REJECT_COLOR = "#c62828"


def provision_style(j: int) -> dict:
    """Face colour (and hatching after the first 20) of provision ``j``."""
    n = len(PROVISION_COLORS)
    return {"color": PROVISION_COLORS[j % n], "hatch": [None, "//", "..", "xx"][(j // n) % 4]}


def red_line_words(cs, party: int, red_id: str, x) -> str:
    """``"r0 (donbas=cede + nato=ban)"``: a crossed red line and the options that cross it."""
    for t in cs.terms:
        if t.kind == "red" and t.party == party and t.id == red_id:
            combo = " + ".join(f"{cs.provision_ids[j]}={cs.option_ids[j][x[j]]}" for j in t.provs)
            return f"{red_id} ({combo})"
    return red_id


def legend_labels(sub, x, longest: int = LEGEND_CHARS) -> list[str]:
    """``"Provision: option"`` for each provision, cut to ``longest`` characters."""
    cs = sub.compiled
    out = []
    for j, prov in enumerate(cs.provision_ids):
        text = f"{sub.provision_label(prov)}: {sub.option_label(prov, cs.option_ids[j][x[j]])}"
        out.append(text if len(text) <= longest else text[:longest - 1].rstrip() + "…")
    return out


def legend_columns(labels: list[str], width: float) -> int:
    """As many legend columns as fit the figure's width (about 14 characters per inch at legend size)."""
    longest = max((len(t) for t in labels), default=10) + 5
    return max(1, min(4, len(labels), int(width * 14 // longest)))


def package_figure(source, package=None, *, params: dict | None = None, width: float = 10.0,
                   height: float | None = None):
    """Each party's utility of a package as stacked contributions, against its reservation.

    Parameters
    ----------
    source : scenario file, LoadedScenario, Scenario, CompiledScenario, Analysis or Subject.
    package : None for the draft; a ``{provision: option}`` mapping or a
        ``"prov=opt,..."`` string of changes from the draft; or option indices.
    params : named parameter values.

    Returns
    -------
    matplotlib.figure.Figure
    """
    sub = resolve(source, params)
    cs = sub.compiled
    x = resolve_package(cs, package)
    verdicts = verdict(cs, x)
    P, J = cs.n_parties, cs.n_provisions
    contrib = cs.contributions(x)
    ncol = legend_columns(legend_labels(sub, x), width)
    fig = new_figure(width, height or max(3.2, 1.3 + 0.75 * P + 0.17 * ((J + ncol) // ncol)))
    ax = fig.add_subplot()
    rows = list(range(P))[::-1]  # first party on top
    hi = 0.0
    lo = 0.0
    for i, y in zip(range(P), rows):
        pid = cs.party_ids[i]
        v = verdicts[pid]
        pos, neg = 0.0, 0.0
        for j in range(J):
            c = float(contrib[i, j])
            if c == 0:
                continue
            st = provision_style(j)
            # Negative parts stack leftwards from zero, positive ones rightwards.
            ax.barh(y, c, left=pos if c > 0 else neg, height=0.62, color=st["color"], hatch=st["hatch"],
                    edgecolor="white", linewidth=0.6, gid=f"contrib:{pid}:{cs.provision_ids[j]}")
            if c > 0:
                pos += c
            else:
                neg += c
        for lid, bonus in v.linkages:
            if bonus == 0:
                continue
            start = pos if bonus > 0 else neg
            ax.barh(y, bonus, left=start, height=0.62, color="#dddddd", hatch="\\\\", edgecolor="#555555",
                    linewidth=0.6, gid=f"link:{pid}:{lid}")
            if bonus > 0:
                pos += bonus
            else:
                neg += bonus
            ax.annotate(f"linkage {lid} {bonus:+.2f}", (start + bonus / 2, y - 0.31), ha="center", va="top",
                        fontsize=SMALL_SIZE - 1, color="#555555")
        ax.plot([v.reservation, v.reservation], [y - 0.42, y + 0.42], color="black", lw=2.2,
                gid=f"reservation:{pid}", solid_capstyle="butt", zorder=5)
        if v.red_lines:
            words, color = "rejects: crosses red line " + "; ".join(
                red_line_words(cs, i, rid, x) for rid in v.red_lines), REJECT_COLOR
            ax.barh(y, pos - neg, left=neg, height=0.62, fill=False, edgecolor=REJECT_COLOR, linewidth=2.0,
                    gid=f"redline:{pid}")
        elif v.accepts:
            words, color = f"accepts ({v.margin:+.3f} over its reservation)", ACCEPT_COLOR
        else:
            words, color = f"rejects ({-v.margin:.3f} short of its reservation)", REJECT_COLOR
        if not v.needed:
            words += "; its consent is not needed"
        words = "\n".join(textwrap.wrap(f"{v.utility:.3f}  {words}", 48))
        ax.annotate(words, (max(pos, v.reservation), y), xytext=(8, 0),
                    textcoords="offset points", va="center", fontsize=SMALL_SIZE, color=color,
                    fontweight="bold")
        hi = max(hi, pos, v.reservation)
        lo = min(lo, neg)
    ax.set_yticks(rows, [sub.party_label(p) for p in cs.party_ids], fontsize=LABEL_SIZE)
    for tick, pid in zip(ax.get_yticklabels(), cs.party_ids):
        tick.set_color(party_color(pid))
        tick.set_fontweight("bold")
    # Room on the right for the verdict text.
    ax.set_xlim(lo - 0.02, hi + 0.55 * max(hi - lo, 0.3))
    ax.set_ylim(-0.8, P - 0.2)
    ax.axvline(0, color="#888888", lw=0.8)
    label_axes(ax, "utility (each segment: one provision's contribution)", "")
    ax.grid(True, axis="x", color="#e5e5e5", lw=0.5)
    ax.set_axisbelow(True)
    labels = legend_labels(sub, x)
    handles = [Patch(facecolor=provision_style(j)["color"], hatch=provision_style(j)["hatch"], edgecolor="white",
                     label=labels[j]) for j in range(J)]
    handles.append(Line2D([], [], color="black", lw=0, marker="|", ms=14, mew=2.2, label="the party's reservation"))
    fig.legend(handles=handles, loc="outside lower center", ncol=legend_columns(labels, fig.get_figwidth()),
               fontsize=SMALL_SIZE - 0.5, frameon=False, title="provision: option in this package",
               title_fontsize=SMALL_SIZE)
    accepted = all_needed_accept(verdicts)
    title(ax, f"Why each party accepts or rejects {describe_changes(sub, x)}",
          f"{sub.name}: " + ("every needed party accepts" if accepted else "the package is rejected"))
    return fig
