"""GeniusWeb JSON: a domain file and one linear additive profile per party, read and written.

A *domain* is ``{"name": ..., "issuesValues": {issue: {"values": [...]}}}``; a
*profile* is ``{"LinearAdditiveUtilitySpace": {"issueUtilities": {issue:
{"discreteutils": {"valueUtilities": {value: u}}}}, "issueWeights": {issue: w},
"domain": {...}, "name": ..., "reservationBid": {"issuevalues": {...}}}}``.
GeniusWeb's utilities are used as written (no scaling per issue). A party's
reservation is the utility of its reservation bid; the keys ``reserved_value``
and ``discount_factor`` (which NegMAS reads and writes) are read too, and
written by :func:`write` (GeniusWeb itself states a reservation as a bid only).
A profile that holds its own ``domain`` needs no domain file. Numeric issues
(``numberutils``) are refused.

Example
-------
>>> import json, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> dom = {"name": "jobs", "issuesValues": {"salary": {"values": ["low", "high"]}}}
>>> prof = {"LinearAdditiveUtilitySpace": {"name": "boss", "domain": dom, "issueWeights": {"salary": 1.0},
...         "issueUtilities": {"salary": {"discreteutils": {"valueUtilities": {"low": 1.0, "high": 0.2}}}},
...         "reservationBid": {"issuevalues": {"salary": "high"}}}}
>>> _ = (d / "boss.json").write_text(json.dumps(prof))
>>> p = read([d]).profiles[0]
>>> p.values, p.reservation
({'salary': {'low': 1.0, 'high': 0.2}}, 0.2)
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from negosim.errors import NegosimError, ScenarioError
from .domain import Domain, Evidence, Issue, Profile

_SPACE = "LinearAdditiveUtilitySpace"


def _load(path: Path) -> tuple[dict, str]:
    from negosim.scenario.yaml_io import read_regular_file
    text = read_regular_file(path).decode("utf-8-sig", errors="replace")
    try:
        data = json.loads(text, parse_constant=lambda c: float("nan"))
    except json.JSONDecodeError as e:
        raise ScenarioError(f"malformed JSON: {e.msg}", file=str(path), line=e.lineno, col=e.colno) from None
    if not isinstance(data, dict):
        raise ScenarioError("a GeniusWeb file holds one JSON object", file=str(path), line=1, col=1)
    return data, text


def _member(text: str, key: str, value, start: int = 0) -> str | None:
    """The verbatim ``"key": value`` text of a JSON member, searched from ``start``."""
    pattern = re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:\s*(-?[0-9.eE+-]+|\"[^\"]*\")"
    for m in re.finditer(pattern, text[start:]):
        raw = m.group(1)
        try:
            got = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if got == value:
            return m.group(0)
    return None


def _issues(path: Path, dom) -> list[Issue]:
    if not isinstance(dom, dict) or not isinstance(dom.get("issuesValues"), dict) or not dom["issuesValues"]:
        raise ScenarioError("no 'issuesValues' (the domain's issues) found", file=str(path))
    issues = []
    for name, spec in dom["issuesValues"].items():
        values = spec.get("values") if isinstance(spec, dict) else None
        if not isinstance(values, list) or not values:
            raise ScenarioError(f"issue '{name}' has no list of 'values' (numeric ranges are not supported; "
                                "discretise them first)", file=str(path))
        values = [str(v) for v in values]
        if len(set(values)) < len(values):
            raise ScenarioError(f"issue '{name}' lists a value twice", file=str(path))
        issues.append(Issue(str(name), values, {}))
    return issues


def _number(path: Path, x, what: str, lo: float = 0.0, hi: float = 1.0) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or not lo <= x <= hi:
        raise ScenarioError(f"{what} must be a number in [{lo:g}, {hi:g}] (got {x!r})", file=str(path))
    return float(x)


def _profile(path: Path, data: dict, text: str, issues: list[Issue]) -> Profile:
    space = data[_SPACE]
    if "domain" in space and [i.name for i in _issues(path, space["domain"])] != [i.name for i in issues]:
        raise ScenarioError("its domain's issues differ from the domain file's", file=str(path))
    utils, weights = space.get("issueUtilities", {}), space.get("issueWeights", {})
    ev: dict[tuple, Evidence] = {}
    values, ws = {}, {}
    for issue in issues:
        spec = utils.get(issue.name)
        if not isinstance(spec, dict) or "discreteutils" not in spec:
            kind = next(iter(spec)) if isinstance(spec, dict) and spec else "none"
            raise ScenarioError(f"issue '{issue.name}': utilities '{kind}' are not supported (discreteutils "
                                "expected)", file=str(path))
        vu = spec["discreteutils"].get("valueUtilities", {})
        at = text.find(json.dumps(issue.name, ensure_ascii=False), text.find('"issueUtilities"'))
        values[issue.name] = {}
        for v in issue.values:
            values[issue.name][v] = _number(path, vu.get(v, 0.0), f"utility of '{issue.name}' = '{v}'")
            quote = _member(text, v, vu[v], max(at, 0)) if v in vu else None
            if quote:
                ev[("values", issue.name, v)] = Evidence(quote)
        ws[issue.name] = _number(path, weights.get(issue.name), f"weight of '{issue.name}'", 0.0, 1e6)
        quote = _member(text, issue.name, weights[issue.name], max(text.find('"issueWeights"'), 0))
        if quote:
            ev[("weights", issue.name)] = Evidence(quote)
    prof = Profile(Path(path).stem, ws, values, file=str(path), evidence=ev)
    bid = (space.get("reservationBid") or {}).get("issuevalues")
    if "reserved_value" in space and space["reserved_value"] is not None:
        prof.reservation = _number(path, space["reserved_value"], "reserved_value")
        q = _member(text, "reserved_value", space["reserved_value"])
        if q:
            ev[("reservation",)] = Evidence(q)
    elif bid:
        total = math.fsum(ws.values())
        try:
            prof.reservation = math.fsum(ws[i] / total * values[i][str(bid[i])] for i in ws)
        except KeyError as e:
            raise ScenarioError(f"the reservation bid has no valid value for issue {e}", file=str(path)) from None
        first = next(iter(bid))
        q = _member(text, first, bid[first], max(text.find('"reservationBid"'), 0))
        if q:
            ev[("reservation",)] = Evidence(q, "the utility of the profile's reservation bid")
    if "discount_factor" in space:
        d = _number(path, space["discount_factor"], "discount_factor")
        prof.discount = d if 0 < d < 1 else None
        q = _member(text, "discount_factor", space["discount_factor"])
        if q:
            ev[("discount",)] = Evidence(q)
    return prof


def read(paths, bins: int | None = None) -> Domain:
    """A GeniusWeb domain and its profiles, from a folder or from files (``bins`` is unused: no numeric issues)."""
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(f for f in p.iterdir() if f.suffix.lower() == ".json") if p.is_dir() else [p]
    loaded = [(f, *_load(f)) for f in files]
    domains = [(f, d) for f, d, _ in loaded if "issuesValues" in d]
    profiles = [(f, d, t) for f, d, t in loaded if _SPACE in d]
    if len(domains) > 1:
        raise NegosimError(f"{domains[1][0]}: a second domain file (the first is {domains[0][0]})")
    if not profiles:
        raise NegosimError(f"{', '.join(map(str, paths))}: no GeniusWeb {_SPACE} profile found")
    if domains:
        dom_file, dom = domains[0]
    else:
        dom_file, dom = profiles[0][0], profiles[0][1][_SPACE].get("domain")
    issues = _issues(dom_file, dom)
    return Domain(str(dom.get("name") or Path(dom_file).stem), issues,
                  [_profile(f, d, t, issues) for f, d, t in profiles],
                  file=str(dom_file) if domains else None, fmt="GeniusWeb")


def write(domain: Domain, folder) -> list[Path]:
    """Write ``<name>.json`` (the domain) and one ``<profile>.json`` per profile; the paths written."""
    from negosim.fileio import atomic_output
    folder = Path(folder)
    dom = {"name": domain.name, "issuesValues": {i.name: {"values": list(i.values)} for i in domain.issues}}
    targets = [(folder / f"{domain.name}.json", dom)]
    for prof in domain.profiles:
        space = {"name": prof.name, "domain": dom,
                 "issueUtilities": {i.name: {"discreteutils": {"valueUtilities": dict(prof.values[i.name])}}
                                    for i in domain.issues},
                 "issueWeights": {i.name: prof.weights[i.name] for i in domain.issues},
                 "reserved_value": prof.reservation or 0.0}
        if prof.discount is not None:
            space["discount_factor"] = prof.discount
        targets.append((folder / f"{prof.name}.json", {_SPACE: space}))
    names = [t.name for t, _ in targets]
    if len(set(names)) < len(names):
        raise NegosimError("two files of the export would have the same name (a profile named like the domain)")
    folder.mkdir(parents=True, exist_ok=True)
    for target, data in targets:
        with atomic_output(target) as tmp:
            Path(tmp).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return [t for t, _ in targets]
