"""Concession strategies: the registry, Faratin's time-dependent family, hardliner, reciprocal."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negosim.errors import NegosimError
from negosim.bargaining.strategies import STRATEGIES, Situation, get_strategy

situations = st.builds(
    Situation,
    round=st.integers(1, 60), deadline=st.integers(1, 50),
    ideal=st.floats(0, 1), reservation=st.floats(0, 1),
    previous=st.none() | st.floats(0, 1), others_conceded=st.none() | st.floats(0, 1))


@pytest.mark.parametrize("name", list(STRATEGIES))
class TestEveryStrategy:
    """What every registered strategy must do."""

    @settings(max_examples=150, deadline=None)
    @given(s=situations)
    def test_aspiration_between_reservation_and_opening_demand(self, name, s):
        a = get_strategy(name).aspiration(s)
        assert s.reservation - 1e-12 <= a <= s.top + 1e-12

    def test_opens_at_its_ideal(self, name):
        assert get_strategy(name).aspiration(Situation(1, 10, 0.8, 0.3)) == pytest.approx(0.8)

    def test_never_rises_over_time_with_a_fixed_reservation(self, name):
        strat, prev = get_strategy(name), None
        for t in range(1, 21):
            a = strat.aspiration(Situation(t, 20, 0.9, 0.4, prev, 0.05 if t > 2 else None))
            if prev is not None:
                assert a <= prev + 1e-12
            prev = a

    def test_named_and_described(self, name):
        s = get_strategy(name)
        assert s.name == name and s.summary and repr(s) == f"{type(s).__name__}()"
        assert type(s) is STRATEGIES[name]  # the class registered under that name


def test_unknown_strategy_is_a_user_error():
    with pytest.raises(NegosimError, match="unknown strategy 'tough'.*boulware"):
        get_strategy("tough")


def test_faratin_family_at_half_time():
    # tau = 0.5: linear has given up half its range; Boulware (beta 0.2) almost nothing,
    # Conceder (beta 5) most of it: 1 - 0.5 ** 5 and 1 - 0.5 ** 0.2.
    s = Situation(round=6, deadline=11, ideal=1.0, reservation=0.0)
    assert get_strategy("linear").aspiration(s) == pytest.approx(0.5)
    assert get_strategy("boulware").aspiration(s) == pytest.approx(1 - 0.5 ** 5)
    assert get_strategy("conceder").aspiration(s) == pytest.approx(1 - 0.5 ** 0.2)


@pytest.mark.parametrize("name, beta", [("boulware", 0.2), ("conceder", 5.0), ("linear", 1.0)])
def test_faratin_family_every_round(name, beta):
    # Faratin et al.'s curve written out: r + (1 - tau ** (1 / beta)) * (ideal - r), with
    # tau = (round - 1) / (deadline - 1), on a range that does not start at 0 (ideal 0.9, r 0.35).
    strat = get_strategy(name)
    for t in range(1, 15):
        tau = min((t - 1) / 9, 1.0)
        assert strat.aspiration(Situation(t, 10, 0.9, 0.35)) == pytest.approx(0.35 + (1 - tau ** (1 / beta)) * 0.55,
                                                                            abs=1e-12), t


@pytest.mark.parametrize("name", ["boulware", "conceder", "linear"])
def test_time_dependent_strategies_reach_the_reservation_at_the_deadline(name):
    assert get_strategy(name).aspiration(Situation(10, 10, 0.9, 0.35)) == pytest.approx(0.35)
    assert get_strategy(name).aspiration(Situation(14, 10, 0.9, 0.35)) == pytest.approx(0.35)


def test_hardliner_keeps_its_demand_unless_its_reservation_climbs_past_it():
    h = get_strategy("hardliner")
    assert h.aspiration(Situation(30, 10, 0.7, 0.2)) == 0.7
    assert h.aspiration(Situation(30, 10, 0.7, 0.75)) == 0.75


def test_reciprocal_mirrors_the_others():
    r = get_strategy("reciprocal")
    # Second round: one even step of its range (1 / (deadline - 1)), nobody has conceded yet.
    assert r.aspiration(Situation(2, 11, 0.9, 0.4, previous=0.9)) == pytest.approx(0.85)
    # Later: the others' mean share of their range, applied to its own range.
    assert r.aspiration(Situation(5, 11, 0.9, 0.4, previous=0.8, others_conceded=0.2)) == pytest.approx(0.7)
    assert r.aspiration(Situation(5, 11, 0.9, 0.4, previous=0.8, others_conceded=0.0)) == pytest.approx(0.8)
    assert r.aspiration(Situation(5, 11, 0.9, 0.4, previous=0.45, others_conceded=0.5)) == pytest.approx(0.4)
