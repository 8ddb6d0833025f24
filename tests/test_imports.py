"""Starting the command imports only what the command needs.

``negosim --help`` and ``negosim validate`` must not pay for numba, pandas,
scipy, pyarrow, matplotlib, mesa or dask (together about a second): the
package exports its names lazily and each subcommand imports its engine
inside the function that runs it. Each case runs ``python -X importtime`` in
a fresh interpreter and reads the modules it imported from stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

HEAVY = ("numba", "pandas", "pyarrow", "scipy", "matplotlib", "mesa", "dask")


def imported_modules(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``python -X importtime ARGS``; the process and the names of the modules it imported."""
    env = dict(os.environ)
    env.pop("NEGOSIM_DEBUG", None)
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env=env)
    # Lines read "import time: <self us> | <cumulative us> | <indented module name>".
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:") and line.count("|") == 2}
    names.discard("imported package")  # the header line
    return proc, names


def heavy_among(names: set[str]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in HEAVY)


def test_the_parser_reads_importtime_output():
    proc, names = imported_modules("-c", "import json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "json" in names and "json.decoder" in names


@pytest.mark.parametrize("args", [("--help",), ("validate", "scenarios/plan28_2025_11.yaml"),
                                  ("run", "--help"), ("sweep", "--help"), ("analyze", "--help")],
                         ids=lambda a: " ".join(a))
def test_starting_the_command_imports_no_heavy_library(args):
    proc, names = imported_modules("-m", "negosim", *args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "negosim.cli.main" in names  # the parse saw the command start at all
    assert heavy_among(names) == []


def test_importing_the_package_imports_no_heavy_library():
    proc, names = imported_modules("-c", "import negosim; negosim.load; negosim.NegosimError")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert heavy_among(names) == []
    assert "negosim.engine.analysis" not in names


def test_a_command_that_analyses_still_gets_its_engine():
    proc, names = imported_modules("-m", "negosim", "analyze", "scenarios/plan28_2025_11.yaml", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "negosim.engine.analysis" in names and "numba" in names


def test_declared_names_agree_with_the_registries_and_the_format():
    # The format and the CLI read the declared names without importing the protocols;
    # the registries, filled by the modules, must hold exactly those names in that order.
    code = textwrap.dedent("""
        import sys, typing
        from negosim.bargaining.registry import PROTOCOL_NAMES, STRATEGY_NAMES
        from negosim.scenario.schema import ProtocolSettings
        from negosim.cli.main import build_parser
        assert "negosim.bargaining.protocols" not in sys.modules and "mesa" not in sys.modules
        fields = ProtocolSettings.model_fields
        assert typing.get_args(fields["name"].annotation) == PROTOCOL_NAMES
        assert typing.get_args(typing.get_args(fields["strategies"].annotation)[1]) == STRATEGY_NAMES
        run = build_parser()._subparsers._group_actions[0].choices["run"]
        choices = next(a.choices for a in run._actions if a.dest == "protocol")
        assert tuple(choices) == PROTOCOL_NAMES
        from negosim.bargaining.protocols import PROTOCOLS
        from negosim.bargaining.strategies import STRATEGIES
        assert tuple(PROTOCOLS) == PROTOCOL_NAMES and tuple(STRATEGIES) == STRATEGY_NAMES
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"


def test_the_loader_modules_use_no_private_name_of_each_other():
    # evidence <-> yaml_io once reached into each other's private helpers; errors at a
    # document path go through yaml_io.error_at / LoadedScenario.error_at instead.
    import ast
    for module in ("scenario/evidence", "scenario/yaml_io", "sweep/spec", "scenario/provenance"):
        tree = ast.parse((ROOT / "negosim" / f"{module}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
                continue
            if node.level or (node.module or "").startswith("negosim"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"negosim/{module}.py imports {private} from {node.module}"
