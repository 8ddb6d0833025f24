"""``negosim validate`` checks every kind of negosim YAML file the repository ships.

``negosim validate scenarios/*.yaml`` (the README's command) also meets the observation
file that ``negosim calibrate`` reads: it is checked as one, not refused as a bad scenario.
"""

from __future__ import annotations

from conftest import ROOT, run_cli


def test_validate_checks_an_observation_file_as_one():
    r = run_cli("validate", str(ROOT / "scenarios" / "observations.yaml"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: ") and "observations:" in r.stdout


def test_a_broken_observation_file_fails_at_its_line(tmp_path):
    text = (ROOT / "scenarios" / "observations.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "observations.yaml"
    # Point the scenarios back at the shipped ones, then break one party id.
    text = text.replace("scenario: ", f"scenario: {ROOT / 'scenarios'}/")
    first = text.index("party: ukraine")
    bad.write_text(text[:first] + "party: ukrane" + text[first + len("party: ukraine"):], encoding="utf-8")
    r = run_cli("validate", str(bad), "--articles", str(ROOT.parent / "shared" / "articles"))
    assert r.returncode == 2
    line = r.stderr.strip()
    assert "\n" not in line and line.startswith(f"{bad}:") and "ukrane" in line, line
