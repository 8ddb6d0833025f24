"""``negosim coalitions`` (docs/model.md, "Coalitions"): the others' deal without each consent set,
checked against the independent reference on the restricted scenario written out by hand here,
and who is pivotal for a draft, hand-worked."""

from __future__ import annotations

import copy
import json
import warnings

from hypothesis import HealthCheck, given, settings

from conftest import run_cli
from reference import Reference
from negosim.cli.commands.coalitions import coalitions, consent_sets
from negosim.scenario.schema import Scenario
from strategies_scenarios import scenarios, write_scenario


def restricted(data: dict, who: list[str], held: list[str]) -> dict:
    """The scenario of the others as a file would say it: the held provisions keep only their
    status-quo option, ``who`` has no veto, and the rules with a member in ``who`` are gone."""
    data = copy.deepcopy(data)
    for prov in held:
        opts = data["provisions"][prov]["options"]
        sq = next(o for o, opt in opts.items() if opt.get("status_quo"))
        data["provisions"][prov]["options"] = {sq: opts[sq]}
        data["draft"][prov] = sq
        for party in data["parties"].values():
            if prov in party["values"]:
                party["values"][prov] = {sq: party["values"][prov][sq]}
            for key, field in (("red_lines", "forbid"), ("linkages", "when")):
                kept = []
                for item in party.get(key, []):
                    ref = item[field].get(prov)
                    refs = [ref] if isinstance(ref, str) else ref
                    if ref is None:
                        kept.append(item)
                    elif sq in refs:  # the combination can still occur, on the status quo
                        item[field][prov] = sq
                        kept.append(item)
                    # else it can never fire: dropped
                party[key] = kept
    for name in who:
        data["parties"][name]["veto"] = "none"
    data["consent"] = [r for r in data.get("consent", []) if not set(who) & set(_members(r["rule"]))]
    return data


def _members(rule: dict) -> list[str]:
    kind, body = next(iter(rule.items()))
    return {"unanimity": lambda: body, "k_of_n": lambda: body["of"], "weighted": lambda: list(body["weights"]),
            "double": lambda: list(body["population_of"])}[kind]()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios(aggregation="weighted_sum", consent=True, parameters=False))
def test_each_coalition_agrees_with_the_reference(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Scenario.model_validate(data)
        out = coalitions(s)
        assert [c["parties"] for c in out["coalitions"]] == [w for w, _ in consent_sets(s)]
        for c in out["coalitions"]:
            ref = Reference(Scenario.model_validate(restricted(data, c["parties"], c["held"])), top=0)
            assert c["space_size"] == len(ref.packages)
            assert c["zone_size"] == len(ref.zone) and c["deal"] == bool(ref.zone)
            nash = ref.solutions["nash"]
            want = None if nash is None else dict(zip(ref.provisions, (ref.options[j][o] for j, o in
                                                                       enumerate(ref.packages[nash]))))
            assert (c["nash"] or {}).get("package") == want


def hand(rule: dict | None, veto_eu="none") -> dict:
    """Sanctions (kept, the status quo; lifted) and a ceasefire (no, the status quo; yes).

    ua and ru both want the ceasefire; ru wants sanctions lifted, ua and eu want them kept.
    """
    def party(veto, ceasefire, lifted, reservation):
        return {"veto": veto, "reservation": reservation, "weights": {"sanctions": 0.5, "ceasefire": 0.5},
                "values": {"sanctions": {"kept": 1 - lifted, "lifted": lifted}, "ceasefire": {"no": 0.0, "yes": ceasefire}}}
    data = {"negosim": 1, "name": "hand", "draft": {"sanctions": "lifted", "ceasefire": "yes"},
            "provisions": {"sanctions": {"label": "Sanctions", "options": {"kept": {"label": "kept", "status_quo": True},
                                                                           "lifted": {"label": "lifted"}}},
                           "ceasefire": {"label": "Ceasefire", "options": {"no": {"label": "no", "status_quo": True},
                                                                           "yes": {"label": "yes"}}}},
            "parties": {"ua": party("all", 1.0, 0.0, 0.5), "ru": party("all", 1.0, 1.0, 0.75),
                        "eu": party(veto_eu, 0.0, 0.0, 0.5)}}
    if rule is not None:
        data["consent"] = [rule]
    return data


def test_a_deal_without_europe_and_pivotal_parties():
    # EU sanctions need the EU (unanimity over sanctions). The draft (lifted, yes) is worth 0.5 to ua
    # (accepts), 1.0 to ru (accepts), 0 to eu (rejects): with the rule it is not agreed.
    data = hand({"id": "eu", "provisions": ["sanctions"], "rule": {"unanimity": ["eu"]}})
    out = coalitions(Scenario.model_validate(data))
    assert out["draft"] == {"agreed": False, "pivotal": []}
    by = {tuple(c["parties"]): c for c in out["coalitions"]}
    assert set(by) == {("ua",), ("ru",), ("eu",)}
    # Without the EU, sanctions stay: (kept, yes) is worth 1.0 to ua and 0.5 to ru (short of 0.75);
    # (kept, no) 0.5 and 0: no deal among the others.
    assert by[("eu",)]["held"] == ["sanctions"] and by[("eu",)]["space_size"] == 2
    assert not by[("eu",)]["deal"]
    # Without the rule the draft is agreed by ua and ru, each of whom holds a veto: both are pivotal.
    free = coalitions(Scenario.model_validate(hand(None)))
    assert free["draft"] == {"agreed": True, "pivotal": ["ua", "ru"]}


def test_pivotal_under_k_of_n():
    # 2 of {ua, ru, eu} over the ceasefire, nobody vetoes: ua and ru accept the draft, eu does not.
    data = hand({"id": "two", "provisions": ["ceasefire"], "rule": {"k_of_n": {"k": 2, "of": ["ua", "ru", "eu"]}}})
    for p in data["parties"].values():
        p["veto"] = "none"
    assert coalitions(Scenario.model_validate(data))["draft"] == {"agreed": True, "pivotal": ["ua", "ru"]}
    data["consent"][0]["rule"]["k_of_n"]["k"] = 1  # one of them is enough: nobody alone is pivotal
    assert coalitions(Scenario.model_validate(data))["draft"] == {"agreed": True, "pivotal": []}


def test_cli_json_and_text(tmp_path):
    data = hand({"id": "eu", "provisions": ["sanctions"], "rule": {"unanimity": ["eu"]}})
    path = write_scenario(data, tmp_path)
    r = run_cli("coalitions", str(path), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [c["parties"] for c in out["coalitions"]] == [["ua"], ["ru"], ["eu"]]
    r = run_cli("coalitions", str(path))
    assert r.returncode == 0 and "Without eu" in r.stdout and "no deal among the others" in r.stdout


def test_power_of_the_textbook_weighted_game_in_the_coalitions_output(tmp_path, monkeypatch, capsys):
    # The weighted game [51; 50, 49, 1] as a consent rule over the one provision, nobody with a
    # veto: Shapley-Shubik 2/3, 1/6, 1/6; Banzhaf normalised 3/5, 1/5, 1/5 (by hand: a is pivotal
    # in 4 of 6 orders; swings a 3, b 1, c 1).
    parties = {name: {"veto": "none", "reservation": 0.5, "weights": {"s": 1},
                      "values": {"s": {"keep": 0.0, "lift": 1.0}}} for name in "abc"}
    data = {"negosim": 1, "name": "council", "draft": {"s": "lift"}, "parties": parties,
            "provisions": {"s": {"label": "S", "options": {"keep": {"label": "K", "status_quo": True},
                                                           "lift": {"label": "L"}}}},
            "consent": [{"id": "council", "label": "Council", "provisions": ["s"],
                         "rule": {"weighted": {"quota": 51, "weights": {"a": 50, "b": 49, "c": 1}}}}]}
    s = Scenario.model_validate(data)
    power = coalitions(s)["power"]
    assert set(power) == {"council", "deal"}
    for group in ("council", "deal"):
        got = power[group]
        assert [round(got[p]["shapley_shubik"], 12) for p in "abc"] == [round(x, 12) for x in (2 / 3, 1 / 6, 1 / 6)]
        assert [round(got[p]["banzhaf"], 12) for p in "abc"] == [0.6, 0.2, 0.2]
        assert [got[p]["swings"] for p in "abc"] == [3, 1, 1]
    path = tmp_path / "council.yaml"
    import negosim
    negosim.dump(s, path)
    res = run_cli("coalitions", str(path), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["power"]["council"]["a"]["swings"] == 3
    from negosim.cli.commands.coalitions import _print
    monkeypatch.setenv("COLUMNS", "80")
    _print(s, coalitions(s))
    text = capsys.readouterr().out
    assert "Veto power" in text and "0.667/0.600" in text and "Council" in text
    assert max(map(len, text.splitlines())) <= 80
