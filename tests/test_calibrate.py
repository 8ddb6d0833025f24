"""negosim calibrate: observations, kept draws, posteriors and out-of-sample predictions.

A hand-built pair of one-party scenarios where the kept draws can be counted by hand: party
``x`` has one provision, a reservation drawn uniformly on [0, 1] (graded *states*, so not
stretched) and a draft worth 0.4 to it. "x rejects the draft" keeps the draws with a
reservation above 0.4 (about 60 %). The expected counts are made here from the documented
stream of uniforms of the reservation's path (docs/model.md: keyed by seed and path), not
from the calibration code.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from conftest import ROOT, run_cli
from negosim.cli.main import main
from negosim.engine.compiled import TOLERANCE
from negosim.uncertainty.sampling import uniforms

RES = ("parties", "x", "reservation")
ARTICLE = "The party said no to the draft. The party later took the second text. Nothing else was said.\n"


def scenario(name: str, value_b: float = 0.4, reservation: str = "{low: 0, high: 1, source: S, quote: \"said no\", "
             "supports: states}", extends: str | None = None) -> str:
    head = f"extends: {extends}\n" if extends else ""
    if extends:
        return head + textwrap.dedent(f"""\
            negosim: 1
            name: {name}
            parties:
              x:
                values:
                  p: {{a: 0.0, b: {value_b}}}
            """)
    return textwrap.dedent(f"""\
        negosim: 1
        name: {name}
        articles: .
        sources:
          S: {{file: art.txt}}
        provisions:
          p:
            label: P
            options:
              a: {{label: A, status_quo: true}}
              b: {{label: B}}
        parties:
          x:
            reservation: {reservation}
            weights: {{p: 1}}
            values:
              p: {{a: 0.0, b: {value_b}}}
        draft: {{p: b}}
        """)


def observation(id_: str, scen: str, accepts: bool, party: str = "x", quote: str = "said no",
                supports: str = "states", extra: str = "") -> str:
    return textwrap.indent(textwrap.dedent(f"""\
        - id: {id_}
          scenario: {scen}
          party: {party}
          accepts: {str(accepts).lower()}
          source: S
          quote: "{quote}"
          supports: {supports}
        """) + extra, "  ")


@pytest.fixture
def pair(tmp_path):
    """one_2025_01 (x worth 0.4, rejects) and two_2025_02 (extends it: x worth 0.8, accepts)."""
    (tmp_path / "art.txt").write_text(ARTICLE)
    (tmp_path / "one.yaml").write_text(scenario("one_2025_01"))
    (tmp_path / "two.yaml").write_text(scenario("two_2025_02", 0.8, extends="one.yaml"))
    (tmp_path / "observations.yaml").write_text(
        "negosim_observations: 1\nobservations:\n" + observation("rejects_one", "one.yaml", False)
        + observation("accepts_two", "two.yaml", True, quote="later took the second text"))
    return tmp_path


def calibrate_json(*args) -> dict:
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["calibrate", *map(str, args), "--json"])
    assert rc == 0
    return json.loads(buf.getvalue())


def reservation_draws(n: int, seed: int = 0) -> np.ndarray:
    # Uniform on [0, 1] is the uniform itself: the stream of the reservation's path.
    return uniforms(seed, RES, n)


def test_kept_draws_are_those_the_observation_allows(pair):
    n = 5000
    out = calibrate_json(pair / "one.yaml", "--draws", n)
    r = reservation_draws(n)
    rejects = 0.4 < r - TOLERANCE            # x rejects a draft worth 0.4 when it is below r - tol
    assert out["draws"] == n and out["kept"] == int(rejects.sum())
    assert 0.57 < out["kept"] / n < 0.63
    post = out["posterior"]["parties.x.reservation"]
    assert 0.4 < post["low"] <= post["median"] <= post["high"] <= 1
    assert post["median"] == pytest.approx(float(np.quantile(r[rejects], 0.5)))
    prior = out["prior"]["parties.x.reservation"]
    assert prior["low"] == pytest.approx(float(np.quantile(r, 0.05)))


def test_the_same_draw_for_the_same_path_in_every_file(pair):
    # two.yaml extends one.yaml: the reservation is the same number, so the same draw. Among the
    # draws where x rejects 0.4 it accepts 0.8 exactly when r <= 0.8; independent draws for the
    # two files would give about 0.8 instead of 2/3.
    n = 6000
    out = calibrate_json(pair / "one.yaml", pair / "two.yaml", "--draws", n, "--hold-out", "2025-02")
    r = reservation_draws(n)
    kept = 0.4 < r - TOLERANCE
    expected = float((r[kept] - TOLERANCE <= 0.8).mean())
    (pred,) = out["predictions"]
    assert pred["id"] == "accepts_two" and pred["observed"] is True
    assert pred["p_accept"] == pytest.approx(expected)
    assert 0.6 < pred["p_accept"] < 0.73
    assert out["hit_rate"] == 1.0


def test_hold_out_a_round_and_hit_rate(pair):
    # Flip the held-out observation: x is now said to reject 0.8, and the prediction (2/3) misses.
    obs = pair / "observations.yaml"
    obs.write_text(obs.read_text().replace("accepts: true", "accepts: false"))
    out = calibrate_json(pair / "one.yaml", pair / "two.yaml", "--draws", 3000, "--hold-out", "2025-02")
    (pred,) = out["predictions"]
    assert pred["observed"] is False and pred["p_accept"] > 0.5
    assert pred["hit"] is False and out["hit_rate"] == 0.0
    # Nothing held out: both observations are fitted and there is no hit rate.
    out = calibrate_json(pair / "one.yaml", pair / "two.yaml", "--draws", 3000)
    assert out["predictions"] == [] and out["hit_rate"] is None
    r = reservation_draws(3000)
    assert out["kept"] == int((0.8 < r - TOLERANCE).sum())      # rejects both 0.4 and 0.8


def test_context_observations_are_listed_not_used(pair):
    obs = pair / "observations.yaml"
    # A context observation that would keep nothing if it were used (x accepting 0.4 and rejecting it).
    obs.write_text(obs.read_text() + observation("context_only", "one.yaml", True, supports="context"))
    out = calibrate_json(pair / "one.yaml", "--draws", 2000)
    r = reservation_draws(2000)
    assert out["kept"] == int((0.4 < r - TOLERANCE).sum())
    ctx = [o for o in out["observations"] if o["id"] == "context_only"]
    assert ctx[0]["role"] == "context" and ctx[0]["p_accept"] == 0.0


def test_widening_by_grade(tmp_path):
    (tmp_path / "art.txt").write_text(ARTICLE)
    # implies: [0.3, 0.5] stretched x1.5 about 0.4 -> [0.25, 0.55]... each side 1.5 x 0.1: [0.25, 0.55].
    res = "{low: 0.3, high: 0.5, source: S, quote: \"said no\", supports: implies, claim: c}"
    (tmp_path / "one.yaml").write_text(scenario("one_2025_01", reservation=res))
    (tmp_path / "observations.yaml").write_text("negosim_observations: 1\nobservations:\n"
                                                + observation("o", "one.yaml", False))
    out = calibrate_json(tmp_path / "one.yaml", "--draws", 4000)
    u = reservation_draws(4000)
    drawn = 0.25 + 0.3 * u
    assert out["prior"]["parties.x.reservation"]["low"] == pytest.approx(float(np.quantile(drawn, 0.05)))
    assert out["widening"]["parties.x.reservation"] == 1.5
    assert out["kept"] == int((0.4 < drawn - TOLERANCE).sum())
    # context: [0, 0.4] stretched x2 about 0.2 -> [-0.2, 0.6], clipped to the allowed [0, 1].
    res = "{low: 0, high: 0.4, source: S, quote: \"said no\", supports: context}"
    (tmp_path / "one.yaml").write_text(scenario("one_2025_01", reservation=res))
    out = calibrate_json(tmp_path / "one.yaml", "--draws", 4000)
    drawn = 0.6 * u
    assert out["prior"]["parties.x.reservation"]["high"] == pytest.approx(float(np.quantile(drawn, 0.95)))
    assert out["widening"]["parties.x.reservation"] == 2.0


def test_zero_kept_is_said_plainly(pair, capsys):
    obs = pair / "observations.yaml"
    obs.write_text(obs.read_text() + observation("accepts_one", "one.yaml", True, quote="later took"))
    out = calibrate_json(pair / "one.yaml", "--draws", 500)
    assert out["kept"] == 0 and out["hit_rate"] is None
    assert out["posterior"]["parties.x.reservation"] == {"low": None, "median": None, "high": None}
    assert main(["calibrate", str(pair / "one.yaml"), str(pair / "two.yaml"), "--draws", "500",
                 "--hold-out", "2025-02"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "No draw reproduces every fitted observation" in text and "0 of 500 kept" in text
    assert "Hit rate: undefined" in text


def test_json_keys_and_seed(pair):
    a = calibrate_json(pair / "one.yaml", pair / "two.yaml", "--draws", 1000, "--seed", 7, "--hold-out", "2025-02")
    assert {"draws", "kept", "posterior", "predictions", "hit_rate"} <= set(a)
    assert set(a["posterior"]["parties.x.reservation"]) == {"low", "median", "high"}
    assert {"id", "scenario", "party", "p_accept", "observed"} <= set(a["predictions"][0])
    assert a["predictions"][0]["scenario"] == "two_2025_02"
    b = calibrate_json(pair / "one.yaml", pair / "two.yaml", "--draws", 1000, "--seed", 7, "--hold-out", "2025-02")
    assert a == b
    c = calibrate_json(pair / "one.yaml", pair / "two.yaml", "--draws", 1000, "--seed", 8, "--hold-out", "2025-02")
    assert c["kept"] != a["kept"]
    assert a["kept"] == int((0.4 < reservation_draws(1000, seed=7) - TOLERANCE).sum())


def test_solution_points_and_their_probabilities(pair):
    # In two.yaml the only package x can accept is b (a is worth 0): every solution point is the
    # draft. Fitted on "x rejects 0.4" (one.yaml), x accepts b (worth 0.8) in the kept draws with r <= 0.8.
    out = calibrate_json(pair / "one.yaml", pair / "two.yaml", "--draws", 2000, "--hold-out", "2025-02")
    sc = out["scenarios"][1]
    assert sc["name"] == "two_2025_02" and sc["solutions"]["nash"]["package"] == {"p": "b"}
    assert sc["solutions"]["nash"]["changes"] == {}
    r = reservation_draws(2000)
    kept = 0.4 < r - TOLERANCE
    expected = float((r[kept] - TOLERANCE <= 0.8).mean())
    assert sc["packages"]["nash"]["p_accept"]["x"] == pytest.approx(expected)
    assert sc["packages"]["nash"]["p_all"] == pytest.approx(expected)
    assert out["scenarios"][0]["solutions"]["nash"] is None     # one.yaml: x rejects b at its point 0.5


def errors(tmp_path, capsys, *args) -> str:
    rc = main(["calibrate", *map(str, args)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("change, where, words", [
    (("accepts: false", "accepts: no"), 6, "accepts"),
    (("party: x", "party: y"), 5, "unknown party of one_2025_01 'y' (known: x)"),
    (("scenario: one.yaml", "scenario: gone.yaml"), 4, "scenario file 'gone.yaml' not found"),
    (("quote: \"said no\"", "quote: \"said yes\""), 8, "quote not found in art.txt"),
    (("source: S", "source: T"), 7, "unknown source of one_2025_01 'T'"),
    (("supports: states", "supports: implies"), 3, "needs the inference written in 'claim'"),
    (("id: accepts_two", "id: rejects_one"), 10, "duplicate observation id 'rejects_one'"),
])
def test_bad_observation_files(pair, capsys, change, where, words):
    obs = pair / "observations.yaml"
    text = obs.read_text()
    assert change[0] in text
    obs.write_text(text.replace(change[0], change[1], 1))
    err = errors(pair, capsys, pair / "one.yaml")
    assert err.startswith(f"{obs}:{where}:"), err
    assert words in err


def test_other_errors(pair, capsys):
    err = errors(pair, capsys, pair / "one.yaml", "--hold-out", "2030-01")
    assert "--hold-out 2030-01: no observation of that round (rounds: 2025-01, 2025-02)" in err
    (pair / "observations.yaml").rename(pair / "obs.yaml")
    err = errors(pair, capsys, pair / "one.yaml")
    assert "no observation file: give --observations OBS.yaml" in err
    err = errors(pair, capsys, pair / "one.yaml", "--observations", pair / "one.yaml")
    assert "not an observation file" in err and "looks like a scenario" in err
    err = errors(pair, capsys, pair / "missing.yaml", "--observations", pair / "obs.yaml")
    assert "missing.yaml" in err and "not found" in err
    # A file that is no observation file is refused by what it lacks, without quoting a word of it.
    (pair / "secret.txt").write_text("root:x:0:0:hunter2:/root\n- item\n")
    err = errors(pair, capsys, pair / "one.yaml", "--observations", pair / "secret.txt")
    assert err == f"{pair / 'secret.txt'}:1:1: not an observation file: it has no top-level 'negosim_observations: 1' line"


def test_exit_code_and_one_line_in_a_subprocess(pair):
    (pair / "observations.yaml").write_text("negosim_observations: 1\nobservations:\n  - id: [\n")
    p = run_cli("calibrate", str(pair / "one.yaml"), cwd=pair)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    assert p.stderr.startswith(str(pair / "observations.yaml") + ":4:")


def test_the_shipped_observations_load_and_cover_every_round():
    from negosim.calibration.observations import load_observations
    obs = load_observations(ROOT / "scenarios" / "observations.yaml")
    assert obs.rounds == ["2025-04", "2025-11", "2025-12"]
    for r in obs.rounds:
        parties = {o.obs.party for o in obs.items if o.round == r and o.used}
        assert len(parties) >= 3, (r, parties)


NO_DEAL = """\
negosim: 1
name: fight_2025_01
articles: .
sources:
  S: {file: art.txt}
provisions:
  p:
    label: P
    options:
      a: {label: A, status_quo: true}
      b: {label: B}
parties:
  x:
    reservation: no_deal
    weights: {p: 1}
    values:
      p: {a: 0.0, b: 1.0}
no_deal:
  outcomes:
    - {id: hold, p: {low: 0.3, high: 0.7, source: S, quote: "said no", supports: states}, package: {}}
    - {id: win, p: {low: 0.3, high: 0.7, source: S, quote: "said no", supports: states}, package: {p: b}}
  cost:
    x: {low: 0.0, high: 0.6, source: S, quote: "said no", supports: implies, claim: c}
draft: {p: a}
"""


def test_a_no_deal_reservation_is_derived_in_every_draw(tmp_path):
    from negosim.scenario.schema import Scenario
    if "no_deal" not in Scenario.model_fields:
        pytest.skip("the no_deal section is not in the format yet")
    (tmp_path / "art.txt").write_text(ARTICLE)
    (tmp_path / "fight.yaml").write_text(NO_DEAL)
    (tmp_path / "observations.yaml").write_text("negosim_observations: 1\nobservations:\n"
                                                + observation("accepts_a", "fight.yaml", True))
    out = calibrate_json(tmp_path / "fight.yaml", "--draws", 4000, "--no-solutions")
    # x's fallback: p_win (renormalised) x 1 - cost; it accepts a (worth 0) when the fallback is <= 0.
    # The cost (implies) is stretched x1.5 about 0.3: [0, 0.75].
    n = 4000
    hold = 0.3 + 0.4 * uniforms(0, ("no_deal", "outcomes", 0, "p"), n)
    win = 0.3 + 0.4 * uniforms(0, ("no_deal", "outcomes", 1, "p"), n)
    cost = 0.75 * uniforms(0, ("no_deal", "cost", "x"), n)
    accepts = 0 >= win / (hold + win) - cost - TOLERANCE
    assert out["kept"] == int(accepts.sum()) > 0
    assert set(out["posterior"]) == {"no_deal.outcomes.hold.p", "no_deal.outcomes.win.p", "no_deal.cost.x",
                                     "parties.x.weights.p"}
    assert out["posterior"]["no_deal.cost.x"]["median"] == pytest.approx(float(np.median(cost[accepts])))


def test_the_terminal_report(pair, capsys):
    assert main(["calibrate", str(pair / "one.yaml"), str(pair / "two.yaml"), "--draws", "3000",
                 "--hold-out", "2025-02"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    r = reservation_draws(3000)
    kept = int((0.4 < r - TOLERANCE).sum())
    assert f"Kept {kept:,} of 3,000 draws ({100 * kept / 3000:.2g} %)" in text and "rough" not in text
    assert main(["calibrate", str(pair / "one.yaml"), "--draws", "50"]) == 0
    assert "draws kept: the ranges and probabilities below are rough" in " ".join(capsys.readouterr().out.split())
    assert "Fitted on 1 observations; held out: 2025-02" in text
    assert "Hit rate on the held-out observations: 1 of 1 (1.000)" in text
    assert "parties.x.reservation" in text and "two_2025_02 (2025-02): posterior probability" in text


def test_a_quote_from_a_passage_out_of_scope(pair, capsys):
    # The first sentence becomes a passage usable for no party: the observation quoting it fails at
    # its quote; the scenario's own quote moves outside the passage.
    one = pair / "one.yaml"
    one.write_text(one.read_text().replace(
        "S: {file: art.txt}", "S: {file: art.txt, passages: [{id: old, start: The party said, end: to the draft., "
                              "usable_for: [], note: an older piece}]}").replace(
        'quote: "said no", supports: states}', 'quote: "Nothing else", supports: states}'))
    err = errors(pair, capsys, one)
    obs = pair / "observations.yaml"
    assert err.startswith(f"{obs}:8:"), err
    assert "passage 'old' of S (an older piece), usable for no party; it cannot support x's verdict" in err
    # Quoted where it also occurs outside the passage, the same words are in scope.
    (pair / "art.txt").write_text(ARTICLE + "Then he said no again.\n")
    assert main(["calibrate", str(one), "--draws", "10", "--json"]) == 0


def test_a_prediction_carries_its_wilson_interval(pair):
    from negosim.uncertainty.sampling import wilson
    out = calibrate_json(pair / "one.yaml", pair / "two.yaml", "--draws", 300, "--hold-out", "2025-02")
    (pred,) = out["predictions"]
    r = reservation_draws(300)
    kept = 0.4 < r - TOLERANCE
    k = int((r[kept] - TOLERANCE <= 0.8).sum())
    assert pred["ci"] == pytest.approx(list(wilson(k, int(kept.sum()))))


def test_the_calibration_tables_script():
    # scripts/calibration_table.py makes the tables of docs/calibration.md: every used observation of
    # November and December is a row of the April table, and each leave-one-round-out row holds
    # out exactly the used observations of its round (counted here from the file itself).
    import importlib.util
    import yaml
    spec = importlib.util.spec_from_file_location("calibration_table", ROOT / "scripts" / "calibration_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.tables(draws=300, seed=0)
    data = yaml.safe_load((ROOT / "scenarios" / "observations.yaml").read_text())["observations"]
    used = [o for o in data if o["supports"] in ("states", "implies")]
    rounds = {"freeze": "2025-04", "ukraine": "2025-04", "plan28": "2025-11", "framework20": "2025-12"}
    round_of = {o["id"]: next(r for k, r in rounds.items() if o["scenario"].startswith(k)) for o in data}
    april_table = text.split("Every observation under the prior")[0]
    later = [o["id"] for o in used if round_of[o["id"]] != "2025-04"]
    assert sorted(later) == sorted(line.split("`")[1] for line in april_table.splitlines() if line.startswith("| `"))
    for r in ("2025-04", "2025-11", "2025-12"):
        row = next(line for line in text.splitlines() if line.startswith(f"| {r} |"))
        assert row.split(" | ")[3] == str(sum(round_of[o["id"]] == r for o in used)), row


def test_the_shipped_report_reads_at_80_columns():
    """At 80 columns (the width of piped output) no line is wider and no id or number is folded."""
    import os
    import subprocess
    import sys
    files = [str(ROOT / "scenarios" / f) for f in ("freeze_2025_04.yaml", "plan28_2025_11.yaml")]
    env = dict(os.environ, COLUMNS="80")
    r = subprocess.run([sys.executable, "-m", "negosim", "calibrate", *files, "--draws", "500",
                        "--hold-out", "2025-11"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    words = set(r.stdout.split())
    out = calibrate_json(*files, "--draws", 500, "--hold-out", "2025-11")
    for path in out["posterior"]:
        assert path in words, path  # each deciding number whole on its line
    for p in out["predictions"]:
        assert p["id"] in words, p["id"]
