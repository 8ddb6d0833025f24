"""Readable terminal output (rich tables) for analysis results.

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

from rich.console import Console
from rich.markup import escape
from rich.table import Table

# Every text that comes from a scenario (names, labels, ids, reasons that quote them) goes
# through escape(): rich reads '[/red]' or '[bold]' in it as markup, and a closing tag with
# nothing open is a MarkupError that would end the command.


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def _diff(package: dict[str, str], draft: dict[str, str]) -> str:
    changes = [f"{p}={o}" for p, o in package.items() if draft.get(p) != o]
    return escape(", ".join(changes)) if changes else "(the draft)"


def _why(v) -> str:
    """A short reason for a table cell (the full one is Verdict.reason())."""
    if v.red_lines:
        return "crosses red line " + escape(", ".join(v.red_lines))
    return "reaches its reservation" if v.accepts else "below its reservation"


def print_analysis(scenario, result, console: Console | None = None, width: int | None = None,
                   distance=None, probabilities=None, drivers=None) -> None:
    """Print verdicts, zone, solution points and repairs as tables.

    ``distance`` (from :func:`negosim.uncertainty.distance_to_yes.distance_to_yes`),
    ``probabilities`` (an :class:`negosim.uncertainty.acceptance.AcceptanceReport`) and
    ``drivers`` (from :func:`negosim.uncertainty.drivers.find_drivers`) are printed
    after them when given.
    """
    con = console or Console(width=width, soft_wrap=False)
    _print_analysis(scenario, result, con)
    if distance is not None:
        print_distance(distance, con)
    if probabilities is not None:
        print_probabilities(probabilities, result.compiled.package_dict(result.compiled.draft), con)
    if drivers is not None:
        print_drivers(drivers, con)


def print_distance(distance: dict, con: Console) -> None:
    """Each party's distance to yes (or to no): the one number whose smallest change flips its verdict."""
    t = Table(title="Distance to yes: the smallest change of one number, within its evidence range, "
                    "that flips each verdict", title_justify="left")
    t.add_column("party")
    t.add_column("verdict")
    t.add_column("flips if this number", overflow="fold")
    t.add_column("moves", justify="right")
    t.add_column("of range", justify="right")
    for party, d in distance.items():
        verdict = "[green]accepts[/green]" if d.accepts else "[red]rejects[/red]"
        if not d.needed:
            verdict += " [dim](not needed)[/dim]"
        if d.flip is None:
            t.add_row(escape(party), verdict, f"[dim]{escape(d.reason)}[/dim]", "", "")
            continue
        f = d.flip
        t.add_row(escape(party), verdict, escape(f.name), f"{f.point:.4g} -> {f.to:.4g}", f"{100 * f.share:.0f}%")
    con.print(t)


def _odds(o) -> str:
    lo, hi = o.ci
    return f"{o.p:.3f} [{lo:.3f}, {hi:.3f}]"


def print_probabilities(report, draft: dict[str, str], con: Console) -> None:
    """Acceptance probabilities of the best packages and the most robust package."""
    pct = f"{100 * report.confidence:g}%"
    t = Table(title=f"Acceptance probabilities over {report.samples:,} draws of {report.uncertain_numbers} "
                    f"uncertain numbers (seed {report.seed}; {pct} Wilson interval for all; "
                    "* consent not needed; per-party intervals in --json)", title_justify="left")
    t.add_column("package")
    t.add_column("all needed accept", justify="right")
    parties = list(report.packages[0].parties) if report.packages else []
    for p in parties:
        t.add_column(escape(p), justify="right")
    t.add_column("changes from the draft", overflow="fold")
    for po in report.packages:
        cells = [f"{o.p:.3f}" + ("" if po.needed[p] else "*") for p, o in po.parties.items()]
        t.add_row(escape(po.name), _odds(po.all), *cells, _diff(po.package, draft))
    con.print(t)
    r = report.robust
    if r is None:
        if report.robust_error is not None:
            con.print(f"Most robust package: not searched ({escape(str(report.robust_error))})")
        else:
            con.print(f"Most robust package: none ({escape(str(report.robust_reason))})")
        return
    where = f"of all {r.searched:,} packages" if r.whole_space else f"among {r.searched:,} candidate packages"
    con.print(f"Most robust package {where}: {_diff(r.package, draft)}; every needed party accepts it "
              f"in {_odds(r.odds.all)} of draws ({r.any_draw:,} packages are unanimous in at least one draw).")
    con.print(f"[dim]How sure: {escape(r.note())}.[/dim]")


def _print_analysis(scenario, result, con: Console) -> None:
    cs = result.compiled
    draft = cs.package_dict(cs.draft)
    con.print()
    first_line = scenario.description.strip().splitlines()[0] if scenario.description.strip() else ""
    con.print(f"[bold]{escape(scenario.name)}[/bold]  {escape(first_line)}")
    t = Table(title="Verdicts on the draft", title_justify="left")
    for col in ("party", "utility", "reservation", "margin", "verdict", "why"):
        t.add_column(col, justify="right" if col in ("utility", "reservation", "margin") else "left")
    for v in result.draft.values():
        label = scenario.parties[v.party].label or v.party if v.party in scenario.parties else v.party
        verdict = "[green]accepts[/green]" if v.accepts else "[red]rejects[/red]"
        if not v.needed:
            verdict += " [dim](not needed)[/dim]"
        t.add_row(escape(label), _fmt(v.utility), _fmt(v.reservation), f"{v.margin:+.3f}", verdict, _why(v))
    con.print(t)
    deal = "[green]every needed party accepts the draft[/green]" if result.draft_accepted else \
        "[red]the draft is rejected[/red]"
    con.print(f"Draft: {deal}")
    con.print(f"Packages: {result.space_size:,}   zone of agreement: {result.zone_size:,} "
              f"({100 * result.zone_size / result.space_size:.3g}%)   Pareto front: "
              f"{result.pareto_size if result.pareto_size is not None else '-'}")
    t = Table(title="Solution points (changes from the draft)", title_justify="left")
    t.add_column("solution")
    for p in cs.party_ids:
        t.add_column(escape(p), justify="right")
    t.add_column("changes from the draft", overflow="fold")
    for name, s in result.solutions.items():
        if s is None:
            t.add_row(name, *["-"] * len(cs.party_ids), "none")
        else:
            t.add_row(name, *[_fmt(s.utilities[p]) for p in cs.party_ids], _diff(s.package, draft))
    con.print(t)
    if result.repair_size is None:
        con.print("Repairs: none (no package is acceptable to every needed party)")
    elif result.repair_size == 0:
        con.print("Repairs: none needed (the draft is in the zone of agreement)")
    else:
        con.print(f"Minimal repairs: {result.repair_size} provision(s) to change; "
                  f"{result.repair_count:,} such repairs; best {len(result.repairs)} by Nash product:")
        t = Table(title_justify="left")
        t.add_column("#", justify="right")
        t.add_column("changes")
        t.add_column("nash", justify="right")
        t.add_column("who gains / loses (utility change)")
        for i, r in enumerate(result.repairs, 1):
            eff = []
            for prov, deltas in r.effects.items():
                parts = " ".join(f"{p}{d:+.3f}" for p, d in deltas.items() if abs(d) > 5e-4)
                eff.append(escape(f"{prov}: {parts or 'no change'}"))
            t.add_row(str(i), escape(", ".join(f"{k}={v}" for k, v in r.changes.items())), f"{r.nash_product:.4g}",
                      "\n".join(eff))
        con.print(t)


#: Drivers listed under each headline in the terminal (``--json`` lists every one).
DRIVERS_SHOWN = 5
_GRADE_STYLE = {"assumed": "bold yellow", "grade": "green"}


def _grade_style(d) -> str:
    return _GRADE_STYLE["assumed"] if d.assumed else ("dim" if d.grade == "ungraded" else _GRADE_STYLE["grade"])


def print_drivers(drivers, con: Console) -> None:
    """What drives the headline results (:func:`negosim.uncertainty.drivers.find_drivers`): one
    sentence per result, then its closest drivers; assumed grades in yellow.

    Plain rich ``Text`` wrapped at spaces, not a table: dotted number names are
    never cut at 80 columns (only a name longer than the line would be).
    """
    from rich.padding import Padding
    from rich.text import Text
    con.print()
    con.print(Text("What drives the results", style="bold"))
    con.print(Text("One number moved at a time within its evidence range, every other number at its point "
                   "value and every parameter at its value. Share of range: how far from its point towards "
                   "the end of its range on that side a number must move to flip the result (0 % at the "
                   "point, 100 % at the end). Assumed: graded context, or without a quote.", style="dim"))
    hang = [h for h in drivers.headlines if h.assumed]
    if hang:
        con.print(Text(f"{len(hang)} of {len(drivers.headlines)} headline results hang on an assumed number: "
                       + ", ".join(h.subject() for h in hang) + ".", style=_GRADE_STYLE["assumed"]))
    # The results that hang on numbers first, each with its drivers; then, in one paragraph each,
    # those no single number flips, those held by a red line, and the missing Nash point.
    for h in (h for h in drivers.headlines if h.drivers):
        con.print()
        line = Text()
        for text, tag in h.segments():
            line.append(text, style=_GRADE_STYLE.get(tag) if tag else None)
        con.print(line)
        for i, d in enumerate(h.drivers[:DRIVERS_SHOWN], 1):
            row = Text(f"{i}. {d.name} ")
            row.append(d.grade, style=_grade_style(d))
            row.append(f" {d.point:.4g} -> {d.to:.4g}, {100 * d.share:.0f} % of its range "
                       f"[{d.bounds[0]:.4g}, {d.bounds[1]:.4g}]")
            row.append(f"; source {d.source}" if d.source else "; no source")
            if not d.exact:
                row.append(" (ends and interior points tested)", style="dim")
            con.print(Padding(row, (0, 0, 0, 4)))
        if len(h.drivers) > DRIVERS_SHOWN:
            con.print(Padding(Text(f"and {len(h.drivers) - DRIVERS_SHOWN} more (--json lists every one)",
                                   style="dim"), (0, 0, 0, 4)))
    free = [h for h in drivers.headlines if h.now is not None and not h.drivers and not h.red_lines]
    if free:
        con.print()
        con.print(Text(f"No single number flips these within its evidence range ({drivers.numbers_tried} "
                       "uncertain numbers that move utilities or reservations tried): "
                       + "; ".join(h.subject() for h in free) + "."))
    for h in (h for h in drivers.headlines if h.red_lines):
        con.print()
        con.print(Text(h.sentence()))
    missing = [h for h in drivers.headlines if h.now is None]
    if missing:
        con.print()
        con.print(Text(f"No verdict on the Nash point: {missing[0].reason}."))
    con.print()
    con.print(Text(f"{drivers.numbers_tried} uncertain numbers tried; {drivers.zone_tests:,} exact zone tests "
                   f"in {drivers.seconds:.1f} s.", style="dim"))
