"""NegMAS's own scenario folders (YAML): a domain file and linear additive utility functions, read.

NegMAS (``Scenario.dumpas(folder, type="yml")``) writes the outcome space as
``{type: DiscreteCartesianOutcomeSpace, issues: [{name, type: CategoricalIssue,
values: [...]}, {name, type: ContiguousIssue, values: [low, high]}, ...]}`` and
each party as ``{type: LinearAdditiveUtilityFunction, name, weights: [...],
values: [{type: TableFun, mapping: {...}} | {type: AffineFun, slope, bias} |
..., ...], bias, reserved_value}``. Its utility is ``bias + sum_i w_i f_i(x_i)``
on any scale; a negosim party's values lie in [0, 1] and its weights sum to 1.
Each party's utility is therefore rescaled, one positive affine map per party:
with ``c_i(x) = w_i f_i(x)`` ranging over ``[a_i, b_i]`` on issue i and
``W = sum_i (b_i - a_i)``, the value is ``(c_i(x) - a_i) / (b_i - a_i)``, the
weight ``(b_i - a_i) / W`` and the reservation ``(r - bias - sum_i a_i) / W``
(clipped to [0, 1], which the claim then says). A per-party affine map keeps
each party's preferences, the rational outcomes, the Pareto front, the Nash
and Kalai-Smorodinsky points; egalitarian and utilitarian points compare
utilities across parties and may move (docs/genius.md). The map is kept in
:attr:`Profile.scale` so results can be read back on NegMAS's scale.

The YAML is loaded with negosim's scenario loader rules (plain YAML only, node
and size limits, ``file:line:col`` errors); every number quotes its YAML text.

Example
-------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "dom.yml").write_text("type: DiscreteCartesianOutcomeSpace\\nissues:\\n"
...     "- {name: Fruit, type: CategoricalIssue, values: [apple, pear]}\\n")
>>> _ = (d / "me.yml").write_text("type: LinearAdditiveUtilityFunction\\nname: me\\nreserved_value: 4.0\\n"
...     "weights: [2.0]\\nvalues:\\n- {type: TableFun, mapping: {apple: 1.0, pear: 3.0}}\\n")
>>> p = read([d]).profiles[0]
>>> p.values, p.weights, p.reservation, p.scale
({'Fruit': {'apple': 0.0, 'pear': 1.0}}, {'Fruit': 1.0}, 0.5, (2.0, 4.0))
"""

from __future__ import annotations

import math
from pathlib import Path

from negosim.errors import NegosimError, ScenarioError
from .domain import Domain, Evidence, Issue, Profile

SUFFIXES = (".yml", ".yaml")
_UFUN = "LinearAdditiveUtilityFunction"


def _load(path: Path):
    """The checked node tree, the constructed data and the text of a YAML file."""
    from negosim.scenario.yaml_io import read_yaml
    return read_yaml(path)


def _get(node, key: str):
    """The (key node, value node) of a mapping node's key, or None."""
    for k, v in getattr(node, "value", []):
        if getattr(k, "value", None) == key:
            return k, v
    return None


def _span(text: str, first, last) -> str:
    """The verbatim text from one node's start to another's end."""
    return text[first.start_mark.index:last.end_mark.index]


def _fail(path, node, message: str):
    m = node.start_mark if node is not None else None
    raise ScenarioError(message, file=str(path), line=m.line + 1 if m else None, col=m.column + 1 if m else None)


def _issues(path: Path, node, data: dict, bins: int | None) -> list[Issue]:
    items = data.get("issues")
    kv = _get(node, "issues")
    if not isinstance(items, list) or not items:
        _fail(path, kv[0] if kv else node, "no 'issues' list found (NegMAS's outcome space)")
    issues = []
    for k, spec in enumerate(items):
        where = kv[1].value[k]
        if not isinstance(spec, dict) or "name" not in spec:
            _fail(path, where, "an issue needs a name")
        kind, vals = spec.get("type", "CategoricalIssue"), spec.get("values")
        if kind in ("CategoricalIssue", "DiscreteOrdinalIssue", "OrdinalIssue") and isinstance(vals, list) and vals:
            values = [str(v) for v in vals]
        elif kind == "ContiguousIssue" and isinstance(vals, list) and len(vals) == 2:
            lo, hi = vals
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)) or hi < lo:
                _fail(path, where, f"issue '{spec['name']}': a ContiguousIssue needs integer values [low, high]")
            from negosim.limits import MAX_BINS
            if hi - lo + 1 > MAX_BINS:
                _fail(path, where, f"issue '{spec['name']}' has {hi - lo + 1:,} values (at most {MAX_BINS:,})")
            values = [str(x) for x in range(lo, hi + 1)]
        elif kind == "ContinuousIssue":
            if bins is None:
                _fail(path, where, f"real-valued issue '{spec['name']}': negosim needs discrete options; pass "
                                   "--bins K to discretise it into K values")
            lo, hi = (float(v) for v in vals)
            values = [f"{lo + (hi - lo) * j / (bins - 1):.10g}" for j in range(bins)]
        else:
            _fail(path, where, f"issue '{spec['name']}': type '{kind}' with values {str(vals)[:40]} is not supported")
        if len(set(values)) < len(values):
            _fail(path, where, f"issue '{spec['name']}' lists a value twice")
        issues.append(Issue(str(spec["name"]), values, {}))
    return issues


def _fun(path: Path, where, spec, x: str) -> float:
    """NegMAS's value function at value ``x`` (given as text)."""
    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind == "TableFun":
        mapping = spec.get("mapping") or {}
        for key in (x, _num(x)):
            if key in mapping:
                return float(mapping[key])
        return 0.0
    num = _num(x)
    if not isinstance(num, (int, float)):
        _fail(path, where, f"a {kind} needs numeric values (got '{x}')")
    if kind == "AffineFun":
        return float(spec.get("slope", 1.0)) * num + float(spec.get("bias", 0.0))
    if kind == "LinearFun":
        return float(spec.get("slope", 1.0)) * num
    if kind == "IdentityFun":
        return float(num)
    if kind == "ConstFun":
        return float(spec.get("bias", 0.0))
    _fail(path, where, f"value function '{kind}' is not supported (TableFun, AffineFun, LinearFun, IdentityFun, "
                       "ConstFun)")


def _num(x: str):
    try:
        return int(x)
    except ValueError:
        try:
            return float(x)
        except ValueError:
            return x


def _profile(path: Path, node, data: dict, text: str, issues: list[Issue]) -> Profile:
    names = [i.name for i in issues]
    funs, weights = data.get("values"), data.get("weights")
    fk, wk = _get(node, "values"), _get(node, "weights")
    if isinstance(funs, dict):
        funs = [funs.get(n) for n in names]
        fnodes = [next((v for k, v in fk[1].value if k.value == n), fk[1]) for n in names]
    elif isinstance(funs, list) and len(funs) == len(issues):
        fnodes = list(fk[1].value)
    else:
        _fail(path, fk[0] if fk else node, f"'values' must give one value function per issue ({len(issues)})")
    if weights is None:
        weights, wnodes = [1.0] * len(issues), [None] * len(issues)
    elif isinstance(weights, dict):
        wnodes = [next((v for k, v in wk[1].value if k.value == n), None) for n in names]
        weights = [weights.get(n, 0.0) for n in names]
    elif isinstance(weights, list) and len(weights) == len(issues):
        wnodes = list(wk[1].value)
    else:
        _fail(path, wk[0] if wk else node, f"'weights' must give one weight per issue ({len(issues)})")
    for w, wn in zip(weights, wnodes):
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w):
            _fail(path, wn or node, f"a weight must be a finite number (got {w!r})")
    bias = float(data.get("bias") or 0.0)
    c = {i.name: {x: float(w) * _fun(path, fn, f, x) for x in i.values}
         for i, w, f, fn in zip(issues, weights, funs, fnodes)}
    lo = {n: min(c[n].values()) for n in names}
    hi = {n: max(c[n].values()) for n in names}
    total = math.fsum(hi[n] - lo[n] for n in names)
    if not total > 0:
        _fail(path, node, "the utility function is constant (no issue changes it)")
    ev: dict[tuple, Evidence] = {}
    values, ws = {}, {}
    for i, w, f, fn, wn in zip(issues, weights, funs, fnodes, wnodes):
        n, span = i.name, hi[i.name] - lo[i.name]
        values[n] = {x: ((c[n][x] - lo[n]) / span if span > 0 else 0.0) for x in i.values}
        ws[n] = span / total
        if wn is not None:
            ev[("weights", n)] = Evidence(_span(text, wk[0], wn), f"weight x range of the issue / {total:.6g} "
                                                               "(NegMAS's utility rescaled to [0, 1])")
        mapping = _get(fn, "mapping")
        for x in i.values:
            item = None
            if mapping is not None:
                item = next((p for p in mapping[1].value if str(p[0].value) == x), None)
            quote = _span(text, item[0], item[1]) if item else _span(text, fn, fn)
            ev[("values", n, x)] = Evidence(quote, f"{w:g} x f({x}) = {c[n][x]:.6g}, rescaled over the issue: "
                                                   f"(. - {lo[n]:.6g}) / {span:.6g}" if span > 0 else
                                                   "the issue does not change the utility")
    prof = Profile(str(data.get("name") or Path(path).stem), ws, values, file=str(path), evidence=ev)
    offset = bias + math.fsum(lo.values())
    prof.scale = (offset, total)
    r = data.get("reserved_value")
    if isinstance(r, (int, float)) and not isinstance(r, bool) and math.isfinite(r):
        scaled = (float(r) - offset) / total
        prof.reservation = min(1.0, max(0.0, scaled))
        rk = _get(node, "reserved_value")
        clip = "" if prof.reservation == scaled else f", clipped to {prof.reservation:g}"
        ev[("reservation",)] = Evidence(_span(text, rk[0], rk[1]), f"({float(r):g} - {offset:.6g}) / {total:.6g} "
                                                                 f"on negosim's scale{clip}")
    prof.name = Path(path).stem
    return prof


def read(paths, bins: int | None = None) -> Domain:
    """A NegMAS YAML scenario folder (or its files): the outcome space and each linear additive party."""
    files: list[Path] = []
    for p in map(Path, paths):
        files += sorted(f for f in p.iterdir() if f.suffix.lower() in SUFFIXES and not f.name.startswith("_")) \
            if p.is_dir() else [p]
    domains, profiles = [], []
    for f in files:
        node, data, text = _load(f)
        if not isinstance(data, dict):
            continue
        if "issues" in data:
            domains.append((f, node, data))
        elif data.get("type") == _UFUN:
            profiles.append((f, node, data, text))
        elif "type" in data and str(data["type"]).endswith(("UtilityFunction", "UFun")):
            _fail(f, node, f"utility function type '{data['type']}' is not supported ({_UFUN} is)")
    if len(domains) != 1:
        raise NegosimError(f"{', '.join(map(str, paths))}: " + ("no NegMAS outcome space (a YAML file with "
                           "'issues') found" if not domains else f"two outcome spaces ({domains[1][0]})"))
    if not profiles:
        raise NegosimError(f"{', '.join(map(str, paths))}: no NegMAS {_UFUN} found")
    f, node, data = domains[0]
    issues = _issues(f, node, data, bins)
    name = str(data.get("name") or f.stem)
    for suffix in ("_domain", "-domain"):
        name = name.removesuffix(suffix)
    return Domain(name, issues, [_profile(pf, pn, pd, pt, issues) for pf, pn, pd, pt in profiles],
                  file=str(f), fmt="NegMAS")
