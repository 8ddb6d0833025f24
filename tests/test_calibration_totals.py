"""The evidence counts docs/calibration.md states are the counts ``negosim sources`` measures now.

The page's Totals tables (per file and per party) and its sourced-share range were typed in
by hand after each reading of the grades; when a reading turned numbers into assumptions, the
page kept the old counts. Here they are parsed out of the page and compared with the provenance
report of each file. The blind-reading record of the third reading is checked against itself
(its agreement and confusion are recomputed from its items) and against the page's table.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from conftest import ROOT
from negosim.scenario.provenance import provenance
from negosim.scenario.yaml_io import load_scenario

PAGE = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
THIRD = ROOT / "docs" / "review" / "blind_grades_2026-12-02_third_reading.json"
KINDS = ("states", "implies", "context", "assumption")
PARTIES = {"Ukraine": "ukraine", "Russia": "russia", "United States": "us", "Europe": "europe"}


def section(title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", PAGE, re.S | re.M)
    assert m, f"docs/calibration.md has no section {title!r}"
    return m.group(1)


def rows(text: str) -> list[list[str]]:
    """The cells of every table row of ``text`` (header and rule rows included)."""
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|")]


@pytest.fixture(scope="module")
def counts() -> dict[str, dict]:
    """File name -> ``negosim sources --json`` of that file, for every file the Totals table names."""
    names = set(re.findall(r"`([\w.]+\.yaml)`", section("Totals").split("By party")[0]))
    assert names, "the Totals table names no file"
    return {n: provenance(load_scenario(ROOT / "scenarios" / n)).to_json() for n in sorted(names)}


def test_totals_table_per_file(counts):
    checked = set()
    for cells in rows(section("Totals").split("By party")[0]):
        files = re.findall(r"`([\w.]+\.yaml)`", cells[0])
        if not files:
            continue  # the header, the rule and the row from before the regrade
        numbers, *grades = (int(c) for c in cells[1:6])
        sourced, share = re.fullmatch(r"(\d+) \(([\d.]+) %\)", cells[6]).groups()
        for f in files:
            c = counts[f]
            assert (numbers, *grades) == (c["numbers"], *(c["grades"][k] for k in KINDS)), f"Totals row of {f}"
            assert (int(sourced), share) == (c["sourced"], f"{100 * c['share_sourced']:.1f}"), f"sourced share of {f}"
            checked.add(f)
    assert checked == set(counts)


def test_totals_table_per_party(counts):
    plan = counts["plan28_2025_11.yaml"]["by_party"]
    april = counts["freeze_2025_04.yaml"]["by_party"]["us"]
    december = counts["framework20_2025_12.yaml"]["by_party"]["us"]
    seen = set()
    for cells in rows(section("Totals").split("By party")[1].split("The honest")[0]):
        if cells[0] not in PARTIES:
            continue
        c = plan[PARTIES[cells[0]]]
        assert [int(x) for x in cells[1:6]] == [sum(c[k] for k in KINDS), *(c[k] for k in KINDS)], cells[0]
        assert int(cells[6].split()[0]) == c["states"] + c["implies"], cells[0]
        seen.add(cells[0])
        if cells[0] == "United States":  # the other rounds' US counts, as the row words them
            for words, d in (("December", december), ("April", april)):
                m = re.search(rf"{words}: (\d+) implies, (\d+) context(?:, (\d+) assumptions)? \((\d+), (\d+) %\)",
                              cells[7])
                assert m, f"the US row no longer gives {words}'s counts"
                n = sum(d[k] for k in KINDS)
                assert (int(m[1]), int(m[2]), int(m[4]), int(m[5])) == (
                    d["implies"], d["context"], d["states"] + d["implies"],
                    round(100 * (d["states"] + d["implies"]) / n)), words
                if m[3]:
                    assert int(m[3]) == d["assumption"], words
    assert seen == set(PARTIES)


def test_stated_share_range(counts):
    shares = [100 * c["share_sourced"] for n, c in counts.items() if n != "base.yaml"]
    lo, hi = round(min(shares)), round(max(shares))
    assert f"The honest sourced share is {lo} to {hi} %." in section("Totals")
    assert f"About a third of the numbers are sourced ({lo}-{hi} %)" in PAGE


def test_third_reading_record_and_table():
    record = json.loads(THIRD.read_text(encoding="utf-8"))
    items = record["items"]
    assert [it["n"] for it in items] == list(range(1, len(items) + 1))
    pairs = [(it["our_grade"], it["blind_grade"]) for it in items]
    assert all(it["decision"] and it["blind_reason"] for it in items)
    sourced = {"states", "implies"}
    exact = sum(a == b for a, b in pairs)
    same_side = sum((a in sourced) == (b in sourced) for a, b in pairs)
    assert record["agreement"]["exact"]["agree"] == exact and record["agreement"]["exact"]["of"] == len(pairs)
    assert record["agreement"]["sourced_or_not"]["agree"] == same_side
    table = Counter(f"{a}->{b}" for a, b in pairs)
    assert record["confusion"] == dict(table)
    assert record["grades"] == dict(Counter(b for _, b in pairs))
    assert record["our_grades"] == dict(Counter(a for a, _ in pairs))

    text = section("A third reading")
    assert (f"exact **{exact} of {len(pairs)} ({round(100 * exact / len(pairs))} %)**" in text)
    assert f"**{same_side} of {len(pairs)} ({round(100 * same_side / len(pairs))} %)**" in text
    grades = ("states", "implies", "context", "wrong")
    for cells in rows(text):
        if cells[0] in grades:
            want = [table[f"{cells[0]}->{b}"] for b in grades]
            assert [int(x) for x in cells[1:5]] == want and int(cells[5]) == sum(want), f"row {cells[0]}"
        elif cells[0] == "total":
            want = [sum(1 for _, b in pairs if b == g) for g in grades]
            assert [int(x) for x in cells[1:5]] == want and int(cells[5]) == len(pairs)
