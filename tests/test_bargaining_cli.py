"""``negosim run``: the story, --json, --out, and user errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from negosim.cli import main
from negosim.random_scenario import random_scenario
from negosim.yamlio import dump_scenario


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    dump_scenario(random_scenario(parties=3, provisions=4, options=3, seed=4, reservation=0.35), path)
    return path


def test_run_tells_the_story_in_a_subprocess(cli, small):
    r = cli("run", str(small), "--protocol", "alternating_offers", "--seed", "1", "--rounds", "30")
    assert r.returncode == 0, r.stderr
    assert "Opening positions" in r.stdout and "Round 1" in r.stdout
    assert "p0 offers" in r.stdout
    assert ("Agreement in round" in r.stdout) or ("no agreement" in r.stdout)


@pytest.mark.parametrize("protocol", ["single_text", "alternating_offers", "random_proposer"])
def test_run_json_contract(small, capsys, protocol):
    assert main(["run", str(small), "--protocol", protocol, "--seed", "2", "--rounds", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"agreement", "package", "round", "utilities", "concessions", "reason"}
    assert set(out["concessions"]) == {"p0", "p1", "p2"}
    if out["agreement"]:
        assert set(out["package"]) == {"x0", "x1", "x2", "x3"} and 1 <= out["round"] <= 30
        assert all(u >= 0.35 - 1e-9 for u in out["utilities"].values())
    else:
        assert out["package"] is None and out["round"] is None


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_run_writes_the_trace(small, tmp_path, capsys, suffix):
    out = tmp_path / f"trace{suffix}"
    assert main(["run", str(small), "--rounds", "12", "--out", str(out), "--json"]) == 0
    n_rounds = json.loads(capsys.readouterr().out)["round"] or 12
    df = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".json": pd.read_json}[suffix](out)
    assert {"round", "party", "proposer", "utility", "reservation", "aspiration", "accepts"} <= set(df.columns)
    assert len(df) == 3 * n_rounds


def test_run_user_errors_exit_2(small, tmp_path, capsys):
    assert main(["run", str(small), "--out", str(tmp_path / "t.xlsx")]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["run", str(small), "--rounds", "0"]) == 2
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    with pytest.raises(SystemExit):
        main(["run", str(small), "--protocol", "haggling"])
