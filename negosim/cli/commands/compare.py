"""``negosim compare FILE...``: drafts of several scenarios side by side."""

from __future__ import annotations

import json
import sys

from . import add_scenario_args, parse_params


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="drafts of several scenarios side by side, and what changed",
                       description="Compare the drafts of several scenarios (e.g. successive rounds of talks, "
                                   "in the order given): the option each sets on every provision, each party's "
                                   "verdict and margin to its reservation, and from one round to the next the "
                                   "provisions that changed, who gained or lost by each change, which party "
                                   "numbers differ and whose verdict flipped.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_scenario_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from negosim.engine.compare import compare
    from negosim.errors import NegosimError
    from negosim.scenario.yaml_io import load_scenario
    loaded = [load_scenario(f, articles=args.articles) for f in args.files]
    params = parse_params(args.param)
    unknown = [k for k in params if not any(k in ls.scenario.parameters for ls in loaded)]
    if unknown:
        raise NegosimError(f"unknown parameter '{unknown[0]}' (no scenario given defines it)")
    result = compare(loaded, params)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        print()
    else:
        print_comparison(result, scenarios=[ls.scenario for ls in loaded])
    return 0


def _verdict_cell(v) -> str:
    if v is None:
        return "-"
    word = "[green]accepts[/green]" if v.accepts else "[red]rejects[/red]"
    note = " [dim](red line)[/dim]" if v.red_lines else ""
    if not v.needed:
        note += " [dim](not needed)[/dim]"
    return f"{word} {v.margin:+.3f}{note}"


def _labeller(scenarios):
    """Labels of parties, provisions and options, from the latest scenario that has each (ids
    where none has a label)."""
    from negosim.brief import party_label, provision_label

    def latest(test):
        return next((s for s in reversed(scenarios) if test(s)), None)

    def party(q):
        s = latest(lambda s: q in s.parties)
        return party_label(s, q) if s is not None else q

    def provision(p):
        s = latest(lambda s: p in s.provisions)
        return provision_label(s, p) if s is not None else p

    def option(p, o):
        if o is None:
            return "(none)"
        s = latest(lambda s: p in s.provisions and o in s.provisions[p].options)
        return (s.provisions[p].options[o].label or o) if s is not None else o
    return party, provision, option


def number_text(before, after, key: str) -> str:
    """A changed number of :class:`~negosim.engine.compare.Step` (``"parties.us.weights.army"``,
    ``"no_deal.outcomes.front_holds.p"``) in words; a list item (a no-deal outcome, a linkage)
    is named by the label it has in each round, both when they differ."""
    from negosim.brief import number_label
    from negosim.errors import NegosimError
    from negosim.scenario.schema import resolve_path

    def name(s):
        try:
            return number_label(s, resolve_path(s, key))
        except (NegosimError, ValueError):  # a number this round does not have (PathError)
            return None

    names = [n for n in (name(s) for s in (before, after) if s is not None) if n not in (None, key)] or [key]
    return names[0] if len(set(names)) == 1 else " / ".join(dict.fromkeys(names))


def print_comparison(result, console=None, scenarios=None) -> None:
    """The drafts by provision, the verdicts by party (two tables, or lists where whole labels do
    not fit the width), then round by round what changed: in labels, wrapped at commas.

    ``scenarios``: the compared scenarios, in order, for the labels (ids without them).
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text
    from negosim.cli.render import fit_table, print_items
    con = console or Console(soft_wrap=False, highlight=False)
    scenarios = list(scenarios or [])
    party, provision, option = _labeller(scenarios)
    # Names, labels and option ids come from the scenarios: '[/red]' in one is rich markup.
    names = [escape(r.name) for r in result.rounds]
    title = "Drafts side by side (changed from the previous round in bold)"
    t = Table(title=title, title_justify="left")
    t.add_column("provision")
    for n in names:
        t.add_column(n)
    rows = []
    for p in result.provisions:
        row, prev = [], None
        for i, r in enumerate(result.rounds):
            opt = r.draft.get(p)
            row.append((option(p, opt) if opt is not None else "-", bool(i and opt != prev)))
            prev = opt
        rows.append((p, row))
        t.add_row(escape(provision(p)), *[f"[bold]{escape(c)}[/bold]" if b else escape(c) for c, b in row])
    if fit_table(con, t):
        con.print(t)
    else:
        con.print(Text(title.replace("in bold", "marked *"), style="italic"))
        for p, row in rows:
            if len({c for c, _ in row}) == 1:
                print_items(con, [f"{row[0][0]} (every draft)"], f"{provision(p)}: ")
                continue
            print_items(con, [f"{r.name}: {c}{' *' if b else ''}" for r, (c, b) in zip(result.rounds, row)],
                        f"{provision(p)}: ")
    title = "Each party's verdict on each draft (margin = utility - fallback)"
    t = Table(title=title, title_justify="left")
    t.add_column("party")
    for n in names:
        t.add_column(n)
    for q in result.parties:
        t.add_row(escape(party(q)), *[_verdict_cell(r.verdicts.get(q)) for r in result.rounds])
    if fit_table(con, t):
        con.print(t)
    else:
        con.print(Text(title, style="italic"))
        for q in result.parties:
            cells = [Text.from_markup(_verdict_cell(r.verdicts.get(q))).plain for r in result.rounds]
            print_items(con, [f"{r.name}: {c}" for r, c in zip(result.rounds, cells)], f"{party(q)}: ")
    if not result.steps:
        return
    con.print()
    con.print(Text("What changed from one round to the next (who gains + or loses -)", style="bold"))
    for i, s in enumerate(result.steps):
        before = scenarios[i] if i < len(scenarios) else None
        after = scenarios[i + 1] if i + 1 < len(scenarios) else None
        con.print(Text(f"{s.before} -> {s.after}", style="bold cyan"))
        if not s.changes:
            con.print(Text("  (same draft)"))
        for p, (old, new) in s.changes.items():
            eff = [f"{party(q)} {d:+.3f}" for q, d in s.effects[p].items() if abs(d) >= 5e-4]
            head = f"{provision(p)}: {option(p, old)} -> {option(p, new)}"
            items = [f"{head} ({eff[0]}", *eff[1:-1], *(eff[-1:] if len(eff) > 1 else [])] if eff else [head]
            print_items(con, items, "  ", "      ", end=")" if eff else "")
        if s.numbers:
            shown = [f"{number_text(before, after, k)} {_num(a)} -> {_num(b)}" for k, (a, b) in s.numbers.items()]
            more = f" and {len(shown) - 4} more (--json lists every one)" if len(shown) > 4 else ""
            print_items(con, shown[:4], "  Numbers of the parties changed: ", "      ", style="dim", end=more)
        margins = []
        for q, (a, b) in s.margins.items():
            flip = ""
            if q in s.flips:
                flip = ", now accepts" if s.flips[q][1] else ", now rejects"
            margins.append(f"{party(q)} {a:+.3f} -> {b:+.3f}{flip}")
        print_items(con, margins, "  Margins: ", "      ")


def _num(x) -> str:
    return "-" if x is None else f"{x:.3g}"
