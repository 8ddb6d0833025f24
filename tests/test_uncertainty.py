"""Uncertain numbers: distributions, sampling, acceptance probabilities, distance to yes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import negosim
import negosim.engine.split as halves
from negosim.uncertainty.acceptance import _count_chunks, acceptance_report, most_robust, package_odds
from negosim.engine.compiled import compile_scenario
from negosim.uncertainty.distance_to_yes import distance_to_yes
from negosim.errors import NegosimError, ScenarioError
from negosim.scenario.numbers import Number
from negosim.scenario.schema import Parameter, Scenario
from negosim.uncertainty.sampling import (Sampler, dist_mean, sample, sample_tables, score_draws, unanimous_draws,
                                 widen, wilson)
from negosim.scenario.yaml_io import load_scenario

DISTS = {
    "uniform": {"dist": "uniform", "low": 0.2, "high": 0.6},
    "range": {"low": 0.1, "high": 0.3, "value": 0.25},
    "triangular": {"dist": "triangular", "low": 0.1, "mode": 0.7, "high": 0.9},
    "normal": {"dist": "normal", "mean": 0.4, "sd": 0.15, "low": 0.0, "high": 1.0},
    "normal_far": {"dist": "normal", "mean": 0.95, "sd": 0.3, "low": 0.5, "high": 1.0},
    "beta": {"dist": "beta", "a": 2.0, "b": 5.0},
    "beta_scaled": {"dist": "beta", "a": 0.5, "b": 0.5, "low": 0.3, "high": 0.8},
}


def _scipy(spec: dict):
    """The same distribution in scipy.stats, as an independent reference."""
    n = Number.model_validate(spec)
    lo, hi = n.support
    d = n.dist or "uniform"
    if d == "uniform":
        return stats.uniform(lo, hi - lo)
    if d == "triangular":
        return stats.triang((n.mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    if d == "normal":
        return stats.truncnorm((lo - n.mean) / n.sd, (hi - n.mean) / n.sd, loc=n.mean, scale=n.sd)
    return stats.beta(n.a, n.b, loc=lo, scale=hi - lo)


def _with_reservation(s: Scenario, party: str, spec) -> Scenario:
    num = Number.model_validate(spec)
    parties = dict(s.parties)
    parties[party] = parties[party].model_copy(update={"reservation": num})
    return s.model_copy(update={"parties": parties})


# --------------------------------------------------------------------------- validation

def _write(tmp_path, spec_text: str):
    s = negosim.random_scenario(2, 2, 2, seed=0)
    text = negosim.dump(s)
    text = text.replace("reservation: 0.5", f"reservation: {spec_text}", 1)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "reservation:" in ln)
    return path, line


@pytest.mark.parametrize("spec, message", [
    ("{dist: normal, mean: 0.5, sd: 0.1}", "a normal distribution can leave [0, 1]; truncate it with low and high"),
    ("{dist: uniform, low: 0.2, high: 1.2}", "must be between 0 and 1 (got 1.2)"),
    ("{dist: normal, mean: 0.5, sd: 0.1, low: -0.5, high: 1}", "must be between 0 and 1 (got -0.5)"),
    ("{dist: triangular, low: 0.2, mode: 0.9, high: 0.6}", "mode 0.9 lies outside [0.2, 0.6]"),
    ("{dist: triangular, low: 0.2, high: 0.6}", "a triangular distribution needs a mode (or a value)"),
    ("{dist: beta, a: 0, b: 2}", "a beta distribution needs a > 0"),
    ("{dist: beta, a: 2}", "a beta distribution needs b > 0"),
    ("{dist: normal, mean: 0.5, low: 0, high: 1}", "a normal distribution needs sd > 0"),
    ("{dist: uniform, low: 0.2, high: 0.6, sd: 0.1}", "'sd' is not a parameter of a uniform distribution"),
    ("{value: 0.5, mode: 0.4}", "'mode' belongs to a distribution; add dist: triangular"),
    ("{dist: uniform, value: 0.5}", "a uniform distribution needs low and high"),
    ("{dist: gamma, low: 0, high: 1}", "must be"),
])
def test_bad_distributions_are_refused_with_file_line_col(tmp_path, spec, message):
    path, line = _write(tmp_path, spec)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert text.startswith(f"{path}:{line}:"), text
    assert "parties.p0.reservation" in text and message in text, text


@pytest.mark.parametrize("field, spec, message", [
    ("power", "{dist: beta, a: 2, b: 2}", "a beta distribution spans [0, 1] unless low and high are given"),
    ("power", "{dist: normal, mean: 1, sd: 0.2, low: 0, high: 2}", "must be greater than 0"),
    ("discount", "{dist: uniform, low: 0.5, high: 1.1}", "a discount factor must be in (0, 1]"),
    ("drift", "{dist: normal, mean: 0, sd: 0.1}", "a normal distribution can leave [-1, 1]"),
])
def test_bounds_of_other_kinds_of_numbers(tmp_path, field, spec, message):
    s = negosim.random_scenario(2, 2, 2, seed=0)
    lines = negosim.dump(s).splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if ln.startswith(f"    {field}:"))
    lines[line - 1] = f"    {field}: {spec}"
    text = "\n".join(lines) + "\n"
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}:{line}:") and message in str(err.value), str(err.value)


@pytest.mark.filterwarnings("ignore::negosim.errors.WeightsNormalizedWarning")
def test_every_distribution_loads_and_round_trips(tmp_path):
    s = negosim.random_scenario(3, 3, 2, seed=1)
    parties = dict(s.parties)
    for i, (name, spec) in enumerate(list(DISTS.items())[:3]):
        parties[f"p{i}"] = parties[f"p{i}"].model_copy(update={"reservation": Number.model_validate(spec)})
    weights = dict(parties["p0"].weights)
    weights["x0"] = Number.model_validate({"dist": "beta", "a": 2, "b": 3, "low": 0.1, "high": 0.5,
                                           "assumption": "salience unclear"})
    parties["p0"] = parties["p0"].model_copy(update={"weights": weights})
    s = Scenario.model_validate(s.model_copy(update={"parties": parties}).model_dump())
    path = tmp_path / "s.yaml"
    negosim.dump(s, path)
    back = negosim.load(path)
    assert back == s
    assert back.parties["p0"].weights["x0"].assumption == "salience unclear"
    data = yaml.safe_load(path.read_text())
    assert data["parties"]["p0"]["reservation"] == {"low": 0.2, "high": 0.6, "dist": "uniform"}


def test_point_and_support():
    assert Number.model_validate(DISTS["triangular"]).point == 0.7
    assert Number.model_validate(DISTS["normal"]).point == 0.4
    assert Number.model_validate(DISTS["beta"]).point == pytest.approx(2 / 7)
    assert Number.model_validate(DISTS["beta_scaled"]).support == (0.3, 0.8)
    n = Number.model_validate({"dist": "normal", "value": 2.0, "sd": 0.5})
    assert n.support == (-math.inf, math.inf) and n.bounds == (0.5, 3.5)
    assert not Number.model_validate(0.3).uncertain
    assert Number.model_validate(DISTS["range"]).uncertain
    assert Number.model_validate(DISTS["normal"]).with_point(0.3) == Number(value=0.3)


# --------------------------------------------------------------------------- sampling

@pytest.mark.parametrize("name", sorted(DISTS))
def test_draws_follow_the_distribution(name):
    spec = DISTS[name]
    s = _with_reservation(negosim.random_scenario(2, 2, 2, seed=0), "p0", spec)
    sm = Sampler(s)
    k = sm.column("parties.p0.reservation")
    x = sm.draw(20_000, seed=11)[:, k]
    num = Number.model_validate(spec)
    lo, hi = num.support
    assert lo <= x.min() and x.max() <= hi
    ref = _scipy(spec)
    assert dist_mean(num) == pytest.approx(ref.mean(), rel=1e-9)
    assert abs(x.mean() - ref.mean()) < 5 * ref.std() / math.sqrt(len(x))
    assert stats.kstest(x, ref.cdf).pvalue > 1e-4


def test_sampling_is_reproducible_and_keyed_by_path():
    s = widen(negosim.random_scenario(3, 4, 3, seed=2), 0.1)
    a = sample_tables(s, 50, seed=3)
    b = sample_tables(s, 50, seed=3)
    c = sample_tables(s, 50, seed=4)
    assert np.array_equal(a.wv, b.wv) and np.array_equal(a.numbers, b.numbers)
    assert not np.array_equal(a.numbers, c.numbers)
    # More draws extend the same stream.
    assert np.array_equal(sample_tables(s, 20, seed=3).numbers, a.numbers[:20])
    # A number's draws do not depend on which other numbers are uncertain.
    only = _with_reservation(negosim.random_scenario(3, 4, 3, seed=2), "p1",
                             s.parties["p1"].reservation.model_dump())
    k = Sampler(s).column("parties.p1.reservation")
    assert np.array_equal(Sampler(only).draw(50, 3)[:, k], a.numbers[:, k])
    # A spawned SeedSequence works as a seed (sweeps pass one per row).
    ss = np.random.SeedSequence(7).spawn(2)[1]
    assert np.array_equal(sample_tables(s, 5, seed=ss).wv, sample_tables(s, 5, seed=ss).wv)
    # Sibling seeds (one per sweep row or replicate) draw different numbers: their spawn keys count.
    first, second = np.random.SeedSequence(7).spawn(2)
    assert not np.array_equal(sample_tables(s, 5, seed=first).numbers, sample_tables(s, 5, seed=second).numbers)


def _with_parameter(s: Scenario) -> Scenario:
    prm = Parameter.model_validate({
        "label": "pressure", "range": (0.0, 1.0),
        "value": {"dist": "triangular", "low": 0.0, "mode": 0.3, "high": 1.0},
        "effects": [{"path": "parties.p0.reservation", "per_unit": {"low": -0.2, "high": -0.1}},
                    {"path": "parties.p1.weights.x0", "per_unit": 0.3},
                    {"path": "parties.p1.values.x1.o0", "per_unit": {"dist": "normal", "mean": 0.5, "sd": 0.2}}]})
    return s.model_copy(update={"parameters": {"pressure": prm}})


@pytest.mark.parametrize("aggregation", ["weighted_sum", "mean_of_addressed"])
def test_tables_equal_compiling_each_sampled_scenario(aggregation):
    s = negosim.random_scenario(3, 4, 3, seed=6, red_lines=2, linkages=3, list_veto=1)
    s = _with_parameter(widen(s, 0.15, dist="triangular")).model_copy(update={"aggregation": aggregation})
    sm = Sampler(s)
    V = sm.draw(12, seed=5)
    T = sm.tables(V)
    X = T.base.space.all()
    util, red, needed = score_draws(T, X)
    for i, concrete in enumerate(sample(s, 12, seed=5)):
        cs = compile_scenario(concrete)
        assert np.array_equal(cs.wv, T.wv[i]) and np.array_equal(cs.reservation, T.reservation[i])
        ref = cs.score(X)
        assert np.array_equal(ref.util, util[i]) and np.array_equal(ref.red, red)
        assert np.array_equal(ref.needed, needed)
        assert np.array_equal(T.compiled(i).score(X).util, ref.util)
    # Parameters given explicitly are held, not drawn.
    held = sm.tables(V, params={"pressure": 0.5})
    ref = compile_scenario(sample(s, 12, seed=5)[3], params={"pressure": 0.5})
    assert np.array_equal(held.wv[3], ref.wv)


def test_points_compile_like_the_scenario_and_overrides_hold():
    s = _with_parameter(widen(negosim.random_scenario(3, 3, 2, seed=1, linkages=2), 0.1))
    sm = Sampler(s)
    cs = compile_scenario(s)
    t = sm.tables(sm.points())
    assert np.array_equal(t.wv[0], cs.wv) and np.array_equal(t.reservation[0], cs.reservation)
    t = sm.tables(sm.draw(30, 0), overrides={"parties.p2.reservation": 0.9})
    assert (t.reservation[:, 2] == 0.9).all()
    with pytest.raises(NegosimError, match="unknown parameter"):
        sm.tables(sm.points(), params={"nope": 1})
    with pytest.raises(NegosimError, match="must lie within"):
        sm.tables(sm.points(), params={"pressure": 2})
    with pytest.raises(NegosimError, match="unknown party"):
        sm.tables(sm.points(), overrides={"parties.zz.reservation": 0.1})


# --------------------------------------------------------------------------- probabilities

def test_wilson_interval():
    lo, hi = wilson(8, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.4902, 0.9433)
    assert wilson(0, 50)[0] == 0.0 and wilson(50, 50)[1] == 1.0
    for k in range(0, 21):
        lo, hi = wilson(k, 20)
        assert 0 <= lo <= k / 20 <= hi <= 1


def test_probabilities_lie_in_0_1_and_unanimity_is_the_least():
    s = widen(negosim.random_scenario(4, 5, 3, seed=8, reservation=0.45, red_lines=2, list_veto=1), 0.15)
    t = sample_tables(s, 300, seed=1)
    X = t.base.space.decode(np.arange(0, t.base.space.size, 17))
    named = {f"x{i}": x for i, x in enumerate(X)}
    for po in package_odds(t, named):
        needed = [o.p for p, o in po.parties.items() if po.needed[p]]
        assert 0 <= po.all.p <= min(needed + [1.0]) <= 1
        for o in list(po.parties.values()) + [po.all]:
            lo, hi = o.ci
            assert 0 <= lo <= o.p <= hi <= 1


def _shift_reservation(s: Scenario, party: str, delta: float) -> Scenario:
    num = s.parties[party].reservation
    lo, hi = num.bounds
    return _with_reservation(s, party, {"low": min(1.0, lo + delta), "high": min(1.0, hi + delta),
                                        "value": min(1.0, num.point + delta)})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), party=st.integers(0, 2), delta=st.floats(0.001, 0.3),
       red=st.integers(0, 2), links=st.integers(0, 2))
def test_acceptance_never_rises_when_a_reservation_rises(seed, party, delta, red, links):
    s = widen(negosim.random_scenario(3, 4, 3, seed=seed, reservation=0.45, red_lines=red, linkages=links), 0.1)
    higher = _shift_reservation(s, f"p{party}", delta)
    t0, t1 = sample_tables(s, 60, seed=seed), sample_tables(higher, 60, seed=seed)
    X = t0.base.space.all()
    a0 = unanimous_draws(t0, X).sum(axis=0)
    a1 = unanimous_draws(t1, X).sum(axis=0)
    assert (a1 <= a0).all()
    named = {"draft": t0.base.draft}
    p0, p1 = package_odds(t0, named)[0], package_odds(t1, named)[0]
    assert p1.parties[f"p{party}"].p <= p0.parties[f"p{party}"].p and p1.all.p <= p0.all.p
    r0, r1 = most_robust(t0), most_robust(t1)  # None: no package is ever unanimous (p = 0)
    assert (0.0 if r1 is None else r1.odds.all.p) <= (0.0 if r0 is None else r0.odds.all.p)


def _slow_counts(s: Scenario, n: int, seed: int) -> np.ndarray:
    """Per-draw loop: compile each sampled scenario and count unanimous draws per package."""
    h = n // 2
    out = None
    for i, concrete in enumerate(sample(s, n, seed=seed)):
        cs = compile_scenario(concrete)
        z = cs.score(cs.space.all()).in_zone
        if out is None:
            out = np.zeros((2, len(z)), np.int64)
        out[int(i >= h)] += z
    return out


@pytest.mark.parametrize("kw, max_half, aggregation", [
    (dict(), None, "weighted_sum"),
    (dict(list_veto=1), "small memory", "weighted_sum"),   # draws and rows of A in several chunks
    (dict(red_lines=3, linkages=3, list_veto=1), None, "weighted_sum"),
    (dict(red_lines=3, linkages=4, list_veto=2), 8, "weighted_sum"),   # conditioning set C
    (dict(red_lines=2, linkages=2, list_veto=1), None, "mean_of_addressed"),
])
def test_fast_counts_agree_with_a_slow_per_draw_loop(monkeypatch, kw, max_half, aggregation):
    if max_half == "small memory":
        import negosim.uncertainty.acceptance as acceptance
        monkeypatch.setattr(acceptance, "MEMORY", 40_000)
        monkeypatch.setattr(acceptance, "CACHE", 40_000)
        monkeypatch.setattr(acceptance, "PAIRS_PER_CHUNK", 200)
        max_half = None
    if max_half is not None:
        monkeypatch.setattr(halves, "MAX_HALF", max_half)
    s = negosim.random_scenario(4, 6, 3, seed=4, reservation=0.45, **kw)
    s = widen(s, 0.2).model_copy(update={"aggregation": aggregation})
    n = 24
    t = sample_tables(s, n, seed=2)
    plan = halves.plan_split(t.base)
    assert bool(plan.C) == (max_half is not None) and plan.additive == (aggregation == "weighted_sum")
    got = np.zeros((2, t.base.space.size), np.int64)
    for idx, c1, c2 in _count_chunks(t):
        got[0, idx] += c1
        got[1, idx] += c2
    ref = _slow_counts(s, n, 2)
    assert np.array_equal(got, ref)
    r = most_robust(t, top=3)
    tot = ref.sum(axis=0)
    assert r.odds.all.k == tot.max() and r.index == int(np.flatnonzero(tot == tot.max())[0])
    assert [o.k for _, _, o in r.ranking] == sorted(tot, reverse=True)[:3]
    assert r.any_draw == int((tot > 0).sum())
    pick = np.flatnonzero(ref[0] == ref[0].max())[0]
    assert r.split["pick_index"] == pick and r.split["p_check"] == ref[1, pick] / (n - n // 2)


def test_kernel_on_random_halves_agrees_with_numpy():
    from negosim.uncertainty.kernels import unanimous_counts
    rng = np.random.default_rng(0)
    S, P, nA, nB = 9, 3, 13, 37
    q = 2.0 ** -40
    uA = np.round(rng.random((S, P, nA)) * 0.5 / q) * q
    uB = np.round(rng.random((S, P, nB)) * 0.5 / q) * q
    thr = np.round(rng.uniform(0.3, 0.7, (S, P)) / q) * q
    needA = rng.integers(0, 8, nA)
    needB = rng.integers(0, 8, nB)
    always = 1
    red = rng.random((nA, nB)) < 0.1
    valid = (~red).astype(np.uint8)
    freeB = np.stack([((needB >> p) & 1) == 0 for p in range(P)]).astype(np.uint8)
    lim = rng.integers(0, nB + 1, nA)
    lim[0] = nB
    out = np.zeros((nA, nB), np.int32)
    zA, zB = np.zeros(nA, np.int64), np.zeros(nB, np.int64)  # no red-line masks needed, no consent rules
    unanimous_counts(uA, needA, uB, freeB, always, thr, valid, lim, 2, S, out, 3, zA, zA, zB, zB,
                     np.zeros((0, P + 2), np.int64))
    need = always | needA[:, None] | needB[None, :]
    ok = np.ones((S, nA, nB), bool)
    for p in range(P):
        acc = uA[:, p, :, None] + uB[:, p, None, :] >= thr[:, p, None, None]
        ok &= acc | (((need >> p) & 1) == 0)[None]
    ref = (ok & valid.astype(bool)[None])[2:].sum(axis=0)
    ref[np.arange(nB)[None, :] >= lim[:, None]] = 0  # rows of B past the prefix are not visited
    assert np.array_equal(out, ref) and ref[0].sum() > 0


def test_acceptance_report_names_the_analysis_packages():
    s = widen(negosim.random_scenario(3, 5, 3, seed=3, reservation=0.45), 0.1)
    a = negosim.analyze(s, top=2)
    rep = acceptance_report(s, 100, seed=0, analysis=a)
    names = [p.name for p in rep.packages]
    assert names[0] == "draft" and names[1:1 + sum(v is not None for v in a.solutions.values())]
    assert rep.uncertain_numbers == len(Sampler(s).uncertain)
    j = rep.to_json()
    assert json.loads(json.dumps(j)) == j
    quick = acceptance_report(s, 100, seed=0, robust=False)
    assert quick.robust is None and quick.packages[0].all.k == rep.packages[0].all.k
    with pytest.raises(NegosimError):
        acceptance_report(s, 1)


def test_large_spaces_search_candidates_only():
    s = widen(negosim.random_scenario(3, 5, 3, seed=3, reservation=0.45), 0.1)
    t = sample_tables(s, 40, seed=0)
    with pytest.raises(NegosimError, match="give candidate packages"):
        most_robust(t, max_work=100)
    r = most_robust(t, candidates=[0, 5, 17], max_work=100)
    assert not r.whole_space and r.searched == 3 and r.index in (0, 5, 17)


# --------------------------------------------------------------------------- distance to yes

def _verdict(scenario, x, p, path=None, value=None):
    cs = compile_scenario(scenario, overrides=None if path is None else {path: value})
    return bool(cs.score(np.asarray(x)[None, :]).accepts[p, 0])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_distance_to_yes_flips_exactly_at_the_reported_change(seed):
    s = widen(negosim.random_scenario(3, 3, 2, seed=seed, reservation=0.5, linkages=1), 0.15)
    d = distance_to_yes(s)
    cs = compile_scenario(s)
    x = cs.draft
    sm = Sampler(s)
    flipped_any = False
    for p, party in enumerate(cs.party_ids):
        base = _verdict(s, x, p)
        assert d[party].accepts == base
        f = d[party].flip
        if f is None:
            continue
        flipped_any = True
        lo, hi = f.bounds
        assert lo <= f.to <= hi
        assert _verdict(s, x, p, f.path, f.to) != base
        assert _verdict(s, x, p, f.path, f.point + f.change * (1 - 1e-9)) == base
        # No number flips the verdict with a smaller change (grid over each range).
        for k in sm.uncertain:
            path = sm.paths[k]
            if path[0] != "parties" or path[1] != party:  # other parties' numbers cannot move p's verdict
                continue
            nlo, nhi = sm.numbers[k].bounds
            t0 = sm.numbers[k].point
            for t in np.linspace(nlo, nhi, 41):
                if abs(t - t0) < abs(f.change) * (1 - 1e-6):
                    assert _verdict(s, x, p, path, t) == base, (party, path, t, f)
    assert flipped_any or seed != 0


def test_distance_to_yes_reasons():
    s = negosim.random_scenario(2, 2, 2, seed=0)
    d = distance_to_yes(s)
    assert all(v.flip is None and "no number of the scenario has a range" in v.reason for v in d.values())
    # A party held back by a red line on the draft has no distance to yes.
    s = widen(negosim.random_scenario(2, 3, 2, seed=0), 0.2)
    cs = compile_scenario(s)
    draft = cs.package_dict(cs.draft)
    parties = dict(s.parties)
    parties["p0"] = parties["p0"].model_copy(update={"red_lines": [
        negosim.scenario.schema.RedLine(id="never", forbid={"x0": draft["x0"], "x1": draft["x1"]})]})
    s = s.model_copy(update={"parties": parties})
    d = distance_to_yes(s)
    assert not d["p0"].accepts and d["p0"].flip is None and "red line never" in d["p0"].reason
    assert json.loads(json.dumps(d["p0"].to_json()))["direction"] == "to yes"


# --------------------------------------------------------------------------- CLI

def test_cli_analyze_samples_json_and_human(tmp_path, cli):
    s = widen(negosim.random_scenario(3, 5, 3, seed=3, reservation=0.45), 0.1)
    path = tmp_path / "s.yaml"
    negosim.dump(s, path)
    r = cli("analyze", str(path), "--json", "--samples", "200", "--seed", "4")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("space_size", "zone_size", "draft", "solutions", "repairs", "meta", "probabilities",
                "distance_to_yes"):
        assert key in out
    prob = out["probabilities"]
    assert prob["samples"] == 200 and prob["seed"] == 4 and prob["packages"][0]["name"] == "draft"
    ref = acceptance_report(s, 200, seed=4, analysis=negosim.analyze(s))
    assert prob["packages"][0]["all"]["p"] == ref.packages[0].all.p
    assert prob["robust"]["index"] == ref.robust.index
    assert set(out["distance_to_yes"]) == {"p0", "p1", "p2"}
    plain = json.loads(cli("analyze", str(path), "--json").stdout)
    assert plain["probabilities"] is None and plain["distance_to_yes"] == out["distance_to_yes"]
    human = cli("analyze", str(path), "--samples", "100")
    assert human.returncode == 0, human.stderr
    for words in ("Distance to yes", "Acceptance probabilities", "Most robust package", "How sure"):
        assert words in human.stdout
    bad = cli("analyze", str(path), "--samples", "1")
    assert bad.returncode == 2 and "--samples" in bad.stderr and "Traceback" not in bad.stderr


def test_degenerate_draw_counts():
    # 0 and 1 draws: odds without an estimate are None in JSON (not NaN), most_robust refuses in words.
    s = widen(negosim.random_scenario(parties=3, provisions=4, options=3, seed=0), 0.1)
    for n in (0, 1):
        t = sample_tables(s, n, seed=0)
        odds = package_odds(t, {"draft": t.base.draft})[0]
        assert odds.all.n == n and json.dumps(odds.to_json(), allow_nan=False)  # raises on NaN
        assert (odds.all.to_json()["p"] is None) == (n == 0)
        with pytest.raises(NegosimError, match="at least 2 draws"):
            most_robust(t)
    d = distance_to_yes(negosim.random_scenario(parties=2, provisions=3, options=2, seed=0))  # nothing uncertain
    assert all(x.flip is None and "no number" in x.reason for x in d.values())
