"""fit_table's measures (negosim.cli.render) against what rich actually draws.

Random tables in many settings (boxes, edges, padding, collapsed padding, headers and
footers, markup, two-cell characters) are measured by :func:`measure_columns`, then drawn by
rich into a string: with no limit on the width, the table is exactly as wide as the sum of
the widest columns and the borders; at the sum of the narrowest, :func:`fit_table` fits the
table and no word is cut; one column narrower, it says no table fits, and rich's own layout
does cut a word.

Two-cell characters (漢) are left out of the test of cut words: rich 13-15 cuts a word that
fills its line and holds one when more words follow in a left-justified cell (its
``Text.rstrip_end`` counts characters, not cells, so the line keeps its trailing space and
is ellipsised), at every width, whatever fit_table measures.
"""

from __future__ import annotations

import io
import random
import re
from collections import Counter

import pytest
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from negosim.cli.render import fit_table, measure_columns

LETTERS = "abcdefghijklmnopqrstuvwxyzé"
WIDE = "漢"  # two cells
WORD = re.compile(f"[{LETTERS}{WIDE}]+")
BOXES = [box.HEAVY_HEAD, box.SIMPLE, box.ASCII, box.MINIMAL, box.ROUNDED, None]
PADDINGS = [(0, 1), (0, 2), (1, 0, 0, 3), (0, 1, 0, 0), (0, 0, 0, 2), 0]


def random_table(seed: int, sizes: bool = False, wide: bool = False) -> Table:
    """A table of random words; ``sizes``: some columns also get a width, min_width, max_width or no_wrap
    (with those a column may be drawn narrower than its longest word whatever the width);
    ``wide``: some letters take two cells."""
    r = random.Random(seed)
    letters = LETTERS + WIDE if wide else LETTERS
    kw = dict(box=r.choice(BOXES), show_edge=r.random() < 0.7, pad_edge=r.random() < 0.7,
              collapse_padding=r.random() < 0.3, padding=r.choice(PADDINGS),
              show_header=r.random() < 0.8, show_footer=r.random() < 0.2)
    if kw["box"] is None and kw["padding"] == 0:
        kw["padding"] = (0, 1)  # cells would touch: two words would read as one
    t = Table(**kw)

    def cell() -> str:
        words = ["".join(r.choice(letters) for _ in range(r.choice([1, 3, 5, 8, 13, 21])))
                 for _ in range(r.randint(1, 4))]
        text = escape(" ".join(words))
        return f"[green]{text}[/green]" if r.random() < 0.2 else text

    n = r.randint(1, 6)
    for _ in range(n):
        ck = {"justify": r.choice(["left", "right", "center"]), "footer": cell()}
        if sizes:
            ck.update(r.choice([{}, {"width": r.randint(2, 10)}, {"min_width": r.randint(1, 15)},
                                {"max_width": r.randint(3, 20)}, {"no_wrap": True}]))
        t.add_column(cell(), **ck)
    for _ in range(r.randint(1, 5)):
        t.add_row(*[cell() for _ in range(n)])
    return t


def draw(table: Table, width: int) -> str:
    con = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    con.print(table)
    return con.file.getvalue()


def shown_words(table: Table) -> Counter:
    """Every word of the cells the table shows (markup read), with its count."""
    cells = []
    for c in table.columns:
        cells += ([c.header] if table.show_header else []) + list(c.cells) + ([c.footer] if table.show_footer else [])
    return Counter(w for x in cells for w in WORD.findall(Text.from_markup(x).plain))


def all_whole(table: Table, out: str) -> bool:
    """Whether every word of the cells is drawn whole (a cut word is folded over lines or ends in …)."""
    return not shown_words(table) - Counter(WORD.findall(out))


def limits(table: Table) -> tuple[int, int]:
    """The narrowest and widest width of the whole table, by :func:`measure_columns`."""
    ms, borders = measure_columns(Console(width=80, file=io.StringIO()), table)
    return sum(m.minimum for m in ms) + borders, sum(m.maximum for m in ms) + borders


@pytest.mark.parametrize("sizes", [False, True])
def test_widest_is_the_width_rich_draws(sizes):
    for seed in range(150):
        t = random_table(seed, sizes, wide=True)
        widest = limits(t)[1]
        out = draw(t, 10_000)
        assert max(cell_len(x) for x in out.splitlines()) == widest, seed


def test_narrowest_fits_with_every_word_whole_and_one_less_cuts():
    for seed in range(150):
        narrowest, widest = limits(random_table(seed))
        for width in sorted({narrowest - 1, narrowest, (narrowest + widest) // 2, widest - 1, widest, widest + 7}):
            t = random_table(seed)
            con = Console(width=width, file=io.StringIO())
            fits = fit_table(con, t)
            assert fits is (width >= narrowest), (seed, width)
            if not fits:
                # rich's own layout at this width has to cut a word: no layout can keep them whole.
                assert not all_whole(t, draw(t, width)), (seed, width)
                continue
            out = draw(t, width)
            assert all_whole(t, out), (seed, width, out)
            assert max(cell_len(x) for x in out.splitlines()) <= width, (seed, width)
