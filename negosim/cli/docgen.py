"""Generated parts of the docs, so they cannot drift from the code.

``docs/cli.md`` embeds every command's ``--help``; ``docs/scenario-format.md``
embeds a table of every key of the format, read from the pydantic models.
Each file keeps hand-written prose outside the markers
``<!-- generated:start -->`` and ``<!-- generated:end -->``; ``python -m
negosim.cli.docgen`` rewrites what is between them and the test suite checks that
nothing is stale.

Example
-------
>>> "negosim analyze" in cli_reference()
True
>>> "| `reservation` |" in format_reference()
True
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
from contextlib import redirect_stdout
from pathlib import Path

START, END = "<!-- generated:start -->", "<!-- generated:end -->"


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _help(parser: argparse.ArgumentParser) -> str:
    # A fixed width keeps the text identical on every terminal.
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        buf = io.StringIO()
        with redirect_stdout(buf):
            parser.print_help()
        return buf.getvalue().rstrip()
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def cli_reference() -> str:
    """Markdown with the ``--help`` of ``negosim`` and every subcommand."""
    from .main import build_parser
    root = build_parser()
    root.prog = "negosim"
    parts = ["## negosim", "", "```text", _help(root), "```", ""]

    def walk(parser, prefix):
        for name, sub in _subparsers(parser):
            sub.prog = f"{prefix} {name}"
            parts.extend([f"## {prefix} {name}", "", "```text", _help(sub), "```", ""])
            walk(sub, f"{prefix} {name}")
    walk(root, "negosim")
    return "\n".join(parts)


def _type_name(schema: dict, defs: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name == "Number":
            return "number"
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        names = [_type_name(s, defs) for s in schema["anyOf"] if s.get("type") != "null"]
        return " or ".join(dict.fromkeys(names))
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    t = schema.get("type")
    if t == "object":
        inner = schema.get("additionalProperties")
        return f"map of id → {_type_name(inner, defs)}" if isinstance(inner, dict) else "mapping"
    if t == "array":
        if "prefixItems" in schema:
            return "[" + ", ".join(_type_name(s, defs) for s in schema["prefixItems"]) + "]"
        return f"list of {_type_name(schema.get('items', {}), defs)}"
    return {"string": "text", "number": "number", "integer": "integer", "boolean": "`true` \\| `false`"}.get(t, "any")


def format_reference() -> str:
    """Markdown tables of every key of the scenario format, from the models."""
    from negosim.scenario.schema import Scenario
    schema = Scenario.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    models = [("Scenario", schema)] + sorted((k, v) for k, v in defs.items())
    out = []
    for name, model in models:
        if name == "Number":
            model = model["anyOf"][1]
        out.extend([f"### {name}", ""])
        desc = (model.get("description") or "").strip().split("\n\n")[0].replace("\n", " ")
        if desc:
            out.extend([desc, ""])
        required = set(model.get("required", []))
        out.append("| key | type | default | meaning |")
        out.append("|---|---|---|---|")
        for key, prop in model.get("properties", {}).items():
            default = "required" if key in required else f"`{prop['default']}`" if "default" in prop else ""
            if default == "`None`":
                default = "none"
            meaning = (prop.get("description") or "").replace("\n", " ").replace("|", "\\|")
            out.append(f"| `{key}` | {_type_name(prop, defs)} | {default} | {meaning} |")
        out.append("")
    return "\n".join(out)


GENERATORS = {"docs/cli.md": cli_reference, "docs/scenario-format.md": format_reference}


def render(path: Path, body: str) -> str:
    """The file's text with the generated section replaced by ``body``."""
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path}: missing {START} / {END} markers")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{START}\n{body.rstrip()}\n{END}", text, count=1)


def main(argv=None) -> int:
    """Rewrite the generated sections (``--check``: exit 1 if any is stale)."""
    argv = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[2]
    stale = []
    for rel, gen in GENERATORS.items():
        path = root / rel
        new = render(path, gen())
        if new != path.read_text(encoding="utf-8"):
            stale.append(rel)
            if "--check" not in argv:
                path.write_text(new, encoding="utf-8")
    if stale and "--check" in argv:
        print("stale: " + ", ".join(stale) + " (run: python -m negosim.cli.docgen)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
