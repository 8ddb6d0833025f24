"""docs/architecture.md stays true: its module tables list exactly the modules of the package.

Each table under "## Modules" has a first column of module paths (`negosim/engine/split.py`).
Every path listed must exist, and every module under negosim/ must be listed, except an
``__init__.py`` that holds nothing but its docstring (the layer subpackages' own).
"""

from __future__ import annotations

import ast
import re

from conftest import ROOT

DOC = ROOT / "docs" / "architecture.md"


def listed_modules() -> list[str]:
    """The module paths in the first column of the tables of the "## Modules" section."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Modules\n", 1)[1].split("\n## ", 1)[0]
    paths = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] in ("module", "---") or set(cells[0]) <= {"-"}:
            continue
        found = re.findall(r"`(negosim/[^`]+\.py)`", cells[0])
        assert found, f"docs/architecture.md: a table row names no module: {line}"
        paths.extend(found)
    return paths


def docstring_only(path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)


def test_the_tables_are_found():
    paths = listed_modules()
    assert len(paths) > 40
    assert "negosim/engine/split.py" in paths and "negosim/cli/main.py" in paths


def test_every_listed_module_exists_once():
    paths = listed_modules()
    assert len(paths) == len(set(paths)), sorted(p for p in paths if paths.count(p) > 1)
    missing = [p for p in paths if not (ROOT / p).is_file()]
    assert not missing, f"docs/architecture.md lists modules that do not exist: {missing}"


def test_every_module_is_listed():
    listed = set(listed_modules())
    unlisted = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "negosim").rglob("*.py"))
                if str(p.relative_to(ROOT)) not in listed
                and not (p.name == "__init__.py" and docstring_only(p))]
    assert not unlisted, f"add these modules to a table of docs/architecture.md: {unlisted}"


def test_layer_packages_import_nothing():
    # `negosim --help` must not pay for a layer it does not use: a layer's __init__ is its doc only.
    for layer in ("scenario", "engine", "uncertainty", "bargaining", "sweep", "cli"):
        init = ROOT / "negosim" / layer / "__init__.py"
        assert docstring_only(init), f"{init.relative_to(ROOT)} must hold only its docstring"
