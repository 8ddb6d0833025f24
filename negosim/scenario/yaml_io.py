"""Safe YAML loading and dumping of scenarios, with ``file:line:col`` errors.

The file is parsed once to YAML nodes (which keep their marks), merged with
its ``extends:`` parents at the node level (so every value still knows which
file and line it came from), constructed to plain data and validated by the
pydantic models. A validation error's field path is walked back through the
nodes to the offending one.

Only YAML's safe subset is read: no Python tags, duplicate keys are an error,
and scalars follow the YAML 1.2 core schema: only ``true``/``false`` are
booleans (``no``, ``on``, ``yes`` stay strings), ``1e-3`` is a float, ``010``
is ten, and dates stay text.

Where an error points: at the offending value (``file:line:col`` of the
value as written, in whichever file of the ``extends`` chain wrote it); at the
key for an unknown key or an unknown id used as a key, with the closest known
key suggested; at the key naming a mapping that lacks a required key or that
is wrong as a whole. Messages are one line: field path, what is wrong, what
was got.

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

import codecs
import difflib
import hashlib
import math
import os
import re
import stat
import warnings
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from negosim import limits
from negosim.errors import NegosimError, PathError, ScenarioError


class _Loader(yaml.SafeLoader):
    """SafeLoader reading the YAML 1.2 core schema, without duplicate keys.

    YAML 1.1 turns ``no``, ``on`` and ``yes`` into booleans, ``010`` into 8,
    ``1:30`` into 90 and bare dates into date objects; a scenario author meant
    none of these, so only the 1.2 core forms are resolved and anything else
    stays text (which the schema then rejects with a clear message).

    Composing also guards against hostile documents: nesting deeper than
    ``limits.MAX_YAML_DEPTH`` is refused before PyYAML's recursive composer
    exhausts the stack, and every node is counted as often as it occurs once
    aliases are expanded (an alias costs the size of what it names), so an
    alias bomb stops at ``limits.MAX_YAML_NODES`` at the alias that crosses it.
    """

    def __init__(self, stream, budget: int = limits.MAX_YAML_NODES):
        super().__init__(stream)
        self._depth = 0
        self._budget = budget
        self.expanded = 0  # nodes so far, aliases expanded
        self._sizes: dict[int, int] = {}  # id(node) -> its size with aliases expanded

    def _count(self, n: int, mark, alias: bool) -> None:
        self.expanded += n
        if self.expanded > self._budget:
            what = (f"alias expansion too large: with its aliases expanded the scenario would hold more than "
                    f"{limits.MAX_YAML_NODES:,} values" if alias else
                    f"too many values: a scenario holds at most {limits.MAX_YAML_NODES:,} (all files of "
                    f"its extends chain together)")
            raise ScenarioError(what, file=mark.name, line=mark.line + 1, col=mark.column + 1)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = super().compose_node(parent, index)  # PyYAML refuses an undefined alias
            size = self._sizes.get(id(node))
            m = event.start_mark
            if size is None:  # the anchored node is still being composed: it contains this alias
                raise ScenarioError(f"alias '*{event.anchor}' refers to a list or mapping that contains it "
                                    "(a recursive alias)", file=m.name, line=m.line + 1, col=m.column + 1)
            self._count(size, m, alias=True)
            return node
        self._depth += 1
        if self._depth > limits.MAX_YAML_DEPTH:
            m = event.start_mark
            raise ScenarioError(f"nesting too deep: lists and mappings may nest at most {limits.MAX_YAML_DEPTH} "
                                "levels", file=m.name, line=m.line + 1, col=m.column + 1)
        self._count(1, event.start_mark, alias=False)
        node = super().compose_node(parent, index)
        self._depth -= 1
        if isinstance(node, MappingNode):
            size = 1 + sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        elif isinstance(node, SequenceNode):
            size = 1 + sum(self._sizes[id(x)] for x in node.value)
        else:
            size = 1
        self._sizes[id(node)] = size
        return node


_DROPPED = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:float", "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:timestamp")
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in _DROPPED]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
                 |[-+]?\.(?:inf|Inf|INF)
                 |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."))


def _too_large(node: ScalarNode, what: str) -> ScenarioError:
    m = node.start_mark
    return ScenarioError(f"number too large ({what})", file=m.name, line=m.line + 1, col=m.column + 1)


def _construct_int(loader: yaml.SafeLoader, node: ScalarNode) -> int:
    # 1.2 core: decimal (leading zeros allowed, not octal), 0o octal, 0x hex.
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-").removeprefix("0o").removeprefix("0x").lstrip("0")
    bound = f"an integer must lie within ±{limits.MAX_YAML_INT:,}"
    # Refused before int(): Python limits int() to 4,300 digits, and longer ones are only typos.
    if len(digits) > 30:
        raise _too_large(node, f"{bound}; this one has {len(digits):,} digits")
    if text.startswith("0o"):
        value = int(text[2:], 8)
    elif text.startswith("0x"):
        value = int(text[2:], 16)
    else:
        value = int(text, 10)
    if abs(value) > limits.MAX_YAML_INT:
        raise _too_large(node, bound)
    return value


def _construct_float(loader: yaml.SafeLoader, node: ScalarNode) -> float:
    value = loader.construct_yaml_float(node)
    # 1e999 silently becomes inf; only a written .inf may be infinite (and the schema refuses it).
    if math.isinf(value) and "inf" not in node.value.lower():
        raise _too_large(node, "beyond the range of a 64-bit float")
    return value


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that also quotes text the loader's 1.2 rules would read as a number.

    YAML 1.1 reads ``1e3`` as text and writes it bare; :class:`_Loader` reads it
    back as 1000.0. Quoting whatever either rule set resolves keeps dump -> load exact.
    """


for _first, _rules in _Loader.yaml_implicit_resolvers.items():
    for _tag, _rx in _rules:
        if (_tag, _rx) not in _Dumper.yaml_implicit_resolvers.get(_first, []):
            _Dumper.add_implicit_resolver(_tag, _rx, [_first])
del _first, _rules, _tag, _rx


def _where(node: Node) -> tuple[str, int, int]:
    m = node.start_mark
    return m.name, m.line + 1, m.column + 1


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_nodes(node: Node, path: tuple = (), _seen: set[int] | None = None) -> None:
    """Refuse duplicate keys, merge keys and text holding a lone surrogate, at the node.

    An alias is the very node it names, so each node is checked once (memo by
    id): an alias bomb costs what its distinct nodes cost. The composer has
    bounded the depth, so the recursion is safe.
    """
    seen_ids = set() if _seen is None else _seen
    if id(node) in seen_ids:
        return
    seen_ids.add(id(node))
    if isinstance(node, ScalarNode):
        hit = _SURROGATE.search(node.value)
        if hit:
            f, l, c = _where(node)
            raise ScenarioError(f"text holds a lone surrogate (\\u{ord(hit.group()):04x}), which is not a "
                                "character; remove the escape", path, f, l, c)
    elif isinstance(node, MappingNode):
        seen: dict[Any, Node] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                f, l, c = _where(knode)
                raise ScenarioError("YAML merge keys (<<) are not supported; write the keys out, or use extends:",
                                    path, f, l, c)
            _check_nodes(knode, path, seen_ids)
            key = knode.value if isinstance(knode, ScalarNode) else id(knode)
            if key in seen:
                f, l, c = _where(knode)
                raise ScenarioError(f"duplicate key '{key}' (first at line {seen[key].start_mark.line + 1})",
                                    path + (key,), f, l, c)
            seen[key] = knode
            _check_nodes(vnode, path + (key,), seen_ids)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _check_nodes(item, path + (i,), seen_ids)


# A plain ``key:value`` line (no space after the colon) that YAML reads as text.
_NO_SPACE = re.compile(r"^\s*(?:-\s+)?([A-Za-z0-9_-]+):(?=[^\s:/])")


def _syntax_error(e: yaml.MarkedYAMLError, text: str, name: str) -> ScenarioError:
    """A one-line ScenarioError for a YAML syntax error, at the mark a person should look at."""
    problem = (e.problem or e.context or "syntax error").replace("\t", "\\t")
    context = e.context or ""
    mark = e.problem_mark or e.context_mark
    if mark is None:
        return ScenarioError(f"invalid YAML: {problem}", file=name)
    line, col = mark.line + 1, mark.column + 1
    msg = f"invalid YAML: {problem}"
    if "'\\t'" in problem:
        msg = "invalid YAML: a tab character; YAML indentation must use spaces"
    elif problem.startswith("expected <block end>"):
        msg = f"invalid YAML: indentation does not match the lines above ({problem})"
    elif "another document" in problem:
        msg = "invalid YAML: a second document ('---') follows; a scenario file holds one document"
    elif problem == "mapping values are not allowed here":
        msg = ("invalid YAML: unexpected ':' (a value containing ': ' must be quoted, "
               "or this line is indented too far)")
        # A 'key:value' line just above is read as text that runs on into this
        # line, so the real mistake is the missing space there.
        lines = text.splitlines()
        for j in range(mark.line - 1, max(mark.line - 3, -1), -1):
            if j < len(lines) and lines[j].strip():
                m = _NO_SPACE.match(lines[j])
                if m:
                    return ScenarioError(f"invalid YAML: missing space after ':' in '{lines[j].strip()}'",
                                         file=name, line=j + 1, col=m.end(1) + 1)
                break
    elif e.context_mark is not None and ("flow" in context or "end of stream" in problem):
        # An unclosed bracket or quote: the opening one is the thing to fix.
        what = {"flow mapping": "'{'", "flow sequence": "'['"}.get(context.replace("while parsing a ", ""), "quote")
        cm = e.context_mark
        return ScenarioError(f"invalid YAML: the {what} opened here is not closed properly ({problem} at "
                             f"line {line}, column {col})", file=name, line=cm.line + 1, col=cm.column + 1)
    return ScenarioError(msg, file=name, line=line, col=col)


def _max_file_bytes() -> int:
    """``limits.MAX_FILE_BYTES``, or NEGOSIM_MAX_FILE_MB (whole MiB) when it is set."""
    text = os.environ.get("NEGOSIM_MAX_FILE_MB")
    if text is None or not text.strip():
        return limits.MAX_FILE_BYTES
    if not text.strip().isdigit() or not 1 <= int(text) <= 65536:
        raise NegosimError(f"NEGOSIM_MAX_FILE_MB must be a whole number of MiB from 1 to 65536 (got {text[:20]!r})")
    return int(text) * 1024 * 1024


_KINDS = ((stat.S_ISDIR, "is a folder, not a file"), (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
          (stat.S_ISCHR, "is a character device, not a regular file"),
          (stat.S_ISBLK, "is a block device, not a regular file"), (stat.S_ISSOCK, "is a socket, not a regular file"))


def read_regular_file(path: str | Path, limit: int | None = None, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or a one-line ScenarioError.

    Every file negosim reads as input (scenarios, their extends parents, sweep
    specs, articles) goes through here. The file is opened without blocking
    and checked with fstat on the open descriptor, so a FIFO, a device such as
    /dev/zero or a folder is refused before anything is read, and at most
    ``limit + 1`` bytes are ever read (a file may grow while it is read, and
    files in /proc report size 0).

    Parameters
    ----------
    path : the file.
    limit : most bytes accepted; default ``limits.MAX_FILE_BYTES`` (or NEGOSIM_MAX_FILE_MB).
    what : how the message names the file's kind ("file", "article").

    Example
    -------
    >>> try:
    ...     read_regular_file("/dev/null")
    ... except ScenarioError as e:
    ...     print(e)
    /dev/null: is a character device, not a regular file
    """
    name = str(path)
    limit = _max_file_bytes() if limit is None else limit
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ScenarioError(f"{what} not found", file=name) from None
    except IsADirectoryError:
        raise ScenarioError("is a folder, not a file", file=name) from None
    except PermissionError:
        raise ScenarioError(f"cannot read {what} (permission denied)", file=name) from None
    except OSError as e:
        raise ScenarioError(f"cannot read {what} ({e.strerror or e.__class__.__name__})", file=name) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ScenarioError(next((m for test, m in _KINDS if test(mode)), "is not a regular file"), file=name)
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as e:
            raise ScenarioError(f"cannot read {what} ({e.strerror or e.__class__.__name__})", file=name) from None
    if len(data) > limit:
        raise ScenarioError(f"{what} too large: more than {limit / 2**20:g} MiB (the limit; set NEGOSIM_MAX_FILE_MB "
                            "to raise it)", file=name)
    return data


def _line_col(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    return text.count("\n", 0, pos) + 1, pos - start + 1


def _content_error(message: str, name: str, line: int | None, col: int | None, reason: str) -> ScenarioError:
    # ``reason``: a few words that say what is wrong without quoting the file (see _compose_parent).
    err = ScenarioError(message, file=name, line=line, col=col)
    err.reason = reason
    return err


_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def decode_yaml_text(data: bytes, name: str) -> str:
    """UTF-8 text of a YAML file, or a ScenarioError at the first byte or character YAML cannot hold.

    >>> decode_yaml_text("a: é".encode("latin-1"), "f.yaml")
    Traceback (most recent call last):
    ...
    negosim.errors.ScenarioError: f.yaml:1:4: not UTF-8: byte 0xe9 is not valid UTF-8 here (save the file as UTF-8)
    """
    for bom, enc in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                     (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            return _fail_encoding(f"not UTF-8: the file starts with a {enc} byte-order mark (save it as UTF-8)",
                                  name)
    head = data[:64]
    if len(head) >= 4 and (not any(head[0::2])) != (not any(head[1::2])):
        # Every other byte NUL: UTF-16 text without a byte-order mark.
        return _fail_encoding("not UTF-8: the file looks like UTF-16 (save it as UTF-8)", name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[:e.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        raise _content_error(f"not UTF-8: byte 0x{data[e.start]:02x} is not valid UTF-8 here (save the file as UTF-8)",
                             name, line, col, "not UTF-8") from None
    bad = _NON_PRINTABLE.search(text)
    if bad:
        ch = bad.group()
        line, col = _line_col(text, bad.start())
        raise _content_error(f"a control character (U+{ord(ch):04X}) is not allowed in a YAML file; remove it",
                             name, line, col, "it holds control characters")
    return text


def _fail_encoding(message: str, name: str):
    raise _content_error(message, name, 1, 1, "not UTF-8")


def _compose(path: Path, budget: int = limits.MAX_YAML_NODES) -> tuple[Node, int]:
    """The checked node tree of one file and its size with aliases expanded."""
    return _compose_text(decode_yaml_text(read_regular_file(path), str(path)), str(path), budget)


def _compose_text(text: str, name: str, budget: int) -> tuple[Node, int]:
    loader = _Loader(text, budget)
    loader.name = name
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        err = _syntax_error(e, text, name)
        err.reason = "not valid YAML"
        raise err from None
    except yaml.YAMLError as e:  # str(e) may quote the file over several lines: name the kind only
        raise _content_error(f"invalid YAML ({e.__class__.__name__})", name, None, None, "not valid YAML") from None
    finally:
        loader.dispose()
    if node is None:
        raise _content_error("the file is empty (no YAML document in it)", name, 1, 1, "it is empty")
    _check_nodes(node)
    return node, loader.expanded


def _mapping_get(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    for knode, vnode in node.value:
        if isinstance(knode, ScalarNode) and knode.value == key:
            return knode, vnode
    return None


def _merge(parent: Node, child: Node, _memo: dict | None = None) -> Node:
    """Deep merge of mapping nodes; anything else in the child replaces the parent.

    Aliases make nodes shared, so each (parent, child) pair is merged once.
    """
    if not (isinstance(parent, MappingNode) and isinstance(child, MappingNode)):
        return child
    memo = {} if _memo is None else _memo
    pair = (id(parent), id(child))
    if pair in memo:
        return memo[pair]
    out = list(parent.value)
    at = {pk.value: i for i, (pk, _) in enumerate(out) if isinstance(pk, ScalarNode)}
    for knode, vnode in child.value:
        i = at.get(knode.value) if isinstance(knode, ScalarNode) else None
        if i is not None:
            out[i] = (knode, _merge(out[i][1], vnode, memo))
        else:
            out.append((knode, vnode))
    merged = MappingNode(child.tag, out, child.start_mark, child.end_mark, child.flow_style)
    memo[pair] = merged
    return merged


#: A top-level ``negosim:`` or ``extends:`` line: a file meant as a scenario (or part of a chain).
_SCENARIO_LINE = re.compile(rb"^(?:negosim|extends)[ \t]*:", re.M)


def compose_with_extends(path: Path, _chain: tuple[Path, ...] = (), _budget: int | None = None,
                         referenced: bool = False) -> tuple[Node, list[Path]]:
    """Compose ``path`` and merge it over its ``extends:`` ancestors.

    Returns the merged node tree and the files read, the given file first.
    At most ``limits.MAX_EXTENDS_DEPTH`` files form one chain, and they share
    one budget of ``limits.MAX_YAML_NODES`` nodes. ``referenced``: the path
    was named inside another file (a sweep spec's ``scenario:``), so it is
    held to the rule of an ``extends:`` parent and raises
    :class:`NotAScenarioFile` rather than quote a file that is no scenario.
    """
    path = Path(path)
    budget = limits.MAX_YAML_NODES if _budget is None else _budget
    if _chain or referenced:  # named by another file: only a scenario file may be quoted in a message
        node, used = _compose_parent(path, budget)
    else:
        node, used = _compose(path, budget)
    if not isinstance(node, MappingNode):
        f, l, c = _where(node)
        kind = "a list" if isinstance(node, SequenceNode) else f"the text {_short(node.value)}"
        raise ScenarioError(f"a scenario must be a mapping of keys to values (got {kind})", (), f, l, c)
    files = [path]
    ext = _mapping_get(node, "extends")
    if ext is None:
        return node, files
    knode, vnode = ext
    if not isinstance(vnode, ScalarNode) or vnode.tag != "tag:yaml.org,2002:str":
        f, l, c = _where(vnode)
        got = "a list" if isinstance(vnode, SequenceNode) else "a mapping" if isinstance(vnode, MappingNode) \
            else _short(vnode.value)
        raise ScenarioError(f"must be the path of one scenario file (got {got})", ("extends",), f, l, c)
    chain = _chain + (path.resolve(),)
    if len(chain) >= limits.MAX_EXTENDS_DEPTH:
        f, l, c = _where(knode)
        raise ScenarioError(f"a chain of extends holds at most {limits.MAX_EXTENDS_DEPTH} files (this is file "
                            f"{len(chain)}, counted from {chain[0].name}); merge some of them", ("extends",), f, l, c)
    # normpath keeps 'a/_parts/../b.yaml' readable as 'a/b.yaml' in messages.
    parent_path = Path(os.path.normpath(path.parent / vnode.value))
    if not parent_path.exists():
        f, l, c = _where(vnode)
        raise ScenarioError(f"file '{vnode.value}' not found (looked for {parent_path})", ("extends",), f, l, c)
    if parent_path.resolve() in chain:
        f, l, c = _where(vnode)
        cycle = " -> ".join(p.name for p in chain + (parent_path.resolve(),))
        raise ScenarioError(f"circular: these files extend each other ({cycle})", ("extends",), f, l, c)
    try:
        parent, parent_files = compose_with_extends(parent_path, chain, budget - used)
    except NotAScenarioFile as e:
        f, l, c = _where(vnode)
        raise ScenarioError(f"{vnode.value} is not a scenario file ({e.reason})", ("extends",), f, l, c) from None
    # The child's own extends key must not be inherited; the parent's is dropped too.
    parent = MappingNode(parent.tag, [(k, v) for k, v in parent.value if not (
        isinstance(k, ScalarNode) and k.value == "extends")], parent.start_mark, parent.end_mark)
    return _merge(parent, node), files + parent_files


class NotAScenarioFile(Exception):
    """A file named by another (an ``extends:`` parent, a sweep's scenario) that is not a scenario file.

    The naming file reports it at its own reference, with :attr:`reason`, which quotes nothing.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _compose_parent(path: Path, budget: int = limits.MAX_YAML_NODES) -> tuple[Node, int]:
    """Compose an ``extends`` parent, refusing any file that is not a scenario.

    ``extends:`` may name any readable file (``/etc/passwd``); a message about
    its content would show that content. So a parent must look like a
    scenario (a top-level ``negosim:`` or ``extends:`` key) before any error
    inside it is reported with its text; otherwise the child's ``extends``
    value is blamed, with a reason that quotes nothing.
    """
    data = read_regular_file(path)  # not found, not a regular file, too large: these quote nothing
    looks = bool(_SCENARIO_LINE.search(data))
    try:
        node, used = _compose_text(decode_yaml_text(data, str(path)), str(path), budget)
    except ScenarioError as e:
        if looks or getattr(e, "reason", None) is None:
            raise
        raise NotAScenarioFile(e.reason) from None
    if not isinstance(node, MappingNode):
        raise NotAScenarioFile("not a YAML mapping")
    if _mapping_get(node, "negosim") is None and _mapping_get(node, "extends") is None:
        raise NotAScenarioFile("it has no 'negosim:' key")
    return node, used


def _construct(node: Node) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.constructor.ConstructorError as e:
        mark = e.problem_mark
        msg = f"invalid YAML: {e.problem}"
        bad = _tagged(node)
        if bad is not None:
            mark = bad.start_mark
            tag = bad.tag.replace("tag:yaml.org,2002:", "!!")
            msg = f"the tag '{tag}' is not allowed: scenarios are plain YAML (text, numbers, lists, mappings)"
        raise ScenarioError(msg, file=mark.name if mark else None,
                            line=mark.line + 1 if mark else None, col=mark.column + 1 if mark else None) from None
    finally:
        loader.dispose()


_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")}


def _tagged(node: Node) -> Node | None:
    """The first node (document order) with a tag outside plain YAML, if any."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:  # an alias: already looked at
            continue
        seen.add(id(n))
        if n.tag not in _PLAIN_TAGS:
            return n
        if isinstance(n, MappingNode):
            stack.extend(x for kv in reversed(n.value) for x in reversed(kv))
        elif isinstance(n, SequenceNode):
            stack.extend(reversed(n.value))
    return None


def locate(root: Node, path: tuple, key_mark: bool = False) -> Node:
    """The deepest node along ``path`` (the key node of the last step when ``key_mark``)."""
    return _locate(root, path, key_mark)[0]


def error_at(root: Node, path: tuple, message: str, key_mark: bool = False) -> ScenarioError:
    """A ScenarioError at the ``file:line:col`` of the node at ``path`` of a loaded document.

    >>> root = yaml.compose("a: {b: 1}", _Loader)
    >>> str(error_at(root, ("a", "b"), "too small"))
    '<unicode string>:1:8: a.b: too small'
    """
    f, l, c = _where(locate(root, path, key_mark=key_mark))
    return ScenarioError(message, path, f, l, c)


def _locate(root: Node, path: tuple, key_mark: bool = False) -> tuple[Node, Node | None, bool]:
    """``(node, key_node, complete)``: the deepest node along ``path``, the key
    node that names it (None for the root and list items) and whether every
    step was found."""
    node, key, complete = root, None, True
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, MappingNode):
            hit = _mapping_get(node, str(part)) if not isinstance(part, int) else None
            if hit is None:
                complete = False
                continue  # a step pydantic adds (a union tag, a converted plain number)
            key, node = hit
            if last and key_mark:
                node = key
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            key, node = None, node.value[part]
        else:
            complete = False
    return node, key, complete


def _mark_node(root: Node, path: tuple) -> Node:
    """The node to point at for a problem with the field at ``path``.

    A value is shown where it is written, except a block mapping or list (or
    an empty value), which is shown at the key that names it: a block
    collection starts at its first child, which would point at an innocent line.
    """
    node, key, _ = _locate(root, path)
    empty = isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null" and node.value == ""
    block = isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style
    if key is not None and (empty or block):
        return key
    return node


def _short(v: Any) -> str:
    if isinstance(v, str):
        text = repr(v[:60])
    elif isinstance(v, (dict, list, tuple)):
        # Show it as YAML flow text, the way the user wrote it; only the start is shown, so only
        # the start is dumped (the value may be huge, shared by aliases, or nested deep).
        text = yaml.safe_dump(_head(v, [48]), default_flow_style=True, width=10_000, sort_keys=False).strip()
    else:
        text = str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _head(v: Any, room: list[int]) -> Any:
    """A copy of the first ``room[0]`` scalars of a nested value (enough for a 40-character preview)."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if room[0] <= 0:
                break
            room[0] -= 1
            out[k] = _head(x, room)
        return out
    if isinstance(v, (list, tuple)):
        out_list = []
        for x in v:
            if room[0] <= 0:
                break
            room[0] -= 1
            out_list.append(_head(x, room))
        return out_list
    return v


# --------------------------------------------------------------------------- pydantic errors

def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type inside."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType) and type(None) in get_args(tp):
            rest = [a for a in get_args(tp) if a is not type(None)]
            tp = rest[0] if len(rest) == 1 else Union[tuple(rest)]
        else:
            return tp


def _walk_loc(model: Any, loc: tuple) -> tuple[tuple, Any]:
    """Clean a pydantic error location and find the type it ends at.

    Pydantic inserts a tag step after each union (``'str'``, ``'list[str]'``,
    ``"literal['all','none']"``); these are dropped so the path matches the
    document. Returns ``(document_path, type_at_path)``; the type is None
    where the path leaves the model (an unknown key).
    """
    tp: Any = model
    out: list = []
    for step in loc:
        tp = _unwrap(tp) if tp is not None else None
        origin = get_origin(tp)
        if origin in (Union, UnionType):
            arms = get_args(tp)
            lists = [a for a in arms if get_origin(a) in (list, tuple)]
            others = [a for a in arms if a not in lists]
            tp = (lists or others)[0] if str(step).startswith(("list", "tuple")) else (others or lists)[0]
            continue
        out.append(step)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(step) if isinstance(step, str) else None
            tp = field.annotation if field is not None else None
        elif origin is dict:
            tp = get_args(tp)[1]
        elif origin is list:
            tp = get_args(tp)[0]
        elif origin is tuple:
            args = get_args(tp)
            tp = args[0] if args else None
        else:
            tp = None
    return tuple(out), tp


def _strip_tags(loc: tuple) -> tuple:
    # Without the model at hand: drop the steps that look like pydantic's type tags.
    simple = {"str", "int", "float", "bool", "none"}
    return tuple(p for p in loc if isinstance(p, int) or not (any(ch in str(p) for ch in "[]()") or p in simple))


def _clean(err: dict, model: Any) -> tuple[tuple, Any]:
    loc = tuple(err["loc"])
    if model is not None:
        return _walk_loc(model, loc)
    return _strip_tags(loc), None


def _known_keys(model: Any, parent: tuple) -> list[str]:
    """Field names of the model found at ``parent`` (empty when unknown)."""
    if model is None:
        return []
    _, tp = _walk_loc(model, parent)
    tp = _unwrap(tp) if tp is not None else None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word.replace("-", "_").lower(), choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _must_be(err: dict) -> str:
    """The 'must be ...' phrase for one pydantic error, without the 'got' part."""
    t, ctx = err["type"], err.get("ctx") or {}
    if t in ("float_type", "float_parsing", "finite_number"):
        return "a number"
    if t in ("int_type", "int_parsing", "int_from_float"):
        return "a whole number"
    if t == "bool_type":
        return "true or false"
    if t == "string_type":
        return "text"
    if t in ("model_type", "model_attributes_type") and ctx.get("class_name") == "Number":
        return "a number, or a mapping with value or low/high"
    if t in ("dict_type", "model_type", "model_attributes_type"):
        return "a mapping of keys to values"
    if t in ("list_type", "tuple_type"):
        return "a list"
    if t == "literal_error":
        return str(ctx.get("expected"))
    return ""


def _describe(err: dict, model: Any = None, path: tuple = ()) -> str:
    """A user-facing one-line message for one pydantic error."""
    t, ctx, inp = err["type"], err.get("ctx") or {}, err.get("input")
    loc = path or tuple(err["loc"])
    if t == "value_error" and isinstance(ctx.get("error"), Exception):
        e = ctx["error"]
        return e.message if isinstance(e, PathError) else str(e)
    if t == "missing" and isinstance(loc[-1], int) or t == "too_long" and isinstance(inp, tuple):
        # A fixed-length list such as a parameter's range: [low, high].
        _, tp = _walk_loc(model, loc[:-1] if t == "missing" else loc) if model is not None else ((), None)
        n = len(get_args(_unwrap(tp))) if tp is not None else None
        return f"must be a list of {n} items (got {_short(inp)})" if n else f"wrong number of items (got {_short(inp)})"
    if t == "missing":
        return f"required key '{loc[-1]}' is missing"
    if t == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        return f"unknown key '{loc[-1]}'" + _did_you_mean(str(loc[-1]), known)
    phrase = _must_be(err)
    if phrase:
        return f"must be {phrase} (got {_short(inp)})"
    if t == "too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else err["msg"].lower()
    if t in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{err['msg'].replace('Input should be', 'must be')} (got {_short(inp)})"
    return f"{err['msg'][:1].lower()}{err['msg'][1:]} (got {_short(inp)})"


def _union_point(loc: tuple, model: Any) -> int | None:
    """Index of the first union tag in a raw pydantic location, if any."""
    if model is None:
        return None
    tp: Any = model
    for i, step in enumerate(loc):
        tp = _unwrap(tp) if tp is not None else None
        if get_origin(tp) in (Union, UnionType):
            return i
        _, tp = _walk_loc(tp, (step,)) if tp is not None else ((), None)
    return None


def _pick(e: ValidationError, model: Any) -> tuple[dict, tuple, str]:
    """The error to report, its document path and its message.

    A misspelt key gives both 'unknown key' and 'required key missing'; the
    unknown key is the cause, so it wins. A union (``veto: all|none|list``)
    reports one error per branch: a branch that got further into the input
    is the one the author meant; otherwise the branches' expectations are
    joined into one message.
    """
    errs = e.errors(include_url=False)
    extra = [x for x in errs if x["type"] == "extra_forbidden"]
    err = extra[0] if extra else errs[0]
    path, _ = _clean(err, model)
    u = _union_point(tuple(err["loc"]), model)
    if u is not None and not extra:
        head = tuple(err["loc"])[:u]
        branches = [x for x in errs if tuple(x["loc"])[:u] == head and len(x["loc"]) > u]
        deepest = max(branches, key=lambda x: len(x["loc"]))
        if len(deepest["loc"]) > u + 1:
            err = deepest
            path, _ = _clean(err, model)
        else:
            phrases = [p for p in (_must_be(x) for x in branches) if p]
            if phrases:
                return err, path, f"must be {', or '.join(dict.fromkeys(phrases))} (got {_short(err.get('input'))})"
    return err, path, _describe(err, model, path)


def _refine(node: Node, message: str) -> Node:
    """Within a mapping, the child a plain validator message is about.

    Number's checks say ``... (got 1.2)``, ``low must not exceed high``,
    ``a quote needs ...`` or ``id 'x y' must be ...`` without a path; point at
    the member they name.
    """
    if not isinstance(node, MappingNode):
        return node
    got = re.search(r"\(got ([^)=,]+)\)$", message)
    for knode, vnode in node.value:
        if not isinstance(knode, ScalarNode):
            continue
        if got and isinstance(vnode, ScalarNode) and _same_number(vnode.value, got.group(1)):
            return vnode
        if message.startswith((f"{knode.value} ", f"a {knode.value} ")):
            return vnode
        if f"id '{knode.value}'" in message:
            return knode
    return node


def _same_number(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _names_unknown_key(path: tuple, message: str) -> bool:
    """Whether a cross-check message calls the key at the end of ``path`` unknown.

    ``weights: {sanction: 0.2}`` is wrong in its key, ``draft: {nato: neutral}``
    in its value; the former is shown at the key.
    """
    m = re.match(r"unknown [\w ]*?'([^']*)'", message)
    return bool(m and path and m.group(1) == str(path[-1]))


def validation_to_error(e: ValidationError, root: Node | None, fallback_file: str | None = None,
                        model: Any = None) -> ScenarioError:
    """Turn a pydantic ValidationError into a ScenarioError at the right node.

    Parameters
    ----------
    e : the error of ``model.model_validate(data)``.
    root : the YAML node tree the data was constructed from.
    fallback_file : the file named when there is no node tree.
    model : the pydantic model validated; with it, union steps are dropped
        exactly and misspelt keys get a suggestion.
    """
    err, path, msg = _pick(e, model)
    ctx = err.get("ctx") or {}
    if isinstance(ctx.get("error"), PathError):
        path = path + ctx["error"].path
    if root is None:
        return ScenarioError(msg, path, fallback_file)
    if err["type"] == "extra_forbidden" or _names_unknown_key(path, msg):
        node = locate(root, path, key_mark=True)
    elif err["type"] == "missing":
        # Shown at the mapping that lacks the key, under the path of that mapping.
        path = path[:-1]
        node = _mark_node(root, path)
    else:
        node = _mark_node(root, path)
        if err["type"] == "value_error" and not isinstance(ctx.get("error"), PathError):
            inner = _refine(locate(root, path), msg)
            node = node if isinstance(inner, (MappingNode, SequenceNode)) else inner
    f, l, c = _where(node)
    return ScenarioError(msg, path, f, l, c)


def load_document(path: str | Path, referenced: bool = False) -> tuple[dict, Node, list[Path]]:
    """Read a YAML file with its ``extends`` chain into plain data and nodes (``referenced``:
    see :func:`compose_with_extends`)."""
    node, files = compose_with_extends(Path(path), referenced=referenced)
    return _construct(node), node, files


def load_scenario(path: str | Path, articles: str | Path | None = None, check_quotes: bool = True,
                  referenced: bool = False):
    """Load, validate and (by default) check the quotes of a scenario file.

    Parameters
    ----------
    path : path of the YAML scenario.
    articles : folder of the articles; defaults to the scenario's ``articles`` key,
        resolved against the scenario's folder.
    check_quotes : verify that every quote occurs in its cited article.
    referenced : the path was named inside another file; a file that does not look
        like a scenario raises :class:`NotAScenarioFile` (whose reason quotes nothing)
        instead of an error that would quote it.

    Returns
    -------
    LoadedScenario
        The validated :class:`~negosim.scenario.schema.Scenario` with its origin.
    """
    from .evidence import check_quotes as _check_quotes
    from .schema import Scenario

    data, node, files = load_document(path, referenced=referenced)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as e:
            raise validation_to_error(e, node, model=Scenario) from None
    for w in caught:
        warnings.warn_explicit(w.message, w.category, str(path), 1)
    loaded = LoadedScenario(scenario, Path(path), files, resolve_articles(Path(path), scenario, articles, node), node)
    if check_quotes:
        _check_quotes(loaded)
    return loaded


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
            h.update(read_regular_file(f))
        return h.hexdigest()

    def error_at(self, path: tuple, message: str) -> ScenarioError:
        """A ScenarioError pointing at ``path`` in this scenario's files."""
        if self.node is None:
            return ScenarioError(message, path, str(self.path))
        return error_at(self.node, path, message)


def read_yaml(path: str | Path) -> tuple[Node, Any, str]:
    """The checked node tree, the plain data and the text of one YAML file (``extends`` not followed).

    The same checks as a scenario file (size limits, UTF-8, duplicate keys, YAML 1.2
    numbers); for other YAML inputs such as NegMAS domain files.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     f = os.path.join(d, "x.yaml")
    ...     _ = open(f, "w").write("a: 1e3\\nb: no\\n")
    ...     read_yaml(f)[1]
    {'a': 1000.0, 'b': 'no'}
    """
    node, _ = _compose(Path(path))
    text = decode_yaml_text(read_regular_file(path), str(path))
    return node, _construct(node), text


def dump_yaml(data: Any, width: int = 100) -> str:
    """YAML text of plain data that :func:`read_yaml` reads back equal (numbers-as-text quoted).

    >>> dump_yaml({"a": "1e3", "b": 1.5})
    "a: '1e3'\\nb: 1.5\\n"
    """
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=width)


def dump_scenario(scenario, path: str | Path | None = None) -> str:
    """Write a scenario as self-contained YAML (no ``extends``); return the text.

    Loading the written file gives an equal scenario.
    """
    text = dump_yaml(scenario.model_dump(mode="json", exclude_none=True))
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
