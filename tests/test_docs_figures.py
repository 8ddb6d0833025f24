"""The numbers docs/tutorial.md quotes are the numbers the code computes now.

test_docs.py runs every command of the tutorial but cannot see whether the output it shows is
still what the command prints: when the shipped scenarios' numbers changed, the tutorial kept
quoting the old zone, fallbacks and margins. Here the key figures are parsed out of the page,
next to stable anchors (the step headings, "The zone of agreement holds", "grew from",
"falls from", ...), and compared, as printed (three decimals, thousands separators), with
what negosim computes. The 28-point plan is analysed once for the whole module; three more
analyses (Europe's low reservation, the repaired plan with ``us_pressure=-1``, the
demilitarised zone) take about a second each.
"""

from __future__ import annotations

import re

import pytest

import negosim
from conftest import ROOT
from negosim.engine.analysis import verdict
from negosim.engine.compiled import compile_scenario

PAGE = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
PLAN = ROOT / "scenarios" / "plan28_2025_11.yaml"
EXAMPLES = ROOT / "docs" / "examples"
NUM = r"(\d[\d,]*(?:\.\d+)?)"


def section(number: int) -> str:
    """The text of step ``number`` of the tutorial ("## 1. ..." up to the next heading)."""
    m = re.search(rf"^## {number}\. .*?(?=^## )", PAGE, re.S | re.M)
    assert m, f"docs/tutorial.md has no step {number}"
    return m.group(0)


def blocks(text: str) -> list[str]:
    """The ```text output blocks of ``text``."""
    return re.findall(r"^```text\n(.*?)^```", text, re.S | re.M)


def one(pattern: str, text: str, what: str) -> re.Match:
    m = re.search(pattern, text, re.S)
    assert m, f"docs/tutorial.md no longer says {what} (pattern {pattern!r}); update this test with the page"
    return m


def count(n: int) -> str:
    return f"{n:,}"


def f3(x: float) -> str:
    return f"{x:.3f}"


def load(path):
    return negosim.load(path, check_quotes=False)


@pytest.fixture(scope="module")
def plan():
    scenario = load(PLAN)
    return scenario, negosim.analyze(scenario)


def zone_line(block: str) -> re.Match:
    """The summary line under the verdict table (it may wrap before the front's size)."""
    return one(rf"Packages: {NUM}\s+zone of agreement: {NUM} \(([\d.]+)%\)\s+Pareto front:\s+{NUM}",
               block, "the Packages / zone of agreement line")


def table_rows(block: str, scenario) -> dict[str, tuple[str, str, str, str]]:
    """party id -> (utility, fallback, margin, verdict) as the verdict table prints them."""
    by_label = {p.label: pid for pid, p in scenario.parties.items()}
    rows = {}
    for label, u, r, m, word in re.findall(r"^│ (\S[^│]*?)\s*│\s*([\d.]+) │\s*([\d.]+) │ ([+-][\d.]+) │ (\w+) ",
                                           block, re.M):
        rows[by_label[label]] = (u, r, m, word)
    return rows


def expected_row(v) -> tuple[str, str, str, str]:
    return f3(v.utility), f3(v.reservation), f"{v.margin:+.3f}", "accepts" if v.accepts else "rejects"


def check_shortfalls(text: str, verdicts, scenario, where: str):
    """Every "X rejects it as S short (U against a fallback of R)" of a brief."""
    by_label = {p.label: pid for pid, p in scenario.parties.items()}
    labels = "|".join(re.escape(label) for label in by_label)
    found = re.findall(rf"({labels}) rejects it as ([\d.]+) short \(([\d.]+) against a fallback of ([\d.]+)\)",
                       " ".join(text.split()))
    for label, short, u, r in found:
        v = verdicts[by_label[label]]
        assert (short, u, r) == (f3(v.reservation - v.utility), f3(v.utility), f3(v.reservation)), \
            f"{where}: {label} is {v.reservation - v.utility:.3f} short ({v.utility:.3f} against {v.reservation:.3f})"
    return found


def test_step1_zone_verdicts_and_fallbacks(plan):
    scenario, a = plan
    text = section(1)
    out = blocks(text)[0]
    zone = one(rf"The zone of agreement holds {NUM} of the\s+{NUM} packages \(([\d.]+) %\)", out,
               "the brief's zone sentence")
    share = f"{100 * a.zone_size / a.space_size:.2f}"
    assert zone.groups() == (count(a.zone_size), count(a.space_size), share)
    assert zone_line(out).groups() == (count(a.space_size), count(a.zone_size), share, str(a.pareto_size))
    repairs = one(r"The smallest repair changes (\d+) provisions? \((\d+) such repairs?\)", out, "the repair sentence")
    assert repairs.groups() == (str(a.repair_size), str(a.repair_count))

    rows = table_rows(out, scenario)
    assert set(rows) == set(a.draft), "the verdict table lists every party"
    for party, v in a.draft.items():
        assert rows[party] == expected_row(v), f"step 1, {party}'s row of the verdict table"
    assert len(check_shortfalls(out, a.draft, scenario, "step 1's brief")) == 1  # Europe's

    fallbacks = one(rf"Ukraine's comes to {NUM},\s+Russia's to {NUM}\)", text, "Ukraine's and Russia's fallbacks")
    assert fallbacks.groups() == (f3(a.draft["ukraine"].reservation), f3(a.draft["russia"].reservation))

    # The Python example's printed reasons.
    reasons = re.findall(r"^(\w+)\s+accepts=\w+\s+utility ([\d.]+) (?:reaches|is [\d.]+ short of) reservation ([\d.]+)$",
                         blocks(text)[1], re.M)
    assert len(reasons) == 3
    for party, u, r in reasons:
        assert (u, r) == (f3(a.draft[party].utility), f3(a.draft[party].reservation)), f"{party}'s reason()"

    repairs = one(r"Minimal repairs: (\d+) provision\(s\) to change; (\d+) such repairs", section(3),
                  "step 3's repair listing")
    assert repairs.groups() == (str(a.repair_size), str(a.repair_count))


def test_step2_europe_low_zone_grows(plan):
    scenario, a = plan
    text = section(2)
    low = negosim.analyze(load(EXAMPLES / "plan28_europe_low.yaml"), pareto=False, top=1)
    grew = one(rf"grew from {NUM} to {NUM} packages", text, "how far the zone grew")
    assert grew.groups() == (count(a.zone_size), count(low.zone_size))
    out = blocks(text)[1]
    assert table_rows(out, scenario)["europe"] == expected_row(low.draft["europe"])
    assert zone_line(out).group(2) == count(low.zone_size)


def test_step2_us_pressure_moves_fallbacks(plan):
    scenario, a = plan
    pushed = compile_scenario(scenario, {"us_pressure": 1.0})
    after = dict(zip(pushed.party_ids, pushed.reservation))
    m = one(rf"Kyiv's fallback falls from {NUM} to {NUM}, Moscow's\s+rises from {NUM} to {NUM}"
            rf" and Washington's from {NUM} to {NUM}\.", section(2), "the fallbacks under us_pressure +1")
    want = []
    for party in ("ukraine", "russia", "us"):
        want += [f3(a.draft[party].reservation), f3(after[party])]
    assert m.groups() == tuple(want)


def test_step2_repaired_with_us_backing_zone_shrinks(plan):
    scenario, a = plan
    text = section(2)
    backed = negosim.analyze(load(EXAMPLES / "plan28_repaired.yaml"), params={"us_pressure": -1.0},
                             pareto=False, top=1)
    rows = table_rows(blocks(text)[2], scenario)
    assert set(rows) == set(backed.draft)
    for party, v in backed.draft.items():
        assert rows[party] == expected_row(v), f"step 2, {party}'s row with us_pressure=-1"
    kyiv = one(rf"worth a little more to Kyiv \({NUM} instead of\s+{NUM}\), but still far less than the"
               rf" package \({NUM}\)", text, "Kyiv's fallback with US backing")
    assert kyiv.groups() == (f3(backed.draft["ukraine"].reservation), f3(a.draft["ukraine"].reservation),
                             f3(backed.draft["ukraine"].utility))
    shrinks = one(rf"shrinks from {NUM} to {NUM} packages", text, "how far the zone shrank")
    assert shrinks.groups() == (count(a.zone_size), count(backed.zone_size))


def test_step3_repaired_margins():
    cs = compile_scenario(load(EXAMPLES / "plan28_repaired.yaml"))
    v = verdict(cs, cs.draft)
    m = one(r"margins of ([+-][\d.]+) for Kyiv, ([+-][\d.]+) for Moscow, ([+-][\d.]+) for Washington and"
            r"\s+([+-][\d.]+) for Europe", section(3), "the repaired plan's margins")
    assert m.groups() == tuple(f"{v[p].margin:+.3f}" for p in ("ukraine", "russia", "us", "europe"))
    assert all(x.accepts for x in v.values()), "step 3 says every party accepts the repaired plan"


def test_step6_dmz_brief():
    scenario = load(EXAMPLES / "plan28_dmz.yaml")
    a = negosim.analyze(scenario, pareto=False, top=1)
    out = blocks(section(6))[1]
    assert len(check_shortfalls(out, a.draft, scenario, "step 6's brief")) == 2  # Ukraine's and Europe's
    zone = one(rf"The zone of agreement holds {NUM} of the\s+{NUM} packages", out, "the dmz brief's zone")
    assert zone.groups() == (count(a.zone_size), count(a.space_size))
    repairs = one(r"The smallest repair changes (\d+) provisions? \((\d+) such repairs?\)", out, "the repair sentence")
    assert repairs.groups() == (str(a.repair_size), str(a.repair_count))


def test_step1_europe_nearest_number(plan):
    """Europe's nearest single number and the shortfall it leaves, in the prose (the brief gives
    Europe's one change of the text that brings it to yes instead)."""
    scenario, _ = plan
    beyond = negosim.distance_to_yes(scenario)["europe"].to_json()["beyond_one_number"]
    assert beyond["kind"] == "nearest", "step 1 says no one or two numbers bring Europe to yes"
    text = section(1)
    assert beyond["number"]["number"] == "no_deal.cost.europe"
    prose = one(r"its cost of fighting on at the top of its range still leaves it ([\d.]+) short", text,
                "Europe's shortfall in the prose")
    assert prose.group(1) == f3(beyond["shortfall"])
    assert beyond["number"]["to"] == beyond["number"]["range"][1], "the prose says the top of its range"
