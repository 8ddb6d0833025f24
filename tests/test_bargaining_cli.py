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
    assert main(["run", str(small), "--protocol", "haggling"]) == 2  # argparse's error, as a return code


def _many_parties(n: int, red_line: int | None = None, blocker: int | None = None) -> dict:
    """``n`` parties who all prefer yes/yes; one may hold a red line on x0=yes or want the impossible."""
    parties = {}
    for i in range(n):
        p = {"reservation": 0.99 if i == blocker else 0.35, "weights": {"x0": 0.5, "x1": 0.5},
             "values": {"x0": {"no": 0.0, "yes": 1.0}, "x1": {"no": 0.2, "yes": 0.8}}}
        if i == red_line:
            p["red_lines"] = [{"id": "never", "forbid": {"x0": "yes"}, "assumption": "the test's"}]
        parties[f"p{i:02d}"] = p
    options = {"no": {"label": "no", "status_quo": True}, "yes": {"label": "yes"}}
    return {"negosim": 1, "name": f"{n} parties", "provisions": {"x0": {"label": "X0", "options": options},
                                                                 "x1": {"label": "X1", "options": options}},
            "parties": parties, "draft": {"x0": "no", "x1": "no"}}


@pytest.mark.parametrize("protocol", ["single_text", "alternating_offers", "random_proposer"])
def test_64_parties_none_is_dropped(tmp_path, cli, protocol):
    # Every party counts, the 64th (bit 63 of a 64-bit mask) as much as the first: a red line held
    # by any one of them moves the agreement, and one party that wants the impossible blocks it.
    import yaml
    cases = {"all": ({}, {"x0": "yes", "x1": "yes"}),
             "red line of p63": ({"red_line": 63}, {"x0": "no", "x1": "yes"}),
             "p63 blocks": ({"blocker": 63}, None)}
    for name, (kw, package) in cases.items():
        path = tmp_path / "many.yaml"
        path.write_text(yaml.safe_dump(_many_parties(64, **kw)))
        r = cli("run", str(path), "--protocol", protocol, "--rounds", "12", "--json")
        assert r.returncode == 0, (name, r.stderr)
        out = json.loads(r.stdout)
        assert len(out["concessions"]) == 64, name
        if package is None:
            assert out["agreement"] is False, (name, out["reason"])
        else:
            assert out["agreement"] is True and out["package"] == package, (name, out)
            assert len(out["utilities"]) == 64
