"""Consent rules (docs/model.md, "Consent rules"): hand-worked cases of each kind, and the
sampler's and the bargaining model's agreement decided by the same rules as the analysis.

The hand cases have one provision ``s`` (``keep``, the status quo, or ``lift``) and parties
that value ``lift`` at 1 or 0 with reservation 0.5 and no veto: each accepts exactly one of
the two packages, so which parties accept ``lift`` is written in the case, and whether
``lift`` is agreed follows from the rule by hand. ``keep`` touches no rule over ``s``.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import negosim
from negosim.engine.analysis import all_needed_accept, verdict
from negosim.scenario.schema import ConsentRule, Scenario
from strategies_scenarios import scenarios


def hand(yes: list[str], no: list[str], rule: dict, provisions="s") -> Scenario:
    """Parties ``yes`` accept lift (not keep), parties ``no`` accept keep (not lift); one rule."""
    parties = {}
    for name in yes + no:
        lift = 1.0 if name in yes else 0.0
        parties[name] = {"veto": "none", "reservation": 0.5, "weights": {"s": 1},
                         "values": {"s": {"keep": 1.0 - lift, "lift": lift}}}
    data = {"negosim": 1, "name": "hand", "draft": {"s": "lift"}, "parties": parties,
            "provisions": {"s": {"label": "S", "options": {"keep": {"label": "K", "status_quo": True},
                                                           "lift": {"label": "L"}}}},
            "consent": [{"id": "r", "provisions": [provisions] if provisions != "all" else "all", "rule": rule}]}
    return Scenario.model_validate(data)


def lift_agreed(s: Scenario) -> bool:
    """Whether ``lift`` is in the zone, by the exact analysis; checked against the verdicts and the scorer."""
    a = negosim.analyze(s, members=True)
    cs = a.compiled
    lift = cs.space.encode_one(cs.package_from_dict({"s": "lift"}))
    in_zone = lift in a.members.tolist()
    assert a.draft_accepted == in_zone == all_needed_accept(verdict(cs, cs.draft))
    assert bool(cs.score(cs.space.all()).in_zone[lift]) == in_zone
    return in_zone


def test_unanimity_needs_every_member():
    # a and b accept lift, c does not: unanimity of {a, b} holds, of {a, b, c} fails.
    assert lift_agreed(hand(["a", "b"], ["c"], {"unanimity": ["a", "b"]}))
    s = hand(["a", "b"], ["c"], {"unanimity": ["a", "b", "c"]})
    assert not lift_agreed(s)
    a = negosim.analyze(s)
    assert a.draft["c"].needed and a.zone_size == 1  # keep touches nothing: agreed by nobody's veto
    assert "draft_consent" not in a.to_json()  # unanimity is held as needed consent


@pytest.mark.parametrize("k, agreed", [(1, True), (2, True), (3, False)])
def test_k_of_n(k, agreed):
    # Two of the three members accept lift.
    s = hand(["a", "b"], ["c"], {"k_of_n": {"k": k, "of": ["a", "b", "c"]}})
    assert lift_agreed(s) is agreed
    assert negosim.analyze(s).to_json()["draft_consent"] == {"r": agreed}


def test_weighted_quota_met_exactly_in_decimals():
    # a (0.7) and b (0.1) accept: 0.8 of quota 0.8, met exactly; in binary 0.7 + 0.1 < 0.8.
    assert 0.7 + 0.1 < 0.8
    assert lift_agreed(hand(["a", "b"], ["c"], {"weighted": {"quota": 0.8, "weights": {"a": 0.7, "b": 0.1, "c": 0.2}}}))
    assert not lift_agreed(hand(["a", "b"], ["c"], {"weighted": {"quota": 0.81,
                                                                  "weights": {"a": 0.7, "b": 0.1, "c": 0.2}}}))
    # The textbook game [51; 50, 49, 1]: 50 + 1 wins, 49 + 1 does not.
    game = {"weighted": {"quota": 51, "weights": {"a": 50, "b": 49, "c": 1}}}
    assert lift_agreed(hand(["a", "c"], ["b"], game))
    assert not lift_agreed(hand(["b", "c"], ["a"], game))


def test_double_majority_both_quotas():
    pop = {"de": 83.5, "fr": 68.2, "be": 11.8}
    rule = {"double": {"states": 0.55, "population": 0.65, "population_of": pop}}
    # de + fr: 2 of 3 states, 151.7 of 163.5 (93 %): both quotas met.
    assert lift_agreed(hand(["de", "fr"], ["be"], rule))
    # fr + be: 2 of 3 states, but 80.0 of 163.5 (49 %) of the population.
    assert not lift_agreed(hand(["fr", "be"], ["de"], rule))
    # de alone: 51 % of the population, 1 of 3 states.
    rule["double"]["population"] = 0.5
    assert not lift_agreed(hand(["de"], ["fr", "be"], rule))


def test_double_majority_share_met_by_a_whole_number_of_members():
    # 14 of 25 members are exactly 56 %; 0.56 * 25 is 14.000000000000002 in binary.
    assert 0.56 * 25 > 14
    names = [f"m{i}" for i in range(25)]
    rule = {"double": {"states": 0.56, "population": 0.5, "population_of": {m: 1 for m in names}}}
    assert lift_agreed(hand(names[:14], names[14:], rule))
    assert not lift_agreed(hand(names[:13], names[13:], rule))


def test_rule_over_all_provisions_is_touched_by_every_package():
    # The status quo touches a rule over all: keep is agreed only if 2 of 3 accept keep (one does).
    s = hand(["a", "b"], ["c"], {"k_of_n": {"k": 2, "of": ["a", "b", "c"]}}, provisions="all")
    a = negosim.analyze(s, members=True)
    assert a.members.tolist() == [a.compiled.space.encode_one(a.compiled.package_from_dict({"s": "lift"}))]


def test_rule_members_are_bargainers():
    # Nobody has a veto; the rule counts a and b only, so c's gains are left out of the Nash product.
    s = hand(["a", "b"], ["c"], {"k_of_n": {"k": 1, "of": ["a", "b"]}})
    cs = negosim.compile_scenario(s)
    assert cs.vetoing.tolist() == [True, True, False]


def test_consent_rule_python_side():
    r = ConsentRule.model_validate({"id": "q", "provisions": ["s"], "rule": {"k_of_n": {"k": 2, "of": ["a", "b", "c"]}}})
    assert r.members() == ["a", "b", "c"] and r.kind == "k_of_n"
    assert r.satisfied_by({"a", "c", "x"}) and not r.satisfied_by({"b", "x"})
    assert r.touched_by(["s"]) and not r.touched_by(["t"])


def test_bargaining_deal_respects_a_quota_rule():
    # Without the rule nobody's consent is needed and the draft (lift) is a deal in round 1;
    # with 3 of 3 required, c blocks lift, and the only deal is keep.
    s = hand(["a", "b"], ["c"], {"k_of_n": {"k": 3, "of": ["a", "b", "c"]}})
    free = Scenario.model_validate({**s.model_dump(mode="json", exclude_none=True), "consent": []})
    assert negosim.simulate(free, protocol="single_text", information="complete").package == {"s": "lift"}
    r = negosim.simulate(s, protocol="single_text", information="complete")
    assert r.package in (None, {"s": "keep"})
    assert r.agreement and r.package == {"s": "keep"}


# --------------------------------------------------------------------------- sampling

def with_ranges(data: dict) -> dict:
    """Every party's reservation as a range of +-0.1 around it (so draws differ)."""
    data = copy.deepcopy(data)
    for party in data["parties"].values():
        r = party["reservation"]
        party["reservation"] = {"low": max(0.0, r - 0.1), "high": min(1.0, r + 0.1)}
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios(aggregation="weighted_sum", consent=True, parameters=False))
def test_sampler_kernel_agrees_with_the_one_rule(data):
    # The half-against-half kernel of the most robust package counts, per package, the draws in
    # which it is agreed; unanimous_draws decides the same per whole package with compiled.unanimous.
    from negosim.uncertainty.acceptance import _count_chunks
    from negosim.uncertainty.sampling import sample_tables, unanimous_draws
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Scenario.model_validate(with_ranges(data))
    tables = sample_tables(s, 6, seed=3)
    cs = tables.base
    want = unanimous_draws(tables, cs.space.all())  # [S, n]
    got = np.zeros((2, cs.space.size), np.int64)
    for idx, c1, c2 in _count_chunks(tables):
        np.add.at(got[0], idx, c1)
        np.add.at(got[1], idx, c2)
    h = tables.n // 2
    assert (got[0] == want[:h].sum(axis=0)).all() and (got[1] == want[h:].sum(axis=0)).all()
    # and in the draws, the numpy rule is the definition: needed parties accept and touched rules hold
    from negosim.uncertainty.sampling import accepts_draws
    ok, needed = accepts_draws(tables, cs.space.all())
    X = cs.space.all()
    for r in s.consent:
        members = [cs.party_ids.index(m) for m in r.members()]
        touched = np.ones(len(X), bool) if r.provisions == "all" else \
            (X[:, [cs.provision_ids.index(p) for p in r.provisions]] != cs.status_quo[[cs.provision_ids.index(p)
                                                                                        for p in r.provisions]]).any(axis=1)
        for d in range(tables.n):
            for i in np.flatnonzero(want[d] & touched)[:50]:
                assert r.satisfied_by({cs.party_ids[m] for m in members if ok[d, m, i]})
