"""GENIUS XML: a domain file and one utility profile per party, read and written.

A GENIUS *domain* (root ``negotiation_template`` or ``utility_space``) lists
``issue`` elements with their ``item`` values (discrete) or a
``lowerbound``/``upperbound`` (integer, real). A *profile* (root
``utility_space``) repeats the issues with an ``evaluation`` per item or an
``evaluator`` (``slope``, ``offset``) per integer or real issue, a ``weight``
per issue index, and optionally ``reservation`` and ``discount_factor``.
Utilities follow GENIUS's own rules (its ``EvaluatorDiscrete`` and
``EvaluatorInteger``): a discrete value is its evaluation divided by the
issue's largest evaluation (0 when that is 0); an integer value x is
``slope * (x - lowerbound) + offset``, clipped to [0, 1].

The XML is read with expat, refusing any DOCTYPE (so no entity can expand);
a malformed file is one ``file:line:col`` error.

Example
-------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "dom.xml").write_text('<negotiation_template><utility_space><objective index="0" name="root">'
...     '<issue index="1" name="Fruit" type="discrete"><item index="1" value="apple"/><item index="2" '
...     'value="pear"/></issue></objective></utility_space></negotiation_template>')
>>> _ = (d / "me.xml").write_text('<utility_space><reservation value="0.25"/><objective index="0" name="root">'
...     '<issue index="1" name="Fruit" type="discrete"><item index="1" value="apple" evaluation="2"/>'
...     '<item index="2" value="pear" evaluation="4"/></issue><weight index="1" value="1.0"/></objective>'
...     '</utility_space>')
>>> dom = read([d])
>>> dom.profiles[0].values, dom.profiles[0].reservation
({'Fruit': {'apple': 0.5, 'pear': 1.0}}, 0.25)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from negosim.errors import NegosimError, ScenarioError
from .domain import Domain, Evidence, Issue, Profile


@dataclass
class Node:
    """One XML element with where it starts and its start tag's text."""

    tag: str
    attrib: dict[str, str]
    line: int
    col: int
    text: str
    children: list["Node"] = field(default_factory=list)

    def kids(self, tag: str) -> list["Node"]:
        """The direct children with this tag."""
        return [c for c in self.children if c.tag == tag]

    def iter(self, tag: str):
        for c in self.children:
            if c.tag == tag:
                yield c
            yield from c.iter(tag)


def parse(path: str | Path) -> Node:
    """The element tree of an XML file; ScenarioError ``file:line:col`` when malformed or hostile."""
    from negosim.scenario.yaml_io import read_regular_file
    raw = read_regular_file(path)
    name = str(path)
    p = expat.ParserCreate()
    stack: list[Node] = []
    root: list[Node] = []

    def refuse(*_):
        raise ScenarioError("a DOCTYPE or entity declaration is refused (GENIUS files have none)", file=name,
                            line=p.CurrentLineNumber, col=p.CurrentColumnNumber + 1)

    def start(tag, attrs):
        at = p.CurrentByteIndex
        end = raw.find(b">", at)
        text = raw[at:end + 1].decode("utf-8", errors="replace")
        node = Node(tag, attrs, p.CurrentLineNumber, p.CurrentColumnNumber + 1, text)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    p.StartDoctypeDeclHandler = refuse
    p.EntityDeclHandler = refuse
    p.StartElementHandler = start
    p.EndElementHandler = lambda tag: stack.pop()
    try:
        p.Parse(raw, True)
    except expat.ExpatError as e:
        raise ScenarioError(f"malformed XML: {expat.ErrorString(e.code)}", file=name, line=e.lineno,
                            col=e.offset + 1) from None
    return root[0]


def _fail(path, node: Node, message: str):
    raise ScenarioError(message, file=str(path), line=node.line, col=node.col)


def _float(path, node: Node, key: str) -> float:
    try:
        v = float(node.attrib[key])
    except KeyError:
        _fail(path, node, f"<{node.tag}> has no '{key}' attribute")
    except ValueError:
        _fail(path, node, f"<{node.tag}> {key}={node.attrib[key]!r} is not a number")
    if not math.isfinite(v):
        _fail(path, node, f"<{node.tag}> {key}={node.attrib[key]!r} is not a finite number")
    return v


def _kind(node: Node) -> str:
    return (node.attrib.get("type") or node.attrib.get("vtype") or node.attrib.get("etype") or "discrete").lower()


def _grid(path, node: Node, bins: int | None) -> list[str]:
    """The values of an integer issue (every integer of its range) or a real one (``bins`` points)."""
    kind = _kind(node)
    lo, hi = _float(path, node, "lowerbound"), _float(path, node, "upperbound")
    if hi < lo:
        _fail(path, node, f"issue '{node.attrib.get('name')}': upperbound {hi:g} is below lowerbound {lo:g}")
    if kind == "integer":
        if lo != int(lo) or hi != int(hi):
            _fail(path, node, f"integer issue '{node.attrib.get('name')}' has bounds that are not integers")
        from negosim.limits import MAX_BINS
        if hi - lo + 1 > MAX_BINS:
            _fail(path, node, f"integer issue '{node.attrib.get('name')}' has {int(hi - lo + 1):,} values "
                              f"(at most {MAX_BINS:,})")
        return [str(x) for x in range(int(lo), int(hi) + 1)]
    if kind == "real":
        if bins is None:
            _fail(path, node, f"real-valued issue '{node.attrib.get('name')}' [{lo:g}, {hi:g}]: negosim needs "
                              "discrete options; pass --bins K to discretise it into K values")
        return [f"{lo + (hi - lo) * k / (bins - 1):.10g}" for k in range(bins)] if bins > 1 else [f"{lo:.10g}"]
    _fail(path, node, f"issue '{node.attrib.get('name')}' has type '{kind}' (discrete, integer or real expected)")


def _issues(path, root: Node, bins: int | None) -> tuple[list[Issue], dict[str, Node]]:
    issues, nodes = [], {}
    for node in root.iter("issue"):
        name = node.attrib.get("name")
        if not name:
            _fail(path, node, "<issue> has no name")
        if name in nodes:
            _fail(path, node, f"issue '{name}' appears twice")
        if _kind(node) == "discrete":
            values, quotes = [], {}
            for item in node.kids("item"):
                v = item.attrib.get("value")
                if v is None:
                    _fail(path, item, "<item> has no value")
                if v in quotes:
                    _fail(path, item, f"value '{v}' of issue '{name}' appears twice")
                values.append(v)
                quotes[v] = item.text
            if not values:
                _fail(path, node, f"discrete issue '{name}' has no items")
            issues.append(Issue(name, values, quotes))
        else:
            issues.append(Issue(name, _grid(path, node, bins), {}))
        nodes[name] = node
    if not issues:
        _fail(path, root, "no <issue> found")
    return issues, nodes


def _is_profile(root: Node) -> bool:
    return any(True for _ in root.iter("weight")) or any("evaluation" in n.attrib for n in root.iter("item")) \
        or any(True for _ in root.iter("evaluator"))


def _profile(path, root: Node, issues: list[Issue], bins: int | None) -> Profile:
    mine, nodes = _issues(path, root, bins)
    known = {i.name: i for i in issues}
    if [i.name for i in mine] != [i.name for i in issues] or any(set(a.values) != set(known[a.name].values)
                                                                for a in mine):
        _fail(path, root, "its issues or values differ from the domain's")
    ev: dict[tuple, Evidence] = {}
    values: dict[str, dict[str, float]] = {}
    index_of = {}
    for issue in issues:
        node = nodes[issue.name]
        index_of[node.attrib.get("index")] = issue.name
        if _kind(node) == "discrete":
            items = {it.attrib["value"]: it for it in node.kids("item")}
            raw = {v: (_float(path, items[v], "evaluation") if "evaluation" in items[v].attrib else 0.0)
                   for v in issue.values}
            if any(r < 0 for r in raw.values()):
                bad = next(items[v] for v, r in raw.items() if r < 0)
                _fail(path, bad, "a negative evaluation (GENIUS evaluations are 0 or more)")
            top = max(raw.values())
            values[issue.name] = {v: (raw[v] / top if top > 1e-5 else 0.0) for v in issue.values}
            for v in issue.values:
                ev[("values", issue.name, v)] = Evidence(items[v].text, f"evaluation {raw[v]:g} / {top:g}, the "
                                                         "issue's largest" if top != 1 else "")
        else:
            evs = node.kids("evaluator")
            if not evs:
                _fail(path, node, f"issue '{issue.name}' has no <evaluator>")
            e = evs[0]
            ftype = e.attrib.get("ftype", "linear")
            if ftype != "linear":
                _fail(path, e, f"evaluator ftype '{ftype}' is not supported (linear expected)")
            slope, offset = _float(path, e, "slope"), _float(path, e, "offset")
            lo = _float(path, node, "lowerbound")
            values[issue.name] = {v: min(1.0, max(0.0, slope * (float(v) - lo) + offset)) for v in issue.values}
            for v in issue.values:
                ev[("values", issue.name, v)] = Evidence(e.text, f"{slope:g} * ({v} - {lo:g}) + {offset:g}, "
                                                         "clipped to [0, 1]")
    weights = {}
    for w in root.iter("weight"):
        issue = index_of.get(w.attrib.get("index"))
        if issue is None:
            _fail(path, w, f"<weight> index {w.attrib.get('index')!r} names no issue")
        weights[issue] = _float(path, w, "value")
        if weights[issue] < 0:
            _fail(path, w, "a negative weight")
        ev[("weights", issue)] = Evidence(w.text)
    for issue in issues:
        if issue.name not in weights:
            _fail(path, nodes[issue.name], f"issue '{issue.name}' has no <weight>")
    prof = Profile(Path(path).stem, weights, values, file=str(path), evidence=ev)
    for tag, attr in (("reservation", "reservation"), ("discount_factor", "discount")):
        found = list(root.iter(tag))
        if found:
            x = _float(path, found[0], "value")
            lo_ok = x >= 0
            if not (lo_ok and x <= 1):
                _fail(path, found[0], f"<{tag}> value {x:g} is outside [0, 1]")
            setattr(prof, attr, x)
            ev[(attr,)] = Evidence(found[0].text)
    if prof.discount is not None and not 0 < prof.discount < 1:
        prof.discount = None  # GENIUS: a factor of 0 or 1 means no discounting
    return prof


def read(paths: list[str | Path], bins: int | None = None) -> Domain:
    """A GENIUS domain and its profiles, from a folder or from files (the domain file is found by content)."""
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(f for f in p.iterdir() if f.suffix.lower() == ".xml") if p.is_dir() else [p]
    trees = [(f, parse(f)) for f in files]
    domains = [(f, t) for f, t in trees if not _is_profile(t)]
    profiles = [(f, t) for f, t in trees if _is_profile(t)]
    if len(domains) > 1:
        raise NegosimError(f"{domains[1][0]}: a second domain file (the first is {domains[0][0]}); "
                           "pass one domain and its profiles")
    if not profiles:
        raise NegosimError(f"{', '.join(map(str, paths))}: no GENIUS utility profile found")
    dom_file, dom_tree = domains[0] if domains else profiles[0]
    issues, _ = _issues(dom_file, dom_tree, bins)
    name = Path(dom_file).stem if domains else Path(paths[0]).name
    for suffix in ("_domain", "-domain"):
        name = name.removesuffix(suffix)
    return Domain(name, issues, [_profile(f, t, issues, bins) for f, t in profiles],
                  file=str(dom_file) if domains else None, fmt="GENIUS")


def _fmt(x: float) -> str:
    return repr(float(x))


def _linear(issue: Issue, profiles: list[Profile]) -> dict[str, tuple[float, float]] | None:
    """Each profile's (slope, offset) when the issue's values are consecutive integers and every
    profile's values are affine in them, within [0, 1]; otherwise None."""
    try:
        xs = [int(v) for v in issue.values]
    except ValueError:
        return None
    if len(xs) < 2 or xs != list(range(xs[0], xs[0] + len(xs))) or issue.values != [str(x) for x in xs]:
        return None
    out = {}
    for prof in profiles:
        ys = [prof.values[issue.name][v] for v in issue.values]
        slope = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
        if any(abs(ys[0] + slope * (x - xs[0]) - y) > 1e-12 for x, y in zip(xs, ys)):
            return None
        out[prof.name] = (slope, ys[0])
    return out


def write(domain: Domain, folder: str | Path) -> list[Path]:
    """Write ``<name>_domain.xml`` and one ``<profile>.xml`` per profile; the paths written.

    An issue whose options are consecutive integers valued linearly by every
    profile is written as an integer issue; every other one as discrete, each
    value as its evaluation. GENIUS divides a discrete issue's evaluations by
    their largest, so a discrete issue whose best value is neither 1 nor 0 (all
    values 0) cannot be written: a NegosimError names it.
    """
    from negosim.fileio import atomic_output
    folder = Path(folder)
    linear = {i.name: _linear(i, domain.profiles) for i in domain.issues}
    bad = [f"values of '{i.name}' whose best is {max(p.values[i.name].values()):g}, not 1 (profile '{p.name}')"
           for i in domain.issues if linear[i.name] is None for p in domain.profiles
           if max(p.values[i.name].values()) not in (0.0, 1.0) and p.weights[i.name] > 0]
    if bad:
        raise NegosimError("the GENIUS format cannot express (it scales each discrete issue's best value to 1): "
                           + "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else ""))
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def issue_xml(k: int, issue: Issue, prof: Profile | None) -> list[str]:
        name = quoteattr(issue.name)
        if linear[issue.name] is not None:
            lo, hi = issue.values[0], issue.values[-1]
            lines = [f'<issue index="{k}" name={name} lowerbound="{lo}" upperbound="{hi}" vtype="integer" '
                     'type="integer" etype="integer">']
            if prof:
                slope, offset = linear[issue.name][prof.name]
                lines.append(f'<evaluator slope="{_fmt(slope)}" offset="{_fmt(offset)}" ftype="linear">\n</evaluator>')
            return lines + ["</issue>"]
        lines = [f'<issue index="{k}" name={name} vtype="discrete" type="discrete" etype="discrete">']
        for j, v in enumerate(issue.values, 1):
            ev = f' evaluation="{_fmt(prof.values[issue.name][v])}"' if prof else ""
            lines.append(f'<item index="{j}" value={quoteattr(v)}{ev}>\n</item>')
        return lines + ["</issue>"]

    dom = ['<negotiation_template>', f'<utility_space number_of_issues="{len(domain.issues)}">',
           f'<objective index="0" description="" name={quoteattr(domain.name)} type="objective" etype="objective">']
    for k, issue in enumerate(domain.issues, 1):
        dom += issue_xml(k, issue, None)
    dom += ["</objective>", "</utility_space>", "</negotiation_template>"]
    targets = [(folder / f"{domain.name}_domain.xml", dom)]
    for prof in domain.profiles:
        lines = ["<utility_space>", f'<reservation value="{_fmt(prof.reservation or 0.0)}" />',
                 f'<discount_factor value="{_fmt(prof.discount if prof.discount is not None else 1.0)}" />',
                 f'<objective index="0" description="" name={quoteattr(domain.name)} type="objective" '
                 'etype="objective">']
        for k, issue in enumerate(domain.issues, 1):
            lines += issue_xml(k, issue, prof)
        for k, issue in enumerate(domain.issues, 1):
            lines.append(f'<weight index="{k}" value="{_fmt(prof.weights[issue.name])}">\n</weight>')
        lines += ["</objective>", "</utility_space>"]
        targets.append((folder / f"{prof.name}.xml", lines))
    names = [t.name for t, _ in targets]
    if len(set(names)) < len(names):
        raise NegosimError("two files of the export would have the same name (a profile named like the domain)")
    for target, lines in targets:
        with atomic_output(target) as tmp:
            Path(tmp).write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(target)
    return written
