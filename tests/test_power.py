"""Veto power (negosim/engine/power.py): Shapley–Shubik and Banzhaf indices of simple games.

Three independent checks: hand-worked textbook games; a reference written here from the
definitions (every order of the parties for Shapley–Shubik, every coalition for Banzhaf), which
shares no code with the module; and the PyPI package ``powerindex`` (dev extra), a separate
generating-function implementation for weighted games.
"""

from __future__ import annotations

import itertools
import math
import time
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negosim.engine.power import (DEAL, PowerError, consent_game, consent_power, enumerate_power,
                                  power_indices, predicate_game, scenario_power, unanimity_game,
                                  weighted_game, weighted_power)
from negosim.limits import MAX_POWER_COALITIONS


# ------------------------------------------------------------------ the reference, from the definitions

def reference(parties, wins):
    """Shapley–Shubik by every order of the parties (the share of orders in which a party turns
    the coalition of those before it winning); Banzhaf by every coalition (raw: swings over
    2**(n-1); normalised: over all swings)."""
    n = len(parties)
    pivots = {p: 0 for p in parties}
    for order in itertools.permutations(parties):
        before = set()
        for p in order:
            if not wins(before) and wins(before | {p}):
                pivots[p] += 1
                break
            before.add(p)
    swings = {p: 0 for p in parties}
    for r in range(n + 1):
        for c in itertools.combinations(parties, r):
            c = set(c)
            for p in parties:
                if p not in c and not wins(c) and wins(c | {p}):
                    swings[p] += 1
    total = sum(swings.values())
    return ({p: F(pivots[p], math.factorial(n)) for p in parties},
            {p: F(swings[p], 2 ** (n - 1)) for p in parties},
            {p: F(swings[p], total) for p in parties})


def assert_matches_reference(ix, parties, wins):
    ss, raw, norm = reference(parties, wins)
    assert ix.shapley_shubik == ss
    assert ix.banzhaf_raw == raw
    assert ix.banzhaf == norm


# ------------------------------------------------------------------ textbook games, by hand

def test_weighted_51_50_49_1_both_paths():
    """[51; 50, 49, 1]: a swings for {b}, {c}, {b, c}; b and c only for {a}."""
    g = weighted_game({"a": 50, "b": 49, "c": 1}, 51)
    by_pred = predicate_game(["a", "b", "c"], lambda c: 50 * ("a" in c) + 49 * ("b" in c) + ("c" in c) >= 51)
    for ix in (weighted_power(g.weighted, g.parties), enumerate_power(g), power_indices(by_pred)):
        assert ix.shapley_shubik == {"a": F(2, 3), "b": F(1, 6), "c": F(1, 6)}
        assert ix.banzhaf == {"a": F(3, 5), "b": F(1, 5), "c": F(1, 5)}
        assert ix.banzhaf_raw == {"a": F(3, 4), "b": F(1, 4), "c": F(1, 4)}
        assert ix.swings == {"a": 3, "b": 1, "c": 1}
    assert power_indices(g).method == "counting" and power_indices(by_pred).method == "enumeration"


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_unanimity_equal_shares(n):
    """Everyone must agree: each party swings only for the coalition of all the others."""
    names = [f"p{i}" for i in range(n)]
    for ix in (power_indices(unanimity_game(names)), enumerate_power(unanimity_game(names))):
        assert set(ix.shapley_shubik.values()) == {F(1, n)}
        assert set(ix.banzhaf.values()) == {F(1, n)}
        assert set(ix.banzhaf_raw.values()) == {F(1, 2 ** (n - 1))}


def test_dictator():
    """[3; 3, 1, 1]: d alone wins and nobody without it: all power to d."""
    g = weighted_game({"d": 3, "x": 1, "y": 1}, 3)
    for ix in (power_indices(g), enumerate_power(g)):
        assert ix.shapley_shubik == {"d": 1, "x": 0, "y": 0}
        assert ix.banzhaf == {"d": 1, "x": 0, "y": 0}
        assert ix.banzhaf_raw["d"] == 1


@pytest.mark.parametrize("k,n", [(1, 3), (2, 3), (3, 5), (4, 7), (2, 6)])
def test_k_of_n_symmetric(k, n):
    """k of n: a party swings when exactly k - 1 of the others are in: C(n-1, k-1) coalitions."""
    names = [f"m{i}" for i in range(n)]
    rule = [{"id": "r", "provisions": "all", "rule": {"k_of_n": {"k": k, "of": names}}}]
    ix = power_indices(consent_game({p: "none" for p in names}, rule))
    assert set(ix.shapley_shubik.values()) == {F(1, n)}
    assert set(ix.banzhaf.values()) == {F(1, n)}
    assert set(ix.banzhaf_raw.values()) == {F(math.comb(n - 1, k - 1), 2 ** (n - 1))}


# ------------------------------------------------------------------ games from consent rules, by hand

PARTIES = {"us": "all", "ukraine": "all", "russia": "all", "europe": ["sanctions", "frozen_assets"],
           "de": "none", "be": "none", "uk": "none", "fr": "none"}
RULES = [
    {"id": "eu", "provisions": ["sanctions", "frozen_assets"], "rule": {"unanimity": ["de", "be", "fr"]}},
    {"id": "contingent", "provisions": ["foreign_troops"], "rule": {"k_of_n": {"k": 2, "of": ["uk", "fr", "de"]}}},
]


def test_group_of_a_unanimity_rule():
    """Sanctions: the three with veto: all, Europe's list veto and the rule's three: seven vetoes."""
    ix = consent_power(PARTIES, RULES)["eu"]
    for p in ("us", "ukraine", "russia", "europe", "de", "be", "fr"):
        assert ix.shapley_shubik[p] == F(1, 7)
        assert ix.banzhaf[p] == F(1, 7)
    assert ix.shapley_shubik["uk"] == 0 and ix.swings["uk"] == 0


def test_group_of_a_k_of_n_rule():
    """Troops: us, ukraine, russia must be in, and 2 of uk, fr, de; europe and be are null (their
    veto and rule do not touch troops). Among the six others, a vetoer swings for the 4 coalitions
    holding the other two vetoers and at least two contributors, a contributor for the 2 holding the
    three vetoers and one other contributor; each of the two null parties doubles every count.
    Shapley–Shubik: a contributor is pivotal when it comes fifth of the six, after the three vetoers
    and one of the two other contributors: 2 x 4! of the 6! orders, 1/15; a vetoer (1 - 3/15)/3."""
    ix = consent_power(PARTIES, RULES)["contingent"]
    assert ix.swings == {"us": 16, "ukraine": 16, "russia": 16, "europe": 0, "de": 8, "be": 0, "uk": 8, "fr": 8}
    assert ix.banzhaf["us"] == F(2, 9) and ix.banzhaf["uk"] == F(1, 9)
    assert ix.banzhaf_raw["us"] == F(4, 32) and ix.banzhaf_raw["uk"] == F(2, 32)
    assert ix.shapley_shubik["uk"] == F(1, 15) and ix.shapley_shubik["us"] == F(4, 15)


def test_group_untouched_and_the_deal():
    """A group no rule touches needs only the parties with veto: all; the whole deal needs every
    veto and satisfies every rule."""
    g = consent_game(PARTIES, RULES, ["army"])
    ix = power_indices(g)
    assert {p for p, v in ix.shapley_shubik.items() if v} == {"us", "ukraine", "russia"}
    deal = consent_power(PARTIES, RULES)[DEAL]
    wins = lambda c: ({"us", "ukraine", "russia", "europe", "de", "be", "fr"} <= c
                      and len(c & {"uk", "fr", "de"}) >= 2)
    assert_matches_reference(deal, list(PARTIES), wins)
    assert deal.shapley_shubik["uk"] == 0  # fr and de are in anyway: uk never decides
    # An empty veto list never makes a party's consent needed, not even for the whole deal.
    assert power_indices(consent_game({"a": "all", "b": []}, [])).shapley_shubik == {"a": 1, "b": 0}


def test_rules_with_all_and_two_counted_rules_are_enumerated():
    """Two rules that are not unanimity make the game an intersection: enumerated, and equal to the
    reference built from the rules' words."""
    parties = {"a": "none", "b": "none", "c": "none", "d": "all", "e": "none"}
    rules = [{"id": "w", "provisions": "all", "rule": {"weighted": {"quota": 5, "weights": {"a": 3, "b": 2, "c": 2}}}},
             {"id": "k", "provisions": ["x"], "rule": {"k_of_n": {"k": 2, "of": ["b", "c", "e"]}}}]
    g = consent_game(parties, rules, ["x"])
    assert g.weighted is None
    wins = lambda c: ("d" in c and 3 * ("a" in c) + 2 * ("b" in c) + 2 * ("c" in c) >= 5
                      and len(c & {"b", "c", "e"}) >= 2)
    assert_matches_reference(power_indices(g), list(parties), wins)
    # The group of "w" alone does not touch "k" (provisions x): weighted with d's veto, counted.
    gw = consent_game(parties, rules, ["y"])
    assert gw.weighted is not None
    assert_matches_reference(power_indices(gw), list(parties),
                             lambda c: "d" in c and 3 * ("a" in c) + 2 * ("b" in c) + 2 * ("c" in c) >= 5)


def test_double_majority_reads_shares_as_written():
    """55 % of 20 members is 11 exactly; read as the binary double 0.55 it would be 11.000000000000002
    and ask for 12. Population 65 % of 20 equal members is 13: the binding quota."""
    members = [f"s{i:02d}" for i in range(20)]
    rule = {"id": "q", "provisions": "all",
            "rule": {"double": {"states": 0.55, "population": 0.55, "population_of": {m: 1.0 for m in members}}}}
    g = consent_game({m: "none" for m in members}, [rule])
    assert g.winning(members[:11]) and not g.winning(members[:10])
    rule["rule"]["double"]["population"] = 0.65
    g = consent_game({m: "none" for m in members}, [rule])
    assert g.winning(members[:13]) and not g.winning(members[:12])


def test_double_majority_counted_equals_reference():
    pop = {"a": 4.5, "b": 3, "c": 2.2, "d": 1, "e": 0.3}
    parties = {**{p: "none" for p in pop}, "v": "all", "z": "none"}
    rule = {"id": "q", "provisions": "all",
            "rule": {"double": {"states": 0.6, "population": 0.65, "population_of": pop}}}
    g = consent_game(parties, [rule])
    assert g.weighted is not None
    total = sum(pop.values())

    def wins(c):
        inside = [p for p in pop if p in c]
        return "v" in c and len(inside) >= 0.6 * 5 and sum(pop[p] for p in inside) >= 0.65 * total - 1e-9

    assert_matches_reference(power_indices(g), list(parties), wins)
    assert_matches_reference(enumerate_power(g), list(parties), wins)


def test_eu27_double_majority_is_fast_and_exact():
    """27 members with populations in tenths of a million, plus two vetoes (one by a unanimity
    rule): counted in well under a second; Shapley–Shubik sums to exactly 1, and a bigger member never has less power."""
    pop = dict(de=83.5, fr=68.2, it=58.9, es=48.1, pl=36.6, ro=19.0, nl=17.9, be=11.8, cz=10.9, se=10.6,
               pt=10.6, gr=10.4, hu=9.6, at=9.1, bg=6.4, dk=5.9, fi=5.6, sk=5.4, ie=5.3, hr=3.9, lt=2.9,
               si=2.1, lv=1.9, ee=1.4, cy=0.9, lu=0.7, mt=0.5)
    parties = {**{p: "none" for p in pop}, "us": "none", "ukraine": "all"}
    # The US's say comes from a unanimity rule: a veto like ukraine's, so the game stays countable.
    rules = [{"id": "qmv", "provisions": ["sanctions"],
              "rule": {"double": {"states": 0.55, "population": 0.65, "population_of": pop}}},
             {"id": "west", "provisions": ["sanctions"], "rule": {"unanimity": ["us"]}}]
    t = time.perf_counter()
    ix = consent_power(parties, rules)["qmv"]
    assert time.perf_counter() - t < 5
    assert ix.method == "counting"
    assert sum(ix.shapley_shubik.values()) == 1
    ranked = [ix.shapley_shubik[p] for p in pop]       # pop is in decreasing order
    assert ranked == sorted(ranked, reverse=True) and ranked[0] > ranked[-1] > 0
    assert ix.shapley_shubik["us"] == ix.shapley_shubik["ukraine"] > ranked[0]


def test_scenario_power_reads_vetoes():
    from negosim.engine.random_scenario import random_scenario

    s = random_scenario(parties=3, provisions=2, seed=2)
    out = scenario_power(s)
    vetoing = {p for p, party in s.parties.items() if party.veto != "none"}
    assert {p for p, v in out[DEAL].shapley_shubik.items() if v} == vetoing


# ------------------------------------------------------------------ errors and limits

def test_enumeration_limit():
    n = MAX_POWER_COALITIONS.bit_length()          # 2**n coalitions: one more party than allowed
    names = [f"p{i}" for i in range(n)]
    with pytest.raises(PowerError, match="MAX_POWER_COALITIONS"):
        predicate_game(names, lambda c: len(c) == n)
    pieces = [{"id": "a", "provisions": "all", "rule": {"k_of_n": {"k": 2, "of": names[:3]}}},
              {"id": "b", "provisions": "all", "rule": {"k_of_n": {"k": 2, "of": names[3:6]}}}]
    with pytest.raises(PowerError, match="2\\*\\*21 coalitions"):
        power_indices(consent_game({p: "none" for p in names}, pieces))
    # A weighted game of as many parties is counted, not enumerated: no limit on the parties.
    ix = power_indices(weighted_game({p: 1 for p in names}, n))
    assert set(ix.shapley_shubik.values()) == {F(1, n)}


def test_counting_table_limit():
    with pytest.raises(PowerError, match="MAX_POWER_COALITIONS"):
        power_indices(weighted_game({"a": 10**7, "b": 1}, 10**7))
    # The same game in coarser units is fine.
    assert power_indices(weighted_game({"a": 10, "b": 0.001}, 10)).shapley_shubik["a"] == 1


def test_not_a_simple_game():
    with pytest.raises(PowerError, match="turns a winning coalition losing"):
        enumerate_power(predicate_game(["a", "b", "c"], lambda c: c in ({"a"}, {"a", "b", "c"})))
    with pytest.raises(PowerError, match="empty coalition must lose"):
        enumerate_power(predicate_game(["a", "b"], lambda c: True))
    with pytest.raises(PowerError):
        power_indices(weighted_game({"a": 1, "b": 1}, 3))           # nobody wins
    with pytest.raises(PowerError, match="not parties"):
        consent_game({"a": "none"}, [{"id": "r", "provisions": "all", "rule": {"unanimity": ["a", "x"]}}])
    with pytest.raises(PowerError, match="exactly one"):
        consent_game({"a": "none"}, [{"id": "r", "provisions": "all", "rule": {}}])
    with pytest.raises(PowerError, match="name of the whole deal"):
        consent_power({"a": "all"}, [{"id": DEAL, "provisions": "all", "rule": {"unanimity": ["a"]}}])


# ------------------------------------------------------------------ properties

@st.composite
def weighted_games(draw, max_n=5):
    n = draw(st.integers(1, max_n))
    w = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    total = sum(w)
    if total == 0:
        w[0] = total = 1
    q = draw(st.integers(1, total))
    m = draw(st.integers(0, n))
    vetoers = draw(st.sets(st.sampled_from([f"p{i}" for i in range(n)] + ["v"]), max_size=2))
    return {f"p{i}": w[i] for i in range(n)}, q, m, vetoers


@settings(max_examples=80, deadline=None)
@given(weighted_games())
def test_counting_equals_reference(game):
    """Counting, enumeration and the reference agree on weighted games with member quotas, vetoes
    (some outside the weights) and a null party; Shapley–Shubik sums to 1; the null party and every
    zero-weight party (without a member quota or veto) get 0; equal parties get equal shares."""
    weights, q, m, vetoers = game
    parties = [*weights, *sorted(v for v in vetoers if v not in weights), "null"]
    g = weighted_game(weights, q, min_members=m, vetoers=vetoers, parties=parties)

    def wins(c):
        return (vetoers <= c and sum(weights[p] for p in c if p in weights) >= q
                and sum(1 for p in c if p in weights) >= m)

    if not wins(set(parties)):
        with pytest.raises(PowerError):
            power_indices(g)
        return
    counted, enumerated = power_indices(g), enumerate_power(g)
    assert counted.method == "counting"
    assert_matches_reference(counted, parties, wins)
    assert (counted.shapley_shubik, counted.banzhaf, counted.swings) == \
        (enumerated.shapley_shubik, enumerated.banzhaf, enumerated.swings)
    assert sum(counted.shapley_shubik.values()) == 1 and sum(counted.banzhaf.values()) == 1
    assert counted.shapley_shubik["null"] == 0 and counted.banzhaf_raw["null"] == 0
    for p, w in weights.items():
        if w == 0 and m == 0 and p not in vetoers:
            assert counted.shapley_shubik[p] == 0 and counted.swings[p] == 0
    for a, b in itertools.combinations(weights, 2):
        if weights[a] == weights[b] and (a in vetoers) == (b in vetoers):
            assert counted.shapley_shubik[a] == counted.shapley_shubik[b]
            assert counted.banzhaf[a] == counted.banzhaf[b]


def test_many_parties_use_python_integers():
    """Past 60 parties the counts leave int64: still exact."""
    names = [f"p{i}" for i in range(62)]
    ix = power_indices(weighted_game({p: 1 for p in names}, 31))
    assert set(ix.banzhaf_raw.values()) == {F(math.comb(61, 30), 2 ** 61)}
    assert sum(ix.shapley_shubik.values()) == 1


# ------------------------------------------------------------------ the PyPI package

def test_agrees_with_powerindex_package():
    """powerindex 0.3.5 (a separate generating-function code) on random weighted games. Only proper
    games with positive weights: its shortcut gives a party whose weight meets the quota all the
    power even when the quota is at most half the total (then other coalitions win too), and its
    Banzhaf is negative with a zero weight."""
    import random

    from powerindex import powerindex

    rng = random.Random(7)
    for _ in range(150):
        n = rng.randint(1, 9)
        w = [rng.randint(1, 15) for _ in range(n)]
        q = rng.randint(sum(w) // 2 + 1, sum(w))
        names = [f"p{i}" for i in range(n)]
        ix = power_indices(weighted_game(dict(zip(names, w)), q))
        theirs = powerindex.Game(q, w)
        theirs.calc()
        assert [float(ix.shapley_shubik[p]) for p in names] == pytest.approx(theirs.shapley_shubik, abs=1e-12)
        assert [float(ix.banzhaf[p]) for p in names] == pytest.approx(theirs.banzhaf, abs=1e-12)


def test_fractional_quota_and_largest_enumeration():
    """A quota between two whole weights is met only above it; 20 parties (2**20 coalitions, the
    limit) are still enumerated."""
    g = weighted_game({"a": 3, "b": 2, "c": 2}, 5.5)
    assert not g.winning({"a", "b"}) and g.winning({"a", "b", "c"})
    assert_matches_reference(power_indices(g), ["a", "b", "c"], lambda c: len(c) == 3)
    names = [f"p{i}" for i in range(20)]
    pieces = [{"id": "a", "provisions": "all", "rule": {"k_of_n": {"k": 2, "of": names[:3]}}},
              {"id": "b", "provisions": "all", "rule": {"k_of_n": {"k": 2, "of": names[3:6]}}}]
    ix = power_indices(consent_game({p: "none" for p in names}, pieces))
    assert ix.method == "enumeration" and ix.shapley_shubik["p0"] == F(1, 6) and ix.shapley_shubik["p19"] == 0
