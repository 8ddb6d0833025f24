"""Sweep rows with acceptance probabilities (samples > 0) and with bargaining (task: run)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import negosim
from negosim.uncertainty import sampling as uncertainty
from negosim.bargaining.simulate import simulate
from negosim.engine.compiled import compile_scenario
from negosim.sweep.axes import AxisApplier
from negosim.sweep.run import Sweep, run_sweep

from reference import QUANTUM, Reference, quanta
from reference_package import package_verdicts
from test_sweep_spec import edited

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


def _check_probabilities(s, spec, df, rows) -> None:
    """Rows' probabilities against a count over the row's draws, judged from the definitions.

    The row's draws (the sampler's, keyed by the row's seed) are each turned into a concrete
    scenario with the row's axis values written in, and the draft is judged by
    tests/reference_package.py: nothing of the sweep's scoring over draws is shared.
    """
    sm = uncertainty.Sampler(s)
    for k in rows:
        row = df.iloc[k]
        axes = {a: row[a] for a in spec.axes}
        ok, unanimous = [], []
        for draw in sm.scenarios(sm.draw(spec.samples, seed=int(row["seed"]))):
            e = edited(draw, axes, via_file=False)
            v = package_verdicts(e, dict(e.draft))
            ok.append([v[p]["accepts"] for p in s.parties])
            unanimous.append(all(x["accepts"] or not x["needed"] for x in v.values()))
        ok = np.array(ok)
        assert row["p_all"] == np.mean(unanimous), k
        for i, p in enumerate(s.parties):
            assert row[f"p_accepts_{p}"] == ok[:, i].mean(), (k, p)
        lo, hi = uncertainty.wilson(int(np.sum(unanimous)), spec.samples)
        assert (row["p_all_low"], row["p_all_high"]) == (lo, hi)


def test_probabilities_equal_a_count_from_the_definitions(prob_sweep):
    s, spec, df = prob_sweep
    _check_probabilities(s, spec, df, [7, 12])


def test_probabilities_on_a_draft_across_a_red_line():
    # p0's red line r0 forbids x1=o1 with x2=o2, and the draft has x2=o2: with x1=o1 p0 never
    # accepts, whatever the draws; with x1=o0 it sometimes does.
    s = uncertain(0)
    assert [(r.id, r.forbid) for r in s.parties["p0"].red_lines] == [("r0", {"x1": "o1", "x2": "o2"})]
    assert s.draft["x2"] == "o2"
    spec = Sweep(scenario=s, samples=100, seed=3, axes={"draft.x1": {"values": ["o0", "o1"]}})
    df = run_sweep(spec, workers=1)
    assert df["p_accepts_p0"].iloc[0] > 0 and df["p_accepts_p0"].iloc[1] == 0 == df["p_all"].iloc[1]
    _check_probabilities(s, spec, df, [0, 1])


def test_rows_of_one_replicate_share_their_draws():
    s = uncertain(0)
    spec = Sweep(scenario=s, samples=100, replicates=2, design="points",
                 axes={"parties.p1.reservation": {"values": [0.4, 0.6, 0.4]}})
    df = run_sweep(spec, workers=1)
    a, b = df[df["replicate"] == 0], df[df["replicate"] == 1]
    # Same axis values and replicate: the same draws, so the very same estimates.
    assert a["p_all"].iloc[0] == a["p_all"].iloc[2] and a["seed"].nunique() == 1
    assert not np.array_equal(a["p_accepts_p0"].to_numpy(), b["p_accepts_p0"].to_numpy())


def test_bargaining_rows_match_a_run_on_the_edited_file_and_lie_in_the_zone():
    s = negosim.random_scenario(3, 4, 3, seed=5, reservation=0.35)
    spec = Sweep(scenario=s, task="run", seed=1, replicates=2, protocol={"name": "alternating_offers", "rounds": 30},
                 axes={"parties.p2.reservation": {"values": [0.3, 0.95]}, "draft.x0": {"values": ["o0", "o1"]}})
    df = run_sweep(spec, workers=1)
    assert df["agreement"].any() and not df["agreement"].all()  # both branches below are checked
    for _, row in df.iterrows():
        # The row's scenario written as a file (not the sweep's applier), run with the row's seed.
        e = edited(s, {k: row[k] for k in spec.axes})
        run = simulate(e, "alternating_offers", rounds=30, seed=int(row["seed"]))
        assert (row["agreement"], row["reason"]) == (run.agreement, run.reason)
        ref = Reference(e)  # no drift in this scenario: round reservations are the scenario's
        if row["agreement"]:
            assert row["agreement_round"] == run.round
            assert json.loads(row["agreement_package"]) == run.package
            i = ref.index(run.package)
            assert i in ref.zone
            for k, p in enumerate(ref.parties):
                assert abs(row[f"agreement_utility_{p}"] - float(ref.util[i][k])) <= 4 * float(QUANTUM)
        else:
            assert row["agreement_round"] == -1 and pd.isna(row["agreement_package"])
            assert all(np.isnan(row[f"agreement_utility_{p}"]) for p in ref.parties)
            # p2 at 0.95: nothing in the zone, so no run can end in a deal.
            assert row["parties.p2.reservation"] == 0.95 and ref.zone == []


def test_scenario_for_compiles_to_the_edited_file():
    s = uncertain(3)
    axes = ["parties.p0.values.x2.o1", "parties.p1.weights.x0", "parties.p0.linkages.l0.bonus", "draft.x3"]
    ap = AxisApplier(s, axes)
    row = dict(zip(axes, [0.9, 2.0, -0.3, "o2"]))
    want = compile_scenario(edited(s, row))
    for a in (ap.compiled(row), compile_scenario(ap.scenario_for(row))):
        for name in ("wv", "reservation", "draft"):
            assert np.array_equal(getattr(a, name), getattr(want, name)), name
        assert [t.bonus for t in a.terms] == [t.bonus for t in want.terms]
    assert want.draft[3] == 2 and want.terms[[t.kind for t in want.terms].index("link")].bonus == quanta(-0.3) * float(QUANTUM)
