"""GENIUS and GeniusWeb import and export (negosim/formats), and agreement with NegMAS on small domains.

The domains in tests/data/genius are negosim's own (tests/data/genius/generate.py wrote
them in GENIUS's format); the expected utilities below are worked out by hand from the
XML with GENIUS's rules (evaluation / the issue's largest; slope * (x - lowerbound) +
offset), not by the reader. Agreement with NegMAS runs benchmarks/bench_genius.py's
comparison: it skips without NegMAS on a developer's machine and fails under CI.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from negosim.cli.main import main
from test_bench_agreement import need_negmas  # skips without NegMAS, fails under CI
from negosim.formats.domain import bare
from negosim.scenario.yaml_io import load_scenario

DATA = Path(__file__).resolve().parent / "data" / "genius"
DOMAINS = ["fruit", "trip", "office"]
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def _import(tmp_path, *paths, name="s.yaml", extra=()):
    out = tmp_path / name
    rc = main(["import", *map(str, paths), "-o", str(out), *extra])
    return rc, out


def _attr(text: str, tag: str, key: str, **match) -> list[str]:
    """Attribute values of the tags in an XML text (a plain regex: independent of the reader)."""
    import re
    found = []
    for m in re.finditer(rf"<{tag}\b([^>]*)>", text):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if all(attrs.get(k) == v for k, v in match.items()) and key in attrs:
            found.append(attrs[key])
    return found


def test_values_follow_genius_rules(tmp_path):
    rc, out = _import(tmp_path, DATA / "trip")
    assert rc == 0
    s = load_scenario(out).scenario
    xml = (DATA / "trip" / "trip_ann.xml").read_text()
    evals = [float(x) for x in _attr(xml, "item", "evaluation")][:3]  # City's three items
    ann = s.parties["ann"]
    for oid, e in zip(["paris", "rome", "oslo"], evals):
        assert ann.values["city"][oid].point == pytest.approx(e / max(evals), abs=1e-15)
    slope, offset = float(_attr(xml, "evaluator", "slope")[0]), float(_attr(xml, "evaluator", "offset")[0])
    for x in range(1, 5):  # lowerbound 1: x = 1 is worth the offset
        assert ann.values["weeks"][str(x)].point == pytest.approx(min(1, max(0, slope * (x - 1) + offset)))
    assert ann.reservation.point == 0.2
    # discount 0.8 over the session -> per round over the protocol's rounds
    assert ann.discount.point ** (s.protocol.rounds - 1) == pytest.approx(0.8)
    assert s.parties["bob"].discount.point == 1.0  # 1.0 in the file: no discounting
    bob = s.parties["bob"]  # weights sum to 0.99 in the file: rescaled
    assert math.fsum(w.point for w in bob.weights.values()) == pytest.approx(1.0, abs=1e-12)
    assert all(p.veto == "all" for p in s.parties.values())
    assert not any(o.status_quo for p in s.provisions.values() for o in p.options.values())


def test_missing_reservation_is_zero_and_an_assumption(tmp_path):
    rc, out = _import(tmp_path, DATA / "fruit")
    s = load_scenario(out).scenario
    seller = s.parties["seller"]
    assert seller.reservation.point == 0.0 and seller.reservation.assumption
    assert s.parties["buyer"].reservation.point == 0.3 and s.parties["buyer"].reservation.source


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_number_cites_its_file_and_validates(tmp_path, domain, capsys):
    from negosim.scenario.provenance import provenance
    rc, out = _import(tmp_path, DATA / domain)
    assert rc == 0
    assert main(["validate", str(out)]) == 0  # every quote found in its XML file
    report = provenance(load_scenario(out).scenario)
    assert report.unsourced == 0
    assert main(["analyze", str(out), "--quiet"]) == 0


def test_files_or_their_folder_give_the_same_scenario(tmp_path):
    files = sorted((DATA / "fruit").glob("*.xml"), reverse=True)  # the domain file is found by content
    rc, a = _import(tmp_path, *files, name="a.yaml")
    rc2, b = _import(tmp_path, DATA / "fruit", name="b.yaml")
    assert rc == rc2 == 0
    assert bare(load_scenario(a).scenario) == bare(load_scenario(b).scenario)


def test_a_changed_number_fails_the_quote_check(tmp_path, capsys):
    rc, out = _import(tmp_path, DATA / "fruit")
    text = out.read_text()
    xml = (DATA / "fruit" / "fruit_buyer.xml").read_text()
    w = _attr(xml, "weight", "value")[0]
    assert f'value="{w}"' in text
    out.write_text(text.replace(f'value="{w}"', 'value="0.123"', 1))
    assert main(["validate", str(out)]) == 2


@pytest.mark.parametrize("fmt", ["genius", "geniusweb"])
@pytest.mark.parametrize("domain", DOMAINS)
def test_round_trip(tmp_path, domain, fmt):
    rc, a = _import(tmp_path, DATA / domain, name="a.yaml")
    assert main(["export", str(a), "--format", fmt, "-o", str(tmp_path / "x")]) == 0
    rc, b = _import(tmp_path, tmp_path / "x", name="b.yaml")
    assert rc == 0
    assert main(["validate", str(b)]) == 0
    assert bare(load_scenario(a).scenario) == bare(load_scenario(b).scenario)


def test_geniusweb_reservation_bid_and_quotes(tmp_path):
    import json
    dom = {"name": "jobs", "issuesValues": {"salary": {"values": ["low", "mid", "high"]},
                                            "car": {"values": ["yes", "no"]}}}
    prof = {"LinearAdditiveUtilitySpace": {
        "name": "boss", "domain": dom, "issueWeights": {"salary": 0.75, "car": 0.25},
        "issueUtilities": {"salary": {"discreteutils": {"valueUtilities": {"low": 1.0, "mid": 0.5, "high": 0.0}}},
                           "car": {"discreteutils": {"valueUtilities": {"yes": 0.0, "no": 1.0}}}},
        "reservationBid": {"issuevalues": {"salary": "mid", "car": "yes"}}}}
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "jobs.json").write_text(json.dumps(dom))
    (tmp_path / "d" / "boss.json").write_text(json.dumps(prof, indent=2))
    rc, out = _import(tmp_path, tmp_path / "d")
    assert rc == 0 and main(["validate", str(out)]) == 0
    boss = load_scenario(out).scenario.parties["boss"]
    assert boss.reservation.point == pytest.approx(0.75 * 0.5 + 0.25 * 0.0)  # the bid's utility
    assert boss.values["salary"]["mid"].point == 0.5  # GeniusWeb utilities are not rescaled
    assert boss.weights["salary"].quote == '"salary": 0.75'


def test_malformed_json_is_one_line(tmp_path, capsys):
    (tmp_path / "p.json").write_text('{"LinearAdditiveUtilitySpace": {\n  "name": "x",,\n}}')
    rc, _ = _import(tmp_path, tmp_path / "p.json")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "p.json:2:" in err


@pytest.mark.parametrize("fmt", ["genius", "geniusweb"])
def test_export_refuses_what_the_formats_cannot_express(tmp_path, capsys, fmt):
    import yaml
    rc, a = _import(tmp_path, DATA / "fruit", name="a.yaml")
    doc = load_scenario(a).scenario.model_dump(mode="json", exclude_defaults=True)
    doc["parties"]["buyer"]["red_lines"] = [{"id": "no_figs", "forbid": {"fruit": "fig"}, "assumption": "test"}]
    doc["parties"]["seller"]["linkages"] = [{"id": "l", "when": {"fruit": "fig", "box": "crate"}, "bonus": 0.1}]
    a.write_text(yaml.safe_dump(doc))
    capsys.readouterr()
    assert main(["export", str(a), "--format", fmt, "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot express" in err and "red lines (party 'buyer')" in err and "linkages (party 'seller')" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_export_refuses_a_best_value_below_one(tmp_path, capsys):
    rc, a = _import(tmp_path, DATA / "fruit", name="a.yaml")
    text = a.read_text()
    # make every Box value of the buyer at most 0.5: GENIUS would rescale the best to 1
    s = load_scenario(a).scenario
    doc = s.model_dump(mode="json", exclude_defaults=True)
    for oid, v in doc["parties"]["buyer"]["values"]["box"].items():
        v["value"] = v["value"] / 2
    import yaml
    a.write_text(yaml.safe_dump(doc))
    assert text
    assert main(["export", str(a), "--format", "genius", "-o", str(tmp_path / "x")]) == 2
    assert "best is" in capsys.readouterr().err


@pytest.mark.parametrize("text,where", [
    ("<utility_space><objective>\n<issue name='a'>\n</objective>", ":3:3:"),
    ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<utility_space/>', ":2:"),
])
def test_malformed_or_hostile_xml_is_one_line(tmp_path, capsys, text, where):
    (tmp_path / "bad.xml").write_text(text)
    rc, _ = _import(tmp_path, tmp_path / "bad.xml")
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"bad.xml{where}" in err


def test_real_issue_needs_bins(tmp_path, capsys):
    dom = ('<negotiation_template><utility_space><objective index="0" name="r">'
           '<issue index="1" name="Price" type="real" lowerbound="0" upperbound="10"/>'
           '</objective></utility_space></negotiation_template>')
    prof = ('<utility_space><objective index="0" name="r"><issue index="1" name="Price" type="real" '
            'lowerbound="0" upperbound="10"><evaluator ftype="linear" slope="0.1" offset="0"/></issue>'
            '<weight index="1" value="1"/></objective></utility_space>')
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "r_domain.xml").write_text(dom)
    (tmp_path / "d" / "me.xml").write_text(prof)
    rc, _ = _import(tmp_path, tmp_path / "d")
    err = capsys.readouterr().err
    assert rc == 2 and "--bins" in err and len(err.strip().splitlines()) == 1
    rc, out = _import(tmp_path, tmp_path / "d", extra=["--bins", "3"])
    assert rc == 0
    vals = load_scenario(out).scenario.parties["me"].values["price"]
    assert [v.point for v in vals.values()] == pytest.approx([0.0, 0.5, 1.0])


@pytest.mark.parametrize("fmt", ["genius", "geniusweb"])
@pytest.mark.parametrize("domain", DOMAINS)
def test_agreement_with_negmas(tmp_path, domain, fmt):
    need_negmas()
    import warnings
    from bench_genius import compare, negmas_side, negosim_side
    folder = DATA / domain
    if fmt == "geniusweb":  # NegMAS loads negosim's GeniusWeb export of the same domain
        rc, a = _import(tmp_path, folder)
        assert main(["export", str(a), "--format", "geniusweb", "-o", str(tmp_path / "gw")]) == 0
        folder = tmp_path / "gw"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        checks = compare(negosim_side(folder), negmas_side(folder))
    failed = [f"{c['check']}: {c['detail']}" for c in checks if not c["ok"] and not c["convention"]]
    assert failed == []
    assert {c["check"] for c in checks} >= {"outcomes", "rational set", "Pareto front", "nash", "utilitarian"}
    # the Pareto front, Nash and welfare points agree exactly on these domains, conventions aside
    assert all(c["ok"] for c in checks if c["check"] in ("outcomes", "utilities", "rational set",
                                                            "Pareto front", "nash", "egalitarian", "utilitarian"))


# --------------------------------------------------------------------------- tournament

def test_tournament_round_robin_on_an_imported_domain(tmp_path, capsys):
    import json

    import numpy as np

    from negosim.bargaining.registry import STRATEGY_NAMES
    from negosim.bargaining.simulate import simulate
    from negosim.engine.compiled import compile_scenario
    rc, out = _import(tmp_path, DATA / "fruit")
    capsys.readouterr()
    assert main(["run", str(out), "--tournament", "--seeds", "2", "--json"]) == 0
    t = json.loads(capsys.readouterr().out)
    pairs = [(r["first"], r["second"]) for r in t["rows"]]
    assert pairs == [(a, b) for a in STRATEGY_NAMES for b in STRATEGY_NAMES]
    # An independent reference: the zone's Pareto front and Nash point by brute force over every package.
    s = load_scenario(out).scenario
    cs = compile_scenario(s)
    U = cs.score(cs.space.all()).util.T
    r = np.asarray(cs.reservation)
    zone = U[(U >= r - 1e-9).all(axis=1)]
    front = np.array([u for u in zone if not ((zone >= u).all(axis=1) & (zone > u).any(axis=1)).any()])
    nash = zone[np.argmax(np.prod(np.maximum(zone - r, 0), axis=1))]
    assert np.allclose(t["nash"], nash)
    p1, p2 = s.parties
    for row in t["rows"][:6] + t["rows"][-6:]:
        outs, deals = [], 0
        for seed in range(2):
            res = simulate(s, protocol="alternating_offers", seed=seed, strategies={p1: row["first"], p2: row["second"]})
            deals += res.agreement
            outs.append([res.utilities[p1], res.utilities[p2]] if res.agreement else list(r))  # no deal: reservations
        outs = np.array(outs)
        assert row["agreement_rate"] == deals / 2
        assert row["utility_first"] == pytest.approx(outs[:, 0].mean())
        assert row["utility_second"] == pytest.approx(outs[:, 1].mean())
        assert row["distance_nash"] == pytest.approx(np.linalg.norm(outs - nash, axis=1).mean())
        want = np.mean([np.linalg.norm(front - o, axis=1).min() for o in outs])
        assert row["distance_pareto"] == pytest.approx(want)


def test_tournament_needs_a_bilateral_scenario(tmp_path, capsys):
    rc, out = _import(tmp_path, DATA / "trip")
    capsys.readouterr()
    assert main(["run", str(out), "--tournament", "--seeds", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "bilateral" in err and len(err.splitlines()) == 1


# --------------------------------------------------------------------------- NegMAS YAML folders

NEGMAS_DOMAIN = """type: DiscreteCartesianOutcomeSpace
name: shop_domain
issues:
- name: Item
  type: CategoricalIssue
  values: [tea, coffee, cocoa]
- name: Cups
  type: ContiguousIssue
  values: [1, 3]
"""
NEGMAS_UFUN = """type: LinearAdditiveUtilityFunction
name: shop_{who}
reserved_value: {r}
bias: 0.5
weights:
- 2.0
- 1.0
values:
- type: TableFun
  mapping: {{tea: {t}, coffee: 4.0, cocoa: 1.0}}
- type: AffineFun
  slope: {slope}
  bias: 1.0
"""


def _negmas_folder(tmp_path) -> Path:
    d = tmp_path / "nm"
    d.mkdir()
    (d / "shop_domain.yml").write_text(NEGMAS_DOMAIN)
    (d / "shop_a.yml").write_text(NEGMAS_UFUN.format(who="a", r=6.0, t=2.0, slope=0.5))
    (d / "shop_b.yml").write_text(NEGMAS_UFUN.format(who="b", r=3.5, t=8.0, slope=-1.0))
    return d


def test_negmas_yaml_is_rescaled_per_party(tmp_path):
    rc, out = _import(tmp_path, _negmas_folder(tmp_path))
    assert rc == 0 and main(["validate", str(out)]) == 0
    a = load_scenario(out).scenario.parties["a"]
    # By hand: c_Item = 2 * (2, 4, 1) = (4, 8, 2), range 6; c_Cups = 0.5 * x + 1 at 1..3 = (1.5, 2, 2.5), range 1.
    assert [v.point for v in a.values["item"].values()] == pytest.approx([2 / 6, 1.0, 0.0])
    assert [v.point for v in a.values["cups"].values()] == pytest.approx([0.0, 0.5, 1.0])
    assert a.weights["item"].point == pytest.approx(6 / 7) and a.weights["cups"].point == pytest.approx(1 / 7)
    # utility = 0.5 + 2 + 1.5 + 7 u'  ->  reservation (6 - 4) / 7
    assert a.reservation.point == pytest.approx(2 / 7)


def test_malformed_negmas_yaml_is_one_line(tmp_path, capsys):
    d = _negmas_folder(tmp_path)
    (d / "shop_b.yml").write_text("type: LinearAdditiveUtilityFunction\nweights: [1.0\n")
    rc, _ = _import(tmp_path, d)
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "shop_b.yml:" in err


@pytest.mark.parametrize("domain", DOMAINS)
def test_agreement_with_negmas_on_its_own_yaml(tmp_path, domain):
    need_negmas()
    import warnings
    from negmas.inout import Scenario as NegmasScenario

    from bench_genius import compare, negmas_side, negosim_side
    folder = tmp_path / "nm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        NegmasScenario.load(DATA / domain, ignore_discount=True).dumpas(folder, type="yml")
        rc, out = _import(tmp_path, folder)
        assert rc == 0 and main(["validate", str(out)]) == 0
        checks = compare(negosim_side(folder), negmas_side(folder))
    assert [c for c in checks if not c["ok"] and not c["convention"]] == []
    # a per-party affine rescaling keeps these exactly (egalitarian and utilitarian may move: a convention)
    assert all(c["ok"] for c in checks if c["check"] in ("outcomes", "utilities", "rational set", "Pareto front",
                                                            "nash"))
