"""Acceptance frontier in utility space: where the packages, the zone and the draft lie.

:func:`frontier` draws one pair of parties: every package of the space (as
points, or as a density when there are many), the zone of agreement
highlighted, the zone's Pareto front, each party's reservation line, the
draft, and the Nash, Kalai-Smorodinsky and egalitarian points labelled.
:func:`frontier_matrix` draws every pair at once, with each party's utility
distribution on the diagonal.

The Pareto front is the front over *all* parties, projected onto the pair:
in two dimensions some of its points look dominated, because they are better
for a third party.

Artists carry ``gid``s (``packages``, ``zone``, ``pareto``, ``draft``,
``solution:NAME``, ``reservation:PARTY``) so that tests and notebooks can
find what was drawn.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> s = random_scenario(parties=3, provisions=5, options=3, seed=2, reservation=0.4)
>>> fig = frontier(s, parties=["p0", "p1"])
>>> ax = fig.axes[0]
>>> pareto = [c for c in ax.collections if c.get_gid() == "pareto"][0]
>>> len(pareto.get_offsets()) == resolve(s).analysis().pareto_size
True
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke

from negosim.errors import NegosimError
from .common import Subject, party_indices, resolve
from .density import MAX_POINTS, Layer, make_grid, package_layer, zone_layer
from .style import (DRAFT_COLOR, LABEL_SIZE, PARETO_COLOR, SMALL_SIZE, SOLUTION_STYLE, ZONE_COLOR,
                    label_axes, new_figure, party_color, title)

#: Zones up to this many members are drawn as points, larger ones as a density.
ZONE_POINTS = 5_000
#: A zone narrower than this share of the plot on both axes is enlarged in an inset.
ZOOM_BELOW = 0.12
#: Least vertical gap between solution labels, as a fraction of the axes height.
LABEL_GAP = 0.06


def _layers(sub: Subject, pairs, bins: int, max_points: int) -> tuple[Layer, Layer]:
    cs = sub.compiled
    grid = make_grid(cs, bins)
    return package_layer(cs, pairs, grid=grid, max_points=max_points), zone_layer(cs, pairs, grid)


def _draw_layer(ax, layer: Layer, p: int, q: int, *, cmap: str, color: str, gid: str, points_limit: int,
                size: float, alpha: float):
    """Points when the layer holds few exact ones, else a log-scaled density image."""
    if layer.U is not None and len(layer.U) <= points_limit:
        return ax.scatter(layer.U[:, p], layer.U[:, q], s=size, c=color, alpha=alpha, linewidths=0,
                          rasterized=True, gid=gid, zorder=1 if gid == "packages" else 2)
    H = layer.hist[(p, q)]
    if H.max() <= 0:
        return None
    g = layer.grid
    img = np.ma.masked_less_equal(H.T, 0)
    return ax.imshow(img, origin="lower", aspect="auto", interpolation="nearest", cmap=cmap,
                     norm=LogNorm(vmin=1, vmax=max(H.max(), 2)), alpha=alpha,
                     extent=(g.lo[p], g.hi[p], g.lo[q], g.hi[q]), gid=gid, zorder=1 if gid == "packages" else 2)


def _limits(layer: Layer, p: int, q: int, extra_x, extra_y) -> tuple[tuple, tuple]:
    """Axis limits around the packages that exist (not the whole safe box)."""
    x0, x1, y0, y1 = layer.box(p, q)
    x0, x1 = min(x0, *extra_x), max(x1, *extra_x)
    y0, y1 = min(y0, *extra_y), max(y1, *extra_y)
    mx, my = 0.04 * max(x1 - x0, 1e-3), 0.04 * max(y1 - y0, 1e-3)
    return (x0 - mx, x1 + mx), (y0 - my, y1 + my)


def draw_pair(ax, sub: Subject, p: int, q: int, packages: Layer, zone: Layer, *, annotate: bool = True,
              zoom: bool = True, max_points: int = MAX_POINTS) -> list:
    """Draw the frontier of parties ``p`` (x) and ``q`` (y) on ``ax``; return legend handles.

    With ``zoom``, a zone that covers a small corner of the plot is shown
    again, enlarged, in an inset.
    """
    cs = sub.compiled
    a = sub.analysis(pareto=True)
    pid, qid = cs.party_ids[p], cs.party_ids[q]
    _draw_layer(ax, packages, p, q, cmap="Greys", color="#9e9e9e", gid="packages", points_limit=max_points,
                size=6, alpha=0.55)
    how = "each dot a package" if packages.U is not None and len(packages.U) <= max_points else \
        "darker: more of them, log scale"
    handles = [Patch(color="#9e9e9e", label=f"all {packages.count:,} packages ({how})")]
    spots = _draw_marks(ax, sub, p, q, zone, ZONE_POINTS)
    if zone.count:
        handles.append(Patch(color=ZONE_COLOR, label=f"zone of agreement ({zone.count:,} packages)"))
    if a.pareto:
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec=PARETO_COLOR,
                              label=f"Pareto front of the zone ({len(a.pareto):,}, all parties)"))
    for party in (pid, qid):
        r = float(cs.reservation[cs.party_ids.index(party)])
        handles.append(Line2D([], [], color=party_color(party), ls="--",
                              label=f"{sub.party_label(party)} reservation {r:.2f}"))
    handles.append(Line2D([], [], ls="", marker="*", ms=11, mfc=DRAFT_COLOR, mec="black",
                          label="draft (" + ("accepted" if a.draft_accepted else "rejected") + ")"))
    for name, st in SOLUTION_STYLE.items():
        if a.solutions.get(name) is not None:
            handles.append(Line2D([], [], ls="", marker=st["marker"], mfc=st["color"], mec="white",
                                  label=f"{st['label']} solution"))
    dx, dy = a.draft[pid].utility, a.draft[qid].utility
    if annotate:
        ax.annotate("draft", (dx, dy), xytext=(7, -11), textcoords="offset points", fontsize=SMALL_SIZE,
                    color=DRAFT_COLOR, zorder=8,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    xs = [dx, cs.reservation[p]] + [s.utilities[pid] for s in a.solutions.values() if s is not None]
    ys = [dy, cs.reservation[q]] + [s.utilities[qid] for s in a.solutions.values() if s is not None]
    xl, yl = _limits(packages, p, q, xs, ys)
    ax.set_xlim(*xl)
    ax.set_ylim(*yl)
    label_axes(ax, f"{sub.party_label(pid)} utility", f"{sub.party_label(qid)} utility")
    ax.grid(True, color="#dddddd", lw=0.5, zorder=0)
    box = zone.box(p, q) if zoom and zone.count else None
    if box is not None and (box[1] - box[0] < ZOOM_BELOW * (xl[1] - xl[0])
                            and box[3] - box[2] < ZOOM_BELOW * (yl[1] - yl[0])):
        # The solution points crowd together here: they are labelled in the inset instead.
        _zoom(ax, sub, p, q, packages, zone, box, max_points)
    elif annotate:
        _label_spots(ax, spots)
    return handles


def _draw_marks(ax, sub: Subject, p: int, q: int, zone: Layer, zone_points: int) -> dict[tuple, list[str]]:
    """Zone, Pareto front, reservations, draft and solution points; returns the solution spots."""
    cs = sub.compiled
    a = sub.analysis(pareto=True)
    pid, qid = cs.party_ids[p], cs.party_ids[q]
    if zone.count:
        _draw_layer(ax, zone, p, q, cmap="Greens", color=ZONE_COLOR, gid="zone", points_limit=zone_points,
                    size=10, alpha=0.8)
    front = a.pareto or []
    if front:
        fx = [s.utilities[pid] for s in front]
        fy = [s.utilities[qid] for s in front]
        # Big fronts get small markers, or they hide the zone they lie on.
        size, lw = (18, 0.9) if len(front) <= 150 else ((7, 0.6) if len(front) <= 1500 else (3, 0.4))
        ax.scatter(fx, fy, s=size, facecolors="white", edgecolors=PARETO_COLOR, linewidths=lw, gid="pareto",
                   zorder=4)
    for party, axis_line in ((pid, ax.axvline), (qid, ax.axhline)):
        r = float(cs.reservation[cs.party_ids.index(party)])
        axis_line(r, color=party_color(party), ls="--", lw=1.3, gid=f"reservation:{party}", zorder=3)
    ax.scatter([a.draft[pid].utility], [a.draft[qid].utility], s=170, marker="*", c=DRAFT_COLOR,
               edgecolors="black", linewidths=0.6, gid="draft", zorder=6)
    # Solutions that land on the same spot share one label.
    spots: dict[tuple, list[str]] = {}
    for name, st in SOLUTION_STYLE.items():
        s = a.solutions.get(name)
        if s is None:
            continue
        x, y = s.utilities[pid], s.utilities[qid]
        ax.scatter([x], [y], s=55, marker=st["marker"], c=st["color"], edgecolors="white", linewidths=0.7,
                   gid=f"solution:{name}", zorder=7)
        spots.setdefault((round(x, 9), round(y, 9)), []).append(st["label"])
    return spots


def _zoom(ax, sub: Subject, p: int, q: int, packages: Layer, zone: Layer, box, max_points: int) -> None:
    """An inset that enlarges the zone, in the plot corner with the fewest packages."""
    x0, x1, y0, y1 = box
    pad_x = max(0.25 * (x1 - x0), 0.004)
    pad_y = max(0.25 * (y1 - y0), 0.004)
    xl, yl = ax.get_xlim(), ax.get_ylim()
    to_axes = ax.transLimits.transform
    centre = to_axes(((x0 + x1) / 2, (y0 + y1) / 2))
    corners = {(0.6, 0.6): (1, 1), (0.03, 0.6): (0, 1), (0.6, 0.03): (1, 0), (0.03, 0.03): (0, 0)}
    fx = (packages.U[:, p] - xl[0]) / (xl[1] - xl[0]) if packages.U is not None else None
    fy = (packages.U[:, q] - yl[0]) / (yl[1] - yl[0]) if packages.U is not None else None

    def crowd(corner) -> float:
        cx, cy = corner
        if fx is not None:
            return float(((fx >= cx) & (fx <= cx + 0.37) & (fy >= cy) & (fy <= cy + 0.37)).sum())
        H = packages.hist[(p, q)]
        ex, ey = packages.grid.edges(p), packages.grid.edges(q)
        mx = ((ex[:-1] - xl[0]) / (xl[1] - xl[0]) >= cx) & ((ex[1:] - xl[0]) / (xl[1] - xl[0]) <= cx + 0.37)
        my = ((ey[:-1] - yl[0]) / (yl[1] - yl[0]) >= cy) & ((ey[1:] - yl[0]) / (yl[1] - yl[0]) <= cy + 0.37)
        return float(H[np.ix_(mx, my)].sum())
    # Not over the zone itself, or the zoom lines would cross the inset.
    free = [c for c in corners if not (c[0] <= centre[0] <= c[0] + 0.37 and c[1] <= centre[1] <= c[1] + 0.37)]
    corner = min(free or corners, key=crowd)
    inset = ax.inset_axes([corner[0], corner[1], 0.37, 0.37])
    inset.set_gid("zoom")
    spots = _draw_marks(inset, sub, p, q, zone, max_points)
    inset.set_xlim(x0 - pad_x, x1 + pad_x)
    inset.set_ylim(y0 - pad_y, y1 + pad_y)
    inset.tick_params(labelsize=SMALL_SIZE - 1)
    inset.set_facecolor("white")
    inset.grid(True, color="#eeeeee", lw=0.5)
    inset.set_title("zone of agreement, enlarged", fontsize=SMALL_SIZE)
    ax.indicate_inset_zoom(inset, edgecolor="#555555")
    _label_spots(inset, spots)


def _label_spots(ax, spots: dict[tuple, list[str]]) -> None:
    """Label solution points in a column beside them, in their vertical order.

    Solution points often sit close together on the front; a column of labels
    with leader lines in the same top-to-bottom order never crosses itself.
    """
    if not spots:
        return
    to_axes = ax.transLimits.transform  # data -> axes fraction, valid once the limits are set
    pts = sorted(((to_axes(xy), " = ".join(names)) for xy, names in spots.items()), key=lambda t: -t[0][1])
    right = max(xy[0] for xy, _ in pts) + 0.1
    left = min(xy[0] for xy, _ in pts) - 0.1
    on_right = right < 0.8 or left < 0.2
    ys: list[float] = []
    for (fx, fy), _ in pts:
        ys.append(min(fy + 0.04, ys[-1] - LABEL_GAP) if ys else min(fy + 0.04, 0.96))
    lift = max(0.0, 0.04 - ys[-1])
    for ((fx, fy), text), y in zip(pts, ys):
        ann = ax.annotate(text, (fx, fy), xycoords="axes fraction", xytext=(right if on_right else left, y + lift),
                          textcoords="axes fraction", fontsize=SMALL_SIZE, zorder=8, va="center",
                          ha="left" if on_right else "right", gid="solution-label",
                          arrowprops={"arrowstyle": "-", "lw": 0.9, "color": "#111111", "shrinkA": 0, "shrinkB": 4},
                          bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#999999", "lw": 0.5, "alpha": 0.9})
        # A white edge keeps the leader line visible over the dark density and the front.
        ann.arrow_patch.set_path_effects([withStroke(linewidth=2.6, foreground="white")])


def _subtitle(sub: Subject) -> str:
    a = sub.analysis()
    share = 100 * a.zone_size / a.space_size if a.space_size else 0
    return f"{sub.name}: {a.space_size:,} packages, {a.zone_size:,} in the zone of agreement ({share:.3g}%)"


def frontier(source, parties=None, *, params: dict | None = None, bins: int = 150,
             max_points: int = MAX_POINTS, width: float = 7.5, height: float = 7.0):
    """The acceptance frontier of two parties in utility space.

    Parameters
    ----------
    source : scenario file, LoadedScenario, Scenario, CompiledScenario, Analysis or Subject.
    parties : two party ids (default: ``ukraine`` and ``russia`` when present, else the first two).
    params : named parameter values.
    bins : bins per axis of the density layer.
    max_points : spaces up to this size are drawn as one dot per package.

    Returns
    -------
    matplotlib.figure.Figure
    """
    sub = resolve(source, params)
    ids = list(sub.party_ids)
    if parties is None:
        parties = ["ukraine", "russia"] if {"ukraine", "russia"} <= set(ids) else ids[:2]
    idx = party_indices(sub, parties)
    if len(idx) != 2:
        raise NegosimError(f"a frontier needs two parties (got {len(idx)}); use frontier_matrix for more")
    p, q = idx
    packages, zone = _layers(sub, [(p, q)], bins, max_points)
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    handles = draw_pair(ax, sub, p, q, packages, zone, max_points=max_points)
    # As many columns as the longest entry lets fit across the figure (at most three).
    longest = max(len(h.get_label()) for h in handles) + 6
    ncol = max(1, min(3, int(width * 72 / (SMALL_SIZE * 0.5)) // longest))
    fig.legend(handles=handles, loc="outside lower center", ncol=ncol, fontsize=SMALL_SIZE, frameon=False)
    title(ax, f"Acceptance frontier: {sub.party_label(ids[p])} against {sub.party_label(ids[q])}",
          _subtitle(sub))
    return fig


def frontier_matrix(source, parties=None, *, params: dict | None = None, bins: int = 120,
                    max_points: int = MAX_POINTS, cell: float = 2.9):
    """Acceptance frontiers of every pair of parties, as a matrix of panels.

    Below the diagonal, panel ``(i, j)`` plots party ``j`` (x) against party
    ``i`` (y); the diagonal shows each party's utility over all packages and
    over the zone (each scaled to its own peak), with its reservation (dashed)
    and the draft's utility (solid).

    Returns
    -------
    matplotlib.figure.Figure
    """
    sub = resolve(source, params)
    idx = party_indices(sub, parties)
    if len(idx) < 2:
        raise NegosimError("a frontier matrix needs at least two parties")
    pairs = [(idx[j], idx[i]) for i in range(len(idx)) for j in range(i)]
    packages, zone = _layers(sub, pairs, bins, max_points)
    n = len(idx)
    fig = new_figure(cell * n + 0.6, cell * n + 0.6)
    axes = fig.subplots(n, n, squeeze=False)
    for i in range(n):
        for j in range(n):
            ax = axes[i][j]
            if j > i:
                ax.set_axis_off()
            elif j == i:
                _draw_marginal(ax, sub, idx[i], packages, zone, pairs)
            else:
                draw_pair(ax, sub, idx[j], idx[i], packages, zone, annotate=False, zoom=False,
                          max_points=max_points)
            if i < n - 1:
                ax.set_xlabel("")
            if j > 0 and j != i:
                ax.set_ylabel("")
    _matrix_legend(axes[0][n - 1] if n > 1 else axes[0][0], sub, packages, zone)
    title(fig, "Acceptance frontiers of every pair of parties", _subtitle(sub))
    return fig


def _draw_marginal(ax, sub: Subject, p: int, packages: Layer, zone: Layer, pairs) -> None:
    """One party's utility over all packages (grey) and over the zone (green), each scaled to its peak.

    The zone is often a few percent of the space: on the space's scale it
    would be a flat line, so each curve is scaled to its own peak (the legend
    says so) and the zone's share is written in the legend.
    """
    cs = sub.compiled
    pid = cs.party_ids[p]
    pair = next(pq for pq in pairs if p in pq)
    axis = 1 if pair[0] == p else 0  # sum out the other party of the pair
    edges = packages.grid.edges(p)
    centers = (edges[:-1] + edges[1:]) / 2
    for layer, color, alpha, gid in ((packages, "#9e9e9e", 0.6, "marginal:packages"),
                                     (zone, ZONE_COLOR, 0.55, "marginal:zone")):
        if layer.count:
            h = layer.hist[pair].sum(axis=axis)
            ax.fill_between(centers, h / max(h.max(), 1), step="mid", color=color, alpha=alpha, lw=0, gid=gid)
            ax.step(centers, h / max(h.max(), 1), where="mid", color=color, lw=1.0, gid=gid + ":edge")
    ax.axvline(cs.reservation[p], color=party_color(pid), ls="--", lw=1.5, gid=f"reservation:{pid}")
    ax.axvline(sub.analysis().draft[pid].utility, color=DRAFT_COLOR, lw=1.8, gid="draft")
    nz = np.flatnonzero(packages.hist[pair].sum(axis=axis))
    ax.set_xlim(edges[nz.min()], edges[nz.max() + 1])
    ax.set_ylim(0, 1.08)
    ax.set_yticks([])
    ax.set_facecolor("#fafafa")
    label_axes(ax, f"{sub.party_label(pid)} utility", "")
    ax.set_title(sub.party_label(pid), fontsize=LABEL_SIZE, color=party_color(pid), fontweight="bold")


def _matrix_legend(ax, sub: Subject, packages: Layer, zone: Layer) -> None:
    share = 100 * zone.count / packages.count if packages.count else 0
    handles = [Patch(color="#9e9e9e", label=f"all {packages.count:,} packages"),
               Patch(color=ZONE_COLOR, label=f"zone of agreement ({zone.count:,}, {share:.3g} %)"),
               Line2D([], [], ls="", marker="o", mfc="white", mec=PARETO_COLOR, label="Pareto front (all parties)"),
               Line2D([], [], ls="", marker="*", ms=11, mfc=DRAFT_COLOR, mec="black", label="draft"),
               Line2D([], [], color=DRAFT_COLOR, lw=1.8, label="draft's utility (diagonal panels)")]
    for name, st in SOLUTION_STYLE.items():
        handles.append(Line2D([], [], ls="", marker=st["marker"], mfc=st["color"], mec="white",
                              label=f"{st['label']} solution"))
    for pid in sub.party_ids:
        handles.append(Line2D([], [], color=party_color(pid), ls="--", label=f"{sub.party_label(pid)} reservation"))
    ax.legend(handles=handles, loc="upper right", fontsize=SMALL_SIZE, frameon=False,
              title="diagonal: each party's utility over all packages\nand over the zone, each scaled to its peak",
              title_fontsize=SMALL_SIZE)
