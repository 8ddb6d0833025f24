"""``negosim sources`` lists the evidence of the no-deal outcomes' packages, apart from the numbers.

The expected entries are walked from the loaded scenario model (its ``no_deal.outcomes``),
not from negosim.scenario.provenance; the grades are written out here from the format's
rules (docs/scenario-format.md, "Grades").
"""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, run_cli
from negosim.scenario.provenance import provenance
from negosim.scenario.schema import Scenario, iter_numbers
from negosim.scenario.yaml_io import load_scenario

ROUND = ROOT / "scenarios" / "framework20_2025_12.yaml"
#: The keys of ``negosim sources --json`` that count numbers.
COUNTS = ("numbers", "sourced", "assumptions", "unsourced", "share_sourced", "grades", "by_party", "deciding")


def grade_of(block) -> str:
    """The grade of an evidence block, from the format's rules."""
    if block.source is not None and block.quote is not None:
        return block.supports or "ungraded"
    return "assumption" if block.assumption else "unsourced"


def expected_entries(s: Scenario) -> list[dict]:
    """Every ``provision: option`` of every outcome's package, the outcome named by its id."""
    return [{"path": f"no_deal.outcomes.{o.id}.package.{prov}", "outcome": o.id, "provision": prov,
             "option": opt, "source": o.source, "file": s.sources[o.source].file if o.source else None,
             "quote": o.quote, "claim": o.claim, "supports": o.supports, "grade": grade_of(o),
             "assumption": o.assumption}
            for o in s.no_deal.outcomes for prov, opt in o.package.items()]


def without_package_evidence(s: Scenario) -> Scenario:
    """``s`` with every outcome's package and its evidence removed (the numbers kept)."""
    d = s.model_dump(exclude_none=True)
    for o in d["no_deal"]["outcomes"]:
        for key in ("package", "source", "quote", "claim", "confidence", "supports", "assumption"):
            o.pop(key, None)
    return Scenario.model_validate(d)


@pytest.fixture(scope="module")
def round_json() -> dict:
    r = run_cli("sources", str(ROUND), "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_json_lists_every_outcome_package_entry_with_its_quote_and_grade(round_json):
    s = load_scenario(ROUND).scenario
    want = expected_entries(s)
    assert len(want) >= 5 and any(e["quote"] for e in want) and any(e["assumption"] for e in want)
    got = [{k: e[k] for k in want[0]} for e in round_json["outcome_packages"]]
    assert got == want


def test_outcome_packages_change_no_count_of_the_numbers(round_json):
    s = load_scenario(ROUND).scenario
    bare = provenance(without_package_evidence(s)).to_json()
    assert bare["outcome_packages"] == []
    assert {k: round_json[k] for k in COUNTS} == {k: bare[k] for k in COUNTS}
    # Every stated number is an item or a default, and nothing else is.
    assert round_json["numbers"] + len(round_json["defaults"]) == sum(1 for _ in iter_numbers(s))
    assert round_json["numbers"] == len(round_json["items"]) == sum(round_json["grades"].values())
    assert not [it["path"] for it in round_json["items"] if it["path"].startswith("no_deal.outcomes") and ".package" in it["path"]]


def test_text_lists_each_outcome_package_at_80_columns(monkeypatch, round_json):
    monkeypatch.setenv("COLUMNS", "80")
    r = run_cli("sources", str(ROUND), timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # The tables fit (the two summary lines are one line each on purpose: scripts read them).
    assert max(len(line) for line in lines if line[:1] in "┏┃┡│└") <= 80
    start = next(i for i, line in enumerate(lines) if line.startswith("What fighting on brings"))
    assert "(not numbers: in none of the counts below)" in " ".join(" ".join(lines[start:start + 2]).split())
    table = lines[start:]
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in table if line.startswith("│")]
    # The first column holds each outcome's id over its entries, one a line; a row's first line its grade.
    shown: dict[str, list[str]] = {}
    grades = {}
    for c in cells:
        if c[0].endswith(":"):
            outcome = c[0][:-1]
            shown[outcome], grades[outcome] = [], c[1]
        elif c[0]:
            shown[outcome].append(c[0])
    s = load_scenario(ROUND).scenario
    with_package = [o for o in s.no_deal.outcomes if o.package]
    assert shown == {o.id: [f"{p}={v}" for p, v in o.package.items()] for o in with_package}
    cell = {"states": "states", "implies": "implies", "context": "context", "assumption": "assumed"}
    assert grades == {o.id: cell[grade_of(o)] for o in with_package}
    # Each quote is in the table (folded over lines); the counts still end the output.
    text = " ".join(" ".join(c[-1] for c in cells).split())
    assert all(o.quote in text for o in with_package if o.quote)
    assert lines[-2].startswith(f"{round_json['numbers']} numbers: {round_json['sourced']} sourced ")
    # --party shows a party's numbers only: the outcome packages are no party's.
    r = run_cli("sources", str(ROUND), "--party", "us", timeout=120)
    assert "What fighting on brings" not in r.stdout and r.returncode == 0


TOY = """\
negosim: 1
name: toy
articles: articles
sources: {S: {file: s.txt}}
provisions:
  p: {label: P, options: {a: {label: A, status_quo: true}, b: {label: B}}}
parties:
  x: {reservation: no_deal, weights: {p: {value: 1, assumption: one provision}},
      values: {p: {a: {value: 0, assumption: worst}, b: {value: 1, assumption: best}}}}
draft: {p: b}
no_deal:
  outcomes:
    - {id: stalemate, p: {value: 0.5, assumption: even}, source: S, quote: "the front held", supports: states}
    - {id: loss, p: {value: 0.25, assumption: even}, package: {p: b}, assumption: "a guess"}
    - {id: nothing_said, p: {value: 0.25, assumption: even}}
  cost: {x: {value: 0.1, assumption: small}}
"""


def write_toy(tmp_path, no_deal: bool) -> str:
    (tmp_path / "articles").mkdir(exist_ok=True)
    (tmp_path / "articles" / "s.txt").write_text("All year the front held.\n", encoding="utf-8")
    text = TOY if no_deal else TOY.split("no_deal:\n")[0].replace("reservation: no_deal",
                                                                 "reservation: {value: 0.5, assumption: half}")
    (tmp_path / "toy.yaml").write_text(text, encoding="utf-8")
    return str(tmp_path / "toy.yaml")


def test_an_empty_package_with_evidence_is_one_entry_and_one_without_is_none(tmp_path):
    out = json.loads(run_cli("sources", write_toy(tmp_path, True), "--json", timeout=60).stdout)
    assert [(e["path"], e["provision"], e["option"], e["grade"]) for e in out["outcome_packages"]] == [
        ("no_deal.outcomes.stalemate.package", None, None, "states"),
        ("no_deal.outcomes.loss.package.p", "p", "b", "assumption")]
    assert out["outcome_packages"][0]["quote"] == "the front held"
    # 2 values, 1 weight, 3 outcome p's and a cost; the weight's value 1 is stated, not a default.
    assert out["numbers"] == 7 and out["grades"]["assumption"] == 7 and out["grades"]["states"] == 0
    text = run_cli("sources", write_toy(tmp_path, True), "--status", "states", timeout=60).stdout
    assert "stalemate:" in text and "(status quo)" in text and "loss:" not in text


def test_a_scenario_without_no_deal_shows_no_package_section(tmp_path):
    f = write_toy(tmp_path, False)
    r = run_cli("sources", f, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "What fighting on brings" not in r.stdout and "numbers:" in r.stdout.splitlines()[-2]
    assert json.loads(run_cli("sources", f, "--json", timeout=60).stdout)["outcome_packages"] == []
