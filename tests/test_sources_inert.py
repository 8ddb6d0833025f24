"""``negosim sources``: values that decide nothing are marked inert and counted apart; names by id.

A party's values of a provision it weighs 0 in every draw (a point 0, no range or distribution,
no parameter effect on the weight; and its ratifier's own weight likewise) cannot change any
result. The expected inert values and counts are walked here from the scenario model (the
weights as written, the effects' paths as written), not from negosim.scenario.provenance; that
such values decide nothing is checked on the compiled tables, and that they count as if they
were not written by dropping them (a value a party weighs 0 may be left out).
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from conftest import ROOT, run_cli
from negosim.engine.compiled import compile_scenario
from negosim.scenario.numbers import GRADES
from negosim.scenario.provenance import provenance
from negosim.scenario.schema import Scenario, iter_numbers
from negosim.scenario.yaml_io import load_scenario

APRIL = ROOT / "scenarios" / "freeze_2025_04.yaml"
DECEMBER = ROOT / "scenarios" / "framework20_2025_12.yaml"
#: The keys of ``negosim sources --json`` that count numbers.
COUNTS = ("numbers", "sourced", "assumptions", "unsourced", "share_sourced", "grades", "by_party", "deciding")


def zero_in_every_draw(w) -> bool:
    """A weight as written that is 0 in every draw: a plain 0, or a range from 0 to 0 (a draw lies
    in the range; a distribution without one, normal or beta, reaches above 0)."""
    if w.low is not None:
        return w.low == w.high == 0
    return w.dist is None and w.value == 0


def expected_inert(s: Scenario) -> set[str]:
    """Dotted paths of the values whose every weight (the party's, its ratifier's own) is always 0."""
    moved = {e.path for prm in s.parameters.values() for e in prm.effects}
    out = set()
    for name, party in s.parties.items():
        for prov, vals in party.values.items():
            weights = [(f"parties.{name}.weights.{prov}", party.weights[prov])]
            if party.ratifier is not None and party.ratifier.weights is not None:
                weights.append((f"parties.{name}.ratifier.weights.{prov}", party.ratifier.weights[prov]))
            if all(zero_in_every_draw(w) and path not in moved for path, w in weights):
                out |= {f"parties.{name}.values.{prov}.{o}" for o in vals}
    return out


def evidence(grade: str, value: float) -> dict:
    quote = {"source": "S", "quote": "some words", "claim": "what they show"}
    if grade == "states":
        return {"value": value, **quote, "supports": "states"}
    return {"value": value, "assumption": "a guess"}


def hand_built() -> Scenario:
    """x weighs q 0 (inert), r with a range whose point is 0, s 0 but moved by a parameter; y weighs
    p 0 and q in a range from 0 to 0, its ratifier weighs p (p's values count) but not q (inert)."""
    opts = {"a": {"label": "A", "status_quo": True}, "b": {"label": "B"}}
    provs = {k: {"label": k.upper(), "options": opts} for k in "pqrs"}

    def values(grade):
        return {k: {"a": evidence(grade, 0.0), "b": evidence(grade, 1.0)} for k in "pqrs"}
    x = {"reservation": evidence("states", 0.4),
         "weights": {"p": evidence("states", 1.0), "q": evidence("states", 0.0),
                     "r": {"dist": "triangular", "low": 0.0, "mode": 0.0, "high": 0.3, "assumption": "a guess"},
                     "s": evidence("assumption", 0.0)},
         "values": values("states"),
         "linkages": [{"id": "pair", "when": {"p": "b", "q": "b"}, "bonus": evidence("assumption", 0.05)}]}
    y = {"reservation": "no_deal", "weights": {"p": 0, "q": {"low": 0, "high": 0, "assumption": "none"},
                                               "r": 0.5, "s": 0.5}, "values": values("assumption"),
         "ratifier": {"label": "Parliament", "threshold": 0.3, "weights": {"p": 0.5, "q": 0, "r": 0.25, "s": 0.25}}}
    return Scenario.model_validate({
        "negosim": 1, "name": "inert", "sources": {"S": {"file": "s.txt"}}, "provisions": provs,
        "parties": {"x": x, "y": y}, "draft": {k: "b" for k in provs},
        "parameters": {"k": {"label": "K", "value": 0.5, "range": [0, 1],
                             "effects": [{"path": "parties.x.weights.s", "per_unit": 0.2}]}},
        "no_deal": {"outcomes": [{"id": "stalemate", "p": 0.6}, {"id": "loss", "p": 0.4, "package": {"p": "b"}}],
                    "cost": {"y": 0.1}}})


def stated(s: Scenario) -> list[tuple[str, object]]:
    """``(dotted path, number)`` of every number written in the hand-built scenario, by id.

    Power, discount and drift are left at their defaults there; no other number is.
    """
    out = []
    for path, num in iter_numbers(s):
        if path[0] == "parties" and len(path) == 3 and path[2] in ("power", "discount", "drift"):
            continue
        parts = list(path)
        if path[:2] == ("no_deal", "outcomes"):
            parts[2] = s.no_deal.outcomes[path[2]].id
        elif path[0] == "parties" and path[2] == "linkages":
            parts[3] = s.parties[path[1]].linkages[path[3]].id
        out.append((".".join(map(str, parts)), num))
    return out


def test_values_weighed_zero_in_every_draw_are_inert_and_in_no_count():
    s = hand_built()
    inert = expected_inert(s)
    assert inert == {f"parties.{p}.values.q.{o}" for p in "xy" for o in "ab"}  # the walk above, by hand
    out = provenance(s).to_json()
    items = {it["path"]: it for it in out["items"]}
    assert {p for p, it in items.items() if it["inert"]} == inert
    # Every written number is an item (by id), inert ones included; weights are never inert.
    numbers = stated(s)
    assert list(items) == [p for p, _ in numbers]
    assert not any(it["inert"] for p, it in items.items() if ".weights." in p)
    counted = [(p, n) for p, n in numbers if p not in inert]
    grades = Counter(n.grade for _, n in counted)
    assert out["inert"] == len(inert) == 4
    assert out["numbers"] == len(counted)
    assert out["grades"] == {g: grades[g] for g in GRADES}
    assert out["sourced"] == grades["states"] + grades["implies"]
    assert out["assumptions"] == grades["assumption"] + grades["context"]
    assert out["share_sourced"] == pytest.approx(out["sourced"] / len(counted))
    by_party: dict[str, Counter] = {}
    for p, n in counted:
        by_party.setdefault(p.split(".")[1] if p.startswith("parties.") else p.split(".")[0], Counter())[n.grade] += 1
    assert out["by_party"] == {who: {g: c[g] for g in GRADES} for who, c in by_party.items()}
    assert not inert & set(out["deciding"]["items"])


def test_a_weight_with_a_range_a_ratifier_or_an_effect_keeps_its_values_counted():
    out = provenance(hand_built()).to_json()
    items = {it["path"]: it for it in out["items"]}
    # x's r: a triangular weight whose point is 0 but whose draws are not; x's s: a point 0 that the
    # parameter moves; y's p: weighed 0 by y but not by its ratifier, which scores with y's values.
    for path in ("parties.x.values.r.a", "parties.x.values.s.b", "parties.y.values.p.b"):
        assert items[path]["inert"] is False, path
    assert items["parties.x.weights.r"]["value"] == 0.0  # the point is 0: only the range saves it


def test_inert_values_decide_nothing_and_count_as_if_left_out():
    """On the April round: the US values of the provisions it weighs 0 (no April position)."""
    s = load_scenario(APRIL).scenario
    inert = expected_inert(s)
    us = {prov for prov, w in s.parties["us"].weights.items() if zero_in_every_draw(w) and prov in s.parties["us"].values}
    assert us and inert == {f"parties.us.values.{p}.{o}" for p in us for o in s.parties["us"].values[p]}
    d = s.model_dump(exclude_none=True)
    for path in inert:
        _, name, _, prov, _ = path.split(".")
        d["parties"][name]["values"].pop(prov, None)
    dropped = Scenario.model_validate(d)
    # They decide nothing: the compiled tables are the same without them.
    a, b = compile_scenario(s), compile_scenario(dropped)
    assert np.array_equal(a.wv, b.wv) and np.array_equal(a.reservation, b.reservation)
    # And they are in no count: the counts equal those of the round without them.
    full, bare = provenance(s).to_json(), provenance(dropped).to_json()
    assert {k: full[k] for k in COUNTS} == {k: bare[k] for k in COUNTS}
    assert full["inert"] == len(inert) and bare["inert"] == 0
    assert {it["path"] for it in full["items"] if it["inert"]} == inert


def test_text_marks_inert_rows_and_says_how_many_at_80_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    r = run_cli("sources", str(APRIL), timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines if line[:1] in "┏┃┡│└") <= 80
    n = len(expected_inert(load_scenario(APRIL).scenario))
    assert lines[-1] == (f"{n} numbers decide nothing in this round (values of provisions a party weighs 0) "
                         "and are not counted (marked inert above).")
    # The grade stays on a row's first line; "inert" is under it, once per inert row.
    assert sum(line.split("│")[3].strip() == "inert" for line in lines if line.startswith("│")) == n
    # A round with none: no such line.
    r = run_cli("sources", str(ROOT / "scenarios" / "plan28_2025_11.yaml"), timeout=120)
    assert r.returncode == 0 and "decide nothing" not in r.stdout


def test_no_deal_outcomes_and_linkages_are_named_by_id():
    s = hand_built()
    paths = [it.path for it in provenance(s).items]
    assert "no_deal.outcomes.stalemate.p" in paths and "no_deal.outcomes.loss.p" in paths
    assert "parties.x.linkages.pair.bonus" in paths
    assert not any("[" in p for p in paths)


def test_sources_of_a_round_names_its_outcomes_as_calibrate_does(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that no path folds
    s = load_scenario(DECEMBER).scenario
    ids = [f"no_deal.outcomes.{o.id}.p" for o in s.no_deal.outcomes]
    out = json.loads(run_cli("sources", str(DECEMBER), "--json", timeout=120).stdout)
    paths = [it["path"] for it in out["items"]]
    assert [p for p in paths if p.startswith("no_deal.outcomes.")] == ids
    assert set(ids) <= set(out["deciding"]["items"])
    text = run_cli("sources", str(DECEMBER), timeout=120).stdout
    assert all(f"│ {p} " in text for p in ids) and "outcomes[" not in text
