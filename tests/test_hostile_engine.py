"""The exact engine and ``negosim analyze`` under hostile input (issue 11, items 1, 6, 8 and 11).

Every case runs the real command in a subprocess (``run_cli``) and checks the
outcome: the data against a brute-force count, or exit code 2 with one line.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import negosim
from negosim.engine.compiled import compile_scenario
from negosim.errors import NegosimError
from negosim.scenario.schema import Scenario

from bruteforce import brute
from conftest import ROOT, run_cli


def _opts(n: int) -> dict:
    return {f"o{k}": {"label": f"o{k}", "status_quo": k == 0} for k in range(n)}


def wide(n_parties: int, last: str, seed: int = 0, provisions: int = 5, options: int = 3) -> Scenario:
    """``n_parties`` parties over a small space; the last one (bit 63 at 64 parties) holds the draft back.

    Most parties are indifferent (every option worth 0.5, reservation 0.05),
    so that dominance, and hence the Pareto front, is decided by the few
    others: ``q0``, ``q44`` (a list veto over ``x0`` and ``x1``: its bit lies
    high in the consent masks, where (need, red) patterns once collided), ``q23``
    (a red line) and the last party. ``last`` says how the last party holds the draft back:

    - ``"red_a"`` / ``"red_b"``: a red line the draft crosses, on the first two
      provisions or on the last two (they fall in different halves);
    - ``"reservation"``: a veto over every package and a reservation the draft misses;
    - ``"list_veto"``: a veto only over moves of ``x0`` and ``x4``, and a
      reservation the draft misses.
    """
    rng = np.random.default_rng(seed)
    prov = [f"x{j}" for j in range(provisions)]
    opt = [f"o{k}" for k in range(options)]
    draft = {p: opt[-1] for p in prov}  # every provision moved from the status quo o0
    parties = {}
    for i in range(n_parties):
        w = rng.random(provisions) + 0.1
        active = i in (0, 23, 44, n_parties - 1)
        party = {"reservation": 0.05,
                 "weights": {p: float(x) for p, x in zip(prov, w / w.sum())},
                 "values": {p: {o: (float(rng.random()) if active else 0.5) for o in opt} for p in prov}}
        if i == 44:
            party["veto"] = [prov[0], prov[1]]
            party["reservation"] = 0.5
        if i == 23:
            party["red_lines"] = [{"id": "r23", "forbid": {prov[1]: opt[0], prov[3]: opt[1]}}]
        parties[f"q{i}"] = party
    q = parties[f"q{n_parties - 1}"]
    if last in ("red_a", "red_b"):
        pair = prov[:2] if last == "red_a" else prov[-2:]
        q["red_lines"] = [{"id": "last", "forbid": {p: draft[p] for p in pair}}]
    else:
        # The draft's options are worth 0 to it, so it rejects the draft.
        q["values"] = {p: {o: (0.0 if o == draft[p] else float(rng.random())) for o in opt} for p in prov}
        q["reservation"] = 0.3
        if last == "list_veto":
            q["veto"] = [prov[0], prov[-1]]
    return Scenario.model_validate({"negosim": 1, "name": f"wide-{n_parties}-{last}",
                                    "provisions": {p: {"label": p, "options": _opts(options)} for p in prov},
                                    "parties": parties, "draft": draft})


def _analyze_json(tmp_path, s: Scenario, *extra: str) -> dict:
    path = tmp_path / "s.yaml"
    negosim.dump(s, path)
    r = run_cli("analyze", str(path), "--json", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("n_parties", [62, 63, 64])
@pytest.mark.parametrize("last", ["red_a", "red_b", "reservation", "list_veto"])
def test_many_parties_agree_with_brute_force(tmp_path, n_parties, last):
    s = wide(n_parties, last, seed=9 if last.startswith("red") else 8)  # seeds where the old masks failed
    out = _analyze_json(tmp_path, s, "--pareto", "--top", "3")
    b = brute(s)
    cs = compile_scenario(s)
    last_id = f"q{n_parties - 1}"
    assert not out["draft"][last_id]["accepts"] and not out["draft_accepted"]
    assert out["zone_size"] == len(b["zone"]) > 0
    assert sorted(p["index"] for p in out["pareto"]) == b["front"].tolist()
    for name, idx in b["solutions"].items():
        got = out["solutions"][name]
        assert (None if got is None else got["index"]) == idx, name
    k, count, order, _ = b["repairs"]
    assert (out["repair_size"], out["repair_count"]) == (k, count) and k >= 1
    assert [r["index"] for r in out["repairs"]] == order[:3]
    # The last party's veto matters: without it the zone is larger.
    data = s.model_dump(mode="json")
    data["parties"][last_id]["veto"] = "none"
    assert len(brute(Scenario.model_validate(data))["zone"]) > len(b["zone"])
    assert cs.n_parties == n_parties


def test_compile_refuses_more_parties_than_the_masks_hold():
    from negosim.limits import MAX_PARTIES
    s = wide(MAX_PARTIES, "reservation")
    # Built unchecked (the loader and the model refuse it): the engine's own guard must catch it.
    big = Scenario.model_construct(**{**dict(s), "parties": {**s.parties, "extra": s.parties["q0"]}})
    assert len(big.parties) == MAX_PARTIES + 1
    with pytest.raises(NegosimError, match=f"65 parties; at most {MAX_PARTIES}"):
        compile_scenario(big)
    with pytest.raises(NegosimError, match=f"at most {MAX_PARTIES}"):
        negosim.analyze(big)


def test_65_parties_file_is_refused_with_one_line(tmp_path):
    import yaml
    data = wide(64, "reservation").model_dump(mode="json")
    data["parties"]["q64"] = data["parties"]["q0"]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    r = run_cli("analyze", str(path))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "64" in r.stderr and "Traceback" not in r.stderr


# --------------------------------------------------------------------------- --samples on hostile zones

def _strict_json(text: str) -> dict:
    """JSON as a strict parser reads it: NaN and Infinity are not JSON."""
    def no_constant(name):
        raise ValueError(f"{name} in JSON output")
    return json.loads(text, parse_constant=no_constant)


def test_samples_with_no_unanimous_package_says_so(tmp_path):
    base = ROOT / "tests" / "data" / "malformed" / "_parts" / "base.yaml"
    r = run_cli("analyze", str(base), "--samples", "50")
    assert r.returncode == 0, r.stderr
    assert "Most robust package: none (no package is accepted by every needed party in any of the 50" \
        in " ".join(r.stdout.split())
    r = run_cli("analyze", str(base), "--samples", "50", "--json")
    assert r.returncode == 0, r.stderr
    probs = _strict_json(r.stdout)["probabilities"]
    assert probs["robust"] is None and probs["robust_error"] is None
    assert probs["robust_reason"] == "no package is accepted by every needed party in any of the 50 draws"
    assert probs["packages"][0]["name"] == "draft" and probs["packages"][0]["all"]["draws"] == 0


@pytest.mark.parametrize("out", ["human", "json"])
def test_samples_on_an_empty_zone(tmp_path, out):
    from negosim.uncertainty.sampling import widen
    s = widen(negosim.random_scenario(parties=3, provisions=4, options=3, seed=1, reservation=1.0), 0.05)
    path = tmp_path / "empty.yaml"
    negosim.dump(s, path)
    r = run_cli("analyze", str(path), "--samples", "30", *(["--json"] if out == "json" else []))
    assert r.returncode == 0, r.stderr
    if out == "json":
        d = _strict_json(r.stdout)
        assert d["zone_size"] == 0 and d["repair_size"] is None
        assert d["probabilities"]["robust"] is None
        assert d["probabilities"]["robust_reason"].startswith("no package is accepted by every needed party")
        assert [p["name"] for p in d["probabilities"]["packages"]] == ["draft"]
    else:
        assert "zone of agreement: 0 " in r.stdout and "Most robust package: none" in r.stdout


def test_samples_when_every_package_is_accepted(tmp_path):
    from negosim.uncertainty.sampling import widen
    s = widen(negosim.random_scenario(parties=3, provisions=4, options=3, seed=1, reservation=0.0), 0.05)
    path = tmp_path / "all.yaml"
    negosim.dump(s, path)
    r = run_cli("analyze", str(path), "--samples", "30", "--json")
    assert r.returncode == 0, r.stderr
    d = _strict_json(r.stdout)
    assert d["zone_size"] == d["space_size"] == 81 and d["repair_size"] == 0
    rb = d["probabilities"]["robust"]
    # Every package is unanimous in every draw: the tie goes to the lowest index.
    assert rb["index"] == 0 and rb["odds"]["all"]["p"] == 1.0 and rb["odds"]["all"]["draws"] == 30
    assert rb["any_draw"] == rb["within_ci"] == 81 and rb["whole_space"]
    assert rb["split"]["p_pick"] == rb["split"]["p_check"] == 1.0
    r = run_cli("analyze", str(path), "--samples", "30")
    assert r.returncode == 0 and "Most robust package of all 81 packages" in r.stdout


def test_samples_at_64_parties_agree_with_direct_scoring(tmp_path):
    from negosim.uncertainty.sampling import sample_tables, unanimous_draws, widen
    s = widen(wide(64, "list_veto", seed=8), 0.1)
    path = tmp_path / "s.yaml"
    negosim.dump(s, path)
    r = run_cli("analyze", str(path), "--samples", "40", "--json")
    assert r.returncode == 0, r.stderr
    rb = _strict_json(r.stdout)["probabilities"]["robust"]
    t = sample_tables(negosim.load(path), 40, seed=0)
    counts = unanimous_draws(t, t.base.space.all()).sum(axis=0)
    assert rb["whole_space"] and rb["index"] == int(np.argmax(counts))  # argmax: lowest index of the ties
    assert rb["odds"]["all"]["draws"] == int(counts.max()) and rb["any_draw"] == int((counts > 0).sum())
    assert [x["draws"] for x in rb["ranking"]] == sorted(counts.tolist(), reverse=True)[:len(rb["ranking"])]


# --------------------------------------------------------------------------- work estimate, progress, front

def _one_line_exit_2(r, start: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout[-300:], r.stderr[-300:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), r.stderr
    return lines[0]


@pytest.mark.parametrize("provisions", [40, 62])
def test_hopeless_space_is_refused_before_any_work(tmp_path, provisions):
    # 10**12 and 4.6 * 10**18 binary packages: the estimate comes from option counts alone.
    path = tmp_path / "big.yaml"
    negosim.dump(negosim.random_scenario(parties=4, provisions=provisions, options=2, seed=0), path)
    r = run_cli("analyze", str(path), timeout=60)
    line = _one_line_exit_2(r, f"analysing all {2**provisions:.3g} packages (4 parties) would take up to about")
    assert "more than --max-work 6e+11" in line and "pass --max-work " in line and r.stdout == ""


def test_max_work_overrides_and_the_suggested_value_runs(tmp_path):
    path = tmp_path / "s.yaml"
    s = negosim.random_scenario(parties=4, provisions=5, options=3, seed=0)
    negosim.dump(s, path)
    line = _one_line_exit_2(run_cli("analyze", str(path), "--max-work", "1000"), "analysing all 243 packages")
    suggested = line.split("pass --max-work ")[1].split()[0]
    assert float(suggested) >= 243 * 2 * 4  # two passes over every pair, four parties
    r = run_cli("analyze", str(path), "--max-work", suggested, "--json")
    assert r.returncode == 0, r.stderr
    assert _strict_json(r.stdout)["space_size"] == 243
    with pytest.raises(NegosimError, match="--max-work"):
        negosim.analyze(s, max_work=1000)
    assert negosim.analyze(s, max_work=None).space_size == 243


def _many_parties_full_zone(path, provisions=10):
    # 12 parties, reservation 0: every package is in the zone and almost every one on the front.
    negosim.dump(negosim.random_scenario(parties=12, provisions=provisions, options=4, seed=0, reservation=0.0), path)


def test_unrequested_front_is_skipped_when_costly(tmp_path):
    path = tmp_path / "p12.yaml"
    _many_parties_full_zone(path)
    r = run_cli("analyze", str(path), "--json", timeout=60)
    assert r.returncode == 0, r.stderr
    d = _strict_json(r.stdout)
    assert d["zone_size"] == 4**10 and d["pareto_size"] is None
    assert d["meta"]["pareto_skipped"].startswith("the Pareto front of ")
    assert d["solutions"]["utilitarian"] is not None
    r = run_cli("analyze", str(path), timeout=60)
    assert r.returncode == 0 and "Pareto front: -" in r.stdout
    # Asked for, it is refused up front when its estimate (about 3e10 units, half a minute: within
    # the default limit since the divide-and-conquer filter) is past --max-work.
    line = _one_line_exit_2(run_cli("analyze", str(path), "--pareto", "--max-work", "1e10", timeout=60),
                            "the Pareto front of ")
    assert "in 12 dimensions would take up to about" in line and "--max-work" in line


def test_cheap_front_is_still_computed_by_default(tmp_path):
    path = tmp_path / "s.yaml"
    s = negosim.random_scenario(parties=3, provisions=6, options=3, seed=2, reservation=0.4)
    negosim.dump(s, path)
    d = _strict_json(run_cli("analyze", str(path), "--json").stdout)
    assert d["pareto_size"] == len(brute(s)["front"]) > 0 and "pareto_skipped" not in d["meta"]


def _slow_file(path):
    # mean_of_addressed scores whole packages in chunks: a million of them take a few seconds.
    data = negosim.random_scenario(parties=4, provisions=10, options=4, seed=0, reservation=0.3).model_dump(mode="json")
    data["aggregation"] = "mean_of_addressed"
    negosim.dump(Scenario.model_validate(data), path)


def test_long_analysis_shows_progress_with_time_left(tmp_path, monkeypatch):
    path = tmp_path / "slow.yaml"
    _slow_file(path)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich draws on stderr as on a terminal
    r = run_cli("analyze", str(path))
    assert r.returncode == 0, r.stderr
    assert "left" in r.stderr and "%" in r.stderr and ("zone" in r.stderr or "repairs" in r.stderr)
    assert "Verdicts on the draft" in r.stdout and "left" not in r.stdout
    quiet = run_cli("analyze", str(path), "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    js = run_cli("analyze", str(path), "--json")
    assert js.returncode == 0 and js.stderr == ""
    assert _strict_json(js.stdout)["space_size"] == 4**10


def test_short_analysis_shows_no_progress(tmp_path, monkeypatch):
    path = tmp_path / "s.yaml"
    negosim.dump(negosim.random_scenario(parties=3, provisions=4, options=3, seed=0), path)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    r = run_cli("analyze", str(path))
    assert r.returncode == 0 and r.stderr == ""


# --------------------------------------------------------------------------- flags

@pytest.mark.parametrize("flag, value, start", [
    ("--seed", "-1", "negosim analyze: error: argument --seed: must be a whole number from 0"),
    ("--seed", "1.5", "negosim analyze: error: argument --seed: must be a whole number from 0"),
    ("--samples", "1e9", "negosim analyze: error: argument --samples: must be a whole number from 0 to 1000000"),
    ("--samples", "-3", "negosim analyze: error: argument --samples: must be a whole number from 0 to 1000000"),
    ("--samples", "1", "--samples must be 0 (off) or at least 2"),
    ("--top", "1e9", "negosim analyze: error: argument --top: must be a whole number from 0 to 1000"),
    ("--top", "-1", "negosim analyze: error: argument --top: must be a whole number from 0 to 1000"),
    ("--max-work", "0", "negosim analyze: error: argument --max-work: must be a whole number from 1"),
    ("--max-work", "abc", "negosim analyze: error: argument --max-work: must be a whole number from 1"),
])
def test_analyze_flags_are_checked(flag, value, start):
    base = ROOT / "tests" / "data" / "malformed" / "_parts" / "base.yaml"
    _one_line_exit_2(run_cli("analyze", str(base), f"{flag}={value}"), start)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e309", "abc", "", "0x10"])
def test_param_values_must_be_finite_numbers(value):
    r = run_cli("analyze", str(ROOT / "scenarios" / "plan28_2025_11.yaml"), "--param", f"us_pressure={value}")
    _one_line_exit_2(r, f"--param us_pressure: {value!r} is not a finite number")


def test_param_without_name_or_value():
    r = run_cli("analyze", str(ROOT / "scenarios" / "plan28_2025_11.yaml"), "--param", "=1")
    _one_line_exit_2(r, "--param expects NAME=VALUE")
