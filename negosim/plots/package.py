"""Why a party says no: each party's utility of a package, provision by provision.

One horizontal bar per party, stacked from the contribution of each provision
(``CompiledScenario.contributions``) plus any linkage bonuses or penalties,
against a tick at the party's reservation. A plan has some twenty provisions,
too many colours to match to a legend: the few that matter most (those on a
crossed red line, each party's two largest, then the largest left, up to
:data:`MAX_KEY`) get a colour and, where the segment is wide enough, their
label written on it; the rest are one grey segment per party, "other
provisions". The verdict, the red line crossed and any linkage are written
beside each bar, in labels, in a column of their own (so they never run into a
bar or a reservation tick).

Each bar segment carries the gid ``contrib:PARTY:PROVISION`` (the grouped rest:
``contrib:PARTY:(other)``; linkages: ``link:PARTY:ID``), the reservation tick
``reservation:PARTY``, a segment's label ``seglabel:PARTY:PROVISION`` and the
verdict text ``verdict:PARTY``.

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

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from negosim.engine.analysis import all_needed_accept, verdict
from .common import describe_changes, resolve, resolve_package
from .style import (LABEL_SIZE, SLACK, SMALL_SIZE, inside, label_axes, new_figure, overlaps, party_color, roomy,
                    settle, title, wrap)

#: Colours of the provisions drawn on their own (qualitative, distinct, readable under black text).
KEY_COLORS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f")
#: At most this many provisions get a colour of their own; the rest are grouped.
MAX_KEY = len(KEY_COLORS)
#: Each party's largest contributions that always get a colour.
PER_PARTY = 2
OTHER = "(other)"
OTHER_COLOR = "#bdbdbd"
LINK_COLOR = "#f5f5f5"
ACCEPT_COLOR = "#2e7d32"
REJECT_COLOR = "#c62828"
#: Size of the labels written on the segments, in points.
SEGMENT_SIZE = SMALL_SIZE - 1
#: Average width of a character as a share of the font size (for wrapping before measuring).
CHAR_EM = 0.55
#: Height of one line of the verdict column, in points (a little more than a wrapped line's own).
LINE = SMALL_SIZE * 1.4


def key_provisions(cs, contrib: np.ndarray, x, verdicts) -> list[int]:
    """The provisions drawn on their own, in scenario order.

    First those of every crossed red line, then each party's :data:`PER_PARTY`
    largest contributions, then the largest left, up to :data:`MAX_KEY`.
    With at most ``MAX_KEY`` provisions, all of them.
    """
    J = cs.n_provisions
    if J <= MAX_KEY:
        return list(range(J))
    chosen: list[int] = []

    def add(j: int) -> None:
        if j not in chosen and len(chosen) < MAX_KEY:
            chosen.append(int(j))
    crossed = {(i, rid) for i, pid in enumerate(cs.party_ids) for rid in verdicts[pid].red_lines}
    for t in cs.terms:
        if t.kind == "red" and (t.party, t.id) in crossed:
            for j in t.provs:
                add(j)
    size = np.abs(contrib)
    for i in range(cs.n_parties):
        for j in np.argsort(-size[i], kind="stable")[:PER_PARTY]:
            if size[i, j] > 0:
                add(j)
    for j in np.argsort(-size.max(axis=0), kind="stable"):
        add(j)
    return sorted(chosen)


def combination_words(sub, t, x) -> str:
    """The options of a red line or linkage ``t`` that package ``x`` takes, by label, joined by ``+``."""
    cs = sub.compiled
    return " + ".join(f"{sub.provision_label(cs.provision_ids[j])}: "
                      f"{sub.option_label(cs.provision_ids[j], cs.option_ids[j][x[j]])}" for j in t.provs)


def _term(cs, kind: str, party: int, tid: str):
    return next((t for t in cs.terms if t.kind == kind and t.party == party and t.id == tid), None)


def verdict_lines(sub, i: int, v, x) -> list[tuple[str, str, str]]:
    """The words beside party ``i``'s bar: ``(text, colour, weight)`` lines, in labels."""
    cs = sub.compiled
    if v.red_lines:
        head = (f"{v.utility:.3f}  rejects: crosses a red line" if len(v.red_lines) == 1 else
                f"{v.utility:.3f}  rejects: crosses {len(v.red_lines)} red lines")
        color = REJECT_COLOR
    elif v.accepts:
        head, color = f"{v.utility:.3f}  accepts: {v.margin:+.3f} over its reservation", ACCEPT_COLOR
    else:
        head, color = f"{v.utility:.3f}  rejects: {-v.margin:.3f} short of its reservation", REJECT_COLOR
    if not v.needed:
        head += " (its consent is not needed)"
    out = [(head, color, "bold")]
    for rid in v.red_lines:
        t = _term(cs, "red", i, rid)
        out.append(("red line: " + (combination_words(sub, t, x) if t is not None else rid), REJECT_COLOR, "normal"))
    for lid, bonus in v.linkages:
        if bonus:
            t = _term(cs, "link", i, lid)
            what = combination_words(sub, t, x) if t is not None else lid
            out.append((f"linkage {bonus:+.2f}: {what}", "#444444", "normal"))
    return out


def _text_color(face: str) -> str:
    r, g, b = to_rgb(face)
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.45 else "black"


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
    keys = key_provisions(cs, contrib, x, verdicts)
    rest = [j for j in range(J) if j not in keys]
    color_of = {j: KEY_COLORS[k] for k, j in enumerate(keys)}
    text_width = 0.36 * width
    chars = max(24, int(0.9 * text_width * 72 / (SMALL_SIZE * CHAR_EM)))  # 10 % slack: bold is wider
    said = {pid: verdict_lines(sub, i, verdicts[pid], x) for i, pid in enumerate(cs.party_ids)}
    per_row = max(sum(wrap(t, chars).count("\n") + 1 for t, _, _ in ls) for ls in said.values())
    row = max(0.72, LINE / 72 * per_row + 0.2)  # inches per party
    legend_rows = (len(keys) + 4 + 1) // 2
    fig = new_figure(width, height or (1.4 + row * P + 0.19 * legend_rows))
    gs = fig.add_gridspec(1, 2, width_ratios=[width - text_width, text_width])
    ax = fig.add_subplot(gs[0])
    side = fig.add_subplot(gs[1], sharey=ax)
    side.set_axis_off()
    ys = list(range(P))[::-1]  # first party on top
    hi, lo = 0.0, 0.0
    segments = []  # (text artist, bar) pairs, checked once the layout is known
    for i, y in zip(range(P), ys):
        pid = cs.party_ids[i]
        v = verdicts[pid]
        pos, neg = 0.0, 0.0
        parts = [(j, float(contrib[i, j])) for j in keys]
        other = [float(contrib[i, j]) for j in rest]
        parts += [(OTHER, sum(c for c in other if c > 0)), (OTHER, sum(c for c in other if c < 0))]
        for j, c in parts:
            if c == 0:
                continue
            face = OTHER_COLOR if j == OTHER else color_of[j]
            name = OTHER if j == OTHER else cs.provision_ids[j]
            # Negative parts stack leftwards from zero, positive ones rightwards.
            (bar,) = ax.barh(y, c, left=pos if c > 0 else neg, height=0.62, color=face, edgecolor="white",
                             linewidth=0.8, gid=f"contrib:{pid}:{name}")
            words = (f"{len(rest)} others" if j == OTHER else sub.provision_label(name))
            segments.append((bar, words, face, f"seglabel:{pid}:{name}"))
            if c > 0:
                pos += c
            else:
                neg += c
        for lid, bonus in v.linkages:
            if bonus == 0:
                continue
            ax.barh(y, bonus, left=pos if bonus > 0 else neg, height=0.62, color=LINK_COLOR, hatch="////",
                    edgecolor="#555555", linewidth=0.6, gid=f"link:{pid}:{lid}")
            if bonus > 0:
                pos += bonus
            else:
                neg += bonus
        ax.plot([v.reservation, v.reservation], [y - 0.42, y + 0.42], color="black", lw=2.4,
                gid=f"reservation:{pid}", solid_capstyle="butt", zorder=5)
        if v.red_lines:
            ax.barh(y, pos - neg, left=neg, height=0.62, fill=False, edgecolor=REJECT_COLOR, linewidth=2.2,
                    gid=f"redline:{pid}", zorder=4)
        hi = max(hi, pos, v.reservation)
        lo = min(lo, neg)
    ax.set_yticks(ys, [sub.party_label(p) for p in cs.party_ids], fontsize=LABEL_SIZE)
    for tick, pid in zip(ax.get_yticklabels(), cs.party_ids):
        tick.set_color(party_color(pid))
        tick.set_fontweight("bold")
    span = max(hi - lo, 0.1)
    ax.set_xlim(lo - 0.02 * span, hi + 0.04 * span)
    ax.set_ylim(-0.6, P - 0.4)
    ax.axvline(0, color="#888888", lw=0.8)
    label_axes(ax, "utility (each segment: one provision's contribution)", "")
    ax.grid(True, axis="x", color="#e5e5e5", lw=0.5)
    ax.set_axisbelow(True)
    # The legend: the coloured provisions with the option this package takes, the grey rest, the marks.
    legend_chars = max(30, int(width * 72 / (SMALL_SIZE * CHAR_EM) / 2) - 8)
    handles = [Patch(facecolor=color_of[j], edgecolor="white", label=wrap(
        f"{sub.provision_label(cs.provision_ids[j])}: {sub.option_label(cs.provision_ids[j], cs.option_ids[j][x[j]])}",
        legend_chars)) for j in keys]
    if rest:
        top = float(np.abs(contrib[:, rest]).max()) if rest else 0.0
        handles.append(Patch(facecolor=OTHER_COLOR, edgecolor="white", label=wrap(
            f"other provisions: the {len(rest)} smaller ones together (none over {top:.2f} for any party)",
            legend_chars)))
    if any(b for v in verdicts.values() for _, b in v.linkages):
        handles.append(Patch(facecolor=LINK_COLOR, hatch="////", edgecolor="#555555",
                             label="linkage: bonus or penalty for a combination (named at right)"))
    handles.append(Line2D([], [], color="black", lw=0, marker="|", ms=14, mew=2.4, label="the party's reservation"))
    if any(v.red_lines for v in verdicts.values()):
        handles.append(Patch(fill=False, edgecolor=REJECT_COLOR, linewidth=2.2,
                             label="red line crossed: rejects whatever its utility"))
    fig.legend(handles=handles, loc="outside lower center", ncol=2 if width >= 6 else 1, fontsize=SMALL_SIZE - 0.5,
               frameon=False, title="colour: provision and the option this package takes",
               title_fontsize=SMALL_SIZE)
    accepted = all_needed_accept(verdicts)
    title(fig, f"Why each party accepts or rejects {describe_changes(sub, x)}",
          f"{sub.name}: " + ("every needed party accepts" if accepted else "the package is rejected"))
    _place_verdicts(fig, side, said, dict(zip(cs.party_ids, ys)), chars)
    _label_segments(fig, ax, segments)
    return fig


def _place_verdicts(fig, side, words, ys, chars: int) -> None:
    """The verdict column: one block of lines per party, centred on its bar, wrapped to the column.

    The texts stay out of the layout; once it is done, a block wider than
    the column is wrapped again, narrower.
    """
    trans = blended_transform_factory(side.transAxes, side.transData)
    drawn = []
    for _ in range(4):
        for t in drawn:
            t.remove()
        drawn = []
        for pid, lines in words.items():
            block = [(wrap(t, chars), c, w) for t, c, w in lines]
            offset = 0.5 * sum(t.count("\n") + 1 for t, _, _ in block)  # lines from the block's top to the bar
            for k, (text, color, weight) in enumerate(block):
                a = side.annotate(text, (0.02, ys[pid]), xycoords=trans, xytext=(0, LINE * offset),
                                  textcoords="offset points", va="top", ha="left", fontsize=SMALL_SIZE, color=color,
                                  fontweight=weight, linespacing=1.1,
                                  gid=f"verdict:{pid}" if k == 0 else f"verdict-detail:{pid}")
                a.set_in_layout(False)
                drawn.append(a)
                offset -= text.count("\n") + 1
        settle(fig)
        room = fig.bbox.x1 - 4 - side.get_window_extent().x0
        widest = max(t.get_window_extent().width for t in drawn) * (1 + 2 * SLACK)
        if widest <= room:
            return
        chars = max(12, int(chars * room / widest) - 1)


def _label_segments(fig, ax, segments) -> None:
    """Write each segment's label on it where it fits whole, clear of the reservation tick.

    A label that would cross the tick is tried in the part of the segment on
    either side of it; one that fits nowhere is left out (the legend names
    every colour).
    """
    settle(fig)
    ticks = [ln.get_window_extent() for ln in ax.lines if (ln.get_gid() or "").startswith("reservation:")]
    to_data = ax.transData.inverted()
    for bar, words, face, gid in segments:
        box = bar.get_window_extent()
        spans = [(box.x0, box.x1)]
        for tk in ticks:
            if tk.x0 < box.x1 and box.x0 < tk.x1 and tk.y0 < box.y1 and box.y0 < tk.y1:
                spans = sorted([(box.x0, tk.x0), (tk.x1, box.x1)], key=lambda s: s[0] - s[1])
        for x0, x1 in spans:
            chars = int((x1 - x0 - 4) * 72 / fig.dpi / (SEGMENT_SIZE * CHAR_EM))
            text = wrap(words, chars, lines=4) if chars >= 3 else None
            if text is None:
                continue
            cx = to_data.transform(((x0 + x1) / 2, 0))[0]
            t = ax.text(cx, bar.get_y() + bar.get_height() / 2, text, ha="center", va="center",
                        fontsize=SEGMENT_SIZE, color=_text_color(face), gid=gid, zorder=6, linespacing=1.0)
            ext = roomy(t.get_window_extent())
            if inside(ext, box) and not any(overlaps(ext, tk) for tk in ticks):
                break
            t.remove()
