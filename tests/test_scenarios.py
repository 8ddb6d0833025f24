"""The shipped scenarios: they load with every quote found, analyse, are sourced, and compare.

Also the provenance module (``negosim sources``, the unsourced warning of ``negosim
validate``) and the comparison of drafts (``negosim compare``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from negosim.engine.analysis import verdict
from negosim.engine.compare import compare
from negosim.engine.compiled import compile_scenario
from negosim.errors import NegosimError, UnsourcedWarning
from negosim.scenario.provenance import overused_quotes, provenance, quote_loads, warn_unsourced
from negosim.engine.random_scenario import random_scenario
from negosim.scenario.evidence import normalize
from negosim.scenario.schema import Scenario, iter_numbers
from negosim.scenario.yaml_io import load_scenario

from reference import QUANTUM, quanta
from reference_package import package_verdicts

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
# Scenario files only: scenarios/ also holds other documents (observations.yaml), which do not
# start with the scenario format's 'negosim:' key.
FILES = sorted(f for f in SCENARIOS.glob("*.yaml") if "negosim" in (yaml.safe_load(f.read_text(encoding="utf-8")) or {}))
ROUND_FILES = ["freeze_2025_04.yaml", "ukraine_counter_2025_04.yaml", "plan28_2025_11.yaml",
               "framework20_2025_12.yaml", "framework20_russia_2025_12.yaml",
               "framework20_assets_2025_12.yaml"]
IDS = [f.name for f in FILES]


def cli(*args: str) -> subprocess.CompletedProcess:
    # A wide terminal, so that table cells are not folded across lines.
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "negosim", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def loaded():
    out = {}
    with warnings.catch_warnings():
        # A missing article folder or rescaled weights would be a defect of the shipped files.
        warnings.simplefilter("error")
        for f in FILES:
            out[f.name] = load_scenario(f)
    return out


# --------------------------------------------------------------------------- the shipped files

def test_the_expected_files_ship():
    names = {f.name for f in FILES}
    assert {"base.yaml", *ROUND_FILES} <= names


@pytest.mark.parametrize("name", IDS)
def test_scenario_loads_with_every_quote_checked(loaded, name):
    ls = loaded[name]
    assert ls.articles is not None and ls.articles.is_dir(), (
        f"article folder {ls.articles} is missing: quotes of {name} cannot be checked")
    # The split-Europe round adds the Union (eu) beside the European governments (europe).
    split = {"eu"} if "split_europe" in name else set()
    assert set(ls.scenario.parties) == {"us", "ukraine", "russia", "europe", *split}
    assert set(ls.scenario.sources) == {"A000", "A001", "A002", "A003", "A004"}


def test_a_quote_missing_from_its_article_fails_the_load(loaded, tmp_path):
    # The quotes really are checked: one word changed in one of base.yaml's quotes stops every file.
    text = (SCENARIOS / "base.yaml").read_text(encoding="utf-8")
    quote = "he was willing to stop the war at the current front line"
    assert text.count(quote) >= 1
    (tmp_path / "base.yaml").write_text(text.replace(quote, quote.replace("willing", "eager")), encoding="utf-8")
    (tmp_path / "plan28_2025_11.yaml").write_text((SCENARIOS / "plan28_2025_11.yaml").read_text(encoding="utf-8"),
                                                  encoding="utf-8")
    with pytest.raises(NegosimError, match="eager to stop the war"):
        load_scenario(tmp_path / "plan28_2025_11.yaml", articles=loaded["base.yaml"].articles)
    # The untouched copy loads from the same place.
    (tmp_path / "base.yaml").write_text(text, encoding="utf-8")
    assert load_scenario(tmp_path / "plan28_2025_11.yaml", articles=loaded["base.yaml"].articles).scenario.draft \
        == loaded["plan28_2025_11.yaml"].scenario.draft


@pytest.mark.parametrize("name", ROUND_FILES)
def test_round_extends_base_and_sets_a_draft(loaded, name):
    raw = yaml.safe_load((SCENARIOS / name).read_text(encoding="utf-8"))
    assert raw["extends"] in ("base.yaml", "framework20_2025_12.yaml")
    assert raw["draft"], "a round must set its draft"
    assert loaded[name].scenario.draft != loaded["base.yaml"].scenario.draft
    assert loaded[name].scenario.name == name.removesuffix(".yaml")


def test_provision_catalogue(loaded):
    s = loaded["base.yaml"].scenario
    must = {"donbas", "south_line", "crimea_us", "crimea_kyiv", "crimea_intl", "nato_constitution",
            "nato_pledge", "nato_accession", "army", "weapons", "foreign_troops", "guarantee", "amnesty",
            "aid_audit", "sanctions", "frozen_assets", "non_aggression", "no_force", "language", "eu",
            "znpp", "leadership", "sequencing"}
    assert must <= set(s.provisions)
    size = 1
    for pid, prov in s.provisions.items():
        assert prov.status_quo is not None, f"{pid} has no status-quo option"
        size *= len(prov.options)
        for oid, opt in prov.options.items():
            # Every proposed option cites its article; an unreported compromise says it is an assumption.
            if not opt.status_quo:
                assert opt.source or "assumption" in opt.description.lower(), f"{pid}.{oid} cites nothing"
    assert size <= 5e8
    assert s.parties["europe"].veto == ["nato_pledge", "nato_accession", "foreign_troops", "sanctions",
                                        "frozen_assets"]


def test_parameters_move_several_parties(loaded):
    s = loaded["base.yaml"].scenario
    assert {"us_pressure", "russia_war_cost", "europe_support", "sanctions_pressure"} <= set(s.parameters)
    base = compile_scenario(s)
    for pid, prm in s.parameters.items():
        # The parties whose reservation or weights the parameter moves (a no-deal probability or
        # cost moves reservations through the derivation).
        pushed = compile_scenario(s, {pid: 1.0})
        moved = {name for i, name in enumerate(base.party_ids)
                 if pushed.reservation[i] != base.reservation[i] or (pushed.weights[i] != base.weights[i]).any()}
        assert len(moved) >= 2, f"{pid} moves only {moved}"
        # The articles give directions, not sizes: each effect is graded (context at most) or assumed.
        assert all(e.per_unit.supports or e.per_unit.assumption for e in prm.effects)
    # The direction the issue asks for: US pressure lowers Kyiv's fallback and raises Moscow's.
    pushed = compile_scenario(s, {"us_pressure": 1.0})
    i, r = base.party_ids.index("ukraine"), base.party_ids.index("russia")
    assert pushed.reservation[i] < base.reservation[i] and pushed.reservation[r] > base.reservation[r]


@pytest.mark.parametrize("name", IDS)
def test_no_quote_supports_more_than_three_numbers(loaded, name):
    assert overused_quotes(loaded[name]) == {}


def _tolerance(s: Scenario) -> float:
    """Utilities agree with the definitions to half a quantum per rounded product and bonus."""
    return (len(s.provisions) + max(len(p.linkages) for p in s.parties.values())) * float(QUANTUM)


def _reason(v: dict) -> str:
    """The reason docs/model.md's acceptance rule gives for a verdict (the engine's wording)."""
    u, r = float(v["utility"]), v["reservation"]
    if v["red_lines"]:
        why = "crosses red line " + ", ".join(v["red_lines"])
    elif v["accepts"]:
        why = f"utility {u:.3f} reaches reservation {r:.3f}"
    else:
        why = f"utility {u:.3f} is {r - u:.3f} short of reservation {r:.3f}"
    return why if v["needed"] else why + " (its consent is not needed for this package)"


def _check_draft_verdicts(s: Scenario, got: dict) -> dict:
    """``got`` (party -> verdict JSON) against the draft scored from the definitions."""
    want = package_verdicts(s, dict(s.draft))
    assert list(got) == list(s.parties)
    for party, v in got.items():
        w = want[party]
        assert abs(v["utility"] - float(w["utility"])) <= _tolerance(s), party
        assert (v["accepts"], v["needed"], v["red_lines"]) == (w["accepts"], w["needed"], w["red_lines"]), party
        # A no_deal reservation is a sum over the outcomes, added in another order than the reference's.
        tol = _tolerance(s) if s.parties[party].reservation == "no_deal" else 0.0
        assert abs(v["reservation"] - w["reservation"]) <= tol and v["margin"] == v["utility"] - v["reservation"], party
        assert sorted(v["linkages"]) == sorted(w["linkages"]), party
        assert v["reason"] == _reason(w), party
    return want


@pytest.mark.parametrize("name", IDS)
def undocumented_reservations(s: Scenario, name: str, doc: str) -> list[str]:
    """Parties whose reservation is a plain number although docs/calibration.md's section on
    reservations does not name them with the file (issue 13: every reservation is no_deal, or
    the page says why not)."""
    start = doc.index("## Reservations")
    section = doc[start:doc.find("\n## ", start + 1)]
    return [party for party, p in s.parties.items()
            if p.reservation != "no_deal" and not (f"`{party}`" in section and name in section)]


@pytest.mark.parametrize("name", IDS)
def test_every_reservation_is_no_deal_or_documented(loaded, name):
    doc = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    s = loaded[name].scenario
    assert undocumented_reservations(s, name, doc) == []
    # The check finds a number nobody explained: Europe's reservation as it was before no_deal.
    d = s.model_dump(exclude_none=True)
    d["parties"]["europe"]["reservation"] = {"low": 0.45, "high": 0.65, "assumption": "not described"}
    assert undocumented_reservations(Scenario.model_validate(d), name, doc) == ["europe"]


@pytest.mark.parametrize("name", IDS)
def test_analyze_runs_and_explains_every_verdict(loaded, name):
    res = cli("analyze", str(SCENARIOS / name), "--json", "--top", "1")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    s = loaded[name].scenario
    want = _check_draft_verdicts(s, out["draft"])
    assert out["draft_accepted"] == all(v["accepts"] or not v["needed"] for v in want.values())
    size = 1
    for prov in s.provisions.values():
        size *= len(prov.options)
    assert out["space_size"] == size > 1e8
    # A rejected draft needs a repair (an accepted one none), and a repair changes exactly
    # repair_size provisions into a package every needed party accepts by the same definitions.
    assert (out["repair_size"] == 0) == out["draft_accepted"]
    if out["repairs"]:
        rep = out["repairs"][0]
        assert len(rep["changes"]) == out["repair_size"]
        assert rep["package"] == {**s.draft, **rep["changes"]}
        pv = package_verdicts(s, rep["package"])
        assert all(v["accepts"] or not v["needed"] for v in pv.values())
        assert all(abs(rep["utilities"][p] - float(v["utility"])) <= _tolerance(s) for p, v in pv.items())
    for sol in out["solutions"].values():
        if sol is not None:
            pv = package_verdicts(s, sol["package"])
            assert all(v["accepts"] or not v["needed"] for v in pv.values())
            assert all(abs(sol["utilities"][p] - float(v["utility"])) <= _tolerance(s) for p, v in pv.items())


def _check_sources_json(out: dict) -> None:
    assert {"numbers", "sourced", "assumptions", "unsourced", "grades", "items"} <= set(out)
    assert out["unsourced"] == 0 and out["grades"]["ungraded"] == 0
    # Items marked inert (values a party weighs 0) are listed but in no count but their own.
    counted = [it for it in out["items"] if not it["inert"]]
    assert out["numbers"] == len(counted) == sum(out["grades"].values())
    assert out["inert"] == len(out["items"]) - len(counted)
    # Only states and implies count as sourced: the stated share is the honest one.
    assert out["sourced"] == out["grades"]["states"] + out["grades"]["implies"]
    assert out["share_sourced"] == out["sourced"] / out["numbers"]
    for it in out["items"]:
        if it["grade"] == "assumption":
            assert it["assumption"].strip() and not it["quote"], it["path"]
        else:
            assert it["grade"] in ("states", "implies", "context"), it["path"]
            assert it["quote"] and it["confidence"] and it["file"], it["path"]
            # An implication is written down; a context quote leaves the size open (a range).
            assert it["grade"] != "implies" or it["claim"], it["path"]
            assert it["grade"] != "context" or it["low"] is not None, it["path"]


@pytest.mark.parametrize("name", IDS)
def test_every_number_graded_or_assumed(loaded, name):
    # The same JSON that negosim sources --json prints (the CLI is run on one file below).
    _check_sources_json(json.loads(json.dumps(provenance(loaded[name]).to_json())))


def ungraded_quotes(s: Scenario) -> list[tuple]:
    """Every evidence block of ``s`` (number, option, red line) that quotes without ``supports``,
    walked from the model itself."""
    out = [path for path, num in iter_numbers(s) if num.quote is not None and num.supports is None]
    out += [("provisions", pid, "options", oid) for pid, prov in s.provisions.items()
            for oid, opt in prov.options.items() if opt.quote is not None and opt.supports is None]
    out += [("parties", name, "red_lines", rl.id) for name, party in s.parties.items()
            for rl in party.red_lines if rl.quote is not None and rl.supports is None]
    return out


@pytest.mark.parametrize("name", IDS)
def test_every_shipped_quote_carries_supports(loaded, name):
    s = loaded[name].scenario
    assert ungraded_quotes(s) == []
    # The walk sees each kind of block: dropping one grade of each is found.
    d = s.model_dump(exclude_none=True)
    d["parties"]["russia"]["weights"]["donbas"].pop("supports")
    d["provisions"]["donbas"]["options"]["cede"].pop("supports")
    d["parties"]["ukraine"]["red_lines"][0].pop("supports")
    assert ungraded_quotes(Scenario.model_validate(d)) == [
        ("parties", "russia", "weights", "donbas"), ("provisions", "donbas", "options", "cede"),
        ("parties", "ukraine", "red_lines", "no_cession_donbas")]


def cnn_quotes_outside_ukraine(s: Scenario, folder: Path) -> list[tuple]:
    """Numbers of parties other than Ukraine whose A003 quote lies only inside the Biden-era CNN
    piece spliced into A003 (INDEX.md: use it only for long-standing Ukrainian positions).

    Found from the article text and the passage's first and last words as INDEX.md's reading
    gives them, independently of the loader's scope check."""
    text = normalize((folder / s.sources["A003"].file).read_text(encoding="utf-8"))
    start = text.index("CNN has learned the main")
    end = text.index("that ensure our long-term security", start) + len("that ensure our long-term security")
    out = []
    for path, num in iter_numbers(s):
        # A no-deal cost is its party's number (no_deal.cost.ukraine is Kyiv's); an outcome's
        # probability is everyone's, so it counts as not Ukraine's.
        mine = path[:2] == ("parties", "ukraine") or path == ("no_deal", "cost", "ukraine")
        if num.source != "A003" or num.quote is None or mine:
            continue
        q = normalize(num.quote)
        at = [i for i in range(len(text)) if text.startswith(q, i)]
        if at and all(start <= i and i + len(q) <= end for i in at):
            out.append(path)
    return out


@pytest.mark.parametrize("name", IDS)
def test_cnn_passage_supports_only_ukraine(loaded, name):
    ls = loaded[name]
    passages = {p.id: p for p in ls.scenario.sources["A003"].passages}
    assert passages["cnn_biden_era"].usable_for == ["ukraine"]
    assert cnn_quotes_outside_ukraine(ls.scenario, ls.articles) == []
    # The check finds a misuse: Europe's guarantee weight as it was sourced before the regrade.
    d = ls.scenario.model_dump(exclude_none=True)
    d["parties"]["europe"]["weights"]["guarantee"] = {
        "value": 0.12, "source": "A003", "quote": "strong security guarantees from the US and its allies",
        "claim": "the allies are asked to give them", "confidence": "medium", "supports": "implies"}
    assert cnn_quotes_outside_ukraine(Scenario.model_validate(d), ls.articles) == [
        ("parties", "europe", "weights", "guarantee")]


def test_sources_cli_json():
    res = cli("sources", str(SCENARIOS / "plan28_2025_11.yaml"), "--json")
    assert res.returncode == 0, res.stderr
    _check_sources_json(json.loads(res.stdout))


def _assumed_paths(s: Scenario, party: str) -> list[str]:
    """The party's numbers that carry an assumption, walked from the model in document order."""
    p = s.parties[party]
    own = [] if p.reservation == "no_deal" else [("reservation", p.reservation)]
    nums = [*own, *((f"weights.{k}", w) for k, w in p.weights.items()),
            *((f"values.{j}.{o}", v) for j, vals in p.values.items() for o, v in vals.items()),
            *((f"linkages.{lk.id}.bonus", lk.bonus) for lk in p.linkages)]
    return [f"parties.{party}.{path}" for path, n in nums if n.assumption]


def test_sources_cli_table_and_filters(loaded):
    res = cli("sources", str(SCENARIOS / "plan28_2025_11.yaml"), "--party", "europe", "--status", "assumption")
    assert res.returncode == 0, res.stderr
    # Exactly Europe's assumed numbers are the table's rows, in order, each with its value and reason.
    # Rows whose first cell is empty continue the row above (a long reason folds).
    rows = [line.split("│")[1:-1] for line in res.stdout.splitlines() if line.startswith("│")]
    rows = [r for r in rows if r[0].strip()]
    s = loaded["plan28_2025_11.yaml"].scenario
    assert [r[0].strip() for r in rows] == _assumed_paths(s, "europe")
    assert len(rows) == sum(1 for it in provenance(loaded["plan28_2025_11.yaml"]).items
                            if it.path.startswith("parties.europe.") and it.grade == "assumption")
    first = [c.strip() for c in rows[0]]
    assert first[:3] == ["parties.europe.weights.donbas", "0", "assumed"]
    assert first[-1] == s.parties["europe"].weights["donbas"].assumption
    assert all(r[2].strip() == "assumed" for r in rows)  # only assumptions are listed
    # The summary counts every number of the file (not only the filtered rows), as --json does.
    counts = json.loads(cli("sources", str(SCENARIOS / "plan28_2025_11.yaml"), "--json").stdout)
    summary = next(line for line in res.stdout.splitlines() if line.startswith(f"{counts['numbers']} numbers: "))
    share = 100 * counts["sourced"] / counts["numbers"]
    assert summary.startswith(f"{counts['numbers']} numbers: {counts['sourced']} sourced ({share:.1f}%)")
    assert f"{counts['grades']['assumption']} assumptions, 0 ungraded, 0 unsourced" in summary
    assert summary.endswith(f"{len(counts['defaults'])} left at the format's defaults.")
    res = cli("sources", str(SCENARIOS / "plan28_2025_11.yaml"), "--party", "nobody")
    assert res.returncode == 2 and "unknown party 'nobody'" in res.stderr


def test_validate_is_quiet_on_shipped_files_and_warns_on_bare_numbers(tmp_path):
    res = cli("validate", *map(str, FILES))
    assert res.returncode == 0, res.stderr
    # No warning: in every file (the round files with their per-round party models) each party's
    # best option of a weighted provision is 1 and its worst 0, and every number is sourced or assumed.
    assert res.stderr.strip() == "", res.stderr
    # One line per file, with the catalogue's size counted from the file itself.
    want = []
    for f in FILES:
        s = load_scenario(f).scenario
        size = 1
        for prov in s.provisions.values():
            size *= len(prov.options)
        want.append(f"ok: {f} ({len(s.provisions)} provisions, {len(s.parties)} parties, {size:,} packages)")
    assert res.stdout.splitlines() == want
    bare = tmp_path / "bare.yaml"
    bare.write_text("negosim: 1\nname: bare\n"
                    "provisions: {p: {label: P, options: {a: {label: A, status_quo: true}, b: {label: B}}}}\n"
                    "parties: {x: {reservation: 0.5, weights: {p: 1}, values: {p: {a: 0, b: 1}}}}\n"
                    "draft: {p: a}\n", encoding="utf-8")
    res = cli("validate", str(bare))
    assert res.returncode == 0 and res.stdout.strip() == f"ok: {bare} (1 provisions, 1 parties, 2 packages)"
    assert "warning:" in res.stderr and "4 of 4 numbers" in res.stderr and "parties.x.reservation" in res.stderr


# --------------------------------------------------------------------------- provenance

def _toy(**party) -> Scenario:
    base = {"reservation": {"value": 0.5, "assumption": "a guess"}, "weights": {"p": 1},
            "values": {"p": {"a": {"value": 0.0, "source": "S", "quote": "q one", "claim": "c", "supports": "implies"},
                             "b": {"value": 1.0, "source": "S", "quote": "q one", "claim": "c", "supports": "implies"}}}}
    base.update(party)
    return Scenario.model_validate({
        "negosim": 1, "name": "toy", "sources": {"S": {"file": "s.txt"}},
        "provisions": {"p": {"label": "P", "options": {"a": {"label": "A", "status_quo": True},
                                                      "b": {"label": "B"}}}},
        "parties": {"x": base}, "draft": {"p": "a"}})


def test_provenance_counts_and_defaults():
    r = provenance(_toy())
    assert (r.numbers, r.sourced, r.assumptions, r.unsourced) == (4, 2, 1, 1)
    assert r.unsourced_paths() == ["parties.x.weights.p"]
    assert set(r.defaults) == {"parties.x.power", "parties.x.discount", "parties.x.drift"}
    assert r.items[2].file == "s.txt" and r.items[2].quote == "q one"
    # A power the author sets is a stated number, not a default.
    r2 = provenance(_toy(power=2.0))
    assert "parties.x.power" in r2.unsourced_paths() and "parties.x.power" not in r2.defaults
    assert abs(r2.share_sourced - 2 / 5) < 1e-12


def test_quote_loads_and_overuse():
    s = _toy(weights={"p": {"value": 1.0, "source": "S", "quote": "q  one", "claim": "c", "supports": "states"}},
             reservation={"value": 0.5, "source": "S", "quote": "q one", "claim": "c", "supports": "implies"})
    loads = quote_loads(s)
    assert list(loads) == [("S", "q one")] and len(loads[("S", "q one")]) == 4
    assert list(overused_quotes(s)) == [("S", "q one")]
    assert overused_quotes(s, limit=4) == {}


def test_warn_unsourced():
    with pytest.warns(UnsourcedWarning, match="1 of 4 numbers"):
        assert warn_unsourced(_toy(), "toy.yaml") == 1
    sourced = _toy(weights={"p": {"value": 1.0, "assumption": "only one provision"}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_unsourced(sourced) == 0


# --------------------------------------------------------------------------- compare

def test_compare_uses_the_analysis_verdicts(loaded):
    files = [loaded[f] for f in ROUND_FILES]
    c = compare(files)
    assert [r.name for r in c.rounds] == [f.removesuffix(".yaml") for f in ROUND_FILES]
    for ls, r in zip(files, c.rounds):
        cs = compile_scenario(ls.scenario)
        want = verdict(cs, cs.draft)
        assert {p: (v.accepts, v.utility) for p, v in r.verdicts.items()} == \
               {p: (v.accepts, v.utility) for p, v in want.items()}
    # What changed between the 20-point text and Moscow's version is exactly the draft difference.
    a, b = files[3].scenario.draft, files[4].scenario.draft
    step = c.steps[3]
    assert step.changes == {p: (a[p], b[p]) for p in a if a[p] != b[p]}
    verdicts = [{p: v.accepts for p, v in r.verdicts.items()} for r in c.rounds[3:5]]
    assert step.flips == {p: (verdicts[0][p], verdicts[1][p]) for p in verdicts[0]
                          if verdicts[0][p] != verdicts[1][p]}
    assert step.flips["ukraine"] == (True, False)  # Moscow's version crosses Kyiv's Donbas red line
    assert step.numbers == {}
    # The effects of a change are the change in that provision's contribution.
    eff = step.effects["donbas"]
    assert eff["ukraine"] < 0 < eff["russia"]
    # April's and December's models of Moscow differ: compare reports the changed numbers.
    assert "parties.russia.weights.donbas" in c.steps[1].numbers


def test_compare_handles_different_catalogues():
    a = random_scenario(parties=2, provisions=3, options=2, seed=4)
    b = random_scenario(parties=2, provisions=4, options=2, seed=5)
    c = compare([a, b])
    assert c.provisions == ["x0", "x1", "x2", "x3"]
    assert "x3" in c.steps[0].changes and c.steps[0].changes["x3"][0] is None
    assert len(c.rounds) == 2 and len(c.to_json()["steps"]) == 1


def test_compare_cli(tmp_path):
    files = [str(SCENARIOS / f) for f in ("plan28_2025_11.yaml", "framework20_2025_12.yaml")]
    res = cli("compare", *files, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) == {"provisions", "parties", "rounds", "steps"}
    a, b = (load_scenario(f).scenario for f in files)
    assert out["provisions"] == list(a.provisions) and out["parties"] == list(a.parties)
    # Each round: its draft and the verdicts of the definitions on it.
    for r, s in zip(out["rounds"], (a, b)):
        assert r["draft"] == dict(s.draft)
        want = _check_draft_verdicts(s, r["verdicts"])
        assert r["accepted"] == all(v["accepts"] or not v["needed"] for v in want.values())
    assert out["rounds"][0]["verdicts"]["ukraine"]["red_lines"] == ["no_cession_donbas"]
    # The step: the draft difference, each change's effect as the change of that provision's
    # rounded product w*v (weighted_sum: linkages are not a provision's effect), the margins.
    step = out["steps"][0]
    assert step["changes"] == {p: [a.draft[p], b.draft[p]] for p in a.provisions if a.draft[p] != b.draft[p]}
    assert step["changes"]["donbas"] == ["cede", "kyiv_holds"]
    for prov, (old, new) in step["changes"].items():
        for party in a.parties:
            # Each draft's contribution under its own round's model of the party (the December
            # file overrides some of Washington's values).
            q = []
            for s, o in ((a, old), (b, new)):
                p = s.parties[party]
                total = sum(max(w.point, 0.0) for w in p.weights.values())
                w = max(p.weights[prov].point, 0.0) / total
                vals = p.values.get(prov, {})
                q.append(quanta(w * min(max(vals[o].point if o in vals else 0.0, 0.0), 1.0)))
            assert step["effects"][prov][party] == float((q[1] - q[0]) * QUANTUM), (prov, party)
    margins = {p: [r["verdicts"][p]["margin"] for r in out["rounds"]] for p in a.parties}
    assert step["margins"] == margins
    flips = {p: [r["verdicts"][p]["accepts"] for r in out["rounds"]] for p in a.parties}
    # With the no-deal fallbacks Kyiv and Europe accept the 20-point text and reject the 28-point
    # plan; Moscow and Washington accept both (docs/calibration.md, "What changed with no_deal").
    assert step["flips"] == {p: f for p, f in flips.items() if f[0] != f[1]} == {"ukraine": [False, True],
                                                                                  "europe": [False, True]}
    res = cli("compare", *files)
    assert res.returncode == 0, res.stderr
    for text in ("Drafts side by side", "verdict on each draft", "What changed"):
        assert text in res.stdout
    # The verdict table shows each party's verdict and margin on each draft, to three decimals.
    for p in a.parties:
        cells = []
        for r in out["rounds"]:
            v = r["verdicts"][p]
            cells.append(f"{'accepts' if v['accepts'] else 'rejects'} {v['margin']:+.3f}"
                         + (" (red line)" if v["red_lines"] else ""))
        label = b.parties[p].label  # what a person reads: labels (ids in --json)
        assert any(line.split("│")[1:-1] and [c.strip() for c in line.split("│")[1:-1]] == [label, *cells]
                   for line in res.stdout.splitlines()), (p, cells)
    # Each change line names the parties it moves, with their effects to three decimals.
    flat = " ".join(res.stdout.split())
    for prov, (old, new) in step["changes"].items():
        moved = ", ".join(f"{b.parties[p].label} {e:+.3f}" for p, e in step["effects"][prov].items()
                          if round(e, 3) != 0)
        opts = b.provisions[prov].options
        assert f"{b.provisions[prov].label}: {opts[old].label} -> {opts[new].label} ({moved})" in flat, prov
    res = cli("compare", *files, "--param", "nonsense=1")
    assert res.returncode == 2 and "unknown parameter" in res.stderr
