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
