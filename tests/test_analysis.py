"""Exact analysis: hand-worked cases, agreement with brute force, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import negosim
import negosim.engine.split as halves
from negosim.engine.analysis import analyze
from negosim.engine.compiled import compile_scenario
from negosim.scenario.schema import Scenario

from bruteforce import brute


def _opts(*ids, sq=None):
    return {o: {"label": o, "status_quo": o == (sq or ids[0])} for o in ids}


def two_by_two() -> Scenario:
    """Two parties, two binary provisions; worked by hand in the comments."""
    return Scenario.model_validate({
        "negosim": 1, "name": "2x2",
        "provisions": {"x": {"label": "X", "options": _opts("a", "b")},
                       "y": {"label": "Y", "options": _opts("c", "d")}},
        "parties": {
            # U: (a,c)=0 (a,d)=.5 (b,c)=.5 (b,d)=1
            "u": {"reservation": 0.4, "weights": {"x": 0.5, "y": 0.5},
                  "values": {"x": {"a": 0, "b": 1}, "y": {"c": 0, "d": 1}}},
            # R: (a,c)=1 (a,d)=.75 (b,c)=.25 (b,d)=0
            "r": {"reservation": 0.2, "weights": {"x": 0.75, "y": 0.25},
                  "values": {"x": {"a": 1, "b": 0}, "y": {"c": 1, "d": 0}}},
        },
        "draft": {"x": "b", "y": "d"},
    })


def test_two_by_two_by_hand():
    a = analyze(two_by_two(), members=True)
    assert a.space_size == 4
    assert a.members.tolist() == [1, 2]          # (a,d) and (b,c)
    assert [s.index for s in a.pareto] == [1]     # (a,d) dominates (b,c)
    assert a.solutions["nash"].package == {"x": "a", "y": "d"}
    assert a.solutions["nash"].utilities == {"u": 0.5, "r": 0.75}
    # Draft (b,d): U accepts with 1.0, R rejects with 0 < 0.2.
    assert a.draft["u"].accepts and not a.draft["r"].accepts
    assert a.draft["r"].utility == 0.0 and a.draft["r"].margin == pytest.approx(-0.2)
    assert a.draft["u"].contributions == {"x": 0.5, "y": 0.5}
    # One change repairs it, two ways; (a,d) has the larger Nash product 0.1*0.55.
    assert (a.repair_size, a.repair_count) == (1, 2)
    assert [r.changes for r in a.repairs] == [{"x": "a"}, {"y": "c"}]
    assert a.repairs[0].nash_product == pytest.approx(0.1 * 0.55)
    assert a.repairs[0].effects["x"] == {"u": -0.5, "r": 0.75}


def three_party() -> Scenario:
    """A red line, a linkage and a list veto, small enough to enumerate by hand.

    Index = 4p + 2q + s. A = .5p + .5q; B = .5(1-p) + .25(1-q) + .25s + .25[q1 & s1];
    E cares only for s (s0 = 1, s1 = 0) and must consent only when s moves to s1.
    B's red line forbids (p1, q0).
    """
    return Scenario.model_validate({
        "negosim": 1, "name": "three",
        "provisions": {k: {"label": k, "options": _opts(f"{k}0", f"{k}1")} for k in "pqs"},
        "parties": {
            "A": {"reservation": 0.5, "weights": {"p": 0.5, "q": 0.5, "s": 0},
                  "values": {"p": {"p0": 0, "p1": 1}, "q": {"q0": 0, "q1": 1}}},
            "B": {"reservation": 0.25, "weights": {"p": 0.5, "q": 0.25, "s": 0.25},
                  "values": {"p": {"p0": 1, "p1": 0}, "q": {"q0": 1, "q1": 0}, "s": {"s0": 0, "s1": 1}},
                  "linkages": [{"id": "lk", "when": {"q": "q1", "s": "s1"}, "bonus": 0.25}],
                  "red_lines": [{"id": "no_p1_q0", "forbid": {"p": "p1", "q": "q0"}}]},
            "E": {"reservation": 0.5, "veto": ["s"], "weights": {"p": 0, "q": 0, "s": 1},
                  "values": {"s": {"s0": 1, "s1": 0}}},
        },
        "draft": {"p": "p1", "q": "q1", "s": "s1"},
    })


def test_three_party_red_line_linkage_veto_by_hand():
    a = analyze(three_party(), members=True)
    # 2 = (p0,q1,s0) is the only package everyone needed accepts:
    # 3 and 7 need E (s1) who rejects; 4 crosses B's red line; 0, 1 fail A; 6 fails B.
    assert a.members.tolist() == [2]
    assert a.draft["B"].utility == pytest.approx(0.5)           # .25 (s1) + .25 linkage
    assert a.draft["B"].linkages == [("lk", 0.25)]
    assert a.draft["E"].needed and not a.draft["E"].accepts
    assert not a.draft_accepted
    assert (a.repair_size, a.repair_count) == (2, 1)
    assert a.repairs[0].changes == {"p": "p0", "s": "s0"}
    verdict4 = negosim.engine.analysis.verdict(compile_scenario(three_party()), [1, 0, 0])
    assert verdict4["B"].red_lines == ["no_p1_q0"] and not verdict4["B"].accepts
    assert not verdict4["E"].needed


def test_empty_zone():
    s = negosim.random_scenario(parties=3, provisions=4, options=3, seed=1, reservation=0.99)
    a = analyze(s)
    assert a.zone_size == 0 and a.pareto_size == 0
    assert all(v is None for v in a.solutions.values())
    assert a.repair_size is None and a.repairs == []


def _kwargs(seed: int) -> dict:
    return dict(parties=2 + seed % 3, provisions=3 + seed % 4, options=2 + seed % 3, seed=seed,
                reservation=0.3 + 0.05 * (seed % 5), opposed=seed % 3 == 0, red_lines=seed % 4,
                linkages=(seed // 2) % 4, list_veto=seed % 2, decimals=1 if seed % 4 == 0 else None)


def check_against_brute(s: Scenario, top: int = 3) -> None:
    a = analyze(s, members=True, top=top)
    b = brute(s)
    assert a.zone_size == len(b["zone"])
    assert np.array_equal(a.members, b["zone"])
    assert [p.index for p in a.pareto] == b["front"].tolist()
    for name, idx in b["solutions"].items():
        got = a.solutions[name]
        assert (got.index if got else None) == idx, name
    k, count, order, nash = b["repairs"]
    assert (a.repair_size, a.repair_count) == (k, count)
    assert [r.index for r in a.repairs] == order[:top]
    assert [r.nash_product for r in a.repairs] == pytest.approx(nash[:top])


@pytest.mark.parametrize("seed", range(24))
def test_agrees_with_brute_force(seed):
    check_against_brute(negosim.random_scenario(**_kwargs(seed)))


@pytest.mark.parametrize("seed", range(8))
def test_conditioning_and_chunking_never_change_a_result(seed, monkeypatch):
    s = negosim.random_scenario(**_kwargs(seed))
    ref = analyze(s, members=True)
    for max_half in (2, 8):
        monkeypatch.setattr(halves, "MAX_HALF", max_half)
        a = analyze(s, members=True)
        assert np.array_equal(a.members, ref.members)
        assert [p.index for p in a.pareto] == [p.index for p in ref.pareto]
        assert {k: v and v.index for k, v in a.solutions.items()} == \
            {k: v and v.index for k, v in ref.solutions.items()}
        assert [r.index for r in a.repairs] == [r.index for r in ref.repairs]


def test_mean_of_addressed_matches_brute_force(monkeypatch):
    data = negosim.random_scenario(parties=3, provisions=5, options=3, seed=4).model_dump(mode="json")
    data["aggregation"] = "mean_of_addressed"
    for prov in data["provisions"].values():
        prov["options"]["o2"]["absent"] = True
    s = Scenario.model_validate(data)
    check_against_brute(s)
    monkeypatch.setattr(halves, "CHUNK_ROWS", 8)   # forces many whole-package blocks
    check_against_brute(s)


@st.composite
def scenarios(draw):
    return negosim.random_scenario(
        parties=draw(st.integers(2, 4)), provisions=draw(st.integers(2, 6)), options=draw(st.integers(2, 4)),
        seed=draw(st.integers(0, 10_000)), reservation=draw(st.sampled_from([0.2, 0.4, 0.5, 0.6])),
        opposed=draw(st.booleans()), red_lines=draw(st.integers(0, 3)), linkages=draw(st.integers(0, 3)),
        list_veto=draw(st.integers(0, 1)), decimals=draw(st.sampled_from([None, 1, 2])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_front_and_nash_properties(s):
    a = analyze(s, members=True)
    cs = a.compiled
    zone = a.members
    U = cs.score(cs.space.decode(zone)).util.T
    front = np.isin(zone, [p.index for p in a.pareto])
    F = U[front]
    for i in range(len(zone)):
        dominated = ((U >= U[i]).all(axis=1) & (U > U[i]).any(axis=1)).any()
        # no front member is dominated by an acceptable package; every non-member is
        assert dominated != front[i]
    if a.solutions["nash"] is not None:
        bar = cs.vetoing if cs.vetoing.any() else np.ones(cs.n_parties, bool)
        prod = np.prod(np.maximum(U[:, bar] - cs.reservation[bar], 0) ** cs.power[bar], axis=1)
        assert a.solutions["nash"].index in zone[prod == prod.max()]
    assert len(F) == a.pareto_size


@settings(max_examples=25, deadline=None)
@given(scenarios(), st.floats(0.01, 0.3))
def test_zone_shrinks_when_a_reservation_rises(s, rise):
    a = analyze(s, members=True, pareto=False, top=0)
    data = s.model_dump(mode="json")
    first = next(iter(data["parties"]))
    r = data["parties"][first]["reservation"]
    data["parties"][first]["reservation"] = min(1.0, (r if isinstance(r, float) else r["value"]) + rise)
    b = analyze(Scenario.model_validate(data), members=True, pareto=False, top=0)
    assert set(b.members.tolist()) <= set(a.members.tolist())


def test_json_contract_keys():
    s = negosim.random_scenario(parties=3, provisions=4, options=3, seed=3)
    out = analyze(s).to_json(pareto=True)
    for key in ("space_size", "zone_size", "pareto_size", "draft", "solutions", "repairs", "meta", "pareto"):
        assert key in out
    assert set(out["solutions"]) == {"nash", "kalai_smorodinsky", "egalitarian", "utilitarian"}
    assert set(out["meta"]) >= {"negosim_version", "scenario_sha256", "articles"}
    for v in out["draft"].values():
        assert set(v) >= {"utility", "reservation", "accepts", "red_lines"}
    for r in out["repairs"]:
        assert set(r) >= {"changes", "package", "nash_product"}
    assert len(out["pareto"]) == out["pareto_size"]


def test_the_front_is_a_sequence_built_as_it_is_read(monkeypatch):
    # 8 parties make a large front: building a Solution per member up front cost ~2 s there.
    import negosim.engine.analysis as an
    from negosim.engine.random_scenario import random_scenario
    built = []
    real = an.Solution

    def counting(*args, **kw):
        built.append(args[0] if args else kw.get("index"))
        return real(*args, **kw)
    monkeypatch.setattr(an, "Solution", counting)
    a = an.analyze(random_scenario(parties=4, provisions=6, options=3, seed=3, reservation=0.3), top=0,
                   pareto=True)
    n_points = sum(v is not None for v in a.solutions.values())
    assert a.pareto_size == len(a.pareto) > n_points + 5
    assert len(built) <= n_points  # nothing of the front was built yet
    # Read: the same packages and utilities as the table, in package-index order.
    table = a.pareto_table()
    sols = list(a.pareto)
    assert [s.index for s in sols] == table["index"].tolist() == sorted(table["index"])
    for s, (_, row) in zip(sols, table.iterrows()):
        assert s.utilities == {p: row[p] for p in a.compiled.party_ids}
        assert s.package == a.compiled.package_dict(a.compiled.space.decode_one(s.index))
    assert a.pareto[1:3] == sols[1:3] and a.pareto[-1] == sols[-1] and a.pareto == sols


def test_a_scenario_file_is_loaded_once(tmp_path, monkeypatch):
    """analyze(path) reads the file once, though its ratification, side-payment and consent steps use it."""
    import negosim.scenario.yaml_io as yaml_io
    from negosim.engine.analysis import analyze
    from negosim.engine.random_scenario import random_scenario
    path = tmp_path / "s.yaml"
    path.write_text(yaml_io.dump_scenario(random_scenario(parties=3, provisions=3, options=2, seed=4)))
    calls = []
    real = yaml_io.load_scenario
    monkeypatch.setattr(yaml_io, "load_scenario", lambda *a, **k: calls.append(a) or real(*a, **k))
    a = analyze(path)
    assert len(calls) == 1
    b = analyze(real(path))
    assert (a.zone_size, a.meta["scenario_sha256"]) == (b.zone_size, b.meta["scenario_sha256"])
