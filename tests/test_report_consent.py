"""Consent rules, ratification and side payments in the report and in ``negosim analyze``.

The report's consent rows and the terminal's table are checked against ``analyze --json``
(``draft_rules``, and ``draft_consent`` for the quota rules), and ``draft_rules`` itself
against the independent reference of the definitions (tests/reference.py) on random
scenarios with rules of every kind. The hand scenarios' answers are worked out in comments.
"""

from __future__ import annotations

import io
import json
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from rich.console import Console

import negosim
from negosim.cli.render import print_analysis
from negosim.report import build_report
from negosim.scenario.schema import Scenario
from negosim.scenario.yaml_io import load_scenario
from reference import Reference
from strategies_scenarios import scenarios, write_scenario
from test_plots import ROOT, SHIPPED
from test_report import parse

SPLIT = ROOT / "scenarios" / "plan20_2025_12_split_europe.yaml"
MET = {True: "met", False: "not met", None: "not touched"}


def two_provisions(parties: dict, **extra) -> Scenario:
    """Provisions ``s`` and ``t`` (``keep``, the status quo, or ``move``); the draft moves ``s`` only."""
    opts = {"keep": {"label": "Keep", "status_quo": True}, "move": {"label": "Move"}}
    data = {"negosim": 1, "name": "hand", "draft": {"s": "move", "t": "keep"}, "parties": parties,
            "provisions": {"s": {"label": "S", "options": opts}, "t": {"label": "T", "options": opts}}, **extra}
    return Scenario.model_validate(data)


def party(s_move: float, reservation: float = 0.5, **extra) -> dict:
    """A party without a veto that values s=move at ``s_move`` (keep at the rest), t at 0.5 either way."""
    return {"veto": "none", "reservation": reservation, "weights": {"s": 0.5, "t": 0.5},
            "values": {"s": {"keep": 1 - s_move, "move": s_move}, "t": {"keep": 0.5, "move": 0.5}}, **extra}


# a, b and c accept the draft (utility 0.75), d does not (0.25); the draft touches the rules over
# s and over all, not those over t (a unanimity rule there is not touched even though d rejects).
RULES = [
    {"id": "both", "label": "Both of a and b", "provisions": ["s"], "rule": {"unanimity": ["a", "b"]}},
    {"id": "with_d", "label": "Every one with d", "provisions": ["s"], "rule": {"unanimity": ["a", "d"]}},
    {"id": "three", "label": "Three of four", "provisions": ["s"],
     "rule": {"k_of_n": {"k": 3, "of": ["a", "b", "c", "d"]}}},
    {"id": "council", "label": "Council", "provisions": "all",
     "rule": {"weighted": {"quota": 51, "weights": {"a": 10, "b": 10, "c": 20, "d": 60}}}},
    {"id": "t_pair", "label": "T needs a and d", "provisions": ["t"], "rule": {"unanimity": ["a", "d"]}},
    {"id": "qmv", "label": "Qualified majority", "provisions": ["t"],
     "rule": {"double": {"states": 0.5, "population": 0.5, "population_of": {"a": 1, "b": 1, "d": 8}}}},
]
WANT = {"both": True, "with_d": False, "three": True, "council": False, "t_pair": None, "qmv": None}


def hand_rules() -> Scenario:
    return two_provisions({"a": party(1.0), "b": party(1.0), "c": party(1.0), "d": party(0.0)}, consent=RULES)


def consent_table(page) -> dict[str, list[str]]:
    """The report's consent rows by rule id (the id is in brackets after the label)."""
    p = parse(page)
    rows = next(t for t in p.tables if t and t[0][:4] == ["rule", "provisions", "touched", "met"])
    return {r[0].rsplit("(", 1)[1].rstrip(")"): r for r in rows[1:]}


def test_report_consent_rows_match_the_json_and_the_hand_answers():
    s = hand_rules()
    out = negosim.analyze(s).to_json()
    assert out["draft_rules"] == WANT
    assert out["draft_consent"] == {k: v for k, v in WANT.items() if k in ("three", "council", "qmv")}
    rows = consent_table(build_report(s, trace=False))
    assert list(rows) == [r["id"] for r in RULES]
    for rule in RULES:
        row = rows[rule["id"]]
        assert row[0].startswith(rule["label"])
        assert row[2] == ("no" if WANT[rule["id"]] is None else "yes")
        assert row[3] == MET[WANT[rule["id"]]]
    # The quota and who accepts: d alone rejects the draft.
    assert rows["three"][4] == "3 of 4: a, b, c accept; d does not"
    assert rows["council"][4] == "weight 51 of 100 (40 accept): a, b, c accept; d does not"
    assert rows["qmv"][4] == "50 % of 3 members and 50 % of their population (2 of 3, 20 % accept): a, b accept; d does not"
    assert rows["both"][4] == "every one of 2: a, b accept"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios(consent=True))
def test_draft_rules_agree_with_the_reference(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # weights rescaled to sum to 1
        s = Scenario.model_validate(data)
    try:
        ref = Reference(s, 1)
    except ValueError:  # a parameter drove every weight of a party to zero
        return
    a = negosim.analyze(s, top=1, pareto=False)
    assert a.draft_rules == ref.rules[ref.draft_index()]


def test_report_of_the_split_europe_scenario_shows_every_rule_as_the_json(cli):
    r = cli("analyze", str(SPLIT), "--json")
    assert r.returncode == 0, r.stderr
    want = json.loads(r.stdout)["draft_rules"]
    ls = load_scenario(SPLIT)
    assert set(want) == {rule.id for rule in ls.scenario.consent}
    rows = consent_table(build_report(ls, trace=False))
    for rule in ls.scenario.consent:
        row = rows[rule.id]
        assert row[0].startswith(rule.label)
        assert row[3] == MET[want[rule.id]]


def test_report_without_rules_ratifiers_or_transfers_has_none_of_their_sections():
    page = build_report(load_scenario(SHIPPED), trace=False)
    for anchor in ("consent", "ratification", "transfers"):
        assert f"id='{anchor}'" not in page and f"href='#{anchor}'" not in page
    assert "Consent rules" not in page and "Side payments" not in page


def terminal(s, width: int = 80) -> list[str]:
    buf = io.StringIO()
    print_analysis(s, negosim.analyze(s), Console(width=width, file=buf, color_system=None, soft_wrap=False))
    return buf.getvalue().splitlines()


def table_cells(lines: list[str], title: str) -> list[list[str]]:
    """The columns of a rich table (rounded box) under ``title``: each column's lines, cells wrapped."""
    start = lines.index(next(line for line in lines if line.strip() == title))
    body = []
    for line in lines[start + 4:]:  # title, top border, header, rule under the header
        if not line.startswith("│"):
            break
        body.append([c.strip() for c in line.strip("│").split("│")])
    return [list(col) for col in zip(*body)]


def test_terminal_table_lists_each_rule_at_80_columns():
    s = hand_rules()
    lines = terminal(s)
    assert max(len(line.rstrip()) for line in lines) <= 80
    rule, touched, met, words = table_cells(lines, "Consent rules on the draft")
    labels = " ".join(x for x in rule if x)
    assert labels == " ".join(r["label"] for r in RULES)  # each rule, whole, in order
    assert [x for x in met if x] == [MET[WANT[r["id"]]] for r in RULES]
    assert [x for x in touched if x] == ["no" if WANT[r["id"]] is None else "yes" for r in RULES]
    assert "3 of 4: a, b, c accept; d does not" in " ".join(x for x in words if x)


def test_terminal_has_no_consent_table_without_rules():
    s = two_provisions({"a": party(1.0), "b": party(0.0)})
    assert not any("Consent rules" in line for line in terminal(s))


def test_report_ratification_section_signed_not_ratified():
    # a signs the draft (0.75 >= 0.5) but its parliament wants 0.8: signed, not ratified.
    s = two_provisions({"a": party(1.0, veto="all", ratifier={"label": "Parliament", "threshold": 0.8}),
                        "b": party(1.0, veto="all")})
    out = negosim.analyze(s).to_json()
    assert (out["draft_signed"], out["draft_ratified"]) == (True, False)
    p = parse(build_report(s, trace=False))
    rows = next(t for t in p.tables if t and t[0][:3] == ["package", "signed", "ratified"])
    assert rows[0][3] == "a: Parliament"
    assert rows[1][:4] == ["draft", "signed", "not ratified", "refuses: 0.750 < 0.800"]


def test_report_side_payments_section_matches_the_json():
    # b rejects the draft (0.25 < 0.5) unless paid: 10 units of s at 0.05 each buy it 0.5.
    s = two_provisions({"a": party(1.0, veto="all"), "b": party(0.0, veto="all")})
    data = s.model_dump(exclude_none=True)
    data["provisions"]["s"]["transferable"] = {"total": 10, "unit": "bn", "value_per_unit": {"b": 0.05}}
    s = Scenario.model_validate(data)
    want = negosim.analyze(s).to_json()["transfers"]
    assert want["zone_size"] > 0 and want["nash"] is not None
    p = parse(build_report(s, trace=False))
    summary = next(t for t in p.tables if t and t[0][0] == "amount to split")
    assert summary[0][1] == "10 bn (S)"
    assert summary[1][1].startswith(f"{want['zone_size']:,} (")
    split = next(t for t in p.tables if t and t[0] == ["party", "receives (bn)", "utility with it"])
    assert {r[0]: float(r[1]) for r in split[1:]} == pytest.approx(want["nash"]["split"], rel=1e-3, abs=1e-12)
    assert {r[0]: float(r[2]) for r in split[1:]} == {k: round(v, 3) for k, v in want["nash"]["utilities"].items()}


# a and b accept the draft, d does not: the draft touches "both" (met) and "with_d" (not met),
# not "t_pair" (over t, which the draft keeps).
BRIEF_RULES = [r for r in RULES if r["id"] in ("both", "with_d", "t_pair")]


def test_the_brief_names_the_unmet_rule_first_then_the_met_one_in_labels(tmp_path):
    from negosim.scenario.yaml_io import dump_scenario
    from test_brief import run
    s = two_provisions({"a": party(1.0, label="Alpha"), "b": party(1.0, label="Beta"),
                        "d": party(0.0, label="Delta")}, consent=BRIEF_RULES)
    path = tmp_path / "rules.yaml"
    path.write_text(dump_scenario(s), encoding="utf-8")
    out = json.loads(run("analyze", str(path), "--json").stdout)
    assert out["draft_rules"] == {"both": True, "with_d": False, "t_pair": None}
    said = [x for x in out["summary"] if x.startswith("Consent rules:")]
    assert said == ['Consent rules: the rule "Every one with d" is not met (Delta does not accept); '
                    'the rule "Both of a and b" is met (Alpha and Beta accept); 1 rule is not touched.']
    brief = run("analyze", str(path), "--brief", columns=1000).stdout.strip().splitlines()
    assert brief == out["summary"]
    # no rule touched: no sentence
    s.draft["s"] = "keep"
    from negosim.brief import brief as findings
    assert not [x for x in findings(s, negosim.analyze(s)) if x.startswith("Consent")]
