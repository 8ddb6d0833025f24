"""Ratification (two-level games, Putnam 1988): signature and ratification told apart.

- hand-worked scenarios whose answers are worked out in the comments (analysis, JSON,
  terminal, uncertainty, bargaining, parameters);
- errors at file:line:col for bad ratifiers;
- the engine against the independent reference (tests/reference.py) on random scenarios.
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negosim
from conftest import run_cli
from reference import QUANTUM, Reference
from strategies_scenarios import scenarios, write_scenario
from test_reference_agreement import SETTINGS, load

from negosim.engine.ratification import Ratifiers, ratify


def opts(*ids, sq=None):
    return {"label": "P", "options": {o: {"label": o.upper(), **({"status_quo": True} if o == sq else {})}
                                      for o in ids}}


# Two provisions a (sanctions: keep*, lift) and b (aid: none*, grant); * the status quo.
# Package index = 2 * a + b: 0 keep/none, 1 keep/grant, 2 lift/none, 3 lift/grant.
TWO_LEVEL = {
    "negosim": 1, "name": "two-level",
    "provisions": {"a": opts("keep", "lift", sq="keep"), "b": opts("none", "grant", sq="none")},
    "parties": {
        # u = .5 v_a + .5 v_b: 0 .25, 1 .75, 2 0, 3 .5 (>= .25: accepts 0, 1, 3).
        "ua": {"reservation": 0.25, "weights": {"a": 0.5, "b": 0.5},
               "values": {"a": {"keep": 0.5, "lift": 0.0}, "b": {"none": 0.0, "grant": 1.0}},
               # The Rada weighs sanctions three times aid: .75 v_a + .25 v_b:
               # 0 .375, 1 .625, 2 0, 3 .25; approves (>= .5) only 1.
               "ratifier": {"label": "Rada", "threshold": 0.5, "weights": {"a": 3, "b": 1}}},
        # u = .5 v_a + .5 v_b: 0 .5, 1 .25, 2 1, 3 .75 (>= .25: accepts 0 .. 3).
        "ru": {"reservation": 0.25, "weights": {"a": 0.5, "b": 0.5},
               "values": {"a": {"keep": 0.5, "lift": 1.0}, "b": {"none": 1.0, "grant": 0.5}}},
        # needed only when b moves; its own utility and its Congress (same weights, threshold .6):
        # u = v_b: 0 1, 1 .5, 2 1, 3 .5 (>= .5: accepts all); Congress approves 0 and 2 only.
        "us": {"reservation": 0.5, "veto": ["b"], "weights": {"a": 0, "b": 1},
               "values": {"b": {"none": 1.0, "grant": 0.5}},
               "ratifier": {"label": "Congress", "threshold": 0.6}},
    },
    "draft": {"a": "keep", "b": "grant"},
}
# The zone: ua and ru accept 0, 1, 3; us is needed for 1 and 3 and accepts: zone {0, 1, 3}.
# Ratified: 0 (us not needed, Rada .375 < .5: no), 1 (Rada .625 yes; us needed, Congress .5 < .6: no),
# 3 (Rada .25 no). No package is ratified; with Congress at .5, package 1 is.


def analyze_json(data, *extra):
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        path = write_scenario(data, Path(d))
        r = run_cli("analyze", str(path), "--json", *extra)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)


def test_hand_two_level_analysis():
    a = negosim.analyze(load(TWO_LEVEL))
    assert a.zone_size == 3 and a.draft_accepted
    draft = a.ratification["draft"]
    assert (draft.signed, draft.ratified, draft.status) == (True, False, "signed_not_ratified")
    assert draft.ratifiers["ua"].utility == 0.625 and draft.ratifiers["ua"].approves
    assert draft.ratifiers["us"].utility == 0.5 and not draft.ratifiers["us"].approves
    assert draft.blocked_by == ["us"]
    # Every package the reference enumerates: the Rada and Congress rows as worked out above.
    ref = Reference(load(TWO_LEVEL))
    assert [ref.ratifier_util[i][0] for i in range(4)] == [Fraction(3, 8), Fraction(5, 8), 0, Fraction(1, 4)]
    assert ref.zone == [0, 1, 3] and ref.ratified == []
    low = copy.deepcopy(TWO_LEVEL)
    low["parties"]["us"]["ratifier"]["threshold"] = 0.5
    assert Reference(load(low)).ratified == [1]
    b = negosim.analyze(load(low))
    assert b.ratification["draft"].ratified and b.ratification["draft"].status == "ratified"


def test_hand_two_level_json_keeps_keys_and_adds_new_ones():
    out = analyze_json(TWO_LEVEL)
    for key in ("space_size", "zone_size", "draft", "draft_accepted", "solutions", "repairs", "meta"):
        assert key in out
    assert out["draft_accepted"] is True and out["draft_signed"] is True and out["draft_ratified"] is False
    assert out["draft"]["ua"]["ratifier"]["approves"] is True
    assert out["draft"]["us"]["ratifier"] == {
        "label": "Congress", "utility": 0.5, "threshold": 0.6, "margin": pytest.approx(-0.1), "approves": False,
        "needed": True, "accepts": True, "reason": "Congress: utility 0.500 is 0.100 short of threshold 0.600"}
    assert "ratifier" not in out["draft"]["ru"]
    assert out["ratification"]["draft"]["blocked_by"] == ["us"]
    for name, sol in out["solutions"].items():
        if sol is not None:
            assert sol["signed"] is True and sol["ratified"] is False
            assert out["ratification"][name]["status"] == "signed_not_ratified"
    # A scenario without ratifiers gains no key.
    plain = copy.deepcopy(TWO_LEVEL)
    for p in plain["parties"].values():
        p.pop("ratifier", None)
    out = analyze_json(plain)
    assert not {"draft_signed", "draft_ratified", "ratification"} & set(out)


def test_terminal_tells_signed_not_ratified(tmp_path):
    path = write_scenario(TWO_LEVEL, tmp_path)
    r = run_cli("analyze", str(path))
    assert r.returncode == 0, r.stderr
    assert "Ratification: draft signed, not ratified (us: Congress refuses: 0.500 < 0.600)" in r.stdout


def test_parameter_moves_the_threshold():
    # A parameter lowering Congress's threshold by .1 per unit: at 1 the draft (package 1) is ratified.
    data = copy.deepcopy(TWO_LEVEL)
    data["parameters"] = {"k": {"label": "K", "range": [0, 1], "value": 0,
                                "effects": [{"path": "parties.us.ratifier.threshold", "per_unit": -0.1}]}}
    s = load(data)
    assert not negosim.analyze(s).ratification["draft"].ratified
    assert negosim.analyze(s, params={"k": 1.0}).ratification["draft"].ratified
    ref = Reference(s)  # the reference applies the effect at the parameter's own value (0)
    assert ref.ratified == []


def test_own_weights_default_to_the_party():
    # Congress has no weights of its own: its utility is the party's, bit for bit, on every package.
    s = load(TWO_LEVEL)
    cs = negosim.compile_scenario(s)
    util, thr = Ratifiers(s).scores(cs.space.all())
    assert (util[0, 1] == cs.score(cs.space.all()).util[2]).all() and thr[0].tolist() == [0.5, 0.6]


def test_probability_of_ratification_counts_the_draws():
    # Congress's threshold uniform on [0.3, 0.7]: the draft (its utility .5) is ratified in the draws
    # where the drawn threshold is at most .5 (+ tolerance); the Rada always approves it (.625 >= .5).
    from negosim.uncertainty.acceptance import acceptance_report
    from negosim.uncertainty.sampling import Sampler
    data = copy.deepcopy(TWO_LEVEL)
    data["parties"]["us"]["ratifier"]["threshold"] = {"low": 0.3, "high": 0.7, "assumption": "test"}
    s = load(data)
    rep = acceptance_report(s, 400, seed=3, robust=False)
    V = Sampler(s).draw(400, seed=3)
    col = Sampler(s).column("parties.us.ratifier.threshold")
    want = int((V[:, col] <= 0.5 + 1e-9).sum())
    draft = rep.packages[0]
    assert draft.name == "draft" and draft.all.k == 400
    assert draft.ratified.k == want and 120 < want < 280
    assert rep.to_json()["packages"][0]["ratified"]["draws"] == want


def test_bargaining_ends_with_ratification(tmp_path):
    from negosim.bargaining.simulate import simulate
    from negosim.brief import run_summary
    r = simulate(load(TWO_LEVEL), protocol="single_text", seed=0, rounds=30, information="complete")
    assert r.agreement
    pkg = r.model.agreement
    ref = Reference(load(TWO_LEVEL))
    idx = ref.packages.index(tuple(int(v) for v in pkg))
    want = "ratified" if idx in ref.ratified else "signed_not_ratified"
    assert r.ratification == want == "signed_not_ratified"
    assert r.trace["ratification"].iloc[-1] == "signed_not_ratified"
    assert set(r.trace["ratification"].iloc[:-len(r.model.party_list)]) <= {""}
    assert r.to_json()["ratification"]["ratified"] is False
    assert any(line.startswith("Ratification: signed, not ratified") for line in run_summary(load(TWO_LEVEL), r))
    assert any("Ratification: signed, not ratified" in line for line in r.story)
    # With Congress at .5, a deal on package 1 (the draft) is ratified.
    low = copy.deepcopy(TWO_LEVEL)
    low["parties"]["us"]["ratifier"]["threshold"] = 0.5
    r = simulate(load(low), protocol="single_text", seed=0, rounds=30, information="complete")
    idx = ref.packages.index(tuple(int(v) for v in r.model.agreement))
    assert r.ratification == ("ratified" if idx in Reference(load(low)).ratified else "signed_not_ratified")
    # No ratifier: no ratification key, no trace column.
    plain = copy.deepcopy(TWO_LEVEL)
    for p in plain["parties"].values():
        p.pop("ratifier", None)
    r = simulate(load(plain), protocol="single_text", seed=0, rounds=30)
    assert r.ratification is None and "ratification" not in r.to_json() and "ratification" not in r.trace


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("change, message", [
    (lambda d: d["parties"]["ua"]["ratifier"]["weights"].update(c=1), "unknown provision 'c'"),
    (lambda d: d["parties"]["ua"]["ratifier"]["weights"].pop("b"), "missing weight for provision 'b'"),
    (lambda d: d["parties"]["ua"]["ratifier"].update(threshold=1.5), "threshold"),
    (lambda d: d["parties"]["ua"]["ratifier"].pop("label"), "label"),
    (lambda d: d["parties"]["us"]["ratifier"].update(weights={"a": 1, "b": 0}), "needs a value for option 'a.keep'"),
    (lambda d: d["parties"]["ua"]["ratifier"].update(weights={"a": 0, "b": 0}), "weights must not all be zero"),
    (lambda d: d.update(parameters={"k": {"label": "K", "range": [0, 1], "effects": [
        {"path": "parties.ru.ratifier.threshold", "per_unit": 1}]}}), "party 'ru' has no ratifier"),
    (lambda d: d.update(parameters={"k": {"label": "K", "range": [0, 1], "effects": [
        {"path": "parties.us.ratifier.weights.a", "per_unit": 1}]}}), "has no weights of its own"),
])
def test_bad_ratifier_is_an_error_at_its_place(tmp_path, change, message):
    assert_error_at(TWO_LEVEL, change, message, tmp_path)


def assert_error_at(data, change, message: str, folder) -> None:
    """``validate`` of ``data`` changed by ``change`` fails with one line ``file:line:col: ...message...``."""
    data = copy.deepcopy(data)
    change(data)
    path = write_scenario(data, folder)
    r = run_cli("validate", str(path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith(f"{path}:") and line.split(":")[1].isdigit() and line.split(":")[2].isdigit(), line
    assert message in line, line


# --------------------------------------------------------------------------- against the reference

@st.composite
def with_ratifiers(draw, **kw):
    """A random scenario (tests/strategies_scenarios.py) where some parties have a ratifier."""
    data = draw(scenarios(**kw))
    names = list(data["parties"])
    mean = data["aggregation"] == "mean_of_addressed"
    for name in names:
        if not draw(st.booleans()):
            continue
        rat = {"label": f"R{name}", "threshold": float(draw(st.integers(0, 8))) / 8}
        kind = draw(st.sampled_from(["party", "other", "own"]))
        if kind == "other":  # another party's weights (under mean_of_addressed: still exact eighths)
            rat["weights"] = dict(data["parties"][draw(st.sampled_from(names))]["weights"])
        elif kind == "own" and not mean:
            w = {p: float(draw(st.integers(0, 4))) for p in data["provisions"]}
            if sum(w.values()) == 0:
                w[next(iter(w))] = 1.0
            rat["weights"] = w
        data["parties"][name]["ratifier"] = rat
    owners = [n for n in names if "ratifier" in data["parties"][n]]
    if owners and "parameters" in data and draw(st.booleans()):
        data["parameters"]["k"]["effects"].append(
            {"path": f"parties.{draw(st.sampled_from(owners))}.ratifier.threshold", "per_unit": 0.25})
    return data


def check(scenario):
    try:
        ref = Reference(scenario)
    except ValueError:  # a parameter drove every weight of a party to zero
        return
    cs = negosim.compile_scenario(scenario)
    rat = Ratifiers(scenario)
    X = cs.space.all()
    util, thr = rat.scores(X)
    approve = rat.approves(X)[0]
    n_terms = len(ref.provisions) + max(len(p.linkages) for p in scenario.parties.values())
    tol = n_terms * float(QUANTUM) + 1e-15
    for r, p in enumerate(rat.owner_index):
        want = np.array([float(ref.ratifier_util[i][p]) for i in range(len(X))])
        assert np.abs(util[0, r] - want).max() <= tol
    assert (approve.T == np.array(ref.approves)).all()
    a = negosim.analyze(scenario, top=0)
    if not rat:
        assert a.ratification is None
        return
    named = {"draft": ref.draft_index(), **{k: v for k, v in ref.solutions.items() if v is not None}}
    assert set(a.ratification) == set(named)
    for name, i in named.items():
        assert a.ratification[name].signed == (i in ref.zone), name
        assert a.ratification[name].ratified == (i in ref.ratified), name
    # every package at once, through the same function as the analysis
    everything = ratify(scenario, {i: X[i] for i in range(len(X))}, cs=cs, ratifiers=rat)
    assert [i for i, v in everything.items() if v.ratified] == ref.ratified


@settings(max_examples=80, **SETTINGS)
@given(with_ratifiers(aggregation="weighted_sum"))
def test_agreement_weighted_sum(data):
    check(load(data))


@settings(max_examples=30, **SETTINGS)
@given(with_ratifiers(aggregation="mean_of_addressed"))
def test_agreement_mean_of_addressed(data):
    check(load(data))


@settings(max_examples=30, **SETTINGS)
@given(with_ratifiers(parameters=True))
def test_agreement_with_parameters(data):
    check(load(data))


def test_sweep_over_a_threshold_reports_ratification(tmp_path):
    # Congress's threshold from .4 to .6: the draft (its utility .5, the Rada's .625 >= .5) is ratified
    # up to .5 and not above; signed throughout.
    import pandas as pd
    write_scenario(TWO_LEVEL, tmp_path, "two.yaml")
    spec = tmp_path / "sweep.yaml"
    spec.write_text("scenario: two.yaml\ntask: analyze\nscope: draft\ndesign: grid\n"
                    "axes:\n  parties.us.ratifier.threshold: {values: [0.4, 0.5, 0.55, 0.6]}\n")
    out = tmp_path / "rows.parquet"
    r = run_cli("sweep", str(spec), "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    df = pd.read_parquet(out).sort_values("parties.us.ratifier.threshold")
    assert df["draft_accepted"].tolist() == [True] * 4
    assert df["draft_ratified"].tolist() == [True, True, False, False]
