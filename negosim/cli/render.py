"""Readable terminal output for analysis results: the brief, then the tables and lists behind it.

Everything a person reads names parties, provisions and options by their
labels (:mod:`negosim.brief`); ids appear only in a dim line where a user
needs them to write YAML or ``--package``. Output must read at 80 columns
(the width of a pipe): lists are wrapped at their commas by :func:`wrap_items`
and sentences at spaces, so no label or reason is cut mid-word; tables hold
only short cells (numbers, verdicts, labels).

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.engine.analysis import analyze
>>> s = random_scenario(parties=2, provisions=3, options=2, seed=0)
>>> print_analysis(s, analyze(s), width=100)  # doctest: +ELLIPSIS
<BLANKLINE>
random-2x3x2-seed0...
"""

from __future__ import annotations

import textwrap

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from negosim.engine.ratification import ratification_lines
from negosim.engine.transfers import transfer_lines
from negosim.brief import (SOLUTION_TITLES, beyond_text, brief, change_texts, changes, common_changes, consent_rows,
                           number_label, party_label, provision_label, red_line_options, solution_groups,
                           solution_title)

# Every text that comes from a scenario (names, labels, ids, reasons that quote them) goes
# through escape() or into a plain Text: rich reads '[/red]' or '[bold]' in markup as a tag,
# and a closing tag with nothing open is a MarkupError that would end the command.


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def wrap_items(items: list[str], width: int, first: str = "", indent: str = "    ", end: str = "",
               space: bool = True) -> list[str]:
    """Lines of ``first`` followed by ``items`` joined with ", " (``space=False``: ","), broken only
    after a comma.

    An item longer than a whole line is broken at its spaces (never inside a word,
    unless one word is longer than the line). Every line but the first starts
    with ``indent``.

    >>> wrap_items(["Kyiv-held Donbas: Kyiv keeps it", "Security guarantee: None"], 44, "Changes: ")
    ['Changes: Kyiv-held Donbas: Kyiv keeps it,', '    Security guarantee: None']
    >>> wrap_items(["Security guarantee: None"], 30, "The changes of the Nash point: ")
    ['The changes of the Nash point:', '    Security guarantee: None']
    >>> wrap_items(["Weapons limits: Limited"], 30, "Nash: ")
    ['Nash: Weapons limits: Limited']
    """
    width = max(width, len(indent) + 20)
    lines, line, fresh = [], first, True  # fresh: nothing of the items on this line yet
    for k, item in enumerate(items):
        piece = item + ("," if k < len(items) - 1 else end)
        sep = "" if fresh or not space else " "
        if len(line) + len(sep) + len(piece) <= width:
            line, fresh = line + sep + piece, False
            continue
        if not fresh or (line.strip() and len(indent) + len(piece) <= width):
            lines.append(line.rstrip())  # a full line, or a prefix the first item would not fit after
            line, sep = indent, ""
        if len(line) + len(sep) + len(piece) <= width:
            line, fresh = line + sep + piece, False
        else:  # one item longer than a line: break it at its spaces
            parts = textwrap.wrap(line + sep + piece, width, subsequent_indent=indent,
                                  break_long_words=False, break_on_hyphens=False)
            lines += parts[:-1]
            line, fresh = parts[-1], False
    if line.strip():
        lines.append(line.rstrip())
    return lines


def print_items(con: Console, items: list[str], first: str = "", indent: str = "    ", style: str | None = None,
                end: str = "", space: bool = True) -> None:
    """Print :func:`wrap_items` at the console's width (plain text: no markup is read)."""
    for line in wrap_items(items, con.width, first, indent, end, space):
        con.print(Text(line, style=style or ""), no_wrap=True, overflow="ignore", crop=False)


class Paragraph(Text):
    """A :class:`~rich.text.Text` whose wrapped lines end without a space.

    rich wraps at spaces but leaves the space on the line it ends (and a left-justified
    table title padded to the table's width); a pipe then carries trailing spaces. The
    breaks are rich's own: only the line ends change. Usable as a table title too.

    >>> con = Console(width=12, file=__import__("io").StringIO())
    >>> [line.plain for line in Paragraph("one two three four").wrap(con, 12)]
    ['one two', 'three four']
    """

    @classmethod
    def of(cls, text) -> "Paragraph":
        """``text`` (a str or a Text, its styles kept) as a Paragraph."""
        if isinstance(text, Paragraph):
            return text
        if not isinstance(text, Text):
            return cls(text)
        out = cls(justify=text.justify, overflow=text.overflow, end=text.end)
        out.append_text(text)
        return out

    def wrap(self, *args, **kwargs):
        lines = super().wrap(*args, **kwargs)
        for line in lines:
            line.rstrip()
        return lines


def print_paragraph(con: Console, text) -> None:
    """Print ``text`` (a str, read as plain text, or a Text) wrapped at spaces at the console's
    width, as ``con.print`` wraps it, with no line ending in a space (:class:`Paragraph`)."""
    for line in Paragraph.of(text).wrap(con, con.width):
        con.print(line, no_wrap=True, overflow="ignore", crop=False)


def print_ids(con: Console, pairs) -> None:
    """A dim line of ``PROVISION=OPTION`` ids as ``--package`` takes them (wrapped after a comma
    when longer than the line: join the lines to paste it)."""
    print_items(con, [f"{p}={o}" for p, o in pairs], "    --package ", "        ", style="dim", space=False)


def _column_padding(table: Table, k: int) -> tuple[int, int]:
    """``(cells, column)``: the padding, left plus right, that rich adds to each cell of column
    ``k`` when it draws it, and the padding it adds to a column given a ``width``.

    Both from the table's public settings, as rich 13-15 apply them; they differ only with
    ``collapse_padding`` (rich takes the left padding off a column of fixed width, and off each
    cell but the first column's the right padding of its left neighbour).

    >>> _column_padding(Table("a", "b", padding=(0, 2)), 0), _column_padding(Table("a", "b", pad_edge=False), 1)
    ((4, 4), (1, 1))
    """
    _, right, _, left = table.padding
    first, last = k == 0, k == len(table.columns) - 1
    cell_left = max(0, left - right) if table.collapse_padding and not first else left
    col_left = 0 if table.collapse_padding else left
    if not table.pad_edge:
        cell_left, col_left = (0, 0) if first else (cell_left, col_left)
        right = 0 if last else right
    return cell_left + right, col_left + right


def measure_columns(con: Console, table: Table) -> tuple[list[Measurement], int]:
    """Each column's narrowest and widest width with its padding (no word cut at the narrowest),
    and the width of the table's borders: what rich gives a column when it lays the table out,
    measured with its public API (:meth:`rich.measure.Measurement.get` on each header, cell and
    footer that the table shows).

    >>> t = Table("party")
    >>> t.add_row("United States")
    >>> con = Console(width=80)
    >>> measure_columns(con, t)
    ([Measurement(minimum=8, maximum=15)], 2)
    """
    opts = con.options.update(max_width=1 << 20)
    measures = []
    for k, c in enumerate(table.columns):
        cell_pad, col_pad = _column_padding(table, k)
        if c.width is not None:
            measures.append(Measurement(c.width + col_pad, c.width + col_pad))
            continue
        cells = ([c.header] if table.show_header else []) + list(c.cells) + ([c.footer] if table.show_footer else [])
        ms = [Measurement.get(con, opts, cell) for cell in cells]
        m = Measurement(max((x.minimum + cell_pad for x in ms), default=1),
                        max((x.maximum + cell_pad for x in ms), default=opts.max_width))
        measures.append(m.clamp(None if c.min_width is None else c.min_width + col_pad,
                                None if c.max_width is None else c.max_width + col_pad))
    borders = (2 if table.box and table.show_edge else 0) + (len(table.columns) - 1 if table.box else 0)
    return measures, borders


def fit_table(con: Console, table: Table) -> bool:
    """Give ``table``'s columns widths that fit the console with no word cut; False when none do.

    Rich narrows the widest columns first when a table is too wide, which cuts
    words even where narrower columns would have room ("Zaporizhzhia/Khe…"). Here
    each column gets its longest word (its header's too) and the room left is
    shared in proportion to how much more each would take. A label without a
    space (an imported GENIUS profile name) is one long word: past the width no
    layout keeps it whole, and the caller prints a list instead.
    """
    ms, extra = measure_columns(con, table)
    if sum(m.minimum for m in ms) + extra > con.width:
        return False
    if sum(m.maximum for m in ms) + extra <= con.width:
        return True
    room = con.width - extra - sum(m.minimum for m in ms)
    slack = [m.maximum - m.minimum for m in ms]
    add = [0] * len(ms)
    # The columns that want least are made whole first ("United States" on one line), as long as
    # each takes no more than its share of what is left; the rest share the room in proportion.
    order = sorted(range(len(ms)), key=lambda k: slack[k])
    for n, k in enumerate(order):
        if slack[k] * (len(ms) - n) > room:
            rest = order[n:]
            total = sum(slack[j] for j in rest)
            for j in rest:
                add[j] = room * slack[j] // total
            for j in sorted(rest, key=lambda j: -slack[j])[:room - sum(add[j] for j in rest)]:
                add[j] += 1  # what the rounding down left, to the columns that want most
            break
        add[k], room = slack[k], room - slack[k]
    for k, (c, m) in enumerate(zip(table.columns, ms)):
        c.width = m.minimum + add[k] - _column_padding(table, k)[1]
    return True


def _why(scenario, v, draft) -> str:
    """A short reason for a table cell, in labels (the full one is Verdict.reason())."""
    if v.red_lines:
        return "red line: " + "; ".join(" with ".join(red_line_options(scenario, v.party, r, draft))
                                        for r in v.red_lines)
    return "reaches its fallback" if v.accepts else f"{v.reservation - v.utility:.3f} short of its fallback"


def print_consent(scenario, result, con: Console) -> None:
    """The table "Consent rules on the draft" (nothing without consent rules): each rule, whether
    the draft touches it, whether it is met, its quota and the members that accept
    (:func:`negosim.brief.consent_rows`, the report's rows)."""
    rows = consent_rows(scenario, result)
    if not rows:
        return
    con.print()
    t = Table(title=Paragraph("Consent rules on the draft"), title_justify="left")
    for col in ("rule", "touched", "met", "quota: who accepts"):
        t.add_column(col)
    met = {True: "[green]met[/green]", False: "[red]not met[/red]", None: "[dim]not touched[/dim]"}
    for r in rows:
        t.add_row(escape(r["label"]), "yes" if r["touched"] else "no", met[r["met"]], escape(r["words"]))
    if fit_table(con, t):
        con.print(t)
    else:  # too narrow for a table: a list
        print_paragraph(con, Text("Consent rules on the draft", style="italic"))
        for r in rows:
            state = "not touched" if r["met"] is None else ("met" if r["met"] else "not met")
            print_items(con, [f"{state}; {r['words']}"], f"{r['label']}: ")
    con.print()


def print_brief(scenario, result, con: Console, distance=None, lines: list[str] | None = None) -> None:
    """The brief (:func:`negosim.brief.brief`), one paragraph a sentence, wrapped at spaces."""
    for sentence in lines if lines is not None else brief(scenario, result, distance):
        print_paragraph(con, Text(sentence))


def print_analysis(scenario, result, console: Console | None = None, width: int | None = None,
                   distance=None, probabilities=None, drivers=None, brief_lines: list[str] | None = None) -> None:
    """Print the brief, then verdicts, zone, solution points and repairs.

    ``distance`` (from :func:`negosim.uncertainty.distance_to_yes.distance_to_yes`),
    ``probabilities`` (an :class:`negosim.uncertainty.acceptance.AcceptanceReport`) and
    ``drivers`` (from :func:`negosim.uncertainty.drivers.find_drivers`) are printed
    after them when given. ``brief_lines``: the brief's sentences when already built.
    """
    con = console or Console(width=width, soft_wrap=False)
    _print_analysis(scenario, result, con, distance, brief_lines)
    if distance is not None:
        print_distance(distance, con, scenario)
    if probabilities is not None:
        print_probabilities(probabilities, result.compiled.package_dict(result.compiled.draft), con, scenario)
    if drivers is not None:
        nash = result.solutions.get("nash")
        packages = {"draft": result.compiled.package_dict(result.compiled.draft)}
        if nash is not None:
            packages["nash"] = nash.package
        print_drivers(drivers, con, scenario, packages)


def print_distance(distance: dict, con: Console, scenario=None) -> None:
    """Each party's distance to yes (or to no): the one number whose smallest change flips its verdict.

    Parties no number flips for the same reason share one line.
    """
    con.print()
    print_paragraph(con, Text("Distance to yes: the smallest change of one number within its evidence range "
                              "(where none "
                              "brings a party to yes, of two) that flips each verdict", style="bold"))
    name_of = (lambda p: party_label(scenario, p)) if scenario is not None else (lambda p: p)
    same: dict[str, list[str]] = {}
    for party, d in distance.items():
        verdict = "accepts" if d.accepts else "rejects"
        who = f"{name_of(party)} {verdict}" + ("" if d.needed else " (not needed)")
        if d.flip is None and d.beyond is not None:
            print_paragraph(con, Text(f"{who}; {beyond_text(scenario, d.beyond)}"))
            for f in (d.beyond.flips if hasattr(d.beyond, "flips") else (d.beyond.flip,)):
                print_paragraph(con, Text(f"    {f.name}", style="dim"))
            continue
        if d.flip is None:
            why = d.reason
            if not d.accepts and why.startswith("crosses red line"):
                why = "on a red line; no number changes that"
            same.setdefault(why, []).append(who)
            continue
        f = d.flip
        name = number_label(scenario, f.path) if scenario is not None else f.name
        print_paragraph(con, Text(f"{who}; {'rejects' if d.accepts else 'accepts'} if {name} moves {f.point:.4g} -> "
                                  f"{f.to:.4g} ({100 * f.share:.0f} % of its range)"))
        if name != f.name:
            print_paragraph(con, Text(f"    {f.name}", style="dim"))
    for why, who in same.items():
        print_paragraph(con, Text(f"{', '.join(who)}: {why}"))


def _odds(o) -> str:
    lo, hi = o.ci
    return f"{o.p:.3f} [{lo:.3f}, {hi:.3f}]"


def print_probabilities(report, draft: dict[str, str], con: Console, scenario=None) -> None:
    """Acceptance probabilities of the best packages and the most robust package."""
    pct = f"{100 * report.confidence:g}%"
    label = (lambda p: party_label(scenario, p)) if scenario is not None else (lambda p: p)
    con.print()
    t = Table(title=Paragraph(f"Acceptance probabilities over {report.samples:,} draws of "
                              f"{report.uncertain_numbers} uncertain numbers (seed {report.seed}; {pct} Wilson "
                              "interval for all; * consent not needed; per-party intervals in --json)"),
              title_justify="left")
    # One row per package: points at one package share it ("Nash = Kalai–Smorodinsky"), and a
    # repair that is the draft (none was needed) is the draft's row, not a row of its own.
    rows: dict[tuple, list] = {}
    for po in report.packages:
        rows.setdefault(tuple(sorted(po.package.items())), []).append(po)
    shown = [group[0] for group in rows.values()]
    names = {group[0].name: " = ".join(SOLUTION_TITLES.get(po.name, po.name) for po in group
                                       if not (po.name.startswith("repair") and po.package == draft))
             for group in rows.values()}
    # The names stay whole (the other columns wrap at their spaces instead).
    t.add_column("package", no_wrap=True, min_width=max(map(len, names.values()), default=7))
    t.add_column("all needed accept", justify="right")
    ratify = any(po.ratified is not None for po in report.packages)  # some party has a ratifier
    if ratify:
        t.add_column("and ratified", justify="right")
    parties = list(report.packages[0].parties) if report.packages else []
    for p in parties:
        t.add_column(escape(label(p)), justify="right")
    for po in shown:
        cells = [f"{o.p:.3f}" + ("" if po.needed[p] else "*") for p, o in po.parties.items()]
        t.add_row(escape(names[po.name]), _odds(po.all), *((_odds(po.ratified),) if ratify else ()), *cells)
    con.print(t)
    for po in shown:
        _print_changes(con, scenario, f"{names[po.name]}: ", po.package, draft)
    r = report.robust
    if r is None:
        if report.robust_error is not None:
            print_paragraph(con, Text(f"Most robust package: not searched ({report.robust_error})"))
        else:
            print_paragraph(con, Text(f"Most robust package: none ({report.robust_reason})"))
        return
    where = f"of all {r.searched:,} packages" if r.whole_space else f"among {r.searched:,} candidate packages"
    print_paragraph(con, Text(f"Most robust package {where}: every needed party accepts it in "
                              f"{_odds(r.odds.all)} of draws "
                              f"({r.any_draw:,} packages are unanimous in at least one draw)."))
    _print_changes(con, scenario, "    ", r.package, draft)
    print_paragraph(con, Text(f"How sure: {r.note()}.", style="dim"))


def _print_changes(con, scenario, first: str, package: dict, draft: dict) -> None:
    """A package's changes from the draft by label, wrapped at commas."""
    pairs = changes(scenario, package, draft)
    if not pairs:
        print_items(con, ["(the draft)"], first)
        return
    texts = change_texts(scenario, pairs) if scenario is not None else [f"{p}={o}" for p, o in pairs]
    print_items(con, texts, first)


def _first_sentence(text: str) -> str:
    """The first sentence of a description (its lines joined: YAML folds them anywhere).

    >>> _first_sentence("The November plan: all of Donbas  to Russia. Then more.")
    'The November plan: all of Donbas to Russia.'
    """
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[:end + 1]


def _print_analysis(scenario, result, con: Console, distance=None, brief_lines=None) -> None:
    cs = result.compiled
    draft = cs.package_dict(cs.draft)
    label = {p: party_label(scenario, p) for p in cs.party_ids}
    con.print()
    first_line = _first_sentence(scenario.description)
    title = Text(scenario.name, style="bold")
    if first_line:
        title.append(f"  {first_line}")
    print_paragraph(con, title)
    con.print()
    print_brief(scenario, result, con, distance, brief_lines)
    con.print()
    t = Table(title=Paragraph("Verdicts on the draft"), title_justify="left")
    for col in ("party", "utility", "fallback", "margin", "verdict", "why"):
        t.add_column(col, justify="right" if col in ("utility", "fallback", "margin") else "left")
    for v in result.draft.values():
        verdict = "[green]accepts[/green]" if v.accepts else "[red]rejects[/red]"
        if not v.needed:
            verdict += " [dim](not needed)[/dim]"
        t.add_row(escape(label.get(v.party, v.party)), _fmt(v.utility), _fmt(v.reservation), f"{v.margin:+.3f}",
                  verdict, escape(_why(scenario, v, draft)))
    if fit_table(con, t):
        con.print(t)
    else:  # labels too long for a table at this width: one paragraph per party
        print_paragraph(con, Text("Verdicts on the draft", style="italic"))
        for v in result.draft.values():
            print_items(con, [f"{'accepts' if v.accepts else 'rejects'}{'' if v.needed else ' (not needed)'}, "
                              f"utility {_fmt(v.utility)} against a fallback of {_fmt(v.reservation)} "
                              f"(margin {v.margin:+.3f}): {_why(scenario, v, draft)}"],
                        f"{label.get(v.party, v.party)} ")
    deal = "[green]every needed party accepts the draft[/green]" if result.draft_accepted else \
        "[red]the draft is rejected[/red]"
    con.print(f"Draft: {deal}")
    print_consent(scenario, result, con)
    for line in ratification_lines(result, label):  # two-level games: signed, then ratified or not
        print_paragraph(con, Text(line))
    for line in transfer_lines(result, label):  # side payments: the zone and Nash point with a split
        print_paragraph(con, Text(line))
    print_paragraph(con, Text(f"Packages: {result.space_size:,}   zone of agreement: {result.zone_size:,} "
                              f"({100 * result.zone_size / result.space_size:.3g}%)   Pareto front: "
                              f"{result.pareto_size if result.pareto_size is not None else '-'}"))
    _print_solutions(scenario, result, con, draft, label)
    _print_repairs(scenario, result, con, label)


def _print_solutions(scenario, result, con, draft, label) -> None:
    """Solution points, those at the same package once ("Nash = Kalai–Smorodinsky: ...")."""
    cs = result.compiled
    groups = solution_groups(result.solutions)
    con.print()
    t = Table(title=Paragraph("Solution points (each party's utility)"), title_justify="left")
    t.add_column("solution")
    for p in cs.party_ids:
        t.add_column(escape(label[p]), justify="right")
    for names, s in groups:
        cells = ["-"] * len(cs.party_ids) if s is None else [_fmt(s.utilities[p]) for p in cs.party_ids]
        t.add_row(escape(solution_title(names)), *cells)
    if fit_table(con, t):
        con.print(t)
    else:  # a column per party does not fit whole labels: one list per point
        print_paragraph(con, Text("Solution points (each party's utility)", style="italic"))
        for names, s in groups:
            if s is not None:
                print_items(con, [f"{label[p]} {_fmt(s.utilities[p])}" for p in cs.party_ids],
                            f"{solution_title(names)}: ")
    for names, s in groups:
        if s is None:
            print_paragraph(con, Text(f"{solution_title(names)}: none (empty zone, or no gain for everyone)"))
            continue
        n = len(changes(scenario, s.package, draft))
        _print_changes(con, scenario, f"{solution_title(names)} ({n} change{'s' if n != 1 else ''} from the "
                                      "draft): ", s.package, draft)


def _effects(scenario, deltas: dict, label) -> list[str]:
    parts = [f"{label.get(p, p)} {d:+.3f}" for p, d in deltas.items() if abs(d) > 5e-4]
    return parts or ["no change"]


def _print_repairs(scenario, result, con, label) -> None:
    """The minimal repairs: what the listed ones share once, then each one's difference."""
    con.print()
    if result.repair_size is None:
        con.print("Repairs: none (no package is acceptable to every needed party)")
        return
    if result.repair_size == 0:
        con.print("Repairs: none needed (the draft is in the zone of agreement)")
        return
    print_paragraph(con, Text(f"Minimal repairs: {result.repair_size} provision(s) to change; {result.repair_count:,} "
                              f"such repairs; best {len(result.repairs)} by Nash product:", style="bold"))
    if not result.repairs:
        return
    common = common_changes(result.repairs) if len(result.repairs) > 1 else []
    first = result.repairs[0]
    if common:
        which = f"All {len(result.repairs)} set" if len(result.repairs) == result.repair_count else \
            f"Each of the best {len(result.repairs)} sets"
        print_items(con, change_texts(scenario, common), f"{which}: ")
        for prov, _ in common:
            print_items(con, _effects(scenario, first.effects[prov], label),
                        f"    {provision_label(scenario, prov)}: ", "        ")
    for i, r in enumerate(result.repairs, 1):
        rest = [(p, o) for p, o in r.changes.items() if (p, o) not in common]
        head = f"{i}. " + ("and " if common and rest else "")
        print_items(con, change_texts(scenario, rest) if rest else ["nothing more"], head, "    ",
                    end=f" (Nash product {r.nash_product:.4g})")
        for prov, deltas in r.effects.items():
            if (prov, r.changes.get(prov)) in common:
                continue
            name = "linkages" if prov == "(linkages)" else provision_label(scenario, prov)
            print_items(con, _effects(scenario, deltas, label), f"    {name}: ", "        ")
        print_ids(con, r.changes.items())


#: Drivers listed under each headline in the terminal (``--json`` lists every one).
DRIVERS_SHOWN = 5
_GRADE_STYLE = {"assumed": "bold yellow", "grade": "green"}


def _grade_style(d) -> str:
    return _GRADE_STYLE["assumed"] if d.assumed else ("dim" if d.grade == "ungraded" else _GRADE_STYLE["grade"])


def print_drivers(drivers, con: Console, scenario=None, packages: dict | None = None) -> None:
    """What drives the headline results (:func:`negosim.uncertainty.drivers.find_drivers`): one
    sentence per result, then its closest drivers; assumed grades in yellow.

    With ``scenario`` and ``packages`` (``{"draft": ..., "nash": ...}``, ``{provision: option}``)
    a result held by a red line names the options that cross it, by label.

    Plain rich ``Text`` wrapped at spaces, not a table: dotted number names are
    never cut at 80 columns (only a name longer than the line would be).
    """
    from rich.padding import Padding
    from rich.text import Text
    con.print()
    print_paragraph(con, Text("What drives the results", style="bold"))
    print_paragraph(con, Text("One number moved at a time within its evidence range, every other number at its point "
                              "value and every parameter at its value. Share of range: how far from its point towards "
                              "the end of its range on that side a number must move to flip the result (0 % at the "
                              "point, 100 % at the end). Assumed: graded context, or without a quote.", style="dim"))
    hang = [h for h in drivers.headlines if h.assumed]
    if hang:
        print_paragraph(con, Text(f"{len(hang)} of {len(drivers.headlines)} headline results hang on an "
                                  "assumed number: "
                                  + ", ".join(h.subject() for h in hang) + ".", style=_GRADE_STYLE["assumed"]))
    # The results that hang on numbers first, each with its drivers; then, in one paragraph each,
    # those no single number flips, those held by a red line, and the missing Nash point.
    for h in (h for h in drivers.headlines if h.drivers):
        con.print()
        line = Text()
        # The headline names its closest number by its dotted name; a person reads it in words
        # (the rows below give the dotted name beside each).
        closest = h.drivers[0].name
        named = number_label(scenario, h.drivers[0].path) if scenario is not None else closest
        for text, tag in h.segments():
            line.append(text.replace(closest, named) if tag is None else text,
                        style=_GRADE_STYLE.get(tag) if tag else None)
        print_paragraph(con, line)
        for i, d in enumerate(h.drivers[:DRIVERS_SHOWN], 1):
            named = number_label(scenario, d.path) if scenario is not None else d.name
            row = Text(f"{i}. {named} ")
            if named != d.name:
                row.append(f"({d.name}) ", style="dim")
            row.append(d.grade, style=_grade_style(d))
            row.append(f" {d.point:.4g} -> {d.to:.4g}, {100 * d.share:.0f} % of its range "
                       f"[{d.bounds[0]:.4g}, {d.bounds[1]:.4g}]")
            row.append(f"; source {d.source}" if d.source else "; no source")
            if not d.exact:
                row.append(" (ends and interior points tested)", style="dim")
            con.print(Padding(Paragraph.of(row), (0, 0, 0, 4)))
        if len(h.drivers) > DRIVERS_SHOWN:
            con.print(Padding(Paragraph(f"and {len(h.drivers) - DRIVERS_SHOWN} more (--json lists every one)",
                                   style="dim"), (0, 0, 0, 4)))
    free = [h for h in drivers.headlines if h.now is not None and not h.drivers and not h.red_lines]
    if free:
        con.print()
        print_paragraph(con, Text(f"No single number flips these within its evidence range ({drivers.numbers_tried} "
                                  "uncertain numbers that move utilities or reservations tried): "
                                  + "; ".join(h.subject() for h in free) + "."))
    for h in (h for h in drivers.headlines if h.red_lines):
        con.print()
        pkg = (packages or {}).get(h.kind)
        if scenario is None or pkg is None:
            print_paragraph(con, Text(h.sentence()))
            continue
        crossed = "; ".join(" with ".join(red_line_options(scenario, h.party, r, pkg)) for r in h.red_lines)
        what = "a red line" if len(h.red_lines) == 1 else "red lines"
        print_paragraph(con, Text(f"{h.subject()} does not hang on any single number: it crosses {what}, {crossed}, "
                                  "which no number changes."))
    missing = [h for h in drivers.headlines if h.now is None]
    if missing:
        con.print()
        print_paragraph(con, Text(f"No verdict on the Nash point: {missing[0].reason}."))
    con.print()
    print_paragraph(con, Text(f"{drivers.numbers_tried} uncertain numbers tried; "
                              f"{drivers.zone_tests:,} exact zone tests "
                              f"in {drivers.seconds:.1f} s.", style="dim"))
