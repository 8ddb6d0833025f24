"""The explorer's tables as HTML, with stable ids for tests and scripts.

Each function takes what :class:`~negosim.explorer.state.Explorer` computed
and returns one HTML fragment. Every number sits in an element carrying its
full-precision value in ``data-value`` (the text shows it rounded), and rows
carry ``data-party``, ``data-provision`` or ``data-repair`` so that a browser
test reads exactly what the analysis gave. All text is escaped.

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> from negosim.explorer.state import Explorer
>>> ex = Explorer(random_scenario(parties=2, provisions=3, options=2, seed=0))
>>> html = verdict_table(ex, ex.verdicts(ex.default_draft(), {}))
>>> html.startswith('<table id="verdict-table"'), html.count('<tr data-party=')
(True, 2)
"""

from __future__ import annotations

from html import escape

from negosim.engine.compiled import accepts

#: The page's CSS for these tables and the message box.
CSS = """
.explorer table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px 0; }
.explorer th, .explorer td { border-bottom: 1px solid #e0e0e0; padding: 3px 8px; text-align: left;
                             vertical-align: top; }
.explorer td.num, .explorer th.num { text-align: right; font-variant-numeric: tabular-nums; }
.explorer tr.accepts td.verdict { color: #2e7d32; font-weight: 600; }
.explorer tr.rejects td.verdict { color: #c62828; font-weight: 600; }
.explorer td.red-lines { color: #c62828; }
.explorer td.neg { color: #c62828; }
.explorer .stale { opacity: 0.45; }
.explorer #solutions-table td:last-child, .explorer #repairs-table td.changes { font-size: 11px; max-width: 460px; }
.explorer .zone-figures span { margin-right: 18px; }
.explorer img { max-width: 100%; height: auto; }
"""


def num(value: float, digits: int = 3, cls: str = "", fmt: str = "f") -> str:
    """A table cell with a rounded number and its full value in ``data-value``."""
    classes = " ".join(c for c in ("num", cls, "neg" if value < 0 else "") if c)
    return f'<td class="{classes}" data-value="{float(value)!r}">{value:.{digits}{fmt}}</td>'


def _table(table_id: str, head: list[str], rows: list[str], numeric: set[int] = frozenset()) -> str:
    ths = "".join(f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
                  for i, h in enumerate(head))
    return f'<table id="{table_id}"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def verdict_table(ex, verdicts) -> str:
    """One row per party: utility, reservation, margin, verdict, red lines and the reason."""
    rows = []
    for pid, v in verdicts.items():
        word = "accepts" if v.accepts else "rejects"
        reds = ", ".join(v.red_lines)
        rows.append(
            f'<tr data-party="{escape(pid)}" class="{word}">'
            f"<td>{escape(ex.party_label(pid))}</td>"
            f"{num(v.utility, cls='utility')}{num(v.reservation, cls='reservation')}{num(v.margin, cls='margin')}"
            f'<td class="verdict" data-value="{word}">{word}</td>'
            f'<td class="needed" data-value="{str(v.needed).lower()}">{"yes" if v.needed else "no"}</td>'
            f'<td class="red-lines">{escape(reds)}</td>'
            f'<td class="reason">{escape(v.reason())}</td></tr>')
    head = ["party", "utility", "reservation", "margin", "verdict", "consent needed", "red lines crossed", "why"]
    return _table("verdict-table", head, rows, {1, 2, 3})


def contributions_table(ex, verdicts, draft) -> str:
    """Each provision's part of each party's utility of the draft (linkages in a last row)."""
    parties = list(verdicts)
    rows = []
    for prov in ex.provisions:
        option = draft[prov.id]
        cells = "".join(num(verdicts[p].contributions[prov.id], cls=f"party-{escape(p)}") for p in parties)
        rows.append(f'<tr data-provision="{escape(prov.id)}"><td>{escape(prov.label)}</td>'
                    f"<td>{escape(prov.option_label(option))}</td>{cells}</tr>")
    if any(v.linkages for v in verdicts.values()):
        cells = "".join(num(sum(b for _, b in verdicts[p].linkages), cls=f"party-{escape(p)}") for p in parties)
        rows.append(f'<tr data-provision="(linkages)"><td>linkages</td><td></td>{cells}</tr>')
    head = ["provision", "option in the draft"] + [ex.party_label(p) for p in parties]
    return _table("contributions-table", head, rows, set(range(2, 2 + len(parties))))


def header(ex) -> str:
    """The page's heading: the scenario, its file and its size."""
    where = f' <span class="file">({escape(str(ex.path))})</span>' if ex.path is not None else ""
    first = " ".join(ex.scenario.description.strip().split("\n\n")[0].split())
    desc = f"<p>{escape(first)}</p>" if first else ""
    return (f'<h2 id="scenario-name">{escape(ex.name)}{where}</h2>{desc}'
            f"<p>{len(ex.provisions)} provisions, {len(ex.party_ids)} parties, "
            f"{ex.space_size:,} packages.</p>")


def zone_summary(analysis) -> str:
    """The zone of agreement's size, its share of the space and its Pareto front (any draft)."""
    a = analysis
    share = 100.0 * a.zone_size / a.space_size if a.space_size else 0.0
    pareto = "" if a.pareto_size is None else (
        f'<span>Pareto front: <b id="pareto-size" data-value="{a.pareto_size}">{a.pareto_size:,}</b></span>')
    return (f'<div class="zone-figures">'
            f'<span>zone of agreement: <b id="zone-size" data-value="{a.zone_size}">{a.zone_size:,}</b> '
            f'of <span id="space-size" data-value="{a.space_size}">{a.space_size:,}</span> packages '
            f"({share:.3g}%)</span>{pareto}</div>")


def draft_summary(analysis) -> str:
    """Whether the draft lies in the zone, and how far the nearest repair is."""
    a = analysis
    if a.repair_size is None:
        repair = "no repair: the zone is empty"
    elif a.repair_size == 0:
        repair = "the draft is in the zone"
    else:
        repair = (f"smallest repair changes {a.repair_size} provision{'s' if a.repair_size != 1 else ''} "
                  f"({a.repair_count:,} such packages)")
    return (f'<div class="zone-figures"><span id="draft-accepted" data-value="{str(a.draft_accepted).lower()}">'
            f'draft {"accepted by every party whose consent it needs" if a.draft_accepted else "rejected"}</span>'
            f'<span id="repair-size" data-value="{a.repair_size}">{escape(repair)}</span></div>')


def solutions_table(ex, analysis, draft: dict) -> str:
    """The Nash, Kalai-Smorodinsky, egalitarian and utilitarian points: utilities, changes from ``draft``."""
    rows = []
    for name, s in analysis.solutions.items():
        if s is None:
            cells = "".join('<td class="num">-</td>' for _ in ex.party_ids)
            rows.append(f'<tr data-solution="{escape(name)}"><td>{escape(name)}</td>{cells}<td>none</td></tr>')
            continue
        changes = _changes_words(ex, draft, s.package)
        cells = "".join(num(s.utilities[p], cls=f"party-{escape(p)}") for p in ex.party_ids)
        rows.append(f'<tr data-solution="{escape(name)}"><td>{escape(name.replace("_", "-"))}</td>{cells}'
                    f"<td>{escape(changes)}</td></tr>")
    head = ["solution"] + [ex.party_label(p) for p in ex.party_ids] + ["changes from the draft"]
    return _table("solutions-table", head, rows, set(range(1, 1 + len(ex.party_ids))))


def _changes_words(ex, draft: dict, package: dict) -> str:
    by_id = {p.id: p for p in ex.provisions}
    changed = [(p, o) for p, o in package.items() if draft.get(p) != o]
    if not changed:
        return "the draft itself"
    return "; ".join(f"{by_id[p].label}: {by_id[p].option_label(o)}" for p, o in changed)


def repairs_table(ex, analysis) -> str:
    """The minimal repairs of the draft: what changes, each party's utility and the Nash product."""
    rows = []
    draft = analysis.compiled.package_dict(analysis.compiled.draft)
    for k, r in enumerate(analysis.repairs):
        cells = "".join(num(r.utilities[p], cls=f"party-{escape(p)}") for p in ex.party_ids)
        rows.append(f'<tr data-repair="{k}"><td>R{k + 1}</td><td class="changes">'
                    f"{escape(_changes_words(ex, draft, r.package))}</td>{cells}"
                    f"{num(r.nash_product, 3, cls='nash', fmt='g')}</tr>")
    head = ["", "changes"] + [ex.party_label(p) for p in ex.party_ids] + ["Nash product"]
    return _table("repairs-table", head, rows, set(range(2, 3 + len(ex.party_ids))))


def trace_summary(ex, trace) -> str:
    """How a bargaining run ended: the last round's status, text and each party's standing."""
    last_round = int(trace["round"].max())
    last = trace[trace["round"] == last_round]
    status = str(last["status"].iloc[0]) if "status" in last.columns else "finished"
    changes = str(last["changes"].iloc[0]) if "changes" in last.columns else ""
    rows = []
    for _, row in last.iterrows():
        if "accepts" in row.index:
            ok = bool(row["accepts"])
        else:  # a trace without the answers: the rule on its utility (it records no red lines)
            ok = bool(accepts(float(row["utility"]), False, float(row["reservation"])))
        word = "accepts" if ok else "rejects"
        rows.append(f'<tr data-party="{escape(str(row["party"]))}" class="{word}">'
                    f'<td>{escape(ex.party_label(str(row["party"])))}</td>'
                    f"{num(float(row['utility']), cls='utility')}{num(float(row['reservation']), cls='reservation')}"
                    f'<td class="verdict">{word}</td></tr>')
    table = _table("trace-table", ["party", "utility", "reservation", "last answer"], rows, {1, 2})
    return (f'<div id="trace-outcome" data-status="{escape(status)}" data-round="{last_round}">'
            f"<b>{escape(status)}</b> after round {last_round}"
            f'{"; text: " + escape(changes) if changes else ""}</div>{table}')
