"""Every command and code block in README.md and docs/ runs, and generated docs are current.

Shell blocks (```sh / ```bash) run line by line in bash, in a scratch copy of the
repository (with ``.venv`` and ``../shared`` linked in) so examples that write files
leave the checkout clean. Python blocks of one page run in order in one interpreter.
YAML blocks must parse with negosim's loader rules; a YAML block that is a whole
scenario (``negosim: 1``) must validate.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)

#: Commands that are the test run itself, or too long for it, and what runs instead.
SUBSTITUTES = {
    "make test": None,  # this very test suite; CI runs it
    "make bench": "python benchmarks/bench_analysis.py --quick",
}


def blocks(lang: set[str]):
    for page in DOCS:
        for m in FENCE.finditer(page.read_text(encoding="utf-8")):
            if m.group(1) in lang:
                yield page, m.group(2)


def _commands():
    for page, body in blocks({"sh", "bash", "shell", "console"}):
        for line in body.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            line = line.removeprefix("$ ")
            cmd = re.sub(r"\s+#.*$", "", line)
            yield pytest.param(cmd, id=f"{page.name}:{cmd[:60]}")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    top = tmp_path_factory.mktemp("docs")
    repo = top / "main"
    ignore = shutil.ignore_patterns(".git", ".venv", "out", "__pycache__", ".pytest_cache", ".hypothesis",
                                    "*.egg-info", "results*.parquet")
    shutil.copytree(ROOT, repo, ignore=ignore)
    (repo / ".venv").symlink_to(ROOT / ".venv")
    shared = ROOT.parent / "shared"
    if shared.exists():
        (top / "shared").symlink_to(shared)
    return repo


def _env() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    env.pop("NEGOSIM_DEBUG", None)
    return env


@pytest.mark.parametrize("cmd", list(_commands()))
def test_shell_command_runs(cmd, scratch):
    for prefix, sub in SUBSTITUTES.items():
        if cmd == prefix or cmd.startswith(prefix + " "):
            if sub is None:
                pytest.skip(f"'{cmd}' is this test suite (CI runs it)")
            cmd = sub
    if cmd.startswith("make "):
        # The scratch copy shares the real .venv: never let make reinstall into it from there.
        cmd = "make -o .venv/.installed " + cmd[5:]
    r = subprocess.run(["bash", "-c", cmd], cwd=scratch, env=_env(), capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"


def _python_pages():
    pages: dict[Path, list[str]] = {}
    for page, body in blocks({"python", "py"}):
        pages.setdefault(page, []).append(body)
    return [pytest.param(p, "\n".join(b), id=p.name) for p, b in pages.items()]


@pytest.mark.parametrize("page,code", _python_pages())
def test_python_blocks_run(page, code, scratch):
    r = subprocess.run([sys.executable, "-c", code], cwd=scratch, env=_env(), capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, f"{page.name}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"


@pytest.mark.parametrize("page,body", [pytest.param(p, b, id=f"{p.name}-{i}")
                                       for i, (p, b) in enumerate(blocks({"yaml", "yml"}))])
def test_yaml_blocks_parse(page, body, scratch, tmp_path):
    from negosim.scenario.yaml_io import load_document
    f = tmp_path / "block.yaml"
    f.write_text(body)
    data, _, _ = load_document(f)
    if isinstance(data, dict) and data.get("negosim") == 1 and "provisions" in data:
        target = scratch / "scenarios" / "_doc_block.yaml"
        target.write_text(body)
        r = subprocess.run([sys.executable, "-m", "negosim", "validate", str(target)], cwd=scratch,
                           env=_env(), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


#: An inline code span calling a function with a literal argument (a string or a number) is an example.
_CALL = re.compile(r"`([A-Za-z_][\w.]*)\(([^`]*)\)`")


def _negosim_names() -> set[str]:
    import negosim
    import negosim.plots
    import negosim.report
    names = set(getattr(negosim, "__all__", ())) | set(negosim.plots.__all__)
    return names | {n for n in dir(negosim.report) if not n.startswith("_")}


def test_inline_python_examples_are_run():
    """Every Python example of negosim's API is in a ```python block of its page, so it is run.

    (An example written inline once named an option that does not exist.)
    """
    api = _negosim_names()
    missing = []
    for page in DOCS:
        code = "\n".join(b for p, b in blocks({"python", "py"}) if p == page)
        for m in _CALL.finditer(FENCE.sub("", page.read_text(encoding="utf-8"))):
            name, args = m.groups()
            example = re.search(r"[\"'\d]", args) and "..." not in args
            if example and (name.startswith("negosim.") or name.split(".")[-1] in api) and m.group(0)[1:-1] not in code:
                missing.append(f"{page.name}: `{m.group(0)[1:-1]}`")
    assert not missing, "Python examples written inline are never run; put them in a ```python block: " + \
        "; ".join(missing)


def test_generated_docs_are_current():
    from negosim.cli.docgen import main
    assert main(["--check"]) == 0, "run: python -m negosim.cli.docgen"
