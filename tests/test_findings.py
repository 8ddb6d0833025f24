"""What a person reads from the Python API and the CLI is whole (issue 14)."""

from __future__ import annotations

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
