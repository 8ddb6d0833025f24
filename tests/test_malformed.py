"""The malformed-scenario corpus through the real ``negosim validate``.

Every file in tests/data/malformed/ (not _parts/, which holds helpers such as
valid parents) is a realistic mistake. EXPECTED.yaml says, for each, the
``file:line:col`` the one-line message must start with and a fragment it must
contain. Starting Python once per case would take a minute, so all cases go
through one ``negosim validate`` run (which reports one line per bad file, in
order) and each case is asserted on its own line; a few cases also run alone
to check exit code and output of a single-file run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import run_cli

HERE = Path(__file__).resolve().parent / "data" / "malformed"
EXPECTED: dict[str, dict[str, str]] = yaml.safe_load((HERE / "EXPECTED.yaml").read_text(encoding="utf-8"))
CASES = sorted(p.name for p in HERE.glob("*.yaml") if p.name != "EXPECTED.yaml")
# Cases run alone as well: a syntax error, an error in an extends parent and
# a failed quote check (each a different stage of loading).
ALONE = ["tabs.yaml", "extends_error_in_parent.yaml", "quote_not_in_article.yaml"]


def test_every_case_has_an_expectation_and_the_corpus_is_large():
    assert sorted(EXPECTED) == CASES
    assert len(CASES) >= 40


@pytest.fixture(scope="module")
def batch():
    """One ``negosim validate`` over every case, run from the corpus folder."""
    r = run_cli("validate", *CASES, cwd=HERE, timeout=120)
    lines = r.stderr.splitlines()
    return r, dict(zip(CASES, lines)) if len(lines) == len(CASES) else None


def test_batch_reports_one_line_per_case(batch):
    r, by_case = batch
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stdout == "", "a malformed case was accepted: " + r.stdout
    assert by_case is not None, f"expected {len(CASES)} lines on stderr, got:\n{r.stderr}"


@pytest.mark.parametrize("case", CASES)
def test_case(batch, case):
    r, by_case = batch
    assert by_case is not None, "stderr does not hold one line per case; see test_batch_reports_one_line_per_case"
    assert f"ok: {case} " not in r.stdout
    line = by_case[case]
    want = EXPECTED[case]
    assert line.startswith(want["at"] + ": "), f"{case}: expected at {want['at']}, got: {line}"
    assert want["message"] in line, f"{case}: expected {want['message']!r} in: {line}"


@pytest.mark.parametrize("case", ALONE)
def test_case_alone(case):
    r = run_cli("validate", case, cwd=HERE, timeout=60)
    assert r.returncode == 2
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(EXPECTED[case]["at"] + ": ")
    assert EXPECTED[case]["message"] in lines[0]


def test_error_in_parent_names_the_parent_file():
    # The expectation itself must point into _parts/, not at the child.
    assert EXPECTED["extends_error_in_parent.yaml"]["at"].startswith("_parts/bad_parent.yaml:")
    assert EXPECTED["extends_cycle_a.yaml"]["at"].startswith("_parts/cycle_b.yaml:")


def test_helpers_in_parts_are_not_cases():
    parts = {p.name for p in (HERE / "_parts").glob("*.yaml")}
    assert parts and not parts & set(CASES)
