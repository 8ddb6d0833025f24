"""The bargaining model: every protocol and strategy, hand-worked cases, deal rates, Baron-Ferejohn."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest

from negosim.engine.analysis import analyze
from negosim.bargaining.beliefs import at_round, reservations_at
from negosim.errors import NegosimError
from negosim.bargaining.model import NegotiationModel, settings_for
from negosim.bargaining.protocols import PROTOCOLS
from negosim.engine.random_scenario import random_scenario
from negosim.scenario.schema import PROTOCOL_NAMES, STRATEGY_NAMES, Scenario
from negosim.bargaining.simulate import simulate
from negosim.bargaining.strategies import STRATEGIES

TOL = 1e-9


def with_drift(scenario: Scenario, drifts: dict[str, float]) -> Scenario:
    """A copy of a scenario with some parties' reservations drifting each round."""
    data = scenario.model_dump(exclude_none=True)
    for party, d in drifts.items():
        data["parties"][party]["drift"] = d
    return Scenario.model_validate(data)


def rich_scenario(seed: int) -> Scenario:
    """Four parties with red lines, linkages, a list veto and drifting reservations."""
    s = random_scenario(parties=4, provisions=5, options=3, seed=seed, reservation=0.4, red_lines=4,
                        linkages=2, list_veto=1)
    return with_drift(s, {"p0": -0.004, "p1": 0.002})


def pie(reservations=(0.2, 0.2), drift=(0.0, 0.0), slices: int = 10) -> Scenario:
    """Two parties dividing a pie in tenths: option kN gives p0 N/10 and p1 the rest."""
    opts = {f"k{k}": {"label": f"{k}/{slices} to p0", "status_quo": k == 0} for k in range(slices + 1)}
    parties = {}
    for i, (res, d) in enumerate(zip(reservations, drift)):
        vals = {f"k{k}": (k / slices if i == 0 else 1 - k / slices) for k in range(slices + 1)}
        parties[f"p{i}"] = {"reservation": res, "drift": d, "weights": {"share": 1.0}, "values": {"share": vals}}
    return Scenario.model_validate({"negosim": 1, "name": "pie", "provisions": {"share": {"label": "Share",
                                    "options": opts}}, "parties": parties, "draft": {"share": "k0"}})


def divide_the_dollar(delta: float, n: int = 3, shares: int = 100) -> Scenario:
    """One provision whose options are every split of 100 shares among n parties (unanimity)."""
    splits = [c for c in itertools.product(range(shares + 1), repeat=n - 1) if sum(c) <= shares]
    splits = [c + (shares - sum(c),) for c in splits]
    opts = {"s_" + "_".join(map(str, c)): {"label": "-".join(map(str, c))} for c in splits}
    parties = {f"p{i}": {"reservation": 0.0, "discount": delta, "weights": {"split": 1.0},
                         "values": {"split": {k: c[i] / shares for k, c in zip(opts, splits)}}}
               for i in range(n)}
    return Scenario.model_validate({"negosim": 1, "name": "dollar", "provisions": {"split": {"label": "Split",
                                    "options": opts}}, "parties": parties,
                                    "draft": {"split": next(iter(opts))}})


def round_package(model: NegotiationModel, r: int) -> np.ndarray:
    index = int(model.trace().query("round == @r")["package"].iloc[0])
    return np.asarray(model.cs.space.decode_one(index), dtype=np.int64)


def test_registries_match_the_scenario_format():
    assert tuple(PROTOCOLS) == PROTOCOL_NAMES
    assert tuple(STRATEGIES) == STRATEGY_NAMES
    for cls in list(PROTOCOLS.values()) + list(STRATEGIES.values()):
        assert cls.summary, cls


# --------------------------------------------------------------------------- shared class

RUNS: dict = {}


def run_once(protocol: str, strategy: str, seed: int = 3) -> NegotiationModel:
    key = (protocol, strategy, seed)
    if key not in RUNS:
        m = NegotiationModel(rich_scenario(seed), protocol, rounds=25, strategies=strategy, rng=seed)
        m.run_model()
        RUNS[key] = m
    return RUNS[key]


@pytest.mark.parametrize("protocol,strategy", list(itertools.product(PROTOCOLS, STRATEGIES)))
class TestEveryProtocolAndStrategy:
    """What every registered protocol must do with every registered strategy."""

    def test_never_accepts_below_reservation(self, protocol, strategy):
        m = run_once(protocol, strategy)
        tr = m.trace()
        assert len(tr) == m.round * m.cs.n_parties
        for row in tr.itertuples():
            i = m.cs.party_ids.index(row.party)
            assert row.reservation == pytest.approx(reservations_at(m.cs, row.round)[i])
            assert row.threshold >= row.reservation - TOL
            if row.accepts:
                assert row.utility >= row.reservation - TOL

    def test_never_crosses_a_red_line(self, protocol, strategy):
        m = run_once(protocol, strategy)
        tr = m.trace()
        for row in tr[tr["accepts"] == True].itertuples():  # noqa: E712 - None marks no package
            assert m.cs.red_lines_hit(round_package(m, row.round))[row.party] == []
        if m.agreement is not None:
            s = m.cs.score(m.agreement[None, :])
            assert not (s.red & s.needed).any()

    def test_deal_lies_in_the_zone_of_its_round(self, protocol, strategy):
        m = run_once(protocol, strategy)
        if m.agreement is not None:
            assert at_round(m.cs, m.agreement_round).score(m.agreement[None, :]).in_zone[0]
            assert m.status == "agreement" and m.running is False
        else:
            assert m.status in ("deadline", "deadlock")

    def test_same_seed_same_trace(self, protocol, strategy):
        a = run_once(protocol, strategy)
        b = NegotiationModel(rich_scenario(3), protocol, rounds=25, strategies=strategy, rng=3)
        b.run_model()
        pd.testing.assert_frame_equal(a.trace(), b.trace())
        assert a.events == b.events

    def test_model_pickles_mid_run(self, protocol, strategy):
        m = NegotiationModel(rich_scenario(3), protocol, rounds=25, strategies=strategy, rng=3)
        for _ in range(3):
            m.step()
        copy = pickle.loads(pickle.dumps(m))
        m.run_model()
        copy.run_model()
        pd.testing.assert_frame_equal(m.trace(), copy.trace())
        pd.testing.assert_frame_equal(m.trace(), run_once(protocol, strategy).trace())


# --------------------------------------------------------------------------- hand-worked cases

@pytest.mark.parametrize("protocol", ["alternating_offers", "single_text"])
def test_pie_split_evenly_when_aspirations_meet(protocol):
    # Linear aspirations 0.2 + 0.6 * (1 - (t - 1) / 10) reach 0.5 in round 6: the even split.
    r = simulate(pie(), protocol=protocol, rounds=11, information="complete", strategies="linear")
    assert r.agreement and r.round == 6
    assert r.package == {"share": "k5"}
    assert r.utilities == pytest.approx({"p0": 0.5, "p1": 0.5})
    assert r.concessions == pytest.approx({"p0": 0.3, "p1": 0.3})


def test_single_compromise_is_agreed_at_once():
    s = Scenario.model_validate({
        "negosim": 1, "name": "one", "draft": {"x": "a"},
        "provisions": {"x": {"label": "X", "options": {"a": {"label": "A"}, "b": {"label": "B"},
                                                       "c": {"label": "C"}}}},
        "parties": {"p0": {"reservation": 0.5, "weights": {"x": 1}, "values": {"x": {"a": 1, "b": 0.6, "c": 0}}},
                    "p1": {"reservation": 0.5, "weights": {"x": 1}, "values": {"x": {"a": 0, "b": 0.6, "c": 1}}}}})
    for protocol in PROTOCOLS:
        r = simulate(s, protocol=protocol, information="complete")
        # The single text starts from the draft (a) and needs one revision.
        assert r.agreement and r.package == {"x": "b"}, protocol
        assert r.round == (2 if protocol == "single_text" else 1), protocol


def test_time_pressure_opens_the_zone_later():
    # p1 starts at 0.6 (no zone with p0 at 0.5) and bleeds 0.05 a round: a deal needs round 3 or later.
    s = pie(reservations=(0.5, 0.6), drift=(0.0, -0.05))
    assert analyze(s).zone_size == 0
    for protocol in PROTOCOLS:
        r = simulate(s, protocol=protocol, rounds=20, information="complete")
        assert r.agreement, protocol
        assert r.round >= 3
        assert at_round(r.model.cs, r.round).score(r.model.agreement[None, :]).in_zone[0]


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_empty_zone_never_reports_a_deal(protocol):
    s = random_scenario(parties=3, provisions=4, options=3, seed=5, reservation=0.9)
    assert analyze(s).zone_size == 0
    for seed in range(3):
        r = simulate(s, protocol=protocol, seed=seed, rounds=15)
        assert not r.agreement and r.package is None and r.utilities is None
        assert r.reason.startswith(("deadline", "deadlock"))


# --------------------------------------------------------------------------- deal rates

@pytest.mark.parametrize("protocol", ["single_text", "alternating_offers"])
def test_default_strategies_reach_a_deal_in_nine_of_ten(protocol):
    outcomes = []
    for seed in range(20):
        s = random_scenario(parties=4, provisions=5, options=3, seed=seed, reservation=0.4)
        if analyze(s, pareto=False, top=0).zone_size == 0:
            continue
        m = NegotiationModel(s, protocol, rounds=40, rng=seed)
        m.run_model()
        outcomes.append(m.agreement is not None)
        if m.agreement is not None:
            assert at_round(m.cs, m.agreement_round).score(m.agreement[None, :]).in_zone[0]
    assert len(outcomes) >= 15
    assert np.mean(outcomes) >= 0.9


# --------------------------------------------------------------------------- Baron-Ferejohn

@pytest.mark.parametrize("delta", [0.6, 0.9])
def test_baron_ferejohn_divide_the_dollar(delta):
    n = 3
    s = divide_the_dollar(delta, n)
    for seed in range(3):
        r = simulate(s, protocol="random_proposer", seed=seed, information="complete")
        assert r.agreement and r.round == 1
        proposer = r.trace["proposer"].iloc[0]
        # Closed rule, unanimity: the proposer keeps 1 - delta (n - 1) / n, each other gets delta / n
        # (to the next share up on a grid of 1/100).
        assert r.utilities[proposer] == pytest.approx(1 - delta * (n - 1) / n, abs=0.011)
        for p, u in r.utilities.items():
            if p != proposer:
                assert u == pytest.approx(delta / n, abs=0.011)
        assert sum(r.utilities.values()) == pytest.approx(1.0)


def test_recognition_weights_pick_the_proposer():
    s = divide_the_dollar(0.9)
    r = simulate(s, protocol="random_proposer", information="complete", recognition={"p2": 1.0})
    assert r.trace["proposer"].iloc[0] == "p2"
    # With p2 always proposing, the others expect only what p2 gives them: their continuation is 0.
    assert r.utilities["p2"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- settings and defaults

def test_settings_errors_are_user_errors():
    s = random_scenario(parties=2, provisions=2, options=2, seed=0)
    with pytest.raises(NegosimError, match="mediator_utility"):
        settings_for(s, objective="mediator_utility")
    with pytest.raises(NegosimError, match="unknown party 'zz'"):
        settings_for(s, strategies={"zz": "linear"})
    with pytest.raises(NegosimError, match="unknown mediator"):
        settings_for(s, mediator="zz")
    with pytest.raises(NegosimError, match="unknown protocol|protocol setting"):
        NegotiationModel(s, "haggling")


def test_party_mediator_with_its_own_objective():
    s = random_scenario(parties=3, provisions=4, options=3, seed=2, reservation=0.35)
    r = simulate(s, protocol="single_text", mediator="p0", objective="mediator_utility", rounds=30)
    assert r.trace["proposer"].iloc[0] == "p0 (mediator)"
    if r.agreement:
        assert at_round(r.model.cs, r.round).score(r.model.agreement[None, :]).in_zone[0]


def test_no_argument_model_runs_on_the_shipped_scenario():
    from negosim.bargaining.model import DEFAULT_SCENARIO, default_scenario
    if not DEFAULT_SCENARIO.exists():
        pytest.skip("the shipped scenario is not there")
    assert default_scenario().name == DEFAULT_SCENARIO.stem
    m = NegotiationModel()
    m.step()
    assert m.negosim_scenario.name == DEFAULT_SCENARIO.stem and m.round == 1


def test_no_argument_model_falls_back_to_a_random_scenario(monkeypatch, tmp_path):
    import negosim.bargaining.model as model_module
    monkeypatch.setattr(model_module, "DEFAULT_SCENARIO", tmp_path / "missing.yaml")
    m = NegotiationModel()
    m.step()
    assert m.round == 1 and len(m.trace()) == m.cs.n_parties


def test_story_tells_each_round():
    r = simulate(pie(), protocol="alternating_offers", rounds=11, information="complete")
    assert r.story[0] == "Opening positions"
    assert "Round 1" in r.story and "Round 6" in r.story
    assert any("p0 offers share=k8" in line for line in r.story)
    assert any(line.strip().startswith("p1 rejects: utility 0.200 < threshold 0.800") for line in r.story)
    assert r.story[-1].strip().startswith("Agreement:")
    assert set(r.events["kind"]) >= {"opening", "offer", "accept", "reject", "concede", "agreement"}


# --------------------------------------------------------------------------- red lines met at the table

def pie_with_red_line() -> Scenario:
    """The pie, where p1 refuses the even split k5 outright although it is worth 0.5 to it.

    The draft is k5, so the single text tables it in round 1. (Proposers in the other protocols
    know the red lines and never table such a package, so only the single text meets one.)
    """
    data = pie().model_dump(exclude_none=True)
    data["draft"] = {"share": "k5"}
    data["parties"]["p1"]["red_lines"] = [{"id": "no_even_split", "forbid": {"share": "k5"}}]
    return Scenario.model_validate(data)


def test_a_tabled_package_across_a_red_line_is_refused():
    protocol = "single_text"
    s = pie_with_red_line()
    met = 0
    for seed in range(4):
        m = NegotiationModel(s, protocol, rounds=11, information="complete", strategies="linear", rng=seed)
        m.run_model()
        tr = m.trace()
        for row in tr[tr["party"] == "p1"].itertuples():
            if row.package is None or row.accepts is None:
                continue
            crossed = m.cs.red_lines_hit(round_package(m, row.round))["p1"]
            if crossed:
                met += 1
                # Worth 0.5 >= 0.2 to p1: only the red line can make it refuse.
                assert row.utility >= row.reservation
                assert not row.accepts, (protocol, seed, row.round)
        if m.agreement is not None:
            assert m.cs.red_lines_hit(m.agreement)["p1"] == []
    assert met > 0, "no run tabled the package across p1's red line; the test checks nothing"


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_every_agent_refuses_its_red_line_whatever_the_utility(protocol):
    m = NegotiationModel(pie_with_red_line(), protocol, rounds=3, information="complete", rng=0)
    for agent in m.parties:
        assert agent.respond(1.0, red=True, needed=True) is False
        assert agent.respond(1.0, red=False, needed=True) is True
