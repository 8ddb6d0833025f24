"""``negosim sources FILE``: every number of a scenario with its evidence and its grade."""

from __future__ import annotations

import json
import sys

#: What --status filters on: an item's status (sourced, context, ...) or, for sourced numbers, its grade.
STATUSES = ("sourced", "states", "implies", "context", "assumption", "ungraded", "unsourced")


def add_parser(sub) -> None:
    p = sub.add_parser("sources", help="list every number with its source, quote, grade and confidence",
                       description="List every number of a scenario with its evidence: source id, verbatim "
                                   "quote, grade (states, implies, context; ungraded when the quote has no "
                                   "'supports') and confidence, or the reason it is an assumption; then the "
                                   "counts by grade and those of the deciding numbers (reservations or no-deal "
                                   "terms, and each party's three largest weights). Only quotes graded states "
                                   "or implies count as sourced. Numbers left at the format's neutral defaults "
                                   "are counted apart, and so are the values of a provision that a party "
                                   "weighs 0 in every draw (listed, marked inert: they decide nothing in this "
                                   "round). Numbers are named as the other commands name them (no-deal "
                                   "outcomes and linkages by id). What each outcome of the no_deal section "
                                   "brings (its package) is listed after the numbers with its evidence, in "
                                   "no count.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true",
                   help="print {numbers, sourced, assumptions, unsourced, inert, grades, by_party, deciding, "
                        "items: [...], red_lines, options, outcome_packages: [...]} as JSON (items marked "
                        "inert are in no count but 'inert'; the last three are not numbers: in no count, "
                        "and not filtered)")
    p.add_argument("--party", metavar="ID",
                   help="only this party's numbers (outcome packages, no party's, are then not shown)")
    p.add_argument("--status", choices=STATUSES,
                   help="only numbers (and outcome packages) with this status (sourced = states or "
                        "implies) or grade")
    p.add_argument("--claims", action="store_true", help="also show what each quote is taken to show")
    p.add_argument("--articles", metavar="DIR",
                   help="folder of the article files (default: the scenario's 'articles' key)")
    p.set_defaults(func=run)


def run(args) -> int:
    from negosim.errors import NegosimError
    from negosim.scenario.provenance import overused_quotes, provenance
    from negosim.scenario.yaml_io import load_scenario
    ls = load_scenario(args.file, articles=args.articles)
    report = provenance(ls)
    if args.party is not None and args.party not in ls.scenario.parties:
        raise NegosimError(f"unknown party '{args.party}' (known: {', '.join(ls.scenario.parties)})")
    items = [it for it in report.items
             if (args.party is None or it.path.startswith(f"parties.{args.party}."))
             and (args.status is None or args.status in (it.status, it.grade))]
    if args.json:
        out = report.to_json()
        out["items"] = [it.to_json() for it in items]
        json.dump(out, sys.stdout, indent=2)
        print()
        return 0
    packages = [] if args.party is not None else \
        [e for e in report.outcome_packages if args.status is None or args.status in (e.status, e.grade)]
    _print(ls.scenario, report, items, packages, overused_quotes(ls), args.claims)
    return 0


#: The line under the counts when some numbers are inert (``{n}``: how many).
INERT_NOTE = ("{n} numbers decide nothing in this round (values of provisions a party weighs 0) and are not "
              "counted (marked inert above).")


def _value(it) -> str:
    return f"{it.low:g}-{it.high:g}" if it.low is not None else f"{it.value:g}"


#: How the grade column shows each grade.
_GRADE_CELL = {"states": "states", "implies": "implies", "context": "[yellow]context[/yellow]",
               "ungraded": "[yellow]ungraded[/yellow]", "assumption": "[yellow]assumed[/yellow]",
               "unsourced": "[red]none[/red]"}


def _counts(grades: dict) -> str:
    """``3 states, 1 implies, 2 context, 4 assumptions, 0 ungraded, 0 unsourced``."""
    return (f"{grades['states']} states, {grades['implies']} implies, {grades['context']} context, "
            f"{grades['assumption']} assumptions, {grades['ungraded']} ungraded, {grades['unsourced']} unsourced")


def _evidence_cell(it) -> tuple[str, str]:
    """The source and the "quote, or why it is assumed" cells of a number or an outcome package."""
    from rich.markup import escape
    if it.quote is not None:
        text = f'"{escape(it.quote)}"'
        if it.assumption:  # a context quote: the size is still assumed, and why
            text += f" [yellow]assumed:[/yellow] {escape(it.assumption)}"
        return escape(it.source), text
    if it.status == "assumption":
        return "", escape(it.assumption)
    return "", "[red]no source and no assumption[/red]"


#: Widest the outcome-and-package column of the outcome packages may insist on being (characters).
_PACKAGE_WIDTH = 28


def _package_table(packages, claims: bool):
    """One row per no-deal outcome: its package entries and their (shared) evidence."""
    from rich.markup import escape
    from rich.table import Table
    t = Table(title="What fighting on brings: the evidence of each no-deal outcome's package (not numbers: "
                    "in none of the counts below)", title_justify="left")
    by_outcome: dict[str, list] = {}
    for e in packages:
        by_outcome.setdefault(e.outcome, []).append(e)
    # The outcome id over its entries, one a line: the entries stay whole at 80 columns and the
    # quote keeps the width that is left.
    cells = {o: [f"{o}:"] + [f"  {e.provision}={e.option}" if e.provision is not None else "  (status quo)"
                             for e in entries] for o, entries in by_outcome.items()}
    widest = max(len(line) for lines in cells.values() for line in lines)
    t.add_column("outcome: package", overflow="fold", min_width=min(widest, _PACKAGE_WIDTH))
    t.add_column("grade")
    t.add_column("source")
    t.add_column("quote, or why it is assumed", overflow="fold")
    if claims:
        t.add_column("claim", overflow="fold")
    for outcome, entries in by_outcome.items():
        first = entries[0]  # every entry of an outcome has the outcome's evidence
        row = [escape("\n".join(cells[outcome])), _GRADE_CELL[first.grade], *_evidence_cell(first)]
        if claims:
            row.append(escape(first.claim or ""))
        t.add_row(*row)
    return t


def _print(scenario, report, items, packages, overused, claims: bool) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from negosim.scenario.provenance import DECIDING_WEIGHTS
    con = Console(soft_wrap=False)
    # Everything from the scenario is escaped: a name such as 'talks [/red]' is rich markup.
    t = Table(title=f"Evidence behind the numbers of {escape(scenario.name)}", title_justify="left")
    t.add_column("number", overflow="fold")
    t.add_column("value", justify="right")
    t.add_column("grade")
    t.add_column("source")
    t.add_column("conf.")
    t.add_column("quote, or why it is assumed", overflow="fold")
    if claims:
        t.add_column("claim", overflow="fold")
    for it in items:
        src, text = _evidence_cell(it)
        # An inert number keeps its grade on the row's first line (scripts read it there); "inert" under it.
        grade = _GRADE_CELL[it.grade] + ("\n[dim]inert[/dim]" if it.inert else "")
        row = [escape(it.path), _value(it), grade, src, it.confidence or "", text]
        if claims:
            row.append(escape(it.claim or ""))
        t.add_row(*row)
    con.print(t)
    if packages:
        con.print(_package_table(packages, claims))
    grades, d = report.grades(), report.deciding_summary()
    # The summary lines are not wrapped: scripts and tests read each as one line.
    con.print(f"{report.numbers} numbers: {report.sourced} sourced ({100 * report.share_sourced:.1f}%): "
              f"{_counts(grades)}; {len(report.defaults)} left at the format's defaults.", soft_wrap=True)
    con.print(f"{d['numbers']} deciding numbers (reservations or no-deal terms, each party's "
              f"{DECIDING_WEIGHTS} largest weights): {d['states'] + d['implies']} supported "
              f"({100 * d['share_supported']:.1f}%): {_counts(d)}.", soft_wrap=True)
    if report.inert:
        con.print(INERT_NOTE.format(n=report.inert), soft_wrap=True)
    for (source, quote), paths in overused.items():
        con.print(f"[yellow]note:[/yellow] one {escape(source)} quote supports {len(paths)} numbers: "
                  f"{escape(quote[:60])!r}")

