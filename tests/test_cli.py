"""The real ``negosim`` command in a subprocess."""

from __future__ import annotations

import json

import numpy as np

import negosim
from negosim.compiled import compile_scenario

from bruteforce import brute


def test_analyze_json_agrees_with_brute_force_on_a_million_packages(tmp_path, cli):
    s = negosim.random_scenario(4, 10, 4, seed=5, reservation=0.56)
    path = tmp_path / "random.yaml"
    negosim.dump(s, path)
    r = cli("analyze", str(path), "--json", "--pareto")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    b = brute(negosim.load(path))
    cs = compile_scenario(s)
    assert out["space_size"] == 4 ** 10
    assert out["zone_size"] == len(b["zone"]) > 0
    assert out["pareto_size"] == len(b["front"])
    got = sorted(cs.space.encode_one(cs.package_from_dict(p["package"])) for p in out["pareto"])
    assert got == b["front"].tolist()
    nash = out["solutions"]["nash"]
    assert cs.space.encode_one(cs.package_from_dict(nash["package"])) == b["solutions"]["nash"]
    util = cs.score(cs.package_from_dict(nash["package"])[None, :]).util[:, 0]
    assert [nash["utilities"][p] for p in cs.party_ids] == util.tolist()


def test_analyze_human_output(tmp_path, cli):
    path = tmp_path / "s.yaml"
    negosim.dump(negosim.random_scenario(3, 5, 3, seed=2), path)
    r = cli("analyze", str(path), "--top", "2")
    assert r.returncode == 0, r.stderr
    for word in ("Verdicts on the draft", "zone of agreement", "nash", "kalai_smorodinsky", "p0", "p2"):
        assert word in r.stdout


def test_validate_ok_and_bad(tmp_path, cli):
    good = tmp_path / "good.yaml"
    negosim.dump(negosim.random_scenario(2, 3, 2, seed=0), good)
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("reservation: 0.5", "reservation: 1.5", 1))
    r = cli("validate", str(good))
    assert r.returncode == 0 and "ok:" in r.stdout
    r = cli("validate", str(good), str(bad))
    assert r.returncode == 2
    # random scenarios carry bare numbers, so validate also warns about unsourced ones
    line = "\n".join(x for x in r.stderr.splitlines() if not x.startswith("warning:")).strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"{bad}:") and "parties.p0.reservation: must be between 0 and 1 (got 1.5)" in line


def test_schema_is_json_schema(cli):
    r = cli("schema")
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    assert schema["title"] == "negosim scenario"
    assert {"provisions", "parties", "draft"} <= set(schema["required"])
    assert "extends" in schema["properties"]


def test_bad_param_is_a_user_error(tmp_path, cli):
    path = tmp_path / "s.yaml"
    negosim.dump(negosim.random_scenario(2, 3, 2, seed=0), path)
    r = cli("analyze", str(path), "--param", "nope=1")
    assert r.returncode == 2 and "unknown parameter 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = cli("analyze", str(tmp_path / "missing.yaml"))
    assert r.returncode == 2 and "file not found" in r.stderr
