"""The report draws a sweep only under the scenario it was run on (issue 14, item 6).

A sweep of scenario B drawn in A's report showed B's acceptance probabilities
under A's name with A's draft starred; now the report refuses it with one line.
"""

from __future__ import annotations

import yaml

from test_plots import evidence_scenario


def _sweep(cli, folder, scen, name="res.parquet"):
    spec = folder / f"spec_{scen.stem}.yaml"
    spec.write_text(yaml.safe_dump({"scenario": scen.name, "axes": {
        "parties.russia.reservation": {"range": [0.3, 0.7], "steps": 3}}}))
    r = cli("sweep", str(spec), "--workers", "1", "--quiet", "--out", str(folder / name))
    assert r.returncode == 0, r.stderr
    return folder / name


def test_a_sweep_of_another_scenario_is_refused(tmp_path, cli):
    a, b = evidence_scenario(tmp_path, seed=11), evidence_scenario(tmp_path, seed=12)
    res = _sweep(cli, tmp_path, b)
    out = tmp_path / "report.html"
    r = cli("report", str(a), "-o", str(out), "--no-trace", "--sweep", str(res))
    assert r.returncode == 2, r.stderr
    line = r.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert b.name in line and a.name in line and "was run on" in line, line
    assert not out.exists()
    # The same sweep with its own scenario is drawn.
    r = cli("report", str(b), "-o", str(out), "--no-trace", "--sweep", str(res))
    assert r.returncode == 0, r.stderr


def test_a_sweep_of_a_scenario_changed_since_is_refused(tmp_path, cli):
    a = evidence_scenario(tmp_path, seed=11)
    res = _sweep(cli, tmp_path, a)
    a.write_text(a.read_text().replace("Lakeside talks", "Lakeside talks, revised"))
    r = cli("report", str(a), "-o", str(tmp_path / "report.html"), "--no-trace", "--sweep", str(res))
    assert r.returncode == 2 and "changed since the sweep" in r.stderr, r.stderr
