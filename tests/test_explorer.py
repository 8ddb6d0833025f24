"""The explorer's state logic without a browser: what the page shows for a draft and parameters.

Every value the page shows is checked against an independent route: scoring
every package of the space (tests/bruteforce.py), or the real ``negosim
analyze`` on the downloaded YAML. Bad input must raise a NegosimError with a
message, never anything else.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from bruteforce import brute

from negosim import dump, load
from negosim.engine.analysis import verdict
from negosim.engine.compiled import compile_scenario
from negosim.errors import NegosimError
from negosim.explorer import server
from negosim.explorer.sample import sample_scenario
from negosim.explorer.state import SET_IN_EXPLORER, Explorer
from negosim.explorer import tables


@pytest.fixture(scope="module")
def ex():
    return Explorer(sample_scenario(parties=3, provisions=5, options=3, seed=3, red_lines=2, linkages=2))


def other_option(ex, prov: str, current: str) -> str:
    spec = next(p for p in ex.provisions if p.id == prov)
    return next(o for o, _ in spec.options if o != current)


# --------------------------------------------------------------------------- draft

def test_set_option_changes_one_provision_and_the_verdicts_follow(ex):
    draft = ex.default_draft()
    prov = ex.provisions[0].id
    new = ex.set_option(draft, prov, other_option(ex, prov, draft[prov]))
    assert [p for p in draft if draft[p] != new[p]] == [prov]
    assert draft == ex.default_draft(), "set_option must not change its input"
    # Independent route: compile the scenario with that draft and score it directly.
    cs = compile_scenario(ex.scenario.model_copy(update={"draft": new}))
    x = cs.package_from_dict(new)
    util = cs.score(x[None, :]).util[:, 0]
    got = ex.verdicts(new, {})
    for i, party in enumerate(cs.party_ids):
        assert got[party].utility == pytest.approx(util[i], abs=1e-12)
        assert got[party].accepts == verdict(cs, x)[party].accepts
    before = ex.verdicts(draft, {})
    assert any(got[p].utility != before[p].utility for p in got)


@pytest.mark.parametrize("prov, option, words", [
    ("x0", "o9", "unknown option 'o9' of provision 'x0'"),
    ("nope", "o0", "unknown provision 'nope'"),
])
def test_bad_option_is_refused(ex, prov, option, words):
    with pytest.raises(NegosimError, match=words):
        ex.set_option(ex.default_draft(), prov, option)


def test_option_choices_are_labels_and_stay_unique():
    s = sample_scenario(parties=2, provisions=2, options=3, seed=0)
    prov = s.provisions["x0"]
    opts = {k: o.model_copy(update={"label": "same"}) if k != "o2" else o for k, o in prov.options.items()}
    s = s.model_copy(update={"provisions": {**s.provisions, "x0": prov.model_copy(update={"options": opts})}})
    ex = Explorer(s)
    spec = ex.provisions[0]
    assert spec.choices == ["same (o0)", "same (o1)", "o2 (o2)"]
    assert [spec.option_of(c) for c in spec.choices] == ["o0", "o1", "o2"]
    assert spec.choice_of("o1") == "same (o1)"
    assert ex.provisions[1].choices == ["o0", "o1", "o2"]
    with pytest.raises(NegosimError, match="has no option 'same'"):
        spec.option_of("same")


def test_incomplete_or_foreign_draft_is_refused(ex):
    draft = ex.default_draft()
    del draft["x1"]
    with pytest.raises(NegosimError, match="misses provision 'x1'"):
        ex.verdicts(draft, {})
    with pytest.raises(NegosimError, match="unknown provision 'zz'"):
        ex.verdicts({**ex.default_draft(), "zz": "o0"}, {})
    with pytest.raises(NegosimError, match="mapping"):
        ex.verdicts(["o0"] * 5, {})


# --------------------------------------------------------------------------- parameters

def test_parameter_moves_the_zone_as_scoring_every_package_says(ex):
    draft = ex.default_draft()
    sizes = []
    for value in (0.0, 0.5, 1.0):
        params = ex.set_param({}, "pressure", value)
        a = ex.analysis(draft, params)
        scenario = ex.scenario_for(draft, params)
        cs = compile_scenario(scenario)
        in_zone = cs.score(cs.space.all()).in_zone
        assert a.zone_size == int(in_zone.sum())
        assert a.space_size == 3 ** 5
        ref = brute(scenario)
        assert a.zone_size == len(ref["zone"])
        assert a.pareto_size == len(ref["front"])
        sizes.append(a.zone_size)
    assert len(set(sizes)) > 1, "the parameter should move the zone in this scenario"


@pytest.mark.parametrize("value, words", [
    (1.5, r"must lie within \[0, 1\] \(got 1.5\)"),
    (-0.01, r"must lie within \[0, 1\]"),
    (float("nan"), "finite"),
    (float("inf"), "finite"),
    ("abc", "must be a number"),
    (None, "must be a number"),
    (True, "must be a number"),
])
def test_out_of_range_or_non_numeric_parameter_is_refused(ex, value, words):
    with pytest.raises(NegosimError, match=words):
        ex.set_param({}, "pressure", value)
    with pytest.raises(NegosimError, match=words):
        ex.analysis(ex.default_draft(), {"pressure": value})


@pytest.mark.parametrize("text, words", [
    ("", "must be a number (got an empty entry)"),
    ("   ", "must be a number (got an empty entry)"),
    ("abc", "must be a number such as 0.25 or -1e-3 (got 'abc')"),
    ("0x1", "(got '0x1')"),           # float.fromhex would read it; a person means no such thing
    ("0.5,", "(got '0.5,')"),
    ("0,5", "(got '0,5')"),           # Solara's InputFloat read a comma as a point
    ("0_5", "(got '0_5')"),           # float() takes digit separators
    ("\u0660.5", "(got '\u0660.5')"),  # and other scripts' digits
    ("infinity", "(got 'infinity')"),
    ("nan", "(got 'nan')"),
    ("1e999", "must be a finite number"),
    ("0." + "1" * 60, "(got '0.111"),
])
def test_a_parameter_entry_that_is_not_a_decimal_number_is_refused(ex, text, words):
    """What the page's number box sends is text: only a plain decimal number is taken."""
    with pytest.raises(NegosimError) as e:
        ex.set_param({}, "pressure", text)
    assert str(e.value).startswith("parameter 'pressure' must be a")
    assert words in str(e.value)


@pytest.mark.parametrize("text, value", [("0.25", 0.25), (" 1 ", 1.0), ("+.5", 0.5), ("1.", 1.0),
                                         ("2.5e-1", 0.25), ("1E-1", 0.1), ("-0", 0.0), ("0", 0.0)])
def test_a_decimal_parameter_entry_is_taken(ex, text, value):
    assert ex.set_param({}, "pressure", text)["pressure"] == value


@pytest.mark.parametrize("seed, want", [("0", 0), ("12", 12), (" 7 ", 7), (str(2**63 - 1), 2**63 - 1),
                                        (2**63 - 1, 2**63 - 1), ("1e3", 1000), (3.0, 3)])
def test_seeds_from_the_page_are_exact_up_to_the_cli_limit(seed, want):
    assert Explorer.check_seed(seed) == want


@pytest.mark.parametrize("seed", ["-1", str(2**63), "abc", "", "1.5", "0x10", "1" * 60, 2**63, True])
def test_bad_seeds_from_the_page_are_refused(seed):
    with pytest.raises(NegosimError, match="seed must be"):
        Explorer.check_seed(seed)


def test_the_page_clears_a_refusal_once_an_entry_is_valid(ex):
    """The message logic of the page: a refusal shows, re-creates the boxes, and any valid entry clears it."""
    solara = pytest.importorskip("solara")
    from negosim.explorer import app
    app.params.set(ex.default_params())
    resets = app.input_resets.value
    for bad in ("abc", "0x1", "", "5"):
        assert app.guarded(lambda: app.params.set(ex.set_param(app.params.value, "pressure", bad))) is False
        assert app.message.value.startswith("parameter 'pressure' must ")
        assert app.params.value == ex.default_params(), "a refused entry changes nothing"
    assert app.input_resets.value == resets + 4, "each refusal re-creates the boxes with the last valid value"
    # The same value as before is a valid entry too: it must clear the message.
    assert app.guarded(lambda: app.params.set(ex.set_param(app.params.value, "pressure", "0"))) is True
    assert app.message.value == ""
    assert solara  # imported for the skip only


def test_number_boxes_send_every_entry_to_the_page(ex):
    """Solara's InputFloat dropped unparsable text and unchanged values; the page's boxes pass every entry on."""
    pytest.importorskip("solara")
    import solara
    from negosim.explorer import app
    got = []
    box, rc = solara.render(app.NumberEntry("x", 0.5, got.append, ["box"]), handle_error=False)
    field = rc.find(v_model="0.5").widget
    for text in ("abc", "", "0.5", "0.5"):
        field.v_model = text
        field.fire_event("keyup.enter", None)
    assert got == ["abc", "", "0.5", "0.5"]
    rc.close()


def test_unknown_parameter_is_refused_and_others_keep_their_values(ex):
    with pytest.raises(NegosimError, match="unknown parameter 'gravity'"):
        ex.set_param({}, "gravity", 0.5)
    p = ex.set_param({"war_cost": 0.25}, "pressure", "0.5")
    assert p == {"pressure": 0.5, "war_cost": 0.25}


def with_range(low, high, value=0.0):
    """The sample scenario with parameter 'pressure' given this range and value, unchecked.

    The loader refuses non-finite numbers; the explorer must still never send one to the browser.
    """
    s = sample_scenario(parties=2, provisions=3, options=2, seed=1)
    prm = s.parameters["pressure"].model_construct(**{**dict(s.parameters["pressure"]), "range": (low, high),
                                                     "value": s.parameters["pressure"].value.model_construct(
                                                         value=value)})
    return s.model_copy(update={"parameters": {**s.parameters, "pressure": prm}})


@pytest.mark.parametrize("low, high, value", [(-math.inf, math.inf, 0.0), (0.0, math.inf, 0.0),
                                              (0.0, 1.0, math.nan), (math.nan, 1.0, 0.5)])
def test_a_non_finite_slider_is_refused(low, high, value):
    with pytest.raises(NegosimError, match="parameter 'pressure' needs a finite range and value for its slider"):
        Explorer(with_range(low, high, value))


def test_slider_numbers_sent_to_the_browser_are_finite_for_huge_ranges():
    """A range of [-1e308, 1e308] is finite, but its width overflows: the slider step must not be inf."""
    pytest.importorskip("solara")
    import solara
    from ipywidgets.widgets.widget import _instances
    from negosim.explorer import app
    ex = Explorer(with_range(-1e308, 1e308))
    spec = ex.parameters[0]
    assert math.isfinite(spec.step) and spec.step > 0
    box, rc = solara.render(app.ParameterSliders(ex, ex.default_params()), handle_error=False)
    sliders = [w for w in _instances.values() if type(w).__name__ == "Slider" and w.max == 1e308]
    assert sliders, "the page must draw the slider"
    for w in list(_instances.values()):
        json.dumps(w.get_state(), allow_nan=False, default=str)  # what Solara sends; raises on inf or nan
    rc.close()


def test_explore_refuses_a_scenario_with_an_infinite_range(cli, tmp_path):
    path = tmp_path / "s.yaml"
    dump(sample_scenario(parties=2, provisions=2, options=2, seed=0), path)
    text = path.read_text()
    assert text.count("    range:\n    - 0.0\n    - 1.0\n") == 2
    path.write_text(text.replace("    range:\n    - 0.0\n    - 1.0\n", "    range:\n    - -.inf\n    - .inf\n", 1))
    r = cli("explore", str(path), "--port", "0")
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:") and "finite" in lines[0], r.stderr


def test_start_from_changes_the_page_defaults_only_when_valid():
    ex = Explorer(sample_scenario(parties=2, provisions=3, options=2, seed=1))
    ex.start_from({"pressure": 0.3})
    assert ex.default_params() == {"pressure": 0.3, "war_cost": 0.0}
    with pytest.raises(NegosimError):
        ex.start_from({"pressure": 3})
    assert ex.default_params()["pressure"] == 0.3


# --------------------------------------------------------------------------- repairs and pairs

def test_apply_repair_gives_a_draft_everyone_needed_accepts(ex):
    draft = ex.default_draft()
    a = ex.analysis(draft, {})
    assert a.repairs, "this scenario's draft should have repairs"
    assert not a.draft_accepted
    for k, r in enumerate(a.repairs):
        new = ex.apply_repair(draft, {}, k)
        assert sum(new[p] != draft[p] for p in draft) == a.repair_size
        assert new == r.package
        v = ex.verdicts(new, {})
        assert all(x.accepts or not x.needed for x in v.values())
    with pytest.raises(NegosimError, match="no repair number 99"):
        ex.apply_repair(draft, {}, 99)
    with pytest.raises(NegosimError, match="no repair number -1"):
        ex.apply_repair(draft, {}, -1)


def test_pairs_are_checked(ex):
    assert ex.check_pair(("p0", "p2")) == ("p0", "p2")
    for bad, words in ((("p0", "p0"), "two different"), (("p0",), "two parties"), (("p0", "zz"), "unknown party")):
        with pytest.raises(NegosimError, match=words):
            ex.check_pair(bad)


# --------------------------------------------------------------------------- download

def test_downloaded_draft_reads_back_identically(ex, tmp_path, cli):
    draft = ex.set_option(ex.default_draft(), "x2", other_option(ex, "x2", ex.default_draft()["x2"]))
    params = ex.set_param({}, "pressure", 0.7)
    text = ex.draft_yaml(draft, params)
    path = tmp_path / ex.download_name()
    path.write_text(text, encoding="utf-8")
    back = load(path)
    assert back == ex.scenario_for(draft, params)
    assert back.draft == draft
    assert back.parameters["pressure"].value.point == 0.7
    assert back.parameters["pressure"].value.assumption == SET_IN_EXPLORER
    assert back.parameters["war_cost"] == ex.scenario.parameters["war_cost"], "unchanged values stay as they were"
    r = cli("analyze", str(path), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    a = ex.analysis(draft, params)
    assert out["zone_size"] == a.zone_size
    assert out["repair_size"] == a.repair_size
    for party, v in a.draft.items():
        assert out["draft"][party]["utility"] == v.utility
        assert out["draft"][party]["accepts"] == v.accepts


def test_default_draft_downloads_the_scenario_unchanged(ex):
    assert load_text(ex.draft_yaml(ex.default_draft(), {})) == ex.scenario


def load_text(text: str):
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "s.yaml"
        p.write_text(text, encoding="utf-8")
        return load(p)


# --------------------------------------------------------------------------- caching, figures, tables

def test_results_are_cached_per_draft_and_parameters(ex):
    d = ex.default_draft()
    assert ex.analysis(d, {}) is ex.analysis(dict(d), {"pressure": 0.0})
    assert ex.analysis(d, {"pressure": 0.1}) is not ex.analysis(d, {})


def test_frontier_marks_the_draft_and_every_repair(ex):
    d = ex.default_draft()
    fig = ex.frontier_figure(d, {}, ("p0", "p1"))
    ax = fig.axes[0]
    gids = [c.get_gid() for c in ax.collections]
    a = ex.analysis(d, {})
    assert sorted(g for g in gids if g and g.startswith("repair:")) == [f"repair:{k}" for k in range(len(a.repairs))]
    star = next(c for c in ax.collections if c.get_gid() == "draft")
    assert star.get_offsets()[0].tolist() == pytest.approx([a.draft["p0"].utility, a.draft["p1"].utility])
    for k, r in enumerate(a.repairs):
        pts = next(c for c in ax.collections if c.get_gid() == f"repair:{k}").get_offsets()[0]
        assert pts.tolist() == pytest.approx([r.utilities["p0"], r.utilities["p1"]])
    with pytest.raises(NegosimError):
        ex.frontier_figure(d, {}, ("p0", "p0"))


def test_package_figure_shows_the_draft_contributions(ex):
    d = ex.default_draft()
    fig = ex.package_figure(d, {})
    width = sum(r.get_width() for r in fig.axes[0].patches if (r.get_gid() or "").startswith("contrib:p1:"))
    v = ex.verdicts(d, {})["p1"]
    assert width == pytest.approx(sum(v.contributions.values()), abs=1e-9)


def test_verdict_table_carries_the_exact_values(ex):
    v = ex.verdicts(ex.default_draft(), {})
    html = tables.verdict_table(ex, v)
    for party, x in v.items():
        assert f'data-party="{party}"' in html
        assert f'data-value="{x.utility!r}"' in html
    assert html.count('data-value="rejects"') == sum(not x.accepts for x in v.values())


def test_tables_escape_labels():
    s = sample_scenario(parties=2, provisions=2, options=2, seed=0)
    party = s.parties["p0"].model_copy(update={"label": "<script>alert(1)</script>"})
    s = s.model_copy(update={"parties": {**s.parties, "p0": party}})
    ex = Explorer(s)
    html = tables.verdict_table(ex, ex.verdicts(ex.default_draft(), {}))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_zone_summary_and_repairs_table_match_the_analysis(ex):
    a = ex.analysis(ex.default_draft(), {})
    html = tables.zone_summary(a)
    assert f'id="zone-size" data-value="{a.zone_size}"' in html
    assert f'id="pareto-size" data-value="{a.pareto_size}"' in html
    assert f'id="repair-size" data-value="{a.repair_size}"' in tables.draft_summary(a)
    rep = tables.repairs_table(ex, a)
    assert rep.count("data-repair=") == len(a.repairs)
    sol = tables.solutions_table(ex, a, ex.default_draft())
    assert sol.count("<tr data-solution=") == len(a.solutions)


def test_zone_is_reused_across_drafts_but_not_across_parameters(ex):
    d = ex.default_draft()
    a = ex.analysis(d, {"war_cost": 0.4})
    other = ex.set_option(d, "x0", other_option(ex, "x0", d["x0"]))
    z = ex.zone_for({"war_cost": 0.4})
    assert z is a
    fresh = ex.analysis(other, {"war_cost": 0.4})
    assert (fresh.zone_size, fresh.pareto_size) == (z.zone_size, z.pareto_size)
    assert {k: s.index for k, s in fresh.solutions.items() if s} == {k: s.index for k, s in z.solutions.items() if s}
    assert ex.zone_for({"war_cost": 0.41}) is None


# --------------------------------------------------------------------------- bargaining

def test_bargaining_run_from_the_page_returns_its_trace(ex):
    trace = ex.bargain(ex.default_draft(), {}, "single_text", seed=1, rounds=5)
    assert set(trace["party"]) == set(ex.party_ids)
    assert 1 <= trace["round"].max() <= 5
    again = ex.bargain(ex.default_draft(), {}, "single_text", seed=1, rounds=5)
    assert trace.equals(again), "same seed, same trace"
    html = tables.trace_summary(ex, trace)
    assert 'id="trace-outcome"' in html and html.count("<tr data-party=") == len(ex.party_ids)


@pytest.mark.parametrize("protocol, seed, rounds, words", [
    ("poker", 0, 5, "unknown protocol 'poker'"),
    ("single_text", -1, 5, "seed must be a whole number"),
    ("single_text", 1.5, 5, "seed must be a whole number"),
    ("single_text", 0, 0, "number of rounds"),
    ("single_text", 0, 10 ** 9, "number of rounds"),
    ("single_text", 0, "many", "must be a number"),
])
def test_bad_bargaining_settings_are_refused(ex, protocol, seed, rounds, words):
    with pytest.raises(NegosimError, match=words):
        ex.bargain(ex.default_draft(), {}, protocol, seed, rounds)


# --------------------------------------------------------------------------- command and server helpers

RACE = """
import sys, threading, time
from negosim.explorer import app  # what `negosim explore` imports before it serves
from negosim.explorer.sample import sample_scenario
from negosim.explorer.state import Explorer
ex = Explorer(sample_scenario(parties=2, provisions=3, options=2, seed=0))
d, p = ex.default_draft(), ex.default_params()
start, errors = threading.Barrier(2), []
def run(work, delay):
    start.wait()
    time.sleep(delay)
    try:
        work()
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
jobs = [(lambda: app._figure_png(lambda: ex.frontier_figure(d, p, ex.default_pair())), 0.0),
        (lambda: ex.bargain(d, p, "single_text", 0, 3), 0.1)]
threads = [threading.Thread(target=run, args=job) for job in jobs]
for t in threads: t.start()
for t in threads: t.join()
print(errors)
sys.exit(1 if errors else 0)
"""


def test_the_first_figure_and_a_bargaining_run_at_once_both_work(root):
    """Clicking Run while the first frontier is drawn: two threads import the plots for the first time.

    Before the page imported them up front, the second thread got a partially
    initialised negosim.plots (ImportError in one, KeyError in the other). A
    fresh process, since this one has imported them already.
    """
    pytest.importorskip("solara")
    r = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, cwd=root, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_missing_solara_names_the_extra(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "solara" else real(name, *a))
    with pytest.raises(NegosimError, match=r"pip install 'negosim\[explorer\]'"):
        server.require_solara()


def test_explore_refuses_bad_files_and_ports(cli, tmp_path):
    r = cli("explore", str(tmp_path / "missing.yaml"))
    assert r.returncode == 2 and "file not found" in r.stderr
    path = tmp_path / "s.yaml"
    dump(sample_scenario(parties=2, provisions=2, options=2, seed=0), path)
    for port in ("70000", "80.5", "0x50"):
        r = cli("explore", str(path), "--port", port)
        assert r.returncode == 2 and r.stderr.startswith(
            f"negosim explore: error: argument --port: must be a whole number from 0 to 65535 (got '{port}')"), r.stderr
    r = cli("explore", str(path), "--param", "pressure=9")
    assert r.returncode == 2 and "must lie within" in r.stderr


def test_check_address_refuses_a_port_in_use():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(NegosimError, match="cannot serve on 127.0.0.1"):
            server.check_address("127.0.0.1", s.getsockname()[1])

