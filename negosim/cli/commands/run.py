"""``negosim run FILE``: bargain over a scenario round by round and tell the story."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from negosim.cli.argtypes import int_in, output_file, seed
from negosim.limits import MAX_PROTOCOL_COUNT, MAX_ROUNDS
from . import add_scenario_args, parse_params
from negosim.brief import change_texts, party_label, provision_label, red_line_options

#: Trace formats ``--out`` writes, by file suffix.
TRACE_FORMATS = (".csv", ".parquet", ".json")
#: Decimals of the real numbers a trace file holds. Utilities are sums of quantised terms
#: (2**-40 each, see negosim.engine.compiled), so they differ from the decimals the scenario
#: gives by at most about 1e-11 (0.33550000000195723 for 0.3355); nine decimals keep every
#: digit that means something and drop that noise, the same in every format.
TRACE_DECIMALS = 9


def add_parser(sub) -> None:
    from negosim.bargaining.registry import PROTOCOL_NAMES  # the names only: the protocols import numba and mesa
    p = sub.add_parser("run", help="bargain round by round under a protocol and tell the story",
                       description="Simulate the talks on a scenario: each party concedes over time under "
                                   "its strategy, a protocol puts packages on the table, and the story is "
                                   "told round by round. Ends with the agreement (package, round, each "
                                   "party's utility and concession against its ideal) or a breakdown "
                                   "and its reason.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--protocol", choices=list(PROTOCOL_NAMES),
                   help="bargaining protocol (default: the scenario's protocol.name, else single_text)")
    p.add_argument("--seed", type=seed, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--rounds", type=int_in(1, MAX_ROUNDS), metavar="T",
                   help=f"deadline in rounds, 1 to {MAX_ROUNDS:,} (default: the scenario's, else 50)")
    p.add_argument("--out", type=output_file, metavar="TRACE",
                   help="write the round-by-round trace to a .csv, .parquet or .json file (real numbers to "
                        f"{TRACE_DECIMALS} decimals)")
    p.add_argument("--json", action="store_true",
                   help="print {agreement, package, round, utilities, concessions, reason} as JSON")
    p.add_argument("--brief", action="store_true",
                   help="print only each party's opening, the final text and the closing summary (outcome, "
                        "round, who blocked and on what, the closest text and whom it still failed)")
    p.add_argument("--tournament", action="store_true",
                   help="bilateral scenarios: every ordered pair of the registered strategies, --seeds runs "
                        "each (default protocol alternating_offers); per pair the agreement rate, mean "
                        "utilities and distances to the Nash point and the Pareto front (docs/genius.md)")
    p.add_argument("--seeds", type=int_in(1, MAX_PROTOCOL_COUNT), default=3, metavar="N",
                   help="--tournament: runs per strategy pair, seeds 0 to N-1 (default 3)")
    add_scenario_args(p)
    p.set_defaults(func=run)


def trace_format(path: str) -> str:
    """The suffix of a trace file, checked against :data:`TRACE_FORMATS`."""
    from negosim.errors import NegosimError
    suffix = Path(path).suffix.lower()
    if suffix not in TRACE_FORMATS:
        raise NegosimError(f"--out: '{path}' must end in {', '.join(TRACE_FORMATS)}")
    return suffix


def write_trace(trace, path: str) -> None:
    """Write the trace DataFrame in the format the suffix names (atomically: all or nothing).

    Real numbers are rounded to :data:`TRACE_DECIMALS` in every format, so a CSV,
    a Parquet and a JSON trace of one run hold the same values.
    """
    from negosim.fileio import atomic_output
    suffix = trace_format(path)
    reals = [c for c in trace.columns if trace[c].dtype.kind == "f"]
    trace = trace.round({c: TRACE_DECIMALS for c in reals})
    with atomic_output(path) as tmp:
        if suffix == ".csv":
            trace.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            trace.to_parquet(tmp, index=False)
        else:
            trace.to_json(tmp, orient="records", indent=1)


def run(args) -> int:
    from negosim.bargaining.simulate import simulate
    from negosim.scenario.yaml_io import load_scenario
    if args.out:
        trace_format(args.out)  # fail before the run, not after it
    ls = load_scenario(args.file, articles=args.articles)
    if args.tournament:
        return _tournament(ls, args)
    result = simulate(ls, protocol=args.protocol, seed=args.seed, rounds=args.rounds,
                      params=parse_params(args.param))
    if args.out:
        write_trace(result.trace, args.out)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        print()
    else:
        print_story(ls.scenario, result, brief=args.brief)
    return 0


#: Protocols whose acceptance thresholds are not the strategies' aspirations: under random_proposer a
#: party's threshold is its discounted continuation value (Baron & Ferejohn), so the aspirations'
#: "concessions" move nothing there and the story leaves them out.
NO_CONCESSIONS = ("random_proposer",)
#: Said once, under the first "Opening positions" heading.
OPENING = ("(a party's opening: the package it likes best among those that cross none of its red lines, "
           "as its changes from the draft, and what that package is worth to it)")


def _pairs(scenario, text: str):
    """``"x=a, y=b"`` as ``[(x, a), (y, b)]`` when every pair names a provision and one of its
    options; else None."""
    pairs = [tuple(x.split("=", 1)) for x in text.split(", ")]
    if all(len(p) == 2 and p[0] in scenario.provisions and p[1] in scenario.provisions[p[0]].options
           for p in pairs):
        return pairs
    return None


def _package_items(scenario, text: str):
    """A package as the model tells it (``"x=a, y=b (changes from the draft)"`` or ``"the draft as it
    stands"``) as ``(items, pairs)`` in labels; None when it does not read as one."""
    if text == "the draft as it stands":
        return ["the draft as it stands"], []
    suffix = " (changes from the draft)"
    pairs = _pairs(scenario, text[:-len(suffix)]) if text.endswith(suffix) else None
    if pairs is None:
        return None
    return change_texts(scenario, pairs), pairs


def _who(scenario, party: str) -> str:
    """An event's actor by label: a party id, ``"mediator"`` or ``"<party> (mediator)"``."""
    if party.endswith(" (mediator)"):
        return f"{party_label(scenario, party[:-len(' (mediator)')])} (mediator)"
    return party_label(scenario, party)


_VERBS = {"text": "puts the text on the table:", "offer": "offers"}
_NOT_NEEDED = " (consent not needed)"


def event_lines(scenario, event, table: dict):
    """The keyword arguments of ``print_items`` that tell one event of the model in labels, or None
    when its detail does not read as the model writes it (the story's own line is printed then).

    ``table`` carries ``{provision: option}`` of the package on the table from a ``text`` or
    ``offer`` event to the answers after it (a red line is named by that package's options).
    """
    kind, detail = event.kind, event.detail
    who = _who(scenario, event.party) if event.party else ""
    if kind == "opening":
        head, sep, utility = detail.rpartition(", utility ")
        told = _package_items(scenario, head) if sep else None
        if told is None:
            return None
        return dict(items=told[0], first=f"  {who} opens with ", indent="      ", end=f" (worth {utility} to it)")
    if kind in _VERBS:
        text, sep, note = detail.partition("; ")
        told = _package_items(scenario, text)
        if told is None:
            return None
        draft = scenario.draft
        table.clear()
        table.update({**draft, **dict(told[1])})
        return dict(items=told[0], first=f"  {who} {_VERBS[kind]} ", indent="      ",
                    end=f"; {note}" if sep else "")
    if kind == "concede":
        items = []
        for move in detail.split(", "):
            party, sep, rest = move.partition(" ")
            if not sep or party not in scenario.parties:
                return None
            items.append(f"{party_label(scenario, party)} {rest}")
        return dict(items=items, first="  Concessions: ", indent="      ")
    if kind == "revise":
        items = []
        for move in detail.split(", "):
            prov, sep, rest = move.partition(": ")
            old, arrow, new = rest.partition(" -> ")
            p = scenario.provisions.get(prov)
            if not (sep and arrow and p is not None and old in p.options and new in p.options):
                return None
            items.append(f"{provision_label(scenario, prov)}: {p.options[old].label or old} -> "
                         f"{p.options[new].label or new}")
        return dict(items=items, first=f"  {who} revises the text: ", indent="      ")
    if kind == "accept":
        return dict(items=[detail], first=f"  {who} accepts: ", indent="      ")
    if kind == "reject":
        note = _NOT_NEEDED if detail.endswith(_NOT_NEEDED) else ""
        body = detail[:len(detail) - len(note)]
        if body.startswith("crosses red line "):
            rids = body[len("crosses red line "):].split(", ")
            if not table or event.party not in scenario.parties:
                return None
            crossed = ["; ".join(" with ".join(red_line_options(scenario, event.party, r, table)) for r in rids)]
            return dict(items=crossed, first=f"  {who} rejects: crosses a red line, ", indent="      ", end=note)
        short, sep, wants = body.partition("; wants ")
        if not sep:
            return dict(items=[detail], first=f"  {who} rejects: ", indent="      ")
        items = []
        for want in wants.split(", "):
            pair, space, gain = want.partition(" ")
            pairs = _pairs(scenario, pair)
            if pairs is None:
                return None
            items.append(f"{change_texts(scenario, pairs)[0]} {gain}")
        return dict(items=items, first=f"  {who} rejects: {short}; wants ", indent="      ", end=note)
    return None


def print_story(scenario, result, console=None, brief: bool = False) -> None:
    """The story round by round, the outcome table, the final text and the closing summary (rich).

    ``brief``: only the openings, the final text and the summary.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text
    from negosim.brief import change_texts, changes, final_package, party_label, run_summary
    from negosim.cli.render import Paragraph, print_ids, print_items, print_paragraph
    con = console or Console(soft_wrap=False, highlight=False)
    con.print(f"[bold]{escape(scenario.name)}[/bold]: {result.protocol.replace('_', ' ')}, seed {result.seed}")
    styles = {"accepts:": "green", "rejects:": "red", "Agreement:": "bold green", "No agreement:": "bold red"}
    skip_concessions = result.protocol in NO_CONCESSIONS
    explained = False
    on_table: dict[str, str] = {}  # the package the answers of a round are about
    events = iter(result.events.itertuples())
    for line in result.story:
        event = next(events) if line.startswith("  ") else None  # one story line per event, and headings
        if not line.startswith("  "):
            if brief and line != "Opening positions":
                break
            con.print(f"[bold cyan]{escape(line)}[/bold cyan]")
            if line == "Opening positions" and not explained:
                print_paragraph(con, Text(OPENING, style="dim"))
                explained = True
            continue
        if skip_concessions and line.strip().startswith("Concessions:"):
            continue
        style = next((s for word, s in styles.items() if f" {word}" in f" {line.strip()}"), None)
        told = event_lines(scenario, event, on_table) if event is not None else None
        if told is not None:
            print_items(con, **told, style=style)
            continue
        print_items(con, [line], indent="      ", style=style)  # as the model tells it, wrapped at spaces
    model = result.model
    if not brief:
        t = Table(title=Paragraph("Outcome" if result.agreement else "Breakdown"), title_justify="left")
        t.add_column("party")
        t.add_column("utility" if result.agreement else "last aspiration", justify="right")
        t.add_column("concession vs ideal", justify="right")
        for a in model.party_list:
            value = result.utilities[a.party] if result.agreement else a.aspiration
            t.add_row(escape(party_label(scenario, a.party)), f"{value:.3f}", f"{result.concessions[a.party]:.3f}")
        con.print(t)
    final = final_package(result)
    if final is not None:
        cs = model.cs
        pairs = changes(scenario, final, cs.package_dict(cs.draft))
        what = (f"Agreement in round {result.round}" if result.agreement else "Last text on the table") + \
            f" ({len(pairs)} change{'s' if len(pairs) != 1 else ''} from the draft): "
        print_items(con, change_texts(scenario, pairs) or ["the draft as it stands"], what)
        if pairs:
            print_ids(con, pairs)
    con.print()
    for sentence in run_summary(scenario, result):
        print_paragraph(con, Text(sentence, style="" if result.agreement else "red"))


def _tournament(ls, args) -> int:
    """``--tournament``: the round-robin of negosim.bargaining.tournament, as a table or JSON."""
    from negosim.bargaining.tournament import tournament
    from negosim.errors import NegosimError
    if args.out:
        raise NegosimError("--out writes one run's trace; a tournament has many (use --json)")
    t = tournament(ls, seeds=args.seeds, protocol=args.protocol or "alternating_offers", rounds=args.rounds,
                   params=parse_params(args.param))
    if args.json:
        json.dump(t.to_json(), sys.stdout, indent=2)
        print()
        return 0
    from rich.console import Console
    from rich.table import Table
    fmt = lambda x: "" if x is None else f"{x:.3f}"  # noqa: E731
    p1, p2 = t.parties
    table = Table(title=f"Tournament: {t.protocol}, {t.seeds} seeds per pair ({p1} plays the first strategy)")
    for col in ("first", "second", "agreement", f"u {p1}", f"u {p2}", "to Nash", "to Pareto", "round"):
        table.add_column(col, justify="left" if col in ("first", "second") else "right", no_wrap=True)
    for r in t.rows:
        table.add_row(r.first, r.second, f"{r.agreement_rate:.0%}", fmt(r.utility_first), fmt(r.utility_second),
                      fmt(r.distance_nash), fmt(r.distance_pareto),
                      "" if r.mean_round is None else f"{r.mean_round:.1f}")
    Console().print(table)
    return 0
