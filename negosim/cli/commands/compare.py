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
        print_comparison(result)
    return 0


def _verdict_cell(v) -> str:
    if v is None:
        return "-"
    word = "[green]accepts[/green]" if v.accepts else "[red]rejects[/red]"
    note = " [dim](red line)[/dim]" if v.red_lines else ""
    if not v.needed:
        note += " [dim](not needed)[/dim]"
    return f"{word} {v.margin:+.3f}{note}"


def print_comparison(result, console=None) -> None:
    """Three tables: drafts by provision, verdicts by party, changes round by round."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    con = console or Console(soft_wrap=False)
    # Names, labels and option ids come from the scenarios: '[/red]' in one is rich markup.
    names = [escape(r.name) for r in result.rounds]
    t = Table(title="Drafts side by side (changed from the previous round in bold)", title_justify="left")
    t.add_column("provision")
    for n in names:
        t.add_column(n, overflow="fold")
    for p in result.provisions:
        row, prev = [p], None
        for i, r in enumerate(result.rounds):
            opt = r.draft.get(p)
            cell = "-" if opt is None else escape(r.labels.get(p, opt))
            row.append(f"[bold]{cell}[/bold]" if i and opt != prev else cell)
            prev = opt
        t.add_row(*row)
    con.print(t)
    t = Table(title="Each party's verdict on each draft (margin = utility - reservation)", title_justify="left")
    t.add_column("party")
    for n in names:
        t.add_column(n)
    for q in result.parties:
        t.add_row(q, *[_verdict_cell(r.verdicts.get(q)) for r in result.rounds])
    con.print(t)
    if not result.steps:
        return
    t = Table(title="What changed from one round to the next", title_justify="left")
    t.add_column("from -> to", overflow="fold")
    t.add_column("provision changes and who gains (+) or loses (-)", overflow="fold")
    t.add_column("margins", overflow="fold")
    for s in result.steps:
        lines = []
        for p, (old, new) in s.changes.items():
            eff = " ".join(f"{q}{d:+.3f}" for q, d in s.effects[p].items() if abs(d) >= 5e-4)
            lines.append(escape(f"{p}: {old} -> {new}" + (f"  ({eff})" if eff else "")))
        if s.numbers:
            shown = escape(", ".join(f"{k} {_num(a)}->{_num(b)}" for k, (a, b) in list(s.numbers.items())[:4]))
            more = f" and {len(s.numbers) - 4} more" if len(s.numbers) > 4 else ""
            lines.append(f"[dim]party numbers changed: {shown}{more}[/dim]")
        margins = []
        for q, (a, b) in s.margins.items():
            flip = ""
            if q in s.flips:
                flip = " [green]now accepts[/green]" if s.flips[q][1] else " [red]now rejects[/red]"
            margins.append(f"{q} {a:+.3f} -> {b:+.3f}{flip}")
        t.add_row(escape(f"{s.before} -> {s.after}"), "\n".join(lines) or "(same draft)", "\n".join(margins))
    con.print(t)


def _num(x) -> str:
    return "-" if x is None else f"{x:.3g}"
