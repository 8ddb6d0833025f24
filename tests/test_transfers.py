"""Side payments: the zone with transfers (closed form) and the Nash point with transfers (water-filling).

- the water-filling split against scipy.optimize (SLSQP) and the closed-form zone against a
  linear program (scipy.optimize.linprog), on small random cases;
- a hand-worked scenario (the frozen assets split between Kyiv and Moscow);
- the zone against the independent reference (tests/reference.py) on random scenarios;
- the half-pair kernels against the package-by-package scorer (zone, Nash point and split), also
  with conditioning forced and members taken a few at a time, and on a shipped 127 M-package round;
- errors at file:line:col for bad input.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog, minimize

import negosim
from conftest import run_cli
from reference import Reference
from strategies_scenarios import scenarios, write_scenario
from test_ratification import assert_error_at
from test_reference_agreement import SETTINGS, load

from negosim.engine.transfers import analyze_transfers, best_split, needs, scored_transfers, water_fill


def scipy_best(g, v, pi, T):
    """max sum pi log(g + v s) over s >= 0, sum s <= T, by SLSQP from several starts."""
    K = len(g)
    best = -np.inf
    owed = np.maximum(-g / v, 0)
    if owed.sum() >= T:  # no split makes every gain positive
        return best
    spare = (T - owed.sum()) * 0.999
    # Starts where every gain is positive (SLSQP needs a finite objective): the rest spread, or to one party.
    for start in [owed + spare / K, *(owed + np.eye(K) * spare)]:
        r = minimize(lambda s: -np.sum(pi * np.log(np.maximum(g + v * s, 1e-12))), start, method="SLSQP",
                     bounds=[(0, None)] * K, constraints=[{"type": "ineq", "fun": lambda s: T - s.sum()}],
                     options={"ftol": 1e-13, "maxiter": 500})
        x = np.maximum(r.x, 0) * min(1.0, T / max(np.maximum(r.x, 0).sum(), 1e-300))  # on the feasible set
        if (g + v * x > 0).all():
            best = max(best, float(np.sum(pi * np.log(g + v * x))))
    return best


def test_water_filling_matches_scipy():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(60):
        K = int(rng.integers(1, 5))
        g = rng.uniform(-0.3, 0.5, K)
        v = rng.uniform(0.1, 2.0, K)
        pi = rng.choice([0.5, 1.0, 2.0], K)
        T = float(rng.uniform(0, 1.0))
        s = water_fill(g[None], v, pi, np.array([T]))[0]
        assert (s >= -1e-12).all() and s.sum() <= T + 1e-9
        ours = np.sum(pi * np.log(g + v * s)) if (g + v * s > 0).all() else -np.inf
        theirs = scipy_best(g, v, pi, T)
        if np.maximum(-g / v, 0).sum() < T:
            checked += 1
            assert ours >= theirs - 1e-9, (g, v, pi, T, ours, theirs)
            assert ours <= theirs + 1e-6  # scipy finds the optimum too
        else:  # no split makes every gain positive: the negative gains lack more than T
            assert ours == theirs == -np.inf
    assert checked > 30


def test_zone_closed_form_matches_a_linear_program():
    rng = np.random.default_rng(11)
    for _ in range(200):
        P = int(rng.integers(1, 5))
        u = rng.uniform(0, 1, P)
        r = rng.uniform(0, 1, P)
        v = np.where(rng.random(P) < 0.2, 0.0, rng.uniform(0.1, 2, P))
        needed = rng.random(P) < 0.8
        T = float(rng.uniform(0, 1))
        _, ok = needs(u[:, None], np.zeros((P, 1), bool), needed[:, None], r, v, np.array([T]))
        # Is there s >= 0, sum s <= T, u_i + v_i s_i >= r_i - 1e-9 for every needed i?
        A = [np.ones(P)] + [-np.eye(P)[i] * v[i] for i in range(P) if needed[i]]
        b = [T] + [u[i] - (r[i] - 1e-9) for i in range(P) if needed[i]]
        lp = linprog(np.zeros(P), A_ub=np.array(A), b_ub=np.array(b), bounds=[(0, None)] * P, method="highs")
        assert bool(ok[0]) == (lp.status == 0), (u, r, v, needed, T)


# The frozen assets (300 units; only when they are used) and the land; both parties needed.
# Package index 2 * assets + land: 0 frozen/keep, 1 frozen/cede, 2 used/keep, 3 used/cede.
ASSETS = {
    "negosim": 1, "name": "assets",
    "provisions": {
        "assets": {"label": "Frozen assets", "options": {"frozen": {"label": "Frozen", "status_quo": True},
                                                         "used": {"label": "Used"}},
                   "transferable": {"total": 300, "unit": "USD bn", "value_per_unit": {"ua": 0.002, "ru": 0.001},
                                    "options": ["used"]}},
        "land": {"label": "Land", "options": {"keep": {"label": "Keep", "status_quo": True},
                                              "cede": {"label": "Cede"}}}},
    "parties": {
        # ua = .5 v_assets + .5 v_land: 0 .5, 1 0, 2 .8, 3 .3; ru: 0 .25, 1 .75, 2 0, 3 .5.
        "ua": {"reservation": 0.5, "weights": {"assets": 0.5, "land": 0.5},
               "values": {"assets": {"frozen": 0, "used": 0.6}, "land": {"keep": 1, "cede": 0}}},
        "ru": {"reservation": 0.4, "weights": {"assets": 0.5, "land": 0.5},
               "values": {"assets": {"frozen": 0.5, "used": 0}, "land": {"keep": 0, "cede": 1}}}},
    "draft": {"assets": "used", "land": "cede"},
}
# Without transfers the zone is empty (0: ru .25 < .4; 1: ua 0; 2: ru 0; 3: ua .3 < .5).
# With them: 0 and 1 have nothing to split; 2 needs ru to get .4 / .001 = 400 > 300; 3 needs
# ua to get .2 / .002 = 100 <= 300: zone {3}. Nash at 3: gains -.2 and .1, so a = g / v =
# (-100, 100), level L = (300 + 0) / 2 = 150, split (250, 50): gains .3 and .15, product .045.


def test_hand_assets():
    s = load(ASSETS)
    a = negosim.analyze(s)
    assert a.zone_size == 0
    t = a.transfers
    assert (t.zone_size, t.nash.index) == (1, 3)
    assert t.nash.split == pytest.approx({"ua": 250.0, "ru": 50.0})
    assert t.nash.utilities == pytest.approx({"ua": 0.8, "ru": 0.55})
    assert t.nash.nash_product == pytest.approx(0.045)
    assert Reference(s).transfer_zone(s) == [3]
    # Fewer assets: 99 units cannot buy ua's yes.
    less = copy.deepcopy(ASSETS)
    less["provisions"]["assets"]["transferable"]["total"] = 99
    t = negosim.analyze(load(less)).transfers
    assert (t.zone_size, t.nash) == (0, None) and Reference(load(less)).transfer_zone(load(less)) == []


def test_json_and_terminal(tmp_path):
    path = write_scenario(ASSETS, tmp_path)
    r = run_cli("analyze", str(path), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["zone_size"] == 0 and out["transfers"]["zone_size"] == 1
    assert out["transfers"]["nash"]["split"] == pytest.approx({"ua": 250.0, "ru": 50.0})
    r = run_cli("analyze", str(path))
    assert "With side payments (300 USD bn of assets to split): zone of agreement 1 package (without: 0)" \
        in " ".join(r.stdout.split())


def test_nash_with_transfers_is_the_best_over_packages_and_splits():
    # Every package's optimum by scipy; the engine's point must reach the best of them.
    rng = np.random.default_rng(3)
    from negosim.engine.random_scenario import random_scenario
    base = random_scenario(parties=3, provisions=3, options=2, seed=5, reservation=0.45)
    prov = base.provisions["x0"].model_copy(update={"transferable": negosim.scenario.schema.Transferable(
        total=0.5, unit="u", value_per_unit={p: float(rng.uniform(0.2, 1.0)) for p in base.parties})})
    s = base.model_copy(update={"provisions": {**base.provisions, "x0": prov}})
    t = analyze_transfers(s)
    cs = negosim.compile_scenario(s)
    sc = cs.score(cs.space.all())
    v = np.array([prov.transferable.value_per_unit[p].point for p in cs.party_ids])
    best = -np.inf
    for i in range(cs.space.size):
        _, ok = needs(sc.util[:, i:i + 1], sc.red[:, i:i + 1], sc.needed[:, i:i + 1], cs.reservation, v,
                      np.array([0.5]))
        if ok[0]:
            best = max(best, scipy_best(sc.util[:, i] - cs.reservation, v, cs.power, 0.5))
    assert t.nash is not None and np.isfinite(best)
    assert np.log(t.nash.nash_product) == pytest.approx(best, abs=1e-6)


def test_best_split_pays_needed_non_bargainers_first():
    # Party 2 holds no veto (not a bargainer) but is needed here: it gets exactly what it lacks.
    util = np.array([[0.6], [0.6], [0.3]])
    s, log_nash, ok = best_split(util, np.zeros((3, 1), bool), np.ones((3, 1), bool), np.array([0.5, 0.5, 0.5]),
                                 np.ones(3), np.array([True, True, False]), np.array([1.0, 1.0, 0.5]),
                                 np.array([1.0]))
    assert ok[0] and s[2, 0] == pytest.approx((0.5 - 1e-9 - 0.3) / 0.5)
    assert s[0, 0] == pytest.approx(s[1, 0]) and s[:, 0].sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("change, message", [
    (lambda d: d["provisions"]["assets"]["transferable"]["value_per_unit"].update(eu=1), "unknown party 'eu'"),
    (lambda d: d["provisions"]["assets"]["transferable"].update(total=-1), "must be at least 0"),
    (lambda d: d["provisions"]["assets"]["transferable"]["value_per_unit"].update(ua=-0.1), "must be at least 0"),
    (lambda d: d["provisions"]["assets"]["transferable"].update(options=["spent"]), "unknown option 'spent'"),
    (lambda d: d["provisions"]["land"].update(transferable={"total": 1, "unit": "km", "value_per_unit": {}}),
     "at most one provision may be transferable"),
])
def test_bad_transferable_is_an_error_at_its_place(tmp_path, change, message):
    assert_error_at(ASSETS, change, message, tmp_path)


# --------------------------------------------------------------------------- against the reference

@st.composite
def with_transfer(draw, aggregation="weighted_sum"):
    """A random scenario (tests/strategies_scenarios.py) with one transferable provision."""
    data = draw(scenarios(aggregation=aggregation))
    prov = draw(st.sampled_from(list(data["provisions"])))
    options = list(data["provisions"][prov]["options"])
    t = {"total": draw(st.integers(0, 8)) / 4, "unit": "u",
         "value_per_unit": {p: draw(st.integers(0, 8)) / 8 for p in data["parties"] if draw(st.booleans())}}
    if draw(st.booleans()):
        t["options"] = draw(st.lists(st.sampled_from(options), min_size=1, unique=True))
    data["provisions"][prov]["transferable"] = t
    return data


@settings(max_examples=80, **SETTINGS)
@given(with_transfer())
def test_zone_agrees_with_the_reference(data):
    s = load(data)
    try:
        ref = Reference(s)
    except ValueError:
        return
    t = analyze_transfers(s)
    zone = ref.transfer_zone(s)
    assert t.zone_size == len(zone)
    assert set(ref.zone) <= set(zone)  # a transfer of nothing is a split too
    if t.nash is not None:
        assert t.nash.index in zone


# --------------------------------------------------------------------------- kernels against the scorer

def same(t, u):
    """The half-pair analysis ``t`` equals the package-by-package one ``u``."""
    assert t.zone_size == u.zone_size
    assert (t.nash is None) == (u.nash is None)
    if t.nash is not None:
        assert (t.nash.index, t.nash.package) == (u.nash.index, u.nash.package)
        assert t.nash.split == pytest.approx(u.nash.split, abs=1e-12)
        assert t.nash.nash_product == pytest.approx(u.nash.nash_product, rel=1e-12)


@settings(max_examples=80, **SETTINGS)
@given(with_transfer(aggregation=None), st.integers(1, 40))
def test_kernels_agree_with_the_scorer(data, chunk):
    # Both aggregations (mean_of_addressed walks whole packages), members a few at a time.
    s = load(data)
    same(analyze_transfers(s, chunk=chunk), scored_transfers(s))


def test_kernels_agree_with_the_scorer_under_conditioning(monkeypatch):
    # Tiny halves force provisions into the conditioning set, the transferable one among them
    # in some blocks: its option is then the block's, not a row's.
    import negosim.engine.split as split
    from negosim.engine.random_scenario import random_scenario
    from negosim.scenario.schema import Transferable
    monkeypatch.setattr(split, "MAX_HALF", 4)
    rng = np.random.default_rng(1)
    zones = []
    for seed in range(12):
        base = random_scenario(parties=3, provisions=5, options=3, seed=seed, reservation=0.55, red_lines=1,
                               list_veto=seed % 2)
        name = f"x{seed % 5}"
        prov = base.provisions[name].model_copy(update={"transferable": Transferable(
            total=float(rng.uniform(0.1, 0.6)), unit="u", options=["o1", "o2"] if seed % 3 else None,
            value_per_unit={p: float(rng.choice([0.0, 0.5, 1.0])) for p in base.parties})})
        s = base.model_copy(update={"provisions": {**base.provisions, name: prov}})
        assert split.plan_split(negosim.compile_scenario(s)).C
        t = analyze_transfers(s, chunk=7)
        same(t, scored_transfers(s))
        zones.append((negosim.analyze(s, pareto=False).zone_size, t.zone_size))
    assert any(z < zt for z, zt in zones)  # transfers do buy packages in these cases


def test_shipped_round_with_the_assets_transferable():
    # 127,401,984 packages: far beyond the package-by-package scorer, exact by halves.
    from negosim.limits import MAX_TRANSFER_PACKAGES
    s = negosim.load("scenarios/framework20_assets_2025_12.yaml")
    cs = negosim.compile_scenario(s)
    assert cs.space.size == 127_401_984 <= MAX_TRANSFER_PACKAGES
    t = analyze_transfers(s, cs)
    plain = negosim.analyze(negosim.load("scenarios/framework20_2025_12.yaml"), pareto=False).zone_size
    assert t.zone_size > plain > 0
    # The Nash point is in the zone with transfers, by the scorer and the closed form.
    x = np.array([cs.space.decode_one(t.nash.index)])
    sc = cs.score(x)
    v = np.array([s.provisions["frozen_assets"].transferable.value_per_unit.get(p).point
                  if p in s.provisions["frozen_assets"].transferable.value_per_unit else 0.0 for p in cs.party_ids])
    _, ok = needs(sc.util, sc.red, sc.needed, cs.reservation, v, np.array([t.total]))
    assert ok[0] and t.nash.package["frozen_assets"] == "reparations"
    assert sum(t.nash.split.values()) == pytest.approx(t.total)
