"""Sweep rows with acceptance probabilities (samples > 0) and with bargaining (task: run)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import negosim
from negosim.compiled import compile_scenario
from negosim.fastapply import AxisApplier
from negosim.sweep import Sweep, run_sweep

uncertainty = pytest.importorskip("negosim.uncertainty")
simulate = pytest.importorskip("negosim.simulate")

RESERVATIONS = [0.2, 0.35, 0.5, 0.65, 0.8]


def uncertain(seed: int):
    s = negosim.random_scenario(3, 5, 3, seed=seed, reservation=0.45, red_lines=1, linkages=2, list_veto=1)
    return uncertainty.widen(s, 0.1)


@pytest.fixture(scope="module", params=[0, 1, 2])
def prob_sweep(request):
    s = uncertain(request.param)
    spec = Sweep(scenario=s, samples=200, seed=request.param, replicates=2,
                 axes={"parties.p0.reservation": {"values": RESERVATIONS}, "draft.x1": {"values": ["o0", "o2"]}})
    return s, spec, run_sweep(spec, workers=1)


def test_probabilities_are_probabilities(prob_sweep):
    _, _, df = prob_sweep
    cols = [c for c in df.columns if c.startswith("p_")]
    assert ((df[cols] >= 0) & (df[cols] <= 1)).all().all()
    assert (df["p_all_low"] <= df["p_all"]).all() and (df["p_all"] <= df["p_all_high"]).all()
    # p0 and p1 must consent to every package: all of them accept no more often than either.
    assert (df["p_all"] <= df[["p_accepts_p0", "p_accepts_p1"]].min(axis=1) + 1e-12).all()


def test_acceptance_never_rises_with_the_reservation(prob_sweep):
    _, _, df = prob_sweep
    for _, g in df.groupby(["draft.x1", "replicate"]):
        p = g.sort_values("parties.p0.reservation")["p_accepts_p0"].to_numpy()
        assert (np.diff(p) <= 0).all(), p
        assert (np.diff(g.sort_values("parties.p0.reservation")["p_all"].to_numpy()) <= 0).all()


def test_probabilities_equal_a_direct_count(prob_sweep):
    s, spec, df = prob_sweep
    row = df.iloc[7]
    tables = uncertainty.sample_tables(s, spec.samples, seed=int(row["seed"]),
                                       overrides={("parties", "p0", "reservation"): row["parties.p0.reservation"]})
    draft = AxisApplier(s, list(spec.axes)).draft({"draft.x1": row["draft.x1"]})
    ok, needed = uncertainty.accepts_draws(tables, draft[None, :])
    assert row["p_all"] == (ok | ~needed[None]).all(axis=1)[:, 0].mean()
    for i, p in enumerate(s.parties):
        assert row[f"p_accepts_{p}"] == ok[:, i, 0].mean()


def test_rows_of_one_replicate_share_their_draws():
    s = uncertain(0)
    spec = Sweep(scenario=s, samples=100, replicates=2, design="points",
                 axes={"parties.p1.reservation": {"values": [0.4, 0.6, 0.4]}})
    df = run_sweep(spec, workers=1)
    a, b = df[df["replicate"] == 0], df[df["replicate"] == 1]
    # Same axis values and replicate: the same draws, so the very same estimates.
    assert a["p_all"].iloc[0] == a["p_all"].iloc[2] and a["seed"].nunique() == 1
    assert not np.array_equal(a["p_accepts_p0"].to_numpy(), b["p_accepts_p0"].to_numpy())


def test_bargaining_rows_match_a_direct_run_and_lie_in_the_zone():
    s = negosim.random_scenario(3, 4, 3, seed=5, reservation=0.35)
    spec = Sweep(scenario=s, task="run", seed=1, replicates=2, protocol={"name": "alternating_offers", "rounds": 30},
                 axes={"parties.p2.reservation": {"values": [0.3, 0.95]}, "draft.x0": {"values": ["o0", "o1"]}})
    df = run_sweep(spec, workers=1)
    assert df["agreement"].any() and not df["agreement"].all()  # both branches below are checked
    ap = AxisApplier(s, list(spec.axes))
    for _, row in df.iterrows():
        r = {k: row[k] for k in spec.axes}
        run = simulate.simulate(ap.scenario_for(r), "alternating_offers", rounds=30, seed=int(row["seed"]))
        assert row["agreement"] == run.agreement
        if row["agreement"]:
            assert row["agreement_round"] == run.round
            assert json.loads(row["agreement_package"]) == run.package
            cs = ap.compiled(r)  # no drift in this scenario: round reservations are the scenario's
            x = cs.package_from_dict(run.package)
            assert cs.score(x[None, :]).in_zone[0]
            assert cs.score(x[None, :]).util[2, 0] == row["agreement_utility_p2"]
        else:
            assert row["agreement_round"] == -1 and np.isnan(row["agreement_utility_p0"])


def test_scenario_for_compiles_to_the_applied_arrays():
    s = uncertain(3)
    axes = ["parties.p0.values.x2.o1", "parties.p1.weights.x0", "parties.p0.linkages.l0.bonus", "draft.x3"]
    ap = AxisApplier(s, axes)
    row = dict(zip(axes, [0.9, 2.0, -0.3, "o2"]))
    a, b = ap.compiled(row), compile_scenario(ap.scenario_for(row))
    for name in ("wv", "reservation", "draft"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert [t.bonus for t in a.terms] == [t.bonus for t in b.terms]
