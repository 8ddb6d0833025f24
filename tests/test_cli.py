"""The real ``negosim`` command in a subprocess."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import yaml

import negosim
from negosim.engine.compiled import compile_scenario

from bruteforce import brute
from reference import QUANTUM, Reference
from reference_package import package_verdicts


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
    # Scores themselves from the definitions (brute force shares the engine's scoring).
    for package, got in ((s.draft, out["draft"]), (nash["package"], None)):
        want = package_verdicts(s, dict(package))
        for p, w in want.items():
            u = got[p]["utility"] if got else nash["utilities"][p]
            assert abs(u - float(w["utility"])) <= 10 * float(QUANTUM), p
            if got:
                assert (got[p]["accepts"], got[p]["red_lines"]) == (w["accepts"], w["red_lines"]), p


def _cells(stdout: str) -> list[list[str]]:
    """The body rows of every rich table of a wide terminal's output, as stripped cells."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in stdout.splitlines() if line.startswith("│")]


# seed 4: the draft crosses a red line; seed 3: two repairs of the smallest size, one listed
@pytest.mark.parametrize("seed, top", [(3, 1), (4, 2)])
def test_analyze_human_output(tmp_path, cli, monkeypatch, seed, top):
    monkeypatch.setenv("COLUMNS", "250")  # no table cell folded across lines
    s = negosim.random_scenario(3, 5, 3, seed=seed, red_lines=2, linkages=1, list_veto=1)
    path = tmp_path / "s.yaml"
    negosim.dump(s, path)
    r = cli("analyze", str(path), "--top", str(top))
    assert r.returncode == 0, r.stderr
    assert "Verdicts on the draft" in r.stdout
    # Every number shown is the independent reference's, to the printed precision.
    ref = Reference(negosim.load(path), top=top)
    rows = _cells(r.stdout)
    d = ref.draft_index()
    sc = negosim.load(path)

    def label(prov, opt):  # "Provision label: Option label", as a person reads it
        return f"{sc.provisions[prov].label}: {sc.provisions[prov].options[opt].label}"
    draft = ref.packages[d]
    for p, party in enumerate(ref.parties):
        u, res = float(ref.util[d][p]), ref.reservation[p]
        verdict = ("accepts" if ref.accepts[d][p] else "rejects") + ("" if ref.needed[d][p] else " (not needed)")
        reds = {rl.id: rl for rl in sc.parties[party].red_lines}
        drafted = dict(zip(ref.provisions, (ref.options[j][o] for j, o in enumerate(draft))))
        crossed = [" with ".join(label(q, drafted[q]) for q in reds[r].forbid) for r in ref.red[d][p]]
        why = ("red line: " + "; ".join(crossed) if crossed else
               "reaches its fallback" if ref.accepts[d][p] else f"{res - u:.3f} short of its fallback")
        cells = next(x for x in rows if x[0] == (sc.parties[party].label or party))
        assert cells[:5] == [sc.parties[party].label or party, f"{u:.3f}", f"{res:.3f}", f"{u - res:+.3f}", verdict]
        assert why in " ".join(r.stdout.split()), party
    assert ("Draft: every needed party accepts the draft" if d in ref.zone else "Draft: the draft is rejected") \
        in r.stdout.splitlines()
    n = len(ref.packages)
    assert (f"Packages: {n:,}   zone of agreement: {len(ref.zone):,} ({100 * len(ref.zone) / n:.3g}%)   "
            f"Pareto front: {len(ref.front)}") in r.stdout.splitlines()
    flat = " ".join(r.stdout.split())

    def changes(i):
        return [(ref.provisions[j], ref.options[j][o]) for j, o in enumerate(ref.packages[i]) if o != draft[j]]
    titles = {"nash": "Nash", "kalai_smorodinsky": "Kalai–Smorodinsky", "egalitarian": "egalitarian",
              "utilitarian": "utilitarian"}
    for name, i in ref.solutions.items():
        # points at the same package share one row: "Nash = egalitarian"
        same = " = ".join(titles[k] for k, j in ref.solutions.items() if j == i)
        if i is None:
            assert f"{same}: none" in flat, name
            continue
        row = next(x for x in rows if x[0] == same)
        assert row[1:] == [f"{float(u):.3f}" for u in ref.util[i]], name
        c = changes(i)
        assert (f"{same} ({len(c)} change{'s' if len(c) != 1 else ''} from the draft): "
                + (", ".join(label(q, o) for q, o in c) or "(the draft)")) in flat, name
    assert (f"Minimal repairs: {ref.repair_size} provision(s) to change; {ref.repair_count:,} such repairs; "
            f"best {len(ref.repairs)} by Nash product:") in r.stdout.splitlines()
    for k, i in enumerate(ref.repairs, 1):
        assert f"(Nash product {ref.nash_product(i):.4g})" in flat, k
        assert "--package " + ",".join(f"{q}={o}" for q, o in changes(i)) in re.sub(r",\s+", ",", flat), k


def test_validate_ok_and_bad(tmp_path, cli):
    good = tmp_path / "good.yaml"
    negosim.dump(negosim.random_scenario(2, 3, 2, seed=0), good)
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("reservation: 0.5", "reservation: 1.5", 1))
    ok = f"ok: {good} (3 provisions, 2 parties, 8 packages)"
    r = cli("validate", str(good))
    assert r.returncode == 0 and r.stdout.strip() == ok
    r = cli("validate", str(good), str(bad))
    assert r.returncode == 2
    assert r.stdout.strip() == ok  # the good file is still checked and reported
    # random scenarios carry bare numbers, so validate also warns about unsourced ones
    line = "\n".join(x for x in r.stderr.splitlines() if not x.startswith("warning:")).strip()
    # One line, pointing at the first changed reservation's value (line:column of the 1.5).
    lineno = next(i for i, x in enumerate(bad.read_text().splitlines(), 1) if "reservation: 1.5" in x)
    col = bad.read_text().splitlines()[lineno - 1].index("1.5") + 1
    assert line == f"{bad}:{lineno}:{col}: parties.p0.reservation: must be between 0 and 1 (got 1.5)", line


def test_schema_is_json_schema(cli, tmp_path):
    r = cli("schema")
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    assert schema["title"] == "negosim scenario"
    assert {"provisions", "parties", "draft"} <= set(schema["required"])
    assert "extends" in schema["properties"]
    # It describes the files negosim reads: a written scenario passes, a misspelt key or a
    # missing draft does not (what an editor's completion relies on).
    jsonschema = pytest.importorskip("jsonschema")
    path = tmp_path / "s.yaml"
    negosim.dump(negosim.random_scenario(2, 3, 2, seed=0, red_lines=1, linkages=1, list_veto=1), path)
    data = yaml.safe_load(path.read_text())
    jsonschema.validate(data, schema)
    for bad, message in (({**data, "sampels": 3}, "'sampels' was unexpected"),
                         ({k: v for k, v in data.items() if k != "draft"}, "'draft' is a required property")):
        with pytest.raises(jsonschema.ValidationError, match=message):
            jsonschema.validate(bad, schema)


def test_bad_param_is_a_user_error(tmp_path, cli):
    path = tmp_path / "s.yaml"
    negosim.dump(negosim.random_scenario(2, 3, 2, seed=0), path)
    r = cli("analyze", str(path), "--param", "nope=1")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == "unknown parameter 'nope' (known: none)", r.stderr
    r = cli("analyze", str(tmp_path / "missing.yaml"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == f"{tmp_path / 'missing.yaml'}: file not found", r.stderr
