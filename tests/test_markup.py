"""Scenario text that looks like rich markup is printed as it is, never read as markup.

A name such as ``[/red] talks`` closes a tag that was never opened: rich
raises MarkupError, which ended ``negosim analyze`` with "internal error".
Every command that prints a scenario's names, labels or option ids in a rich
table is run here on such a scenario, in a subprocess as a user would.
"""

from __future__ import annotations

import pytest

from conftest import run_cli

SCENARIO = """\
negosim: 1
name: "[/red] talks"
description: "[/bold] round one"
provisions:
  land:
    label: "[bold]x"
    options:
      keep: {label: "[bold]x", status_quo: true}
      "[/i]give": {label: "[/red]Give"}
      "[b]half": {label: "[/b]Half"}
parties:
  kyiv:
    label: "[bold]x"
    reservation: {value: 0.3, assumption: "a test"}
    weights: {land: {value: 1, assumption: "a test"}}
    values: {land: {keep: 1.0, "[/i]give": 0.0, "[b]half": 0.5}}
    red_lines:
      - {id: "[/red]", forbid: {land: "[/i]give"}, assumption: "a test"}
  moscow:
    label: "[/red]M"
    reservation: {low: 0.2, high: 0.4, assumption: "a test"}
    weights: {land: {value: 1, assumption: "a test"}}
    values: {land: {keep: 0.0, "[/i]give": 1.0, "[b]half": 0.5}}
draft: {land: "DRAFT"}
"""


def write(tmp_path, name: str, draft: str) -> str:
    (tmp_path / name).write_text(SCENARIO.replace('"DRAFT"', f'"{draft}"'), encoding="utf-8")
    return name


LABELS = ("[/red] talks", "[bold]x", "[/red]M")


@pytest.mark.parametrize("args, texts", [
    (("analyze", "a.yaml"), LABELS),
    (("analyze", "a.yaml", "--samples", "200"), LABELS + ("land=[b]half",)),
    (("analyze", "g.yaml"), LABELS),
    (("run", "g.yaml", "--rounds", "4"), LABELS + ("land=[b]half",)),
    (("compare", "g.yaml", "a.yaml"), ("[/red] talks", "[/red]Give", "[bold]x", "[bold]x: [/red]Give -> [bold]x")),
    (("sources", "a.yaml"), ("[/red] talks",)),
], ids=lambda a: " ".join(a) if isinstance(a[0], str) and a[0] in ("analyze", "run", "compare", "sources") else "")
def test_markup_in_scenario_text_is_printed_verbatim(tmp_path, args, texts):
    write(tmp_path, "a.yaml", "keep")
    write(tmp_path, "g.yaml", "[/i]give")
    r = run_cli(*args, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "internal error" not in r.stderr
    out = " ".join(r.stdout.split())  # tables may wrap a long cell
    for text in texts:
        assert text in out, (text, r.stdout)


def test_the_markup_in_repairs_and_red_lines_is_kept(tmp_path):
    write(tmp_path, "a.yaml", "keep")
    write(tmp_path, "g.yaml", "[/i]give")
    out = " ".join(run_cli("analyze", "a.yaml", cwd=tmp_path, timeout=120).stdout.split())
    assert "land=[b]half" in out  # the best repair's ids line names the option id as written
    out = " ".join(run_cli("analyze", "g.yaml", cwd=tmp_path, timeout=120).stdout.split())
    # the red line by the labels of the options that cross it
    assert "on a red line, [bold]x: [/red]Give" in out and "[/bold] round one" in out
