"""Unit tests of the YAML loader: extends, round trips, strict YAML, warnings, quotes."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import negosim
from negosim.engine.compiled import compile_scenario
from negosim.errors import ArticlesMissingWarning, ScenarioError, WeightsNormalizedWarning
from negosim.scenario.evidence import normalize
from negosim.scenario.schema import RedLine
from negosim.scenario.yaml_io import dump_scenario, load_document, load_scenario, validation_to_error

DATA = Path(__file__).resolve().parent / "data"
ARTICLES = DATA / "articles"
BASE = DATA / "malformed" / "_parts" / "base.yaml"

# A small valid scenario; tests write variants of it.
SMALL = """\
negosim: 1
name: small
provisions:
  land:
    label: Land
    options:
      keep: {label: Keep, status_quo: true}
      give: {label: Give}
  army:
    label: Army
    options:
      free: {label: No cap, status_quo: true}
      capped: {label: Capped}
parties:
  kyiv:
    reservation: 0.4
    veto: [land]
    weights: {land: 0.6, army: 0.4}
    values:
      land: {keep: 1.0, give: 0.0}
      army: {free: 1.0, capped: 0.3}
    red_lines:
      - id: no_land
        forbid: {land: give}
  moscow:
    reservation: 0.5
    weights: {land: 0.5, army: 0.5}
    values:
      land: {keep: 0.0, give: 1.0}
      army: {free: 0.2, capped: 0.8}
draft: {land: give, army: capped}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path, **kw) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kw)
    return info.value


# --------------------------------------------------------------------------- extends

def test_extends_merges_mappings_replaces_lists_and_lets_the_child_override(tmp_path):
    write(tmp_path, "base.yaml", SMALL)
    child = write(tmp_path, "child.yaml", """\
extends: base.yaml
name: child
description: added by the child
parties:
  kyiv:
    reservation: 0.3
    veto: [army]
    red_lines:
      - id: no_cap
        forbid: {army: capped}
  washington:
    reservation: 0.2
    weights: {land: 0.5, army: 0.5}
    values:
      land: {keep: 0.5, give: 0.6}
      army: {free: 0.5, capped: 0.5}
""")
    ls = load_scenario(child)
    s = ls.scenario
    assert s.name == "child" and s.description == "added by the child"
    kyiv = s.parties["kyiv"]
    assert kyiv.reservation.point == 0.3                      # overridden
    assert kyiv.weights["land"].point == 0.6                  # merged from the parent
    assert kyiv.values["army"]["capped"].point == 0.3
    assert kyiv.veto == ["army"]                              # a list is replaced, not appended
    assert [r.id for r in kyiv.red_lines] == ["no_cap"]
    assert list(s.parties) == ["kyiv", "moscow", "washington"]  # added key, parent order kept
    assert ls.files == [child, tmp_path / "base.yaml"]


def test_extends_chains_and_hash_covers_every_file(tmp_path):
    write(tmp_path, "a.yaml", SMALL)
    write(tmp_path, "sub/b.yaml", "extends: ../a.yaml\nname: b\n")
    c = write(tmp_path, "sub/c.yaml", "extends: b.yaml\nname: c\nparties:\n  moscow:\n    reservation: 0.7\n")
    ls = load_scenario(c)
    assert ls.scenario.name == "c" and ls.scenario.parties["moscow"].reservation.point == 0.7
    assert [p.name for p in ls.files] == ["c.yaml", "b.yaml", "a.yaml"]
    before = ls.sha256()
    write(tmp_path, "a.yaml", SMALL.replace("reservation: 0.4", "reservation: 0.41"))
    assert load_scenario(c).sha256() != before


def test_error_in_a_parent_is_located_in_the_parent(tmp_path):
    parent = write(tmp_path, "parent.yaml", SMALL.replace("army: {free: 1.0, capped: 0.3}",
                                                          "army: {free: 1.0, capped: 1.3}"))
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nname: child\n")
    err = load_error(child)
    line = SMALL.splitlines().index("      army: {free: 1.0, capped: 0.3}") + 1
    col = "      army: {free: 1.0, capped: 0.3}".index("0.3") + 1
    assert (err.file, err.line, err.col) == (str(parent), line, col)
    assert err.path == ("parties", "kyiv", "values", "army", "capped")
    assert "must be between 0 and 1 (got 1.3)" in str(err)
    # The child may repair the parent's value: merging happens before validation.
    fixed = write(tmp_path, "fixed.yaml", "extends: parent.yaml\nname: fixed\n"
                                          "parties:\n  kyiv:\n    values:\n      army: {capped: 0.2}\n")
    assert load_scenario(fixed).scenario.parties["kyiv"].values["army"]["capped"].point == 0.2


def test_circular_and_missing_extends(tmp_path):
    a = write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    b = write(tmp_path, "b.yaml", "name: b\nextends: a.yaml\n")
    err = load_error(a)
    assert (err.file, err.line, err.col) == (str(b), 2, 10)
    assert "a.yaml -> b.yaml -> a.yaml" in err.message
    err = load_error(write(tmp_path, "lost.yaml", "extends: nowhere.yaml\nname: lost\n"))
    assert (err.line, err.col, err.path) == (1, 10, ("extends",))
    assert "'nowhere.yaml' not found" in err.message


def test_articles_key_of_a_parent_resolves_against_the_parent(tmp_path):
    write(tmp_path, "deep/parent.yaml", "articles: ../arts\n" + SMALL)
    child = write(tmp_path, "child.yaml", "extends: deep/parent.yaml\nname: child\n")
    assert load_scenario(child).articles == tmp_path / "deep" / ".." / "arts"


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("kw", [dict(parties=4, provisions=6, options=3, seed=1),
                                dict(parties=3, provisions=5, options=4, seed=2, opposed=True, red_lines=3,
                                     linkages=3, list_veto=1, decimals=2)])
def test_dump_then_load_gives_an_equal_random_scenario(tmp_path, kw):
    s = negosim.random_scenario(**kw)
    path = tmp_path / "s.yaml"
    with warnings.catch_warnings():
        # Rounded weights may not sum to exactly 1; the rescaling warning is not the point here.
        warnings.simplefilter("ignore", WeightsNormalizedWarning)
        dump_scenario(s, path)
        assert load_scenario(path).scenario == s


def test_dump_then_load_keeps_evidence_ranges_parameters_and_protocol(tmp_path):
    s = load_scenario(BASE).scenario
    assert s.parties["russia"].weights["territory"].quote is not None
    assert s.parties["europe"].reservation.low == 0.4 and s.parameters and s.protocol is not None
    path = tmp_path / "again.yaml"
    text = dump_scenario(s, path)
    assert "extends" not in text
    again = load_scenario(path, articles=ARTICLES).scenario
    assert again == s
    assert dump_scenario(again) == text


def test_dump_quotes_text_that_would_read_back_as_a_number(tmp_path):
    tricky = ["1e3", "010", "1:30", "yes", "2025-03-03", ".5", "null", "0x1F"]
    text = SMALL
    for i, label in enumerate(tricky[:4]):
        text = text.replace(["label: Keep", "label: Give", "label: No cap", "label: Capped"][i], f"label: '{label}'")
    s = load_scenario(write(tmp_path, "s.yaml", text)).scenario
    s = s.model_copy(update={"description": " ".join(tricky), "name": tricky[4]})
    path = tmp_path / "d.yaml"
    dump_scenario(s, path)
    again = load_scenario(path).scenario
    assert again == s
    assert [o.label for p in again.provisions.values() for o in p.options.values()] == tricky[:4]


# --------------------------------------------------------------------------- strict YAML

def test_only_true_and_false_are_booleans(tmp_path):
    data, _, _ = load_document(write(tmp_path, "b.yaml", "a: no\nb: on\nc: yes\nd: true\ne: False\nf: off\n"))
    assert data == {"a": "no", "b": "on", "c": "yes", "d": True, "e": False, "f": "off"}
    err = load_error(write(tmp_path, "s.yaml", SMALL.replace("give: {label: Give}",
                                                             "give: {label: Give, absent: no}")))
    assert err.path == ("provisions", "land", "options", "give", "absent")
    assert err.message == "must be true or false (got 'no')"
    assert (err.line, err.col) == (8, 35)


def test_yaml_1_2_numbers(tmp_path):
    text = "a: 1e-3\nb: .5\nc: 1E3\nd: -2.5e+2\ne: 010\nf: 0x1F\ng: 0o17\nh: 1:30\ni: 2025-03-03\nj: 1_000\nk: -.inf\n"
    data, _, _ = load_document(write(tmp_path, "n.yaml", text))
    assert data == {"a": 0.001, "b": 0.5, "c": 1000.0, "d": -250.0, "e": 10, "f": 31, "g": 15, "h": "1:30",
                    "i": "2025-03-03", "j": "1_000", "k": float("-inf")}
    s = load_scenario(write(tmp_path, "s.yaml", SMALL.replace("capped: 0.3}", "capped: 3e-1}"))).scenario
    assert s.parties["kyiv"].values["army"]["capped"].point == pytest.approx(0.3)


@pytest.mark.parametrize("text, line, col, key", [
    ("a: 1\nb: 2\na: 3\n", 3, 1, "a"),
    ("a:\n  - {x: 1, y: 2, x: 3}\n", 2, 18, "x"),
    ("a:\n  b:\n    c: 1\n    c: 2\n", 4, 5, "c"),
])
def test_duplicate_keys_are_errors(tmp_path, text, line, col, key):
    with pytest.raises(ScenarioError) as info:
        load_document(write(tmp_path, "d.yaml", text))
    err = info.value
    assert (err.line, err.col, err.path[-1]) == (line, col, key)
    assert f"duplicate key '{key}'" in err.message


def test_python_tags_are_refused_without_being_run(tmp_path, monkeypatch):
    called = []
    monkeypatch.setattr("os.system", lambda *a: called.append(a))
    with pytest.raises(ScenarioError) as info:
        load_document(write(tmp_path, "t.yaml", "a: 1\nb: !!python/object/apply:os.system ['true']\n"))
    assert not called
    assert (info.value.line, info.value.col) == (2, 4)
    assert "'!!python/object/apply:os.system' is not allowed" in info.value.message


# --------------------------------------------------------------------------- messages and locations

def test_misspelt_key_is_reported_with_a_suggestion_instead_of_the_missing_key(tmp_path):
    err = load_error(write(tmp_path, "s.yaml", SMALL.replace("    reservation: 0.5", "    reservaton: 0.5")))
    assert err.path == ("parties", "moscow", "reservaton")
    assert err.message == "unknown key 'reservaton' (did you mean 'reservation'?)"
    assert (err.line, err.col) == (SMALL.splitlines().index("    reservation: 0.5") + 1, 5)


def test_missing_key_points_at_the_mapping_that_lacks_it(tmp_path):
    err = load_error(write(tmp_path, "s.yaml", SMALL.replace("    reservation: 0.5\n", "")))
    assert err.path == ("parties", "moscow")
    assert err.message == "required key 'reservation' is missing"
    assert (err.line, err.col) == (SMALL.splitlines().index("  moscow:") + 1, 3)


def test_union_fields_give_one_message_for_all_their_forms(tmp_path):
    err = load_error(write(tmp_path, "s.yaml", SMALL.replace("veto: [land]", "veto: no")))
    assert err.path == ("parties", "kyiv", "veto")
    assert err.message == "must be 'all' or 'none', or a list (got 'no')"
    # The list form was meant: the error inside the list is the one reported.
    err = load_error(write(tmp_path, "s2.yaml", SMALL.replace("veto: [land]", "veto: [land, 3]")))
    assert err.path == ("parties", "kyiv", "veto", 1) and err.message == "must be text (got 3)"


def test_validation_to_error_drops_union_steps_with_or_without_the_model():
    with pytest.raises(ValidationError) as info:
        RedLine.model_validate({"id": "r", "forbid": {"land": 3}})
    for model in (RedLine, None):
        err = validation_to_error(info.value, None, "f.yaml", model=model)
        assert err.path == ("forbid", "land")
        assert err.file == "f.yaml"
        assert "(got 3)" in err.message


def test_number_checks_point_at_the_member_they_name(tmp_path):
    err = load_error(write(tmp_path, "s.yaml", SMALL.replace("reservation: 0.4",
                                                             "reservation: {low: 0.5, high: 0.3}")))
    assert err.path == ("parties", "kyiv", "reservation")
    assert err.col == 24  # the 'low' value
    assert err.message.startswith("low must not exceed high")


# --------------------------------------------------------------------------- warnings

QUOTED = SMALL.replace("moscow:\n    reservation: 0.5",
                       "moscow:\n    reservation:\n      value: 0.5\n      source: report\n"
                       "      quote: the question of territory comes before everything else")
SOURCES = "sources:\n  report: {file: talks_report.txt}\n"


def test_missing_articles_folder_warns(tmp_path):
    path = write(tmp_path, "s.yaml", "articles: no_such_folder\n" + SOURCES + QUOTED)
    with pytest.warns(ArticlesMissingWarning, match="1 quotes were not checked"):
        load_scenario(path)
    with pytest.warns(ArticlesMissingWarning, match="none given"):
        load_scenario(write(tmp_path, "t.yaml", SOURCES + QUOTED))
    # With the folder given, the quote is checked and nothing is said.
    assert load_scenario(path, articles=ARTICLES).articles == ARTICLES


def test_weights_not_summing_to_one_are_rescaled_with_a_warning(tmp_path):
    path = write(tmp_path, "s.yaml", SMALL.replace("weights: {land: 0.5, army: 0.5}", "weights: {land: 3, army: 1}"))
    with pytest.warns(WeightsNormalizedWarning, match=r"parties\.moscow\.weights sum to 4"):
        s = load_scenario(path).scenario
    cs = compile_scenario(s)
    i = cs.party_ids.index("moscow")
    np.testing.assert_allclose(cs.weights[i], [0.75, 0.25])
    np.testing.assert_allclose(cs.weights.sum(axis=1), 1.0)


# --------------------------------------------------------------------------- quotes

def test_normalize_folds_quotes_dashes_and_whitespace():
    assert normalize("“step by step —\n and only”") == '"step by step - and only"'
    assert normalize("it\u2019s\u00a0a\u2009test \u2013 ok") == "it's a test - ok"
    assert normalize("ﬁve") == "five"  # NFKC ligature


@pytest.mark.parametrize("quote", [
    '''sanctions could be eased only "step by step - and only once the guns fall silent,"''',
    "eased only \u201cstep by step \u2014 and only once",
    "eased   only \u201cstep by step \u2013\n        and only once",
])
def test_quotes_match_across_curly_quotes_dashes_and_line_breaks(tmp_path, quote):
    # A JSON string is a valid YAML double-quoted scalar, escapes included.
    text = SOURCES + QUOTED.replace("the question of territory comes before everything else", json.dumps(quote))
    ls = load_scenario(write(tmp_path, "s.yaml", text), articles=ARTICLES)
    assert ls.scenario.parties["moscow"].reservation.quote == quote


def test_a_changed_word_fails_at_the_quote(tmp_path):
    text = SOURCES + QUOTED.replace("comes before everything", "comes after everything")
    path = write(tmp_path, "s.yaml", text)
    err = load_error(path, articles=ARTICLES)
    assert err.path == ("parties", "moscow", "reservation", "quote")
    assert "quote not found in talks_report.txt" in err.message
    assert (err.line, err.col) == (text.splitlines().index(
        "      quote: the question of territory comes after everything else") + 1, 14)


# --------------------------------------------------------------------------- a sweep's scenario: held to the extends rule

SECRET = "hunter2-do-not-print-this-line"


@pytest.mark.parametrize("content, reason", [
    (f"root:x:0:0:{SECRET}:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n", "not a YAML mapping"),
    (f"password: {SECRET}\nuser: admin\n", "it has no 'negosim:' key"),
    (f"[{SECRET}\n", "not valid YAML"),
    (f"- {SECRET}\n", "not a YAML mapping"),
], ids=["passwd-like", "mapping", "broken", "list"])
def test_a_sweep_whose_scenario_is_not_a_scenario_file_quotes_nothing_of_it(tmp_path, content, reason):
    from conftest import run_cli
    (tmp_path / "secret.conf").write_text(content, encoding="utf-8")
    (tmp_path / "spec.yaml").write_text("axes: {}\nscenario: secret.conf\n", encoding="utf-8")
    r = run_cli("sweep", "spec.yaml", "--workers", "1", "--quiet", cwd=tmp_path, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr == f"spec.yaml:2:11: scenario: secret.conf is not a scenario file ({reason})\n"
    assert not (tmp_path / "spec.parquet").exists()


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="no /etc/passwd")
def test_a_sweep_of_etc_passwd(tmp_path):
    from conftest import run_cli
    (tmp_path / "spec.yaml").write_text("scenario: /etc/passwd\n", encoding="utf-8")
    r = run_cli("sweep", "spec.yaml", "--workers", "1", cwd=tmp_path, timeout=120)
    assert r.returncode == 2
    assert r.stderr.startswith("spec.yaml:1:11: scenario: /etc/passwd is not a scenario file (")
    assert Path("/etc/passwd").read_text(errors="replace")[:8] not in r.stderr


def test_a_sweep_of_a_broken_scenario_still_points_into_it(tmp_path):
    # A file that says it is a scenario keeps its own detailed message, at its own line.
    (tmp_path / "s.yaml").write_text("negosim: 1\nname: [unclosed\n", encoding="utf-8")
    (tmp_path / "spec.yaml").write_text("scenario: s.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="invalid YAML") as e:
        negosim.load_sweep(tmp_path / "spec.yaml")
    assert (Path(e.value.file).name, e.value.line) == ("s.yaml", 2)
    with pytest.raises(negosim.NegosimError, match=r"^scenario: .*secret\.conf is not a scenario file \(it has no"):
        (tmp_path / "secret.conf").write_text(f"password: {SECRET}\n", encoding="utf-8")
        negosim.run_sweep(negosim.Sweep(scenario=str(tmp_path / "secret.conf")))


# --------------------------------------------------------------------------- allowed bounds: one definition

def _set_number(data: dict, field: str, value: float) -> dict:
    kyiv = data["parties"]["kyiv"]
    if field == "values":
        kyiv["values"]["land"]["keep"] = value
    elif field == "weights":
        kyiv["weights"]["land"] = value
    elif field == "linkages":
        kyiv["linkages"] = [{"id": "l", "when": {"land": "keep"}, "bonus": value}]
    else:
        kyiv[field] = value
    return data


@pytest.mark.parametrize("field", ["reservation", "values", "weights", "power", "discount", "drift", "linkages"])
def test_every_kind_of_number_is_held_to_its_declared_bounds(field):
    # The format, sweep axes, beliefs and widen() read quantity.FIELD_BOUNDS: the format must enforce it.
    import yaml
    from negosim.scenario.numbers import FIELD_BOUNDS, bounds_text
    from negosim.scenario.schema import Scenario
    lo, hi, open_low = FIELD_BOUNDS[field]

    def valid(value):
        data = _set_number(yaml.safe_load(SMALL), field, value)
        data["parties"]["kyiv"]["weights"]["army"] = 1.0  # keeps the weights from all being zero
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", WeightsNormalizedWarning)
                Scenario.model_validate(data)
        except ValidationError:
            return False
        return True

    for end, outside in ((lo, -1e-9), (hi, 1e-9)):
        if end is None:
            assert valid(1e5 if outside > 0 else -1e5), field
            continue
        assert not valid(end + outside), (field, end + outside)
        assert valid(end) != (open_low and end == lo), (field, end)
    assert bounds_text(field)[1:-1] == ", ".join("inf" if e is None else f"{e:g}" for e in (lo, hi))
