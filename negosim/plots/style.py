"""Shared look of every negosim figure: party colours, figure creation, saving.

Figures are built on :class:`matplotlib.figure.Figure` directly, never through
``pyplot``, so making a figure leaves no global state behind (no open pyplot
figures, rcParams untouched) and works without a display. Font sizes are set
per artist instead of through rcParams for the same reason.

Every party keeps one colour across all figures: the four parties of the
shipped scenarios have fixed colours; any other party id gets a colour from a
palette chosen by a stable hash of the id (the same id gets the same colour in
every run and every figure).

Example
-------
>>> party_color("ukraine") == party_color("ukraine")
True
>>> party_color("p7") == party_color("p7") and party_color("us") != party_color("russia")
True
>>> fig = new_figure(4, 3)
>>> fig.get_size_inches().tolist()
[4.0, 3.0]
"""

from __future__ import annotations

import io
import textwrap
import zlib
from pathlib import Path

from matplotlib.figure import Figure

from negosim.errors import NegosimError

#: Fixed colours of the parties of the shipped scenarios.
PARTY_COLORS = {
    "us": "#1f4e9c",        # dark blue
    "ukraine": "#e0a800",   # golden yellow, readable on white
    "russia": "#c0392b",    # red
    "europe": "#2a9d8f",    # teal
}

#: Colours for other party ids, picked by a stable hash; none repeats a fixed one.
PARTY_PALETTE = ("#8e44ad", "#7f8c8d", "#d35400", "#16a085", "#6d4c41", "#c2185b",
                 "#3949ab", "#689f38", "#00838f", "#5d4037")

#: Colours of the solution points, shared by the frontier figures and the report.
SOLUTION_STYLE = {
    "nash": {"color": "#111111", "marker": "D", "label": "Nash"},
    "kalai_smorodinsky": {"color": "#6a1b9a", "marker": "s", "label": "Kalai-Smorodinsky"},
    "egalitarian": {"color": "#00695c", "marker": "^", "label": "egalitarian"},
}

ZONE_COLOR = "#2e7d32"
PARETO_COLOR = "#111111"
DRAFT_COLOR = "#d81b60"

#: Text sizes in points, chosen to stay legible at laptop-screen size.
TITLE_SIZE = 11
LABEL_SIZE = 9
SMALL_SIZE = 8

#: File types ``save_figure`` writes, by extension.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def party_color(party: str) -> str:
    """The colour of a party: fixed for the shipped parties, else a stable hash."""
    if party in PARTY_COLORS:
        return PARTY_COLORS[party]
    # crc32 is stable across runs and platforms (Python's hash() is salted per process).
    return PARTY_PALETTE[zlib.crc32(party.encode("utf-8")) % len(PARTY_PALETTE)]


def party_label(scenario, party: str) -> str:
    """A party's display label from the scenario, falling back to its id."""
    if scenario is not None and party in getattr(scenario, "parties", {}):
        return scenario.parties[party].label or party
    return party


def new_figure(width: float, height: float, dpi: float = 100) -> Figure:
    """A detached figure (no pyplot) with a constrained layout."""
    return Figure(figsize=(width, height), dpi=dpi, layout="constrained")


def title(fig_or_ax, text: str, sub: str | None = None) -> None:
    """Set a figure title that says what is shown, with an optional smaller second part.

    The title goes on the figure (not the axes), so long y tick labels do not
    push it off-centre; the second part is wrapped to the figure's width.
    """
    fig = fig_or_ax if isinstance(fig_or_ax, Figure) else fig_or_ax.figure
    # About 11 characters per inch at these sizes: wrap rather than run off the figure.
    chars = max(30, int(fig.get_figwidth() * 11))
    full = "\n".join(textwrap.wrap(text, chars)) + ("\n" + "\n".join(textwrap.wrap(sub, chars)) if sub else "")
    fig.suptitle(full, fontsize=TITLE_SIZE)


def label_axes(ax, xlabel: str, ylabel: str) -> None:
    """Label both axes and size the tick labels."""
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=SMALL_SIZE)


def figure_format(path) -> str:
    """The format a file name asks for (png, svg or pdf), or a NegosimError.

    The folder must exist too, so a bad output name fails before any work.
    """
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise NegosimError(f"cannot write '{path}': the file name must end in .png, .svg or .pdf")
    parent = Path(path).parent
    if not parent.exists():
        raise NegosimError(f"cannot write '{path}': folder '{parent}' does not exist")
    return FORMATS[ext]


def save_figure(fig: Figure, path, dpi: float | None = None) -> Path:
    """Write a figure as PNG, SVG or PDF, chosen by the file's extension.

    The software/date metadata is left out so the same figure gives the same
    bytes on every run.
    """
    from negosim.fileio import atomic_output
    fmt = figure_format(path)
    meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}[fmt]
    with atomic_output(path) as tmp:
        try:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
        except ValueError as e:
            if "Image size" not in str(e):  # Agg's refusal of a huge raster; anything else is a bug
                raise
            w, h = fig.get_size_inches()
            raise NegosimError(f"cannot write '{path}': a {w:.0f}x{h:.0f} inch figure at {dpi or fig.dpi:g} dpi "
                               "is too many pixels; lower --dpi or write .svg/.pdf") from None
    return Path(path)


def settle(fig: Figure) -> None:
    """Lay the figure out now (constrained layout included), so text extents can be measured."""
    fig.draw_without_rendering()


def inside(inner, outer, pad: float = 1.0) -> bool:
    """Whether display box ``inner`` lies within ``outer`` (``pad`` pixels of slack)."""
    return (inner.x0 >= outer.x0 - pad and inner.x1 <= outer.x1 + pad and inner.y0 >= outer.y0 - pad
            and inner.y1 <= outer.y1 + pad)


def overlaps(a, b, pad: float = 0.0) -> bool:
    """Whether display boxes ``a`` and ``b`` share more than ``pad`` pixels either way."""
    return a.x0 < b.x1 - pad and b.x0 < a.x1 - pad and a.y0 < b.y1 - pad and b.y0 < a.y1 - pad


#: Share of a text's size kept free around it when fitting it at the figure's resolution: text
#: runs a few percent wider or narrower at other resolutions (the rasteriser's hinting).
SLACK = 0.06


def roomy(box, slack: float = SLACK):
    """``box`` grown by ``slack`` of its size each way (and a pixel), for fits that hold at any resolution."""
    return box.expanded(1 + 2 * slack, 1 + 2 * slack).padded(1.0)


def drop_crowded(fig: Figure, texts, keep=()) -> int:
    """Remove each of ``texts`` that overlaps one kept before it (or one of ``keep``); return how many went.

    For labels that repeat what a mark already shows (a bar's value): where
    marks are packed too tightly for all of them, some are left out rather
    than printed over each other. Boxes are compared with some room
    (:func:`roomy`), so what is kept does not touch at another resolution.
    """
    settle(fig)
    kept = [roomy(t.get_window_extent()) for t in keep]
    gone = 0
    for t in texts:
        box = roomy(t.get_window_extent())
        if any(overlaps(box, k) for k in kept):
            t.remove()
            gone += 1
        else:
            kept.append(box)
    return gone


def wrap(text: str, chars: int, lines: int | None = None) -> str | None:
    """``text`` wrapped to ``chars`` per line; None when it needs more than ``lines`` lines.

    A label is wrapped, never cut: one that does not fit is left out (and
    named elsewhere, in a legend or a list).

    >>> wrap("Kyiv-held Donbas", 10)
    'Kyiv-held\\nDonbas'
    >>> wrap("Kyiv-held Donbas", 10, lines=1) is None
    True
    """
    parts = textwrap.wrap(text, max(chars, 1), break_long_words=False, break_on_hyphens=False)
    if lines is not None and len(parts) > lines:
        return None
    return "\n".join(parts)


def png_bytes(fig: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes (for embedding in HTML)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
