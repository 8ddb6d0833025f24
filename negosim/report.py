"""A self-contained HTML report of a scenario: tables, figures, evidence, provenance.

One page, nothing fetched: figures are embedded as base64 PNG ``data:`` URIs,
the style sheet is inline, and no link points outside the page, so it opens
offline and can be mailed as one file. Findings come first, provenance last:

- the findings: the same sentences that open ``negosim analyze``
  (:func:`negosim.brief.brief`);
- the analysis: verdicts on the draft, the consent rules on it (touched or
  not, met or not, and by whom), the zone of agreement, the solution points
  (those at one package in one row), signature and ratification when a
  party has a ratifier, the zone and Nash point with side payments when a
  provision is transferable, the minimal repairs, in labels;
- what drives the results: the numbers whose change within their evidence
  range flips a headline result, with their grade of support;
- the figures: acceptance frontier (one pair and every pair), why each party
  accepts or rejects the draft, who gains and gives in the best repair (or
  the Nash solution), a negotiation trace, and a sweep's frontier when a
  result file is given;
- the scenario: provisions and options, parties with red lines and linkages,
  parameters, the sources with their hashes, and every number with the
  source, quote and claim behind it;
- at the end, the settings of the run and their provenance (negosim version,
  scenario files and sha256, sha256 of every cited article, parameters, seed).

Example
-------
>>> from negosim.engine.random_scenario import random_scenario
>>> page = build_report(random_scenario(parties=2, provisions=3, options=2, seed=0), trace=False)
>>> page.startswith("<!DOCTYPE html>") and "Sources" in page and "http" not in page.split("<body>")[0]
True
"""

from __future__ import annotations

import base64
import html
import platform
from pathlib import Path

from .brief import (brief, change_texts, changes, consent_rows, party_label, provision_label, red_line_options,
                    solution_groups, solution_title)
from .errors import NegosimError

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:72em;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
h3{font-size:1.05em}table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.86em}
th,td{border:1px solid #d5d5d5;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.yes{color:#2e7d32;font-weight:600}.no{color:#c62828;font-weight:600}.muted{color:#777}
figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #e3e3e3}
figcaption{font-size:.88em;color:#444}blockquote{margin:0;font-style:italic}
code{font-size:.92em;background:#f6f6f6;padding:0 .2em}nav a{margin-right:1em}
"""


# --------------------------------------------------------------------------- HTML helpers

def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _num(x, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    try:
        return f"{float(x):.{digits}f}"
    except (TypeError, ValueError):
        return str(x)


def table(headers: list[str] | None, rows: list[list], numeric: set[int] | None = None,
          raw: set[int] | None = None, cls: str = "") -> str:
    """An HTML table (no header row when ``headers`` is None); cells are escaped unless
    their column is in ``raw`` (already HTML)."""
    numeric, raw = numeric or set(), raw or set()
    head = "<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr></thead>" if headers else ""
    body = []
    for row in rows:
        cells = []
        for k, v in enumerate(row):
            text = v if k in raw else _e(v)
            cells.append(f'<td class="num">{text}</td>' if k in numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    c = f' class="{cls}"' if cls else ""
    return f"<table{c}>{head}<tbody>{''.join(body)}</tbody></table>"


def embed_figure(fig, caption: str, alt: str, dpi: float = 90) -> str:
    """A <figure> holding the figure as a base64 PNG data URI."""
    from negosim.plots.style import png_bytes
    data = base64.b64encode(png_bytes(fig, dpi=dpi)).decode("ascii")
    return (f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _yes_no(flag: bool, yes: str = "accepts", no: str = "rejects") -> str:
    return f'<span class="yes">{yes}</span>' if flag else f'<span class="no">{no}</span>'


# --------------------------------------------------------------------------- sections

def _provenance(sub, analysis, params, seed, protocol, sweep_path) -> str:
    import matplotlib
    import numpy
    from . import __version__
    meta = analysis.meta
    scenario = sub.scenario
    ls = sub.loaded
    rows = [["negosim version", meta.get("negosim_version", __version__)],
            ["scenario", meta.get("scenario", scenario.name)],
            ["scenario sha256", meta.get("scenario_sha256", "-")]]
    if ls is not None:
        rows.append(["files read (extends chain)", ", ".join(str(f) for f in ls.files)])
        rows.append(["articles folder", str(ls.articles) if ls.articles else "(none)"])
    values = {k: (params or {}).get(k, p.value.point) for k, p in scenario.parameters.items()}
    rows.append(["parameters", ", ".join(f"{k}={v:g}" + ("" if k in (params or {}) else " (default)")
                                         for k, v in values.items()) or "(none)"])
    rows.append(["seed (bargaining)", str(seed)])
    rows.append(["protocol", protocol or (scenario.protocol.name if scenario.protocol else "single_text")])
    if sweep_path:
        rows.append(["sweep results", str(sweep_path)])
    rows.append(["software", f"Python {platform.python_version()}, numpy {numpy.__version__}, "
                             f"matplotlib {matplotlib.__version__}"])
    out = "<h2 id='settings'>Settings and provenance</h2>" + table(["setting", "value"], rows)
    arts = meta.get("articles") or {}
    if arts:
        out += "<h3>Articles cited (sha256 of the files read)</h3>"
        out += table(["file", "sha256"], [[f, h] for f, h in sorted(arts.items())])
    return out


def _analysis_tables(sub, a) -> str:
    cs = a.compiled
    out = ["<h2 id='analysis'>Analysis</h2>"]
    share = 100 * a.zone_size / a.space_size if a.space_size else 0.0
    summary = [["packages in the space", f"{a.space_size:,}"],
               ["zone of agreement", f"{a.zone_size:,} ({share:.3g} %)"],
               ["Pareto front of the zone", "-" if a.pareto_size is None else f"{a.pareto_size:,}"],
               ["draft", "accepted by every needed party" if a.draft_accepted else "rejected"],
               ["minimal repair", "none needed" if a.repair_size == 0 else
                ("impossible: the zone is empty" if a.repair_size is None else
                 f"change {a.repair_size} provision(s); {a.repair_count:,} such repairs")]]
    out.append(table(None, summary))
    out.append("<h3>Verdicts on the draft</h3>")
    draft = cs.package_dict(cs.draft)
    rows = [[sub.party_label(v.party), _num(v.utility), _num(v.reservation), f"{v.margin:+.3f}",
             _yes_no(v.accepts) + ("" if v.needed else ' <span class="muted">(not needed)</span>'),
             "; ".join(" with ".join(red_line_options(sub.scenario, v.party, r, draft)) for r in v.red_lines) or "-",
             "reaches its fallback" if v.accepts else "on a red line" if v.red_lines else
             f"{v.reservation - v.utility:.3f} short of its fallback"] for v in a.draft.values()]
    out.append(table(["party", "utility", "fallback", "margin", "verdict", "red lines", "why"], rows,
                     numeric={1, 2, 3}, raw={4}))
    out.append(_consent_section(sub.scenario, a))
    out.append("<h3>Solution points</h3>")
    rows = []
    for names, s in solution_groups(a.solutions):  # points at one package share a row
        title = solution_title(names)
        if s is None:
            rows.append([title, *["-"] * cs.n_parties, "none (empty zone, or no gain for everyone)"])
        else:
            rows.append([title, *[_num(s.utilities[p]) for p in cs.party_ids], _changes(sub.scenario, s.package, draft)])
    out.append(table(["solution", *[sub.party_label(p) for p in cs.party_ids], "changes from the draft"], rows,
                     numeric=set(range(1, cs.n_parties + 1))))
    out.append(_ratification_section(sub, a))
    out.append(_transfers_section(sub, a))
    if a.repairs:
        out.append(f"<h3>Best minimal repairs of the draft (of {a.repair_count:,})</h3>")
        rows = []
        for k, r in enumerate(a.repairs, 1):
            eff = "; ".join(("linkages" if prov == "(linkages)" else provision_label(sub.scenario, prov)) + ": "
                            + ", ".join(f"{sub.party_label(p)} {d:+.3f}" for p, d in deltas.items() if abs(d) >= 5e-4)
                            for prov, deltas in r.effects.items())
            rows.append([k, _changes(sub.scenario, r.changes, {}), f"{r.nash_product:.4g}",
                         *[_num(r.utilities[p]) for p in cs.party_ids], eff])
        out.append(table(["#", "changes", "Nash product", *[sub.party_label(p) for p in cs.party_ids],
                          "who gains / gives"], rows, numeric=set(range(2, cs.n_parties + 3))))
    return "".join(out)


# --------------------------------------------------------------------------- consent, ratification, transfers

def _met_cell(met) -> str:
    # One line each: "not touched" wrapped in a narrow column read as two words.
    return ('<span class="muted" style="white-space:nowrap">not touched</span>' if met is None else
            f'<span style="white-space:nowrap">{_yes_no(met, "met", "not met")}</span>')


def _consent_section(scenario, a) -> str:
    """The consent rules on the draft: touched or not, met or not, and by whom."""
    rows = consent_rows(scenario, a)
    if not rows:
        return ""
    body = [[_e(r["label"]) + f' <span class="muted">({_e(r["id"])})</span>', _e(r["provisions"]),
             "yes" if r["touched"] else "no", _met_cell(r["met"]), _e(r["words"])] for r in rows]
    return ("<h3 id='consent'>Consent rules on the draft</h3>"
            "<p class='muted'>A rule binds a package that moves one of its provisions off the status quo "
            "(touches it); the package is agreed only if the members that accept it meet the rule.</p>"
            + table(["rule", "provisions", "touched", "met", "quota: who accepts"], body, raw=set(range(5)),
                    cls="consent"))


def _ratifier_cell(v) -> str:
    """One ratifier's verdict on a package (its label is the column's): ``approves: 0.700 ≥ 0.650``."""
    if v is None:
        return "-"
    cell = (_yes_no(True, "approves") + f": {v.utility:.3f} &ge; {v.threshold:.3f}" if v.approves else
            _yes_no(False, no="refuses") + f": {v.utility:.3f} &lt; {v.threshold:.3f}")
    return cell + ("" if v.needed else ' <span class="muted">(not needed)</span>')


def _ratification_section(sub, a) -> str:
    """Signed and ratified verdicts of the draft and each solution point (two-level games)."""
    rat = a.ratification
    if not rat:
        return ""
    owners = list(rat["draft"].ratifiers)
    rows = [("draft", rat["draft"])] + [(solution_title(names), rat[names[0]])
                                        for names, s in solution_groups(a.solutions)
                                        if s is not None and names[0] in rat]
    body = [[_e(name), _yes_no(pr.signed, "signed", "not signed"),
             _yes_no(pr.ratified, "ratified", "not ratified") if pr.signed else '<span class="muted">-</span>',
             *[_ratifier_cell(pr.ratifiers.get(p)) for p in owners]] for name, pr in rows]
    return ("<h3 id='ratification'>Ratification</h3>"
            "<p class='muted'>Signed: every party whose consent the package needs accepts it. Ratified: signed, "
            "and the ratifier of every needed party approves it too (its utility reaches its threshold).</p>"
            + table(["package", "signed", "ratified", *[f"{sub.party_label(p)}: {rat['draft'].ratifiers[p].label}"
                                                       for p in owners]], body, raw=set(range(3 + len(owners)))))


def _transfers_section(sub, a) -> str:
    """The zone and the Nash point with side payments, and the split."""
    t = a.transfers
    skipped = a.meta.get("transfers_skipped")
    if t is None and not skipped:
        return ""
    out = ["<h3 id='transfers'>Side payments</h3>"]
    if t is None:
        return out[0] + f"<p class='muted'>Not computed: {_e(skipped)}.</p>"
    cs = a.compiled
    what = provision_label(sub.scenario, t.provision)
    share = 100 * t.zone_size / a.space_size if a.space_size else 0.0
    rows = [["amount to split", f"{t.total:g} {t.unit} ({what})"],
            ["zone of agreement with side payments", f"{t.zone_size:,} ({share:.3g} %)"],
            ["without side payments", f"{a.zone_size:,}"]]
    out.append(table(None, [[_e(x) for x in r] for r in rows], raw={0, 1}))
    if t.nash is None:
        out.append("<p>Nash point with side payments: none.</p>")
        return "".join(out)
    n = t.nash
    paid = ", ".join(f"{sub.party_label(p)} receives {v:.4g} {t.unit}" for p, v in n.split.items() if v > 0)
    out.append(f"<p>Nash point with side payments: {_e(paid or 'nobody is paid')} (Nash product "
               f"{n.nash_product:.4g}). Its changes from the draft: "
               f"{_e(_changes(sub.scenario, n.package, cs.package_dict(cs.draft)))}.</p>")
    body = [[sub.party_label(p), f"{n.split.get(p, 0.0):.4g}", _num(n.utilities[p])] for p in cs.party_ids]
    out.append(table(["party", f"receives ({t.unit})", "utility with it"], body, numeric={1, 2}))
    return "".join(out)


_ASSUMED_STYLE = "background:#fff3c4;font-weight:600"
#: Drivers listed per headline result in the report.
REPORT_DRIVERS = 10


def _drivers_section(drivers) -> str:
    """What drives the results: each headline result and the numbers that flip it (assumed ones marked)."""
    def marked(h) -> str:
        return "".join(f'<span style="{_ASSUMED_STYLE}">{_e(t)}</span>' if tag == "assumed" else _e(t)
                       for t, tag in h.segments())
    out = ["<h2 id='drivers'>What drives the results</h2>",
           "<p class='muted'>For each headline result, the numbers whose change within their evidence range "
           "flips it: one number moved at a time, every other number at its point value and every parameter at "
           "its value. Share of range: how far from its point towards the end of its range on that side the "
           "number must move (0 % at the point, 100 % at the end). Assumed (marked): graded context, or "
           f"without a quote. {drivers.numbers_tried} uncertain numbers tried; see docs/model.md, "
           "“Reading the drivers”.</p>"]
    hang = [h for h in drivers.headlines if h.assumed]
    if hang:
        out.append(f'<p><span style="{_ASSUMED_STYLE}">{len(hang)} of {len(drivers.headlines)} headline results '
                   "hang on an assumed number</span>: " + _e(", ".join(h.subject() for h in hang)) + ".</p>")
    out.append("<ul>" + "".join(f"<li>{marked(h)}</li>" for h in drivers.headlines) + "</ul>")
    rows = []
    for h in drivers.headlines:
        for d in h.drivers[:REPORT_DRIVERS]:
            g = f'<span style="{_ASSUMED_STYLE}">{_e(d.grade)}</span>' if d.assumed else _e(d.grade)
            rows.append([_e(h.subject()), f"<code>{_e(d.name)}</code>", g,
                         f"{d.point:.4g} &rarr; {d.to:.4g}", f"{100 * d.share:.0f} %",
                         f"[{d.bounds[0]:.4g}, {d.bounds[1]:.4g}]" + ("" if d.exact else " (tested points)"),
                         _e(d.source or d.assumption or "-")])
        if len(h.drivers) > REPORT_DRIVERS:
            rows.append([_e(h.subject()), f"and {len(h.drivers) - REPORT_DRIVERS} more", "", "", "", "", ""])
    if rows:
        out.append(table(["result", "number", "grade", "point → flip", "share of range", "range", "source"],
                         rows, numeric={3, 4}, raw=set(range(7))))
    return "".join(out)


def _changes(scenario, package: dict, draft: dict) -> str:
    """The package's changes from the draft by label ("Kyiv-held Donbas: Kyiv keeps it, ...")."""
    diff = change_texts(scenario, changes(scenario, package, draft))
    return ", ".join(diff) if diff else "(the draft)"


def _findings(scenario, a, distance) -> str:
    """The brief (:func:`negosim.brief.brief`): the same sentences that open ``negosim analyze``."""
    return ("<h2 id='findings'>Findings</h2><ul class='findings'>"
            + "".join(f"<li>{_e(x)}</li>" for x in brief(scenario, a, distance)) + "</ul>")


def _scenario_tables(scenario, draft: dict) -> str:
    out = ["<h2 id='scenario'>Scenario</h2>"]
    if scenario.description.strip():
        out.append(f"<p>{_e(scenario.description.strip())}</p>")
    out.append("<h3>Provisions and options</h3>")
    rows = []
    for pid, prov in scenario.provisions.items():
        for oid, opt in prov.options.items():
            marks = [m for m, on in (("draft", draft.get(pid) == oid), ("status quo", opt.status_quo),
                                     ("absent", opt.absent)) if on]
            rows.append([f"{prov.label} ({pid})", f"{opt.label} ({oid})", ", ".join(marks),
                         opt.source or "", opt.quote or ""])
    out.append(table(["provision", "option", "", "source", "quote"], rows))
    out.append("<h3>Parties</h3>")
    rows = []
    for name, party in scenario.parties.items():
        veto = party.veto if isinstance(party.veto, str) else "over " + ", ".join(party.veto)
        reds = "; ".join(f"{rl.id}: " + " + ".join(f"{k}={v if isinstance(v, str) else '|'.join(v)}"
                                                   for k, v in rl.forbid.items()) for rl in party.red_lines)
        links = "; ".join(f"{lk.id} ({lk.bonus.point:+.2f}): " + " + ".join(
            f"{k}={v if isinstance(v, str) else '|'.join(v)}" for k, v in lk.when.items()) for lk in party.linkages)
        res = _num(party.reservation.point) if party.reservation != "no_deal" else None
        if res is None:  # derived: expected utility of fighting on minus the cost, at the point values
            from negosim.engine.compiled import compile_scenario
            res = f"no deal: {_num(float(compile_scenario(scenario).reservation[list(scenario.parties).index(name)]))}"
        rows.append([f"{party.label or name} ({name})", res, _num(party.power.point),
                     _num(party.discount.point), _num(party.drift.point), veto, reds or "-", links or "-"])
    out.append(table(["party", "reservation", "power", "discount", "drift", "veto", "red lines", "linkages"],
                     rows, numeric={1, 2, 3, 4}))
    if scenario.parameters:
        out.append("<h3>Parameters</h3>")
        rows = [[f"{p.label} ({k})", _num(p.value.point), f"[{p.range[0]:g}, {p.range[1]:g}]",
                 "; ".join(f"{e.path} {e.per_unit.point:+g}/unit" for e in p.effects), p.description]
                for k, p in scenario.parameters.items()]
        out.append(table(["parameter", "value", "range", "effects", "description"], rows, numeric={1}))
    return "".join(out)


_EVIDENCE_FIELDS = ("value", "source", "quote", "claim", "confidence", "assumption")


def _spread(num) -> str:
    """The number's range or distribution in words (empty for a plain point)."""
    data = num.model_dump(exclude_none=True) if hasattr(num, "model_dump") else {}
    if not isinstance(data, dict):
        return ""
    rest = {k: v for k, v in data.items() if k not in _EVIDENCE_FIELDS}
    return ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in rest.items())


def _sources_and_evidence(scenario, article_sha: dict) -> str:
    from negosim.scenario.evidence import quote_items
    from negosim.scenario.numbers import dotted_name
    from negosim.scenario.provenance import provenance
    from negosim.scenario.schema import iter_numbers
    from .errors import format_path
    cites: dict[str, int] = {}
    numbers = list(iter_numbers(scenario))
    for _, num in numbers:
        if num.source:
            cites[num.source] = cites.get(num.source, 0) + 1
    for path, source, _ in quote_items(scenario):
        if path[0] != "parties" or "red_lines" in path:
            cites[source] = cites.get(source, 0) + 1
    out = ["<h2 id='sources'>Sources</h2>"]
    if scenario.sources:
        rows = [[sid, s.title, s.date, s.file, s.confidence, cites.get(sid, 0), article_sha.get(s.file, "not read")]
                for sid, s in scenario.sources.items()]
        out.append(table(["id", "title", "date", "file", "confidence", "citations", "sha256"], rows,
                         numeric={5}, cls="sources"))
    else:
        out.append('<table class="sources"><tbody><tr><td>This scenario cites no sources.</td></tr></tbody>'
                   "</table>")
    out.append("<h2 id='evidence'>Evidence behind the numbers</h2>")
    # The counts are `negosim sources`' (one counting: format defaults and inert numbers apart).
    rep = provenance(scenario)
    g, d = rep.grades(), rep.deciding_summary()
    out.append(f"<p>{rep.numbers} numbers: {g['states'] + g['implies']} are supported by a verbatim quote "
               f"({g['states']} state it, {g['implies']} imply it), {g['context']} cite a quote that is only "
               f"context (their size is assumed), {g['assumption']} are stated assumptions, {g['ungraded']} cite "
               f"a quote whose support is not graded, {g['unsourced']} carry neither. Of the {d['numbers']} "
               f"deciding numbers (fallbacks or what fighting on brings, and each party's three largest "
               f"weights), {d['states'] + d['implies']} are supported. Not counted: {len(rep.defaults)} left at "
               f"the format's defaults" + (f", and {rep.inert} that decide nothing in this round (values of "
                                           f"provisions a party weighs 0), marked inert" if rep.inert else "")
               + ".</p>")
    inert = {it.path for it in rep.items if it.inert}
    rows = []
    for path, num in numbers:
        name = dotted_name(scenario, path)
        quote = f"<blockquote>{_e(num.quote)}</blockquote>" if num.quote else ""
        basis = "" if (num.quoted or num.assumption) else '<span class="muted">unsourced</span>'
        grade = f"{num.grade} (inert)" if name in inert else num.grade
        rows.append([_e(name), _e(_num(num.point)), _e(_spread(num)), _e(num.source or ""),
                     quote or basis, _e(num.claim or ""), _e(num.confidence or ""), _e(num.assumption or ""),
                     _e(grade)])
    out.append(table(["number", "value", "range / distribution", "source", "quote", "claim", "confidence",
                      "assumption", "grade"], rows, numeric={1}, raw=set(range(9))))
    other = [(p, s, q) for p, s, q in quote_items(scenario) if p[0] != "parties" or "red_lines" in p]
    if other:
        out.append("<h3>Quotes behind options and red lines</h3>")
        out.append(table(["where", "source", "quote"], [[format_path(p[:-1]), s, q] for p, s, q in other]))
    return "".join(out)


# --------------------------------------------------------------------------- figures

def _figures(sub, a, seed, protocol, trace, sweep_df, sweep_path) -> str:
    from negosim.plots.frontier import frontier, frontier_matrix
    from negosim.plots.gains import gains_figure
    from negosim.plots.package import package_figure
    parts = ["<h2 id='figures'>Figures</h2>"]
    fig = frontier(sub)
    parts.append(embed_figure(fig, "Acceptance frontier in utility space: every package, the zone of agreement "
                                   "(green), its Pareto front, reservations (dashed), the draft and the solution "
                                   "points.", "acceptance frontier of two parties"))
    if len(sub.party_ids) > 2:
        parts.append(embed_figure(frontier_matrix(sub), "Acceptance frontiers of every pair of parties; the "
                                  "diagonal shows each party's utility over all packages and over the zone.",
                                  "matrix of acceptance frontiers"))
    parts.append(embed_figure(package_figure(sub), "Why each party accepts or rejects the draft: its utility "
                              "as stacked contributions of the provisions, against its reservation.",
                              "utility of the draft per party and provision"))
    if a.repairs or a.solutions.get("nash") is not None:
        what = "the best minimal repair of the draft" if a.repairs else "the Nash solution"
        parts.append(embed_figure(gains_figure(sub), f"Who gained and who gave in {what}, provision by "
                                  "provision, relative to the draft.", "gains and concessions per provision"))
    if trace:
        parts.append(_trace_section(sub, seed, protocol))
    if sweep_df is not None:
        parts.append(_sweep_section(sub, sweep_df, sweep_path))
    return "".join(parts)


def _trace_section(sub, seed, protocol) -> str:
    from negosim.plots.trace import run_trace, trace_figure
    scenario = sub.scenario
    proto = protocol or (scenario.protocol.name if scenario.protocol else "single_text")
    try:
        result = run_trace(sub.loaded or scenario, proto, seed=seed, params=sub.params)
    except NegosimError as e:
        return f"<p class='muted'>No negotiation trace: {_e(e)}</p>"
    fig = trace_figure(result, scenario=scenario, note=f"{proto}, seed {seed}")
    return embed_figure(fig, f"Negotiation trace under the {proto} protocol (seed {seed}): each party's utility "
                             "of the text on the table, its drifting reservation and its aspiration.",
                        "negotiation trace")


def _sweep_section(sub, df, path) -> str:
    from negosim.plots.sweep_figure import scenario_marks, sweep_figure
    axes = list((df.attrs.get("negosim", {}).get("spec", {}) or {}).get("axes", {}))
    if not axes:
        return "<p class='muted'>The sweep results name no axes; no sweep figure.</p>"
    x, y = axes[0], (axes[1] if len(axes) > 1 else None)
    marks = scenario_marks([sub.scenario], x, y)
    fig = sweep_figure(df, x, y, marks=marks, scenario=sub.scenario)
    return embed_figure(fig, f"Acceptance frontier in parameter space from {Path(path).name}.",
                        "sweep heatmap with the frontier")


# --------------------------------------------------------------------------- public API

def build_report(source, *, params: dict | None = None, articles=None, seed: int = 0,
                 protocol: str | None = None, trace: bool = True, sweep=None) -> str:
    """The report of a scenario as one HTML string.

    Parameters
    ----------
    source : scenario file path, LoadedScenario or Scenario.
    params : named parameter values.
    articles : folder of the articles (default: the scenario's ``articles`` key).
    seed : seed of the bargaining run shown in the trace.
    protocol : bargaining protocol of the trace (default: the scenario's).
    trace : include a negotiation trace.
    sweep : a sweep's result file (Parquet) to draw, or None.
    """
    from negosim.engine.analysis import analyze
    from negosim.engine.compiled import as_scenario
    from negosim.plots.common import Subject
    scenario, loaded = as_scenario(source, articles,
                                   error="build_report() takes a scenario file, a LoadedScenario or a Scenario")
    a = analyze(scenario if loaded is None else loaded, params=params, top=5, pareto=True)
    from negosim.uncertainty.distance_to_yes import distance_to_yes
    from negosim.uncertainty.drivers import find_drivers
    drivers = find_drivers(scenario, params=params, analysis=a)
    distance = distance_to_yes(scenario, params=params)
    sub = Subject(a.compiled, scenario, loaded, params, a)
    sweep_df = None
    if sweep is not None:
        from negosim.sweep.store import read_results
        sweep_df = read_results(sweep)
        check_sweep_scenario(sweep, sweep_df.attrs.get("negosim", {}), scenario, loaded)
    draft = a.compiled.package_dict(a.compiled.draft)
    body = [f"<h1>{_e(scenario.name)}</h1>",
            "<p class='muted'>negosim report: who accepts the draft and why, which packages every needed "
            "party could accept, and the evidence behind every number.</p>",
            "<nav><a href='#findings'>findings</a><a href='#analysis'>analysis</a>"
            + "".join(f"<a href='#{k}'>{w}</a>" for k, w, on in (
                ("consent", "consent rules", bool(a.draft_rules)), ("ratification", "ratification", bool(a.ratification)),
                ("transfers", "side payments", a.transfers is not None or "transfers_skipped" in a.meta)) if on)
            + "<a href='#drivers'>drivers</a>"
            "<a href='#figures'>figures</a><a href='#scenario'>scenario</a><a href='#sources'>sources</a>"
            "<a href='#evidence'>evidence</a><a href='#settings'>settings</a></nav>",
            # Findings first; what was run and the hashes that pin it down at the end.
            _findings(scenario, a, distance),
            _analysis_tables(sub, a),
            _drivers_section(drivers),
            _figures(sub, a, seed, protocol, trace, sweep_df, sweep),
            _scenario_tables(scenario, draft),
            _sources_and_evidence(scenario, a.meta.get("articles") or {}),
            _provenance(sub, a, params, seed, protocol, sweep)]
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>negosim report: {_e(scenario.name)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def check_sweep_scenario(path, record: dict, scenario, loaded) -> None:
    """Refuse a sweep that was not run on this scenario as it is now.

    The report draws a sweep under its own scenario's name, with that
    scenario's draft marked: a sweep of another scenario (or of this one
    before its files changed) would be shown as if it were this one's. The
    sweep's record holds the SHA-256 of its scenario's files (see
    :mod:`negosim.sweep.store`); a scenario given as a Python object is hashed
    from its dump, as the sweep does.

    Raises
    ------
    NegosimError
        Naming both scenarios when the hashes differ.

    >>> check_sweep_scenario("r.parquet", {}, None, None)  # a record without a hash: nothing to compare
    """
    want = record.get("scenario_sha256")
    if not want:
        return
    if loaded is not None:
        have, name = loaded.sha256(), str(loaded.path)
    else:
        import hashlib
        from negosim.scenario.yaml_io import dump_scenario
        have, name = hashlib.sha256(dump_scenario(scenario).encode()).hexdigest(), scenario.name
    if have == want:
        return
    theirs = record.get("scenario") or "another scenario"
    same = Path(str(theirs)).resolve() == Path(name).resolve() if loaded is not None else theirs == name
    why = ("its files changed since the sweep was run; run the sweep again" if same else
           f"run the report on {theirs}, or the sweep on {name}")
    raise NegosimError(f"{path}: this sweep was run on {theirs}, not on {name} as it is now ({why})")


def check_report_path(path) -> Path:
    """The report's path, or a NegosimError when it is not an .html file in an existing folder."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise NegosimError(f"cannot write '{path}': a report is HTML; the file name must end in .html")
    if not path.parent.exists():
        raise NegosimError(f"cannot write '{path}': folder '{path.parent}' does not exist")
    return path


def write_report(path, source, **kwargs) -> Path:
    """Write :func:`build_report` to ``path`` (HTML); returns the path."""
    from negosim.fileio import atomic_output
    path = check_report_path(path)
    page = build_report(source, **kwargs)
    with atomic_output(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
