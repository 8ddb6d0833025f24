"""Safe YAML loading and dumping of scenarios, with ``file:line:col`` errors.

The file is parsed once to YAML nodes (which keep their marks), merged with
its ``extends:`` parents at the node level (so every value still knows which
file and line it came from), constructed to plain data and validated by the
pydantic models. A validation error's field path is walked back through the
nodes to the offending one.

Only YAML's safe subset is read: no Python tags, duplicate keys are an error,
and only ``true``/``false`` are booleans (``no``, ``on``, ``yes`` stay strings).

Example
-------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "bad.yaml").write_text("a: 1\\na: 2\\n")
>>> try:
...     load_document(d / "bad.yaml")
... except ScenarioError as e:
...     print(str(e).split("/")[-1])
bad.yaml:2:1: a: duplicate key 'a' (first at line 1)
"""

from __future__ import annotations

import hashlib
import re
import warnings
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import PathError, ScenarioError


class _Loader(yaml.SafeLoader):
    """SafeLoader with strict booleans, YAML 1.2 floats and no duplicate keys."""


# Drop YAML 1.1's yes/no/on/off booleans and its dot-requiring float rule.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:float")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                 |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                 |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                 |[-+]?\.(?:inf|Inf|INF)
                 |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))


def _where(node: Node) -> tuple[str, int, int]:
    m = node.start_mark
    return m.name, m.line + 1, m.column + 1


def _check_duplicates(node: Node, path: tuple = ()) -> None:
    if isinstance(node, MappingNode):
        seen: dict[Any, Node] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                f, l, c = _where(knode)
                raise ScenarioError("YAML merge keys (<<) are not supported; use extends:", path, f, l, c)
            key = knode.value if isinstance(knode, ScalarNode) else id(knode)
            if key in seen:
                f, l, c = _where(knode)
                raise ScenarioError(f"duplicate key '{key}' (first at line {seen[key].start_mark.line + 1})",
                                    path + (key,), f, l, c)
            seen[key] = knode
            _check_duplicates(vnode, path + (key,))
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicates(item, path + (i,))


def _compose(path: Path) -> Node:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"cannot read file ({e.__class__.__name__})", file=str(path)) from None
    loader = _Loader(text)
    loader.name = str(path)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = f"invalid YAML: {e.problem or e.context}"
        raise ScenarioError(msg, file=str(path), line=mark.line + 1 if mark else None,
                            col=mark.column + 1 if mark else None) from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"invalid YAML: {e}", file=str(path)) from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError("the file is empty", file=str(path), line=1, col=1)
    _check_duplicates(node)
    return node


def _mapping_get(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    for knode, vnode in node.value:
        if isinstance(knode, ScalarNode) and knode.value == key:
            return knode, vnode
    return None


def _merge(parent: Node, child: Node) -> Node:
    """Deep merge of mapping nodes; anything else in the child replaces the parent."""
    if not (isinstance(parent, MappingNode) and isinstance(child, MappingNode)):
        return child
    out = list(parent.value)
    for knode, vnode in child.value:
        for i, (pk, pv) in enumerate(out):
            if isinstance(pk, ScalarNode) and isinstance(knode, ScalarNode) and pk.value == knode.value:
                out[i] = (knode, _merge(pv, vnode))
                break
        else:
            out.append((knode, vnode))
    return MappingNode(child.tag, out, child.start_mark, child.end_mark, child.flow_style)


def compose_with_extends(path: Path, _chain: tuple[Path, ...] = ()) -> tuple[Node, list[Path]]:
    """Compose ``path`` and merge it over its ``extends:`` ancestors.

    Returns the merged node tree and the files read, the given file first.
    """
    path = Path(path)
    real = path.resolve()
    if real in _chain:
        cycle = " -> ".join(p.name for p in _chain + (real,))
        raise ScenarioError(f"circular extends: {cycle}", file=str(path))
    node = _compose(path)
    files = [path]
    if not isinstance(node, MappingNode):
        f, l, c = _where(node)
        raise ScenarioError("a scenario must be a mapping of keys to values", (), f, l, c)
    ext = _mapping_get(node, "extends")
    if ext is None:
        return node, files
    knode, vnode = ext
    if not isinstance(vnode, ScalarNode) or vnode.tag != "tag:yaml.org,2002:str":
        f, l, c = _where(vnode)
        raise ScenarioError("extends must be a file path", ("extends",), f, l, c)
    parent_path = path.parent / vnode.value
    if not parent_path.exists():
        f, l, c = _where(vnode)
        raise ScenarioError(f"extends: file '{vnode.value}' not found", ("extends",), f, l, c)
    parent, parent_files = compose_with_extends(parent_path, _chain + (real,))
    # The child's own extends key must not be inherited; the parent's is dropped too.
    parent = MappingNode(parent.tag, [(k, v) for k, v in parent.value if not (
        isinstance(k, ScalarNode) and k.value == "extends")], parent.start_mark, parent.end_mark)
    return _merge(parent, node), files + parent_files


def _construct(node: Node) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as e:
        mark = e.problem_mark
        raise ScenarioError(f"invalid YAML: {e.problem}", file=mark.name if mark else None,
                            line=mark.line + 1 if mark else None, col=mark.column + 1 if mark else None) from None
    finally:
        loader.dispose()


def locate(root: Node, path: tuple, key_mark: bool = False) -> Node:
    """The deepest node along ``path`` (the key node of the last step when ``key_mark``)."""
    node = root
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, MappingNode):
            hit = _mapping_get(node, str(part)) if not isinstance(part, int) else None
            if hit is None:
                continue  # a step pydantic adds (a union tag, a converted plain number)
            node = hit[0] if (last and key_mark) else hit[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
    return node


def _short(v: Any) -> str:
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(err: dict) -> str:
    """A user-facing message for one pydantic error."""
    t, ctx, inp = err["type"], err.get("ctx") or {}, err.get("input")
    loc = err["loc"]
    if t == "value_error" and isinstance(ctx.get("error"), Exception):
        e = ctx["error"]
        return e.message if isinstance(e, PathError) else str(e)
    if t == "missing":
        return f"required key '{loc[-1]}' is missing"
    if t == "extra_forbidden":
        return f"unknown key '{loc[-1]}'"
    if t in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        kind = "a whole number" if t.startswith("int") else "a number"
        return f"must be {kind} (got {_short(inp)})"
    if t == "bool_type":
        return f"must be true or false (got {_short(inp)})"
    if t == "string_type":
        return f"must be text (got {_short(inp)})"
    if t in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys to values (got {_short(inp)})"
    if t in ("list_type", "tuple_type"):
        return f"must be a list (got {_short(inp)})"
    if t == "literal_error":
        return f"must be {ctx.get('expected')} (got {_short(inp)})"
    if t == "too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else err["msg"].lower()
    if t in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{err['msg'].replace('Input should be', 'must be')} (got {_short(inp)})"
    return err["msg"]


def _pick_error(e: ValidationError) -> dict:
    """The most useful error of a union-laden pydantic report: the deepest path."""
    errs = e.errors(include_url=False)
    # Unions (e.g. veto: all|none|list) report one error per branch; keep the first.
    return errs[0]


def _error_path(err: dict) -> tuple:
    loc = tuple(err["loc"])
    ctx = err.get("ctx") or {}
    if isinstance(ctx.get("error"), PathError):
        loc = loc + ctx["error"].path
    # Drop pydantic's internal steps (union tags such as 'literal['all','none']').
    return tuple(p for p in loc if isinstance(p, int) or not any(ch in str(p) for ch in "[]()"))


def validation_to_error(e: ValidationError, root: Node | None, fallback_file: str | None = None) -> ScenarioError:
    """Turn a pydantic ValidationError into a ScenarioError at the right node."""
    err = _pick_error(e)
    path = _error_path(err)
    msg = _describe(err)
    if root is None:
        return ScenarioError(msg, path, fallback_file)
    key_mark = err["type"] == "extra_forbidden"
    node = locate(root, path, key_mark=key_mark)
    f, l, c = _where(node)
    return ScenarioError(msg, path, f, l, c)


def load_document(path: str | Path) -> tuple[dict, Node, list[Path]]:
    """Read a YAML file with its ``extends`` chain into plain data and nodes."""
    node, files = compose_with_extends(Path(path))
    return _construct(node), node, files


def load_scenario(path: str | Path, articles: str | Path | None = None, check_quotes: bool = True):
    """Load, validate and (by default) check the quotes of a scenario file.

    Parameters
    ----------
    path : path of the YAML scenario.
    articles : folder of the articles; defaults to the scenario's ``articles`` key,
        resolved against the scenario's folder.
    check_quotes : verify that every quote occurs in its cited article.

    Returns
    -------
    LoadedScenario
        The validated :class:`~negosim.scenario.Scenario` with its origin.
    """
    from .evidence import check_quotes as _check_quotes
    from .scenario import Scenario

    data, node, files = load_document(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as e:
            raise validation_to_error(e, node) from None
    for w in caught:
        warnings.warn_explicit(w.message, w.category, str(path), 1)
    folder = resolve_articles(Path(path), scenario, articles, node)
    if check_quotes:
        _check_quotes(scenario, folder, node)
    return LoadedScenario(scenario, Path(path), files, folder, node)


def resolve_articles(path: Path, scenario, articles, node: Node | None) -> Path | None:
    if articles is not None:
        return Path(articles)
    if scenario.articles is None:
        return None
    # Resolve against the folder of the file that set the key (it may be a parent).
    origin = path
    if node is not None:
        hit = _mapping_get(node, "articles")
        if hit is not None:
            origin = Path(hit[1].start_mark.name)
    return origin.parent / scenario.articles


class LoadedScenario:
    """A validated scenario with where it came from.

    Attributes
    ----------
    scenario : Scenario
    path : Path
        The file given.
    files : list[Path]
        Every file read: the given one, then its ``extends`` ancestors.
    articles : Path or None
        The article folder used for evidence checks.
    """

    def __init__(self, scenario, path: Path, files: list[Path], articles: Path | None, node: Node | None):
        self.scenario = scenario
        self.path = path
        self.files = files
        self.articles = articles
        self.node = node

    def sha256(self) -> str:
        """Hash of the scenario's content (all files of the extends chain, in order)."""
        h = hashlib.sha256()
        for f in self.files:
            h.update(f.read_bytes())
        return h.hexdigest()

    def error_at(self, path: tuple, message: str) -> ScenarioError:
        """A ScenarioError pointing at ``path`` in this scenario's files."""
        if self.node is None:
            return ScenarioError(message, path, str(self.path))
        f, l, c = _where(locate(self.node, path))
        return ScenarioError(message, path, f, l, c)


def dump_scenario(scenario, path: str | Path | None = None) -> str:
    """Write a scenario as self-contained YAML (no ``extends``); return the text.

    Loading the written file gives an equal scenario.
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
