"""The no_deal section: a reservation derived from the expected course of fighting on.

A party with ``reservation: no_deal`` has as its reservation
``sum_o p_o U(x_o) - cost`` over the no-deal outcomes (docs/model.md, "No
deal"). These tests work the number out by hand on a two-party example, then
follow it through parameters, sampling, sweeps, distance to yes, beliefs,
bargaining and the report, check every format error through ``negosim
validate``, and compare the engine with the independent reference
(tests/reference.py) on random scenarios with a no_deal section.
"""

from __future__ import annotations

import copy
import re
from fractions import Fraction

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import negosim
from conftest import run_cli
from reference import Reference
from strategies_scenarios import scenarios
from test_reference_agreement import SETTINGS, check_agreement, load

# Two provisions, both with a status quo; Kyiv never cedes land (a red line), Moscow gets a
# bonus of 1/8 whenever land is ceded (a linkage).
#
#   package        U_kyiv = .75 land + .25 army       U_moscow = .5 land + .5 army (+ .125 if cede)
#   keep / free    .75 + .25 = 1                       0
#   keep / cap     .75                                 .5
#   cede / free    .25                                 .5 + .125 = .625
#   cede / cap     0                                   1 + .125 = 1.125
#
# No deal: the front holds (keep / free, the status quo) with p = .5, or Russia takes the land
# (cede / free) with p = .5; each side's cost of fighting on is .125.
#   r_kyiv   = .5 * 1 + .5 * .25  - .125 = .5    (the red line on cede does not apply: fighting
#                                                 brings the loss whether Kyiv signs it or not)
#   r_moscow = .5 * 0 + .5 * .625 - .125 = .1875 (the linkage counts: it is part of U)
# Kyiv accepts keep/free and keep/cap (>= .5); Moscow accepts keep/cap, cede/free and cede/cap
# (>= .1875). The zone is {keep/cap}; on the draft cede/free Kyiv rejects (.25 < .5, and its red
# line), Moscow accepts.
HAND = """\
negosim: 1
name: hand
provisions:
  land:
    label: Land
    options:
      keep: {label: Keep, status_quo: true}
      cede: {label: Cede}
  army:
    label: Army
    options:
      free: {label: Free, status_quo: true}
      cap: {label: Cap}
no_deal:
  description: fighting on
  outcomes:
    - id: stalemate
      label: Front holds
      p: 0.5
    - id: loss
      label: Russia takes the land
      p: 0.5
      package: {land: cede}
  cost:
    kyiv: 0.125
    moscow: 0.125
parties:
  kyiv:
    reservation: no_deal
    weights: {land: 0.75, army: 0.25}
    values: {land: {keep: 1, cede: 0}, army: {free: 1, cap: 0}}
    red_lines: [{id: no_cede, forbid: {land: cede}}]
  moscow:
    reservation: no_deal
    weights: {land: 0.5, army: 0.5}
    values: {land: {keep: 0, cede: 1}, army: {free: 0, cap: 1}}
    linkages: [{id: land_bonus, when: {land: cede}, bonus: 0.125}]
draft: {land: cede, army: free}
"""


def hand(**changes) -> dict:
    """The hand-worked scenario as a dict, with top-level keys replaced."""
    data = yaml.safe_load(HAND)
    data.update(changes)
    return data


def scenario(data: dict):
    return negosim.Scenario.model_validate(data)


def test_hand_worked_reservations_zone_and_draft():
    s = scenario(hand())
    cs = negosim.compile_scenario(s)
    assert cs.reservation.tolist() == [0.5, 0.1875]
    a = negosim.analyze(s, members=True)
    assert [cs.package_dict(cs.space.decode_one(int(i))) for i in a.members] == [{"land": "keep", "army": "cap"}]
    assert (a.draft["kyiv"].accepts, a.draft["moscow"].accepts) == (False, True)
    assert a.draft["kyiv"].reservation == 0.5 and a.draft["moscow"].margin == 0.625 - 0.1875
    # The reference, written from the definition, agrees on everything analyze reports.
    ref = check_agreement(s)
    assert ref.reservation == [Fraction(1, 2), Fraction(3, 16)]


def test_hand_worked_under_mean_of_addressed():
    # Army gets an option the plan may leave silent (absent); fighting on may end in it too.
    #   U_kyiv(keep, silent) = .75 * 1 / .75 = 1, U_kyiv(cede, free) = .25 (all addressed)
    #   r_kyiv = .5 * 1 + .5 * .25 - .125 = .5 again; U_moscow(keep, silent) = 0 / .5 = 0, so
    #   r_moscow = .5 * 0 + .5 * .625 - .125 = .1875.
    data = hand(aggregation="mean_of_addressed")
    data["provisions"]["army"]["options"]["silent"] = {"label": "Silent", "absent": True}
    for party in data["parties"].values():
        party["values"]["army"]["silent"] = 0.5
    data["no_deal"]["outcomes"][0]["package"] = {"army": "silent"}
    s = scenario(data)
    assert negosim.compile_scenario(s).reservation.tolist() == [0.5, 0.1875]
    check_agreement(s)


def test_probabilities_are_clipped_and_renormalised_after_a_parameter_effect():
    # escalation = .5 raises p(loss) by .5 * .5 = .25: p = (.5, .75), renormalised to (.4, .6).
    #   r_kyiv = .4 * 1 + .6 * .25 - .125 = .425;  r_moscow = .6 * .625 - .125 = .25
    # escalation = -2 lowers p(loss) to -.5, clipped to 0: p = (1, 0).
    #   r_kyiv = 1 - .125 = .875;  r_moscow = 0 - .125 = -.125 (a reservation below 0 is kept)
    # A second effect on Kyiv's cost: escalation = .5 adds .5 * .1 = .05 to it, -2 takes .2 off
    # (a cost below 0 is kept too: it is not clipped).
    data = hand(parameters={"escalation": {
        "label": "Escalation", "range": [-2, 1],
        "effects": [{"path": "no_deal.outcomes.loss.p", "per_unit": 0.5},
                    {"path": "no_deal.cost.kyiv", "per_unit": 0.1}]}})
    s = scenario(data)
    assert negosim.compile_scenario(s).reservation.tolist() == [0.5, 0.1875]  # value 0: no effect
    r = negosim.compile_scenario(s, {"escalation": 0.5}).reservation
    assert np.allclose(r, [0.425 - 0.05, 0.25], rtol=0, atol=1e-15)
    r = negosim.compile_scenario(s, {"escalation": -2.0}).reservation
    assert np.allclose(r, [0.875 + 0.2, -0.125], rtol=0, atol=1e-15)
    # Every probability driven to 0 is an error, as all-zero weights are.
    data["parameters"]["escalation"]["effects"].append({"path": "no_deal.outcomes.stalemate.p", "per_unit": 1.0})
    with pytest.raises(negosim.NegosimError, match="probabilities are all zero after parameter effects"):
        negosim.compile_scenario(scenario(data), {"escalation": -1.0})


def test_sampled_probability_and_cost_move_the_reservation():
    data = hand()
    data["no_deal"]["outcomes"][0]["p"] = {"low": 0.25, "high": 0.75}
    data["no_deal"]["outcomes"][1]["p"] = {"low": 0.25, "high": 0.75}
    data["no_deal"]["cost"]["kyiv"] = {"low": 0.0, "high": 0.25}
    from negosim.uncertainty.sampling import Sampler
    sm = Sampler(scenario(data))
    V = sm.draw(400, seed=3)
    t = sm.tables(V)
    ps, pl = V[:, sm.column("no_deal.outcomes.stalemate.p")], V[:, sm.column("no_deal.outcomes.loss.p")]
    cost = V[:, sm.column("no_deal.cost.kyiv")]
    assert ps.std() > 0.1 and pl.std() > 0.1 and cost.std() > 0.05  # really drawn
    # The utilities of the two outcomes are the hand-worked ones; p renormalised per draw.
    kyiv = (ps * 1.0 + pl * 0.25) / (ps + pl) - cost
    moscow = (ps * 0.0 + pl * 0.625) / (ps + pl) - 0.125
    assert np.allclose(t.reservation, np.stack([kyiv, moscow], axis=1), rtol=0, atol=1e-15)
    # Each draw compiles to the same reservation as its concrete scenario.
    s3 = sm.scenarios(V[:3])
    for k in range(3):
        assert np.allclose(negosim.compile_scenario(s3[k]).reservation, t.reservation[k], rtol=0, atol=1e-15)


def test_a_no_deal_section_leaves_the_other_numbers_draws_alone():
    # Draws are keyed by each number's path: adding no_deal changes no other number's draw.
    from negosim.uncertainty.sampling import Sampler
    plain = hand()
    del plain["no_deal"]
    for name, r in (("kyiv", 0.5), ("moscow", {"low": 0.1, "high": 0.3})):
        plain["parties"][name]["reservation"] = r
    plain["parties"]["kyiv"]["weights"]["land"] = {"low": 0.5, "high": 1.0}
    plain["parameters"] = {"k": {"label": "K", "range": [0, 1], "value": {"low": 0, "high": 1},
                                 "effects": [{"path": "parties.moscow.reservation", "per_unit": 0.1}]}}
    with_nd = copy.deepcopy(plain)
    with_nd["no_deal"] = hand()["no_deal"]
    with_nd["parties"]["kyiv"]["reservation"] = "no_deal"
    a, b = Sampler(scenario(plain)), Sampler(scenario(with_nd))
    Va, Vb = a.draw(50, seed=1), b.draw(50, seed=1)
    for path in ("parties.moscow.reservation", "parties.kyiv.weights.land", ("parameters", "k", "value")):
        assert (Va[:, a.column(path)] == Vb[:, b.column(path)]).all()
    # The existing columns keep their places; the no-deal numbers come last.
    assert b.paths[:len(a.paths) - 1] == [p for p in a.paths if p != ("parties", "kyiv", "reservation")]
    assert b.paths[len(a.paths) - 1:] == [("no_deal", "outcomes", 0, "p"), ("no_deal", "outcomes", 1, "p"),
                                          ("no_deal", "cost", "kyiv"), ("no_deal", "cost", "moscow")]


def test_sweep_axis_on_a_no_deal_cost():
    # On the draft keep/free Kyiv gets 1 (>= its .5) and Moscow 0, against r_moscow = .3125 - c:
    # Moscow accepts from c = .3125 on, with margin c - .3125.
    from negosim.sweep.run import run_sweep
    from negosim.sweep.spec import Sweep
    s = scenario(hand(draft={"land": "keep", "army": "free"}))
    spec = Sweep(scenario=s, axes={"no_deal.cost.moscow": {"values": [0.0, 0.25, 0.3125, 0.5]}})
    df = run_sweep(spec, workers=1)
    assert df["accepts_moscow"].tolist() == [False, False, True, True]
    assert np.allclose(df["margin_moscow"], [-0.3125, -0.0625, 0.0, 0.1875], rtol=0, atol=1e-12)
    assert df["accepts_kyiv"].all()


def test_axis_applier_sets_no_deal_numbers_in_arrays_and_in_the_scenario():
    # Bargaining sweeps take the row's scenario, the others its arrays: both must agree.
    from negosim.sweep.axes import AxisApplier
    s = scenario(hand())
    ap = AxisApplier(s, ["no_deal.cost.kyiv", "no_deal.outcomes.loss.p"])
    row = {"no_deal.cost.kyiv": 0.25, "no_deal.outcomes.loss.p": 1.5}  # p = (.5, 1.5) -> (.25, .75)
    want = [0.25 * 1 + 0.75 * 0.25 - 0.25, 0.75 * 0.625 - 0.125]
    assert np.allclose(ap.compiled(row).reservation, want, rtol=0, atol=1e-15)
    assert np.allclose(negosim.compile_scenario(ap.scenario_for(row)).reservation, want, rtol=0, atol=1e-15)


def test_sweep_and_effect_refuse_the_reservation_of_a_no_deal_party():
    from negosim.sweep.spec import Sweep, resolve
    s = scenario(hand())
    with pytest.raises(negosim.NegosimError, match=r"reservation of 'kyiv' is no_deal.*no_deal\.cost\.kyiv"):
        resolve(Sweep(scenario=s, axes={"parties.kyiv.reservation": {"values": [0.1, 0.2]}}))
    with pytest.raises(negosim.NegosimError, match=r"cost must lie in \[0, 1\]"):
        resolve(Sweep(scenario=s, axes={"no_deal.cost.kyiv": {"values": [0.1, 1.5]}}))
    with pytest.raises(negosim.NegosimError, match=r"p must lie in \[0, 1\]"):
        resolve(Sweep(scenario=s, axes={"no_deal.outcomes.loss.p": {"range": [-0.5, 0.5], "steps": 3}}))
    with pytest.raises(negosim.NegosimError, match=r"unknown no-deal outcome 'los' \(did you mean 'loss'"):
        resolve(Sweep(scenario=s, axes={"no_deal.outcomes.los.p": {"values": [0.1]}}))


def test_distance_to_yes_names_a_no_deal_number():
    # Without Kyiv's red line, with its cost in [0, .5] (point .25) and p(stalemate) = q in [0, 1]
    # (point .5; p(loss) stays .5): r_kyiv = (q * 1 + .5 * .25) / (q + .5) - c = .375 at the points.
    # The draft cede/free gives Kyiv .25 < .375: it rejects, and accepts once r_kyiv <= .25:
    #   through its cost: .625 - c <= .25  <=>  c >= .375 (a change of +.125, the closest);
    #   through q: (q + .125) / (q + .5) - .25 <= .25  <=>  q <= .25 (a change of -.25).
    from negosim.uncertainty.distance_to_yes import distance_to_yes
    data = hand()
    del data["parties"]["kyiv"]["red_lines"]
    data["no_deal"]["cost"]["kyiv"] = {"low": 0.0, "high": 0.5}
    data["no_deal"]["outcomes"][0]["p"] = {"low": 0.0, "high": 1.0}
    d = distance_to_yes(scenario(data))["kyiv"]
    assert not d.accepts
    assert d.flip.name == "no_deal.cost.kyiv" and abs(d.flip.to - 0.375) < 1e-9
    assert [f.name for f in d.alternatives] == ["no_deal.outcomes.stalemate.p"]
    # The acceptance tolerance (1e-9 on r) moves the flip by 1e-9 / (dr/dq = .375 / .75**2).
    assert abs(d.alternatives[0].to - (0.25 + 1.5e-9)) < 1e-10


def test_beliefs_about_a_no_deal_party_follow_its_believed_numbers():
    from negosim.bargaining.beliefs import Beliefs, perturbed_numbers
    s = scenario(hand())
    cs = negosim.compile_scenario(s)
    rng = np.random.default_rng(0)
    believed = perturbed_numbers(s, rng, noise=1.0, skip="kyiv")
    assert believed[("no_deal", "cost", "kyiv")] == 0.125  # the believer's own: exact
    assert believed[("no_deal", "cost", "moscow")] != 0.125  # the other's: believed
    assert ("no_deal", "outcomes", 0, "p") not in believed  # the world's: known to all
    b = Beliefs.private(s, cs, owner=0, rng=np.random.default_rng(0))
    assert b.view.reservation[0] == 0.5  # own reservation exact
    # Moscow's believed reservation is the derivation on Kyiv's believed numbers of Moscow.
    view = negosim.compile_scenario(s, overrides=perturbed_numbers(s, np.random.default_rng(0), skip="kyiv"))
    assert b.view.reservation[1] == view.reservation[1] != cs.reservation[1]


def test_bargaining_reads_the_derived_reservation_and_drift_adds_to_it():
    data = hand()
    data["parties"]["kyiv"]["drift"] = -0.01
    trace = negosim.simulate(scenario(data), seed=0, rounds=5).trace
    rows = trace[trace["party"] == "kyiv"]
    got = dict(zip(rows["round"], rows["reservation"]))
    assert abs(got[1] - 0.5) < 1e-12 and abs(got[3] - 0.48) < 1e-12


def test_bargaining_keeps_a_derived_reservation_below_zero_as_the_analysis_does():
    # Kyiv's cost of fighting on (1) exceeds what fighting brings it (.625): its fallback is -.375.
    # The analysis accepts down to it; the bargaining model must judge against the same number (it
    # clipped it to 0), and drift moves it from there.
    data = hand()
    data["no_deal"]["cost"]["kyiv"] = 1.0
    data["parties"]["kyiv"]["drift"] = -0.01
    s = scenario(data)
    derived = float(negosim.compile_scenario(s).reservation[0])
    assert abs(derived - (-0.375)) < 1e-12
    rows = negosim.simulate(s, seed=0, rounds=5).trace
    rows = rows[rows["party"] == "kyiv"]
    got = dict(zip(rows["round"], rows["reservation"]))
    assert abs(got[1] - derived) < 1e-12 and abs(got[3] - (derived - 0.02)) < 1e-12, got


def test_widen_spreads_no_deal_numbers():
    from negosim.uncertainty.sampling import widen
    w = widen(scenario(hand()), 0.05)
    assert w.no_deal.cost["kyiv"].bounds == (0.075, 0.175)
    assert w.no_deal.outcomes[1].p.bounds == (0.45, 0.55)


def test_report_shows_the_derived_reservation():
    from negosim.report import build_report
    html = build_report(scenario(hand()))
    assert "no deal: 0.500" in html and "no deal: 0.188" in html


@pytest.mark.parametrize("field", ["cost", "p"])
def test_cost_and_probability_are_held_to_their_declared_bounds(field):
    from negosim.scenario.numbers import FIELD_BOUNDS, bounds_text
    lo, hi, _ = FIELD_BOUNDS[field]

    def valid(v):
        data = hand()
        if field == "cost":
            data["no_deal"]["cost"]["kyiv"] = v
        else:  # keep the sum at 1
            data["no_deal"]["outcomes"][0]["p"], data["no_deal"]["outcomes"][1]["p"] = v, 1 - v
        try:
            scenario(data)
        except Exception:
            return False
        return True

    assert (lo, hi) == (0.0, 1.0) and bounds_text(field) == "[0, 1]"
    assert valid(lo) and valid(hi) and not valid(lo - 1e-9) and not valid(hi + 1e-9)


# --------------------------------------------------------------------------- format errors

def _lines(text: str, marker) -> int:
    """1-based line of the first line containing ``marker`` (``(marker, n)``: of the n-th such line)."""
    marker, n = marker if isinstance(marker, tuple) else (marker, 1)
    return [i for i, line in enumerate(text.splitlines(), 1) if marker in line][n - 1]


ERRORS = [
    # (name, text edit (old, new), marker of the line pointed at, message)
    ("no_section", (HAND[HAND.index("no_deal:"):HAND.index("parties:")], ""), "reservation: no_deal",
     "parties.kyiv.reservation: reservation: no_deal needs a top-level no_deal section"),
    ("missing_cost", ("    kyiv: 0.125\n", ""), "  cost:",
     "no_deal.cost: missing cost for party 'kyiv'"),
    ("unknown_cost_party", ("    kyiv: 0.125\n", "    kyiv: 0.125\n    kiev: 0.1\n"), "kiev: 0.1",
     "no_deal.cost.kiev: unknown party 'kiev' (did you mean 'kyiv'?"),
    ("p_sum", ("      p: 0.5\n      package", "      p: 0.25\n      package"), "  outcomes:",
     "no_deal.outcomes: the outcomes' probabilities sum to 0.75, not 1"),
    ("range_midpoint_sum", ("      p: 0.5\n      package", "      p: {low: 0.5, high: 1}\n      package"),
     "  outcomes:", "no_deal.outcomes: the outcomes' probabilities sum to 1.25, not 1"),
    ("unknown_provision", ("package: {land: cede}", "package: {lands: cede}"), "package: {lands",
     "no_deal.outcomes[1].package.lands: unknown provision 'lands' (did you mean 'land'?"),
    ("unknown_option", ("package: {land: cede}", "package: {land: give}"), "package: {land: give}",
     "no_deal.outcomes[1].package.land: unknown option 'give' of 'land'"),
    ("no_status_quo", ("free: {label: Free, status_quo: true}", "free: {label: Free}"), "- id: stalemate",
     "no_deal.outcomes[0].package: provision 'army' has no status-quo option"),
    ("duplicate_id", ("- id: loss", "- id: stalemate"), ("- id: stalemate", 2),
     "no_deal.outcomes[1].id: duplicate outcome id 'stalemate'"),
    ("bad_id", ("- id: loss", "- id: lo.ss"), "- id: lo.ss",
     "no_deal.outcomes[1].id: id 'lo.ss' must be letters, digits, '_' or '-'"),
    ("cost_bound", ("    kyiv: 0.125\n", "    kyiv: 1.5\n"), "kyiv: 1.5",
     "no_deal.cost.kyiv: must be between 0 and 1 (got 1.5)"),
    ("p_bound", ("      p: 0.5\n      package", "      p: 1.5\n      package"), "p: 1.5",
     "no_deal.outcomes[1].p: must be between 0 and 1 (got 1.5)"),
    ("no_outcomes", (HAND[HAND.index("  outcomes:"):HAND.index("  cost:")], "  outcomes: []\n"),
     "outcomes: []", "no_deal.outcomes: must not be empty"),
    ("effect_on_derived_reservation",
     ("draft:", "parameters:\n  k:\n    label: K\n    range: [0, 1]\n    effects:\n"
                "      - {path: parties.kyiv.reservation, per_unit: 0.1}\ndraft:"), "path: parties.kyiv",
     "the reservation of 'kyiv' is no_deal, computed from the no_deal section; use no_deal.cost.kyiv"),
    # The package's evidence (what the outcome brings), checked like a red line's.
    ("outcome_unknown_source", ("package: {land: cede}", "package: {land: cede}\n      source: A9\n"
                                "      quote: taken\n      supports: context"), "source: A9",
     "no_deal.outcomes[1].source: unknown source 'A9'"),
    ("outcome_grade_without_quote", ("package: {land: cede}", "package: {land: cede}\n      supports: implies"),
     "supports: implies", "no_deal.outcomes[1].supports: 'supports' grades a quote"),
    ("outcome_implies_without_claim", ("package: {land: cede}", "package: {land: cede}\n      source: A\n"
                                       "      quote: q\n      supports: implies"), "- id: loss",
     "no_deal.outcomes[1].claim: supports: implies needs the inference written in 'claim'"),
    ("effect_unknown_outcome",
     ("draft:", "parameters:\n  k:\n    label: K\n    range: [0, 1]\n    effects:\n"
                "      - {path: no_deal.outcomes.win.p, per_unit: 0.1}\ndraft:"), "path: no_deal",
     "unknown no-deal outcome 'win'"),
]


@pytest.mark.parametrize("name,edit,marker,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_validate_points_at_each_no_deal_error(tmp_path, name, edit, marker, message):
    old, new = edit
    assert old in HAND
    text = HAND.replace(old, new, 1)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    r = run_cli("validate", str(path))
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    m = re.match(rf"{re.escape(str(path))}:(\d+):(\d+): (.*)$", lines[0])
    assert m, lines[0]
    assert int(m.group(1)) == _lines(text, marker), lines[0]
    assert message in m.group(3), lines[0]


def test_an_unused_no_deal_section_is_a_warning(tmp_path):
    from negosim.errors import NoDealUnusedWarning
    with pytest.warns(NoDealUnusedWarning, match="no_deal section is unused"):
        scenario(yaml.safe_load(HAND.replace("reservation: no_deal", "reservation: 0.5")))
    path = tmp_path / "unused.yaml"
    path.write_text(HAND.replace("reservation: no_deal", "reservation: 0.5"))
    r = run_cli("validate", str(path))
    assert r.returncode == 0, r.stderr
    assert "the no_deal section is unused: no party has reservation: no_deal" in r.stderr
    used = tmp_path / "used.yaml"
    used.write_text(HAND)
    assert "no_deal section is unused" not in run_cli("validate", str(used)).stderr


def test_a_cost_of_a_party_without_a_no_deal_reservation_is_a_warning_at_its_line(tmp_path):
    # A cost for a party whose reservation is a number is never used: say so, where it is written.
    text = HAND.replace("  kyiv:\n    reservation: no_deal", "  kyiv:\n    reservation: 0.5")
    assert text != HAND
    path = tmp_path / "unused_cost.yaml"
    path.write_text(text)
    r = run_cli("validate", str(path))
    assert r.returncode == 0, r.stderr
    line = _lines(text, "    kyiv: 0.125")
    m = re.search(rf"{re.escape(str(path))}:{line}:(\d+): no_deal\.cost\.kyiv: (.*)", r.stderr)
    assert m, r.stderr
    assert "reservation is a number, not no_deal" in m.group(2) and "not used" in m.group(2), m.group(2)
    # Moscow's cost is used (its reservation is no_deal): no warning about it, nor on the original.
    assert "no_deal.cost.moscow" not in r.stderr
    used = tmp_path / "used.yaml"
    used.write_text(HAND)
    assert "no_deal.cost" not in run_cli("validate", str(used)).stderr
    from negosim.scenario.schema import unused_costs
    assert unused_costs(scenario(yaml.safe_load(text))) == ["kyiv"]
    assert unused_costs(scenario(hand())) == []


# --------------------------------------------------------------------------- against the reference

@st.composite
def with_no_deal(draw, **kw) -> dict:
    """A random scenario (tests/strategies_scenarios.py) with a no_deal section used by 1+ parties.

    Probabilities are eighths summing to 1 and costs eighths in [0, 1/2], so that with the
    quantised utilities the engine's reservation is exact in binary, as the reference's is.
    """
    data = draw(scenarios(**kw))
    provisions = data["provisions"]
    names = list(data["parties"])
    outcomes = []
    n = draw(st.integers(1, 3))
    cuts = sorted(draw(st.lists(st.integers(0, 8), min_size=n - 1, max_size=n - 1)))
    ps = [b - a for a, b in zip([0] + cuts, cuts + [8])]
    for k in range(n):
        package = {}
        for pid, prov in provisions.items():
            has_sq = any(o.get("status_quo") for o in prov["options"].values())
            if not has_sq or draw(st.booleans()):
                package[pid] = draw(st.sampled_from(list(prov["options"])))
        outcomes.append({"id": f"w{k}", "p": ps[k] / 8, "package": package})
    users = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    data["no_deal"] = {"outcomes": outcomes,
                       "cost": {name: draw(st.integers(0, 4)) / 8 for name in users}}
    for name in users:
        data["parties"][name]["reservation"] = "no_deal"
    # Parameter effects may target a user's cost (exact: eighths times eighths).
    effects = data.get("parameters", {}).get("k", {}).get("effects")
    if effects is not None:
        effects[:] = [e for e in effects if not e["path"].endswith(".reservation")
                      or e["path"].split(".")[1] not in users]
        effects.append({"path": f"no_deal.cost.{users[0]}", "per_unit": draw(st.integers(-4, 4)) / 8})
    return data


def check_reservations(s) -> None:
    ref = Reference(s)
    cs = negosim.compile_scenario(s)
    assert cs.reservation.tolist() == [float(r) for r in ref.reservation]


@settings(max_examples=80, **SETTINGS)
@given(with_no_deal(aggregation="weighted_sum"))
def test_agreement_with_no_deal_weighted_sum(data):
    s = load(data)
    check_reservations(s)
    check_agreement(s)


@settings(max_examples=30, **SETTINGS)
@given(with_no_deal(aggregation="mean_of_addressed"))
def test_agreement_with_no_deal_mean_of_addressed(data):
    s = load(data)
    ref = Reference(s)
    assert np.allclose(negosim.compile_scenario(s).reservation, [float(r) for r in ref.reservation],
                       rtol=0, atol=1e-15)
    check_agreement(s)


@settings(max_examples=30, **SETTINGS)
@given(with_no_deal(parameters=True))
def test_agreement_with_no_deal_and_parameters(data):
    s = load(data)
    check_reservations(s)
    check_agreement(s, top=3)


def test_a_child_that_sets_a_number_reservation_is_not_warned_about_the_parents_cost(tmp_path):
    # docs/examples/plan28_europe_low.yaml does this: the round's cost for Europe is inherited and
    # the number reservation replaces the derived one on purpose.
    parent = tmp_path / "parent.yaml"
    parent.write_text(HAND)
    child = tmp_path / "child.yaml"
    child.write_text("negosim: 1\nextends: parent.yaml\nname: child\nparties:\n  kyiv:\n    reservation: 0.5\n")
    r = run_cli("validate", str(child))
    assert r.returncode == 0, r.stderr
    assert "no_deal.cost.kyiv" not in r.stderr, r.stderr
    # Written in the same file as the cost, the number reservation is still warned about.
    both = tmp_path / "both.yaml"
    both.write_text(HAND.replace("  kyiv:\n    reservation: no_deal", "  kyiv:\n    reservation: 0.5"))
    assert "no_deal.cost.kyiv" in run_cli("validate", str(both)).stderr
