"""What a person reads from the Python API and the CLI is whole (issue 14)."""

from __future__ import annotations

import pytest

import negosim
from negosim.engine.analysis import ResultTable


def test_printed_verdicts_are_whole():
    s = negosim.random_scenario(parties=4, provisions=5, options=3, seed=3, red_lines=2)
    a = negosim.analyze(s)
    text = str(a.verdicts())
    assert "..." not in text
    for v in a.draft.values():
        assert v.reason() in text  # every reason in full, not cut at pandas' column width
    assert isinstance(a.verdicts(), ResultTable) and isinstance(a.solutions_table(), ResultTable)
    assert "..." not in repr(a.contributions()) and "..." not in str(a.solutions_table())


def test_trace_files_hold_the_same_rounded_numbers(tmp_path):
    """Trace files carried float noise (0.33550000000195723 for 0.3355); all formats now agree."""
    import json

    import pandas as pd

    from conftest import ROOT, run_cli
    shipped = ROOT / "scenarios" / "plan28_2025_11.yaml"
    frames = {}
    for ext in ("csv", "parquet", "json"):
        out = tmp_path / f"trace.{ext}"
        r = run_cli("run", str(shipped), "--seed", "0", "--rounds", "6", "--out", str(out))
        assert r.returncode == 0, r.stderr
        frames[ext] = (pd.read_csv(out) if ext == "csv" else pd.read_parquet(out) if ext == "parquet"
                       else pd.DataFrame(json.loads(out.read_text())))
    reals = ["reservation", "aspiration", "threshold", "utility", "conceded"]
    for ext, df in frames.items():
        for c in reals:
            vals = df[c].astype(float)
            assert (vals.round(9) == vals).all(), (ext, c, vals[vals.round(9) != vals].head().tolist())
            assert vals.tolist() == frames["parquet"][c].astype(float).tolist(), (ext, c)
    # Ukraine's utility of the 28-point draft in round 1 is the analysis's, to the 9 decimals written.
    ukraine = float(negosim.analyze(shipped, pareto=False).draft["ukraine"].utility)
    first = frames["csv"][(frames["csv"]["round"] == 1) & (frames["csv"]["party"] == "ukraine")]
    assert first["utility"].tolist() == [round(ukraine, 9)]


def test_distance_to_yes_reports_values_in_effect_under_a_parameter():
    """Under --param the flip was shown in pre-parameter values (issue 14, item 8)."""
    from negosim.scenario.schema import Scenario
    from negosim.uncertainty.distance_to_yes import distance_to_yes
    s = Scenario.model_validate({
        "negosim": 1, "name": "one party",
        "provisions": {"p": {"label": "P", "options": {"a": {"label": "A", "status_quo": True},
                                                      "b": {"label": "B"}}}},
        "parties": {"x": {"reservation": {"value": 0.55, "low": 0.4, "high": 0.9, "assumption": "test"},
                          "weights": {"p": 1}, "values": {"p": {"a": 0.0, "b": 0.6}}}},
        "parameters": {"k": {"label": "K", "range": [0, 1],
                             "effects": [{"path": "parties.x.reservation", "per_unit": 0.1}]}},
        "draft": {"p": "b"}})
    # Without the parameter x accepts (0.6 >= 0.55); with k = 1 its reservation in effect is 0.65.
    d = distance_to_yes(s, params={"k": 1.0})["x"]
    assert not d.accepts
    f = d.flip
    assert f.point == pytest.approx(0.65) and f.to == pytest.approx(0.6, abs=1e-8)
    assert f.bounds == pytest.approx((0.5, 1.0))
    assert f.share == pytest.approx(0.05 / 0.15, abs=1e-6)
    assert "moves 0.650 -> 0.600" in d.describe()
    # Without a parameter setting, the values are the scenario's own (k = 0).
    d0 = distance_to_yes(s)["x"]
    assert d0.accepts and d0.flip.point == pytest.approx(0.55)


def _two_numbers(res: tuple[float, float], cede: tuple[float, float]):
    """Brussels weighs land and aid alike and the draft cedes the land, without aid: its utility
    is 0.5 * v(cede) (0.25 at the point v = 0.5) against a reservation of 0.4."""
    from negosim.scenario.schema import Scenario
    return Scenario.model_validate({
        "negosim": 1, "name": "two numbers",
        "provisions": {"land": {"label": "Land", "options": {"keep": {"label": "Kept", "status_quo": True},
                                                            "cede": {"label": "Ceded"}}},
                       "aid": {"label": "Aid", "options": {"none": {"label": "None", "status_quo": True},
                                                          "fund": {"label": "A fund"}}}},
        "parties": {
            "moscow": {"reservation": 0.1, "weights": {"land": 0.5, "aid": 0.5},
                       "values": {"land": {"keep": 0.0, "cede": 1.0}, "aid": {"none": 0.5, "fund": 0.4}}},
            "brussels": {"label": "Brussels",
                         "reservation": {"value": 0.4, "low": res[0], "high": res[1], "assumption": "test"},
                         "weights": {"land": 0.5, "aid": 0.5},
                         "values": {"land": {"keep": 1.0, "cede": {"value": 0.5, "low": cede[0], "high": cede[1],
                                                                   "assumption": "test"}},
                                    "aid": {"none": 0.0, "fund": 1.0}}}},
        "draft": {"land": "cede", "aid": "none"}})


def test_distance_to_yes_names_the_closest_pair_when_no_single_number_flips():
    """Item 8: reservation in [0.3, 0.5], v(cede) in [0.3, 0.7]. Alone, the reservation at 0.3
    leaves 0.25 < 0.3 and v at 0.7 leaves 0.35 < 0.4: no single number flips Brussels. Both moved
    a share s of the way to their ends: 0.5 (0.5 + 0.2 s) >= 0.4 - 0.1 s from s = 0.75, at
    v = 0.65 and a reservation of 0.325."""
    from negosim.brief import brief
    from negosim.uncertainty.distance_to_yes import Pair, distance_to_yes
    s = _two_numbers((0.3, 0.5), (0.3, 0.7))
    d = distance_to_yes(s)["brussels"]
    assert not d.accepts and d.flip is None
    assert isinstance(d.beyond, Pair)
    assert d.beyond.share == pytest.approx(0.75, abs=1e-6)
    got = {f.name: f.to for f in d.beyond.flips}
    assert got == pytest.approx({"parties.brussels.values.land.cede": 0.65, "parties.brussels.reservation": 0.325},
                                abs=1e-6)
    j = d.to_json()["beyond_one_number"]
    assert j["kind"] == "pair" and {n["number"] for n in j["numbers"]} == set(got)
    text = " ".join(brief(s, negosim.analyze(s), {"brussels": d}))
    assert "Brussels's fallback from 0.400 to 0.325" in text and "from 0.500 to 0.650" in text
    # The pair a bit short of s = 0.75 does not flip (the same acceptance rule, recompiled).
    from negosim.engine.compiled import compile_scenario
    near = {("parties", "brussels", "reservation"): 0.4 - 0.1 * 0.74,
            ("parties", "brussels", "values", "land", "cede"): 0.5 + 0.2 * 0.74}
    cs = compile_scenario(s, overrides=near)
    assert not cs.score(cs.draft[None, :]).accepts[cs.party_ids.index("brussels"), 0]


def test_distance_to_yes_names_the_nearest_change_when_no_pair_flips():
    """Reservation in [0.35, 0.45], v(cede) in [0.45, 0.55]: the best pair leaves
    0.275 < 0.35; alone, the reservation at 0.35 leaves 0.100 short, v at 0.55 0.125."""
    from negosim.uncertainty.distance_to_yes import Nearest, distance_to_yes
    d = distance_to_yes(_two_numbers((0.35, 0.45), (0.45, 0.55)))["brussels"]
    assert d.flip is None and isinstance(d.beyond, Nearest)
    assert d.beyond.flip.name == "parties.brussels.reservation"
    assert d.beyond.flip.to == pytest.approx(0.35) and d.beyond.shortfall == pytest.approx(0.1, abs=1e-9)
    assert d.to_json()["beyond_one_number"]["kind"] == "nearest"
    assert "leaves it 0.100 short" in d.describe()


def test_samples_do_not_list_the_draft_again_as_a_repair(tmp_path):
    """Item 9: with the draft in the zone, 'Repairs: none needed' was followed by a 'repair 1'
    row and a 'repair 1: (the draft)' line in the acceptance probabilities."""
    import os
    import subprocess
    import sys
    s = _two_numbers((0.3, 0.5), (0.3, 0.7)).model_copy(update={"draft": {"land": "keep", "aid": "fund"}})
    a = negosim.analyze(s)
    assert a.repair_size == 0 and a.repairs  # the analysis lists the draft as its own repair
    path = tmp_path / "accepted.yaml"
    negosim.dump(s, path)
    r = subprocess.run([sys.executable, "-m", "negosim", "analyze", str(path), "--samples", "50"],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ, COLUMNS="160"))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Repairs: none needed" in out
    assert "repair" not in out[out.index("Acceptance probabilities"):], out
    # One row per package: the solution points at one package share a row.
    rows = [line.split("│")[1].strip() for line in out[out.index("Acceptance probabilities"):].splitlines()
            if line.startswith("│") and line.split("│")[1].strip()]
    packages = {tuple(sorted(p.package.items())) for p in a.solutions.values() if p is not None}
    assert len(rows) == 1 + len(packages - {tuple(sorted(s.draft.items()))}), rows
