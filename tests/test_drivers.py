"""``negosim analyze --drivers``: the numbers whose change within their evidence range flips a headline result.

The small scenarios are worked by hand (the flip values and shares are written
from the definitions of docs/model.md, "Reading the drivers"); random ones are
checked against tests/reference.py, which scores every package from the
definitions without the engine.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest
from rich.console import Console

import negosim
from negosim.errors import NegosimError
from negosim.scenario.schema import Scenario
from negosim.uncertainty.drivers import ZONE_GRID, find_drivers
from negosim.uncertainty.sampling import widen
from reference import Reference


def opt(label, sq=False):
    return {"label": label, "status_quo": True} if sq else {"label": label}


def one_party(res, va, vb=0.3):
    """One party, one provision: the draft (option a) is worth ``va``, option b ``vb``."""
    return Scenario.model_validate({
        "negosim": 1, "name": "one",
        "provisions": {"p": {"label": "P", "options": {"a": opt("A"), "b": opt("B", True)}}},
        "parties": {"x": {"label": "Kyiv", "reservation": res, "weights": {"p": 1.0},
                          "values": {"p": {"a": va, "b": vb}}}},
        "draft": {"p": "a"}, "sources": SOURCES})


SOURCES = {"A": {"file": "a.txt"}}
ASSUMED = {"assumption": "for the test"}


def by_id(d):
    return {h.id: h for h in d.headlines}


# --------------------------------------------------------------------------- worked by hand

def test_reservation_and_value_flip_the_verdict_where_worked_by_hand():
    # The draft is worth 0.6; the reservation's range is [0.5, 0.8] with point 0.55: the party
    # accepts, and rejects once the reservation passes 0.6 (plus the 1e-9 tolerance), which is
    # (0.6 - 0.55) / (0.8 - 0.55) = 20 % of the way from the point to the top of the range.
    # The draft's value, range [0.4, 0.7] around 0.6, flips it below 0.55: (0.6 - 0.55) / (0.6 - 0.4)
    # = 25 % of the way down. Option b's value (not in the draft) cannot move the verdict.
    s = one_party({"value": 0.55, "low": 0.5, "high": 0.8, **ASSUMED},
                  {"value": 0.6, "low": 0.4, "high": 0.7, "source": "A", "quote": "q", "supports": "states"},
                  {"value": 0.3, "low": 0.1, "high": 0.5, **ASSUMED})
    found = by_id(find_drivers(s))
    h = found["draft.x"]
    assert h.now is True and h.needed is True
    assert [d.name for d in h.drivers] == ["parties.x.reservation", "parties.x.values.p.a"]
    res, val = h.drivers
    assert res.to == pytest.approx(0.6 + 1e-9, abs=1e-12) and res.share == pytest.approx(0.2, abs=1e-8)
    assert val.to == pytest.approx(0.55 - 1e-9, abs=1e-12) and val.share == pytest.approx(0.25, abs=1e-8)
    assert (res.grade, res.assumed, val.grade, val.assumed) == ("assumption", True, "states", False)
    assert res.exact and val.exact
    assert h.sentence() == ("Kyiv's acceptance of the draft hangs on 2 numbers, 1 of them assumed; the closest is "
                            "parties.x.reservation (assumption): at 0.6 Kyiv would reject (20 % of its range).")
    # The zone {a} empties at the same two values (b, worth at most 0.5, never reaches 0.55).
    z = found["zone"]
    assert z.now is True and z.zone_size == 1
    assert [(d.name, round(d.share, 6)) for d in z.drivers] == [("parties.x.reservation", 0.2),
                                                                 ("parties.x.values.p.a", 0.25)]
    # One party with a veto: the Nash point is the draft, so its verdict has the same drivers.
    n = found["nash.x"]
    assert [d.name for d in n.drivers] == ["parties.x.reservation", "parties.x.values.p.a"]


def test_a_rejection_that_only_a_far_move_flips_ranks_by_share_not_by_distance():
    # Rejects: worth 0.6, reservation 0.7 in [0.5, 0.75] (to accept: down to 0.6 + 1e-9, the tolerance;
    # (0.7 - 0.6) / (0.7 - 0.5) = 50 %);
    # the value 0.6 in [0.55, 0.9]: up to 0.7 - 1e-9, (0.1)/(0.3) = 33 %: closer by share though not by distance.
    s = one_party({"value": 0.7, "low": 0.5, "high": 0.75, **ASSUMED}, {"value": 0.6, "low": 0.55, "high": 0.9,
                                                                      **ASSUMED})
    h = by_id(find_drivers(s))["draft.x"]
    assert h.now is False
    assert [d.name for d in h.drivers] == ["parties.x.values.p.a", "parties.x.reservation"]
    assert h.drivers[0].share == pytest.approx(1 / 3, abs=1e-8)
    assert h.drivers[1].share == pytest.approx(0.5, abs=1e-7) and h.drivers[1].to == pytest.approx(0.6 + 1e-9,
                                                                                                   abs=1e-12)
    assert "rejection of the draft hangs on 2 numbers, all of them assumed" in h.sentence()


def two_parties(xb, ya, extra=None):
    """x likes a (1) and y likes b (1); neither accepts the other's best: the zone is empty."""
    parties = {"x": {"reservation": {"value": 0.5, "low": 0.2, "high": 0.9, **ASSUMED}, "weights": {"p": 1.0},
                     "values": {"p": {"a": 1.0, "b": xb}}},
               "y": {"reservation": 0.5, "weights": {"p": 1.0}, "values": {"p": {"a": ya, "b": 1.0}}}}
    for k, v in (extra or {}).items():
        parties[k].update(v)
    return Scenario.model_validate({
        "negosim": 1, "name": "two",
        "provisions": {"p": {"label": "P", "options": {"a": opt("A", True), "b": opt("B")}}},
        "parties": parties, "draft": {"p": "a"}, "sources": SOURCES})


def test_the_empty_zone_opens_where_worked_by_hand():
    # Package b needs x to value it at 0.5: from 0 in [0, 0.8], 0.5 / 0.8 = 62.5 % of the way up.
    # Package a needs y to value it at 0.5: from 0 in [0, 0.6], 83.3 %. x's reservation cannot go
    # below 0.2, and x values b at 0 at the point, so it opens nothing.
    s = two_parties({"value": 0.0, "low": 0.0, "high": 0.8, "source": "A", "quote": "q", "supports": "context"},
                    {"value": 0.0, "low": 0.0, "high": 0.6, "source": "A", "quote": "q", "supports": "implies",
                     "claim": "c"})
    d = find_drivers(s)
    z = by_id(d)["zone"]
    assert z.now is False and z.zone_size == 0
    assert [d.name for d in z.drivers] == ["parties.x.values.p.b", "parties.y.values.p.a"]
    xb, ya = z.drivers
    assert xb.to == pytest.approx(0.5 - 1e-9, abs=1e-8) and xb.share == pytest.approx(0.625, abs=1e-7)
    assert ya.to == pytest.approx(0.5 - 1e-9, abs=1e-8) and ya.share == pytest.approx(0.5 / 0.6, abs=1e-7)
    assert xb.exact and ya.exact  # values of a party with a plain reservation: the zone is monotone in them
    assert (xb.grade, xb.assumed, ya.grade, ya.assumed) == ("context", True, "implies", False)
    assert z.sentence().startswith("The empty zone of agreement hangs on 2 numbers, 1 of them assumed; the closest "
                                   "is parties.x.values.p.b (context): at 0.5 the zone would open (62 % of its")
    # No zone, no Nash point: its verdicts say so instead of naming numbers.
    assert all(h.now is None and "no Nash point" in h.reason for h in d.headlines if h.kind == "nash")


def test_a_weight_is_tested_at_points_of_its_range_and_said_so():
    # Two provisions for x: p (a: 1, b: 0) and q (one option, worth 0). x's weight of q is 0.5 in
    # [0, 1.5] next to p's 0.5: x's utility of a is 0.5 / (0.5 + w_q), at least 0.45 - 1e-9 while
    # w_q <= 0.5 / (0.45 - 1e-9) - 0.5 = 0.6111: the zone {a} empties past it, (0.6111 - 0.5) / 1 =
    # 11 % of the way up. Weights are renormalised, so the zone is not proven monotone in them.
    s = Scenario.model_validate({
        "negosim": 1, "name": "w",
        "provisions": {"p": {"label": "P", "options": {"a": opt("A", True), "b": opt("B")}},
                       "q": {"label": "Q", "options": {"c": opt("C", True)}}},
        "parties": {"x": {"reservation": 0.45, "weights": {"p": 0.5, "q": {"value": 0.5, "low": 0.0, "high": 1.5,
                                                                           **ASSUMED}},
                          "values": {"p": {"a": 1.0, "b": 0.0}, "q": {"c": 0.0}}}},
        "draft": {"p": "a", "q": "c"}})
    found = by_id(find_drivers(s))
    z = found["zone"]
    assert [d.name for d in z.drivers] == ["parties.x.weights.q"]
    w = z.drivers[0]
    # The draft is a: x's verdict on it flips at the same weight, and a verdict is monotone in a weight.
    v = found["draft.x"].drivers
    assert [d.name for d in v] == ["parties.x.weights.q"] and v[0].exact and v[0].to == pytest.approx(w.to, abs=1e-7)
    flip = 0.5 / (0.45 - 1e-9) - 0.5
    assert not w.exact and w.to == pytest.approx(flip, abs=1e-7)
    assert w.share == pytest.approx(flip - 0.5, abs=1e-7)
    assert ZONE_GRID >= 2


def test_red_lines_points_and_not_needed_parties_are_explained():
    s = one_party(0.5, 0.6)  # no uncertain number at all
    d = find_drivers(s)
    assert d.numbers_tried == 0 and all(not h.drivers for h in d.headlines)
    assert "no number that moves utilities or reservations has a range" in by_id(d)["draft.x"].reason
    data = one_party(0.5, {"value": 0.6, "low": 0.4, "high": 0.7, **ASSUMED}).model_dump()
    data["parties"]["x"]["red_lines"] = [{"id": "never_a", "forbid": {"p": "a"}}]
    h = by_id(find_drivers(Scenario.model_validate(data)))["draft.x"]
    assert h.now is False and not h.drivers and "red line never_a, which no number changes" in h.reason
    assert h.red_lines == ["never_a"]


def test_parameters_hold_their_values_and_are_never_moved():
    # A parameter (uncertain itself, in [0, 1]) adds 0.1 per unit to the reservation. Held at 0.5 with
    # --param, the effective reservation is r + 0.05 against a draft worth 0.6: the raw reservation
    # (0.5 in [0.4, 0.8]) flips the verdict past 0.55 + 1e-9, (0.55 - 0.5) / (0.8 - 0.5) = 1/6 of the way up.
    data = one_party({"value": 0.5, "low": 0.4, "high": 0.8, **ASSUMED}, 0.6).model_dump()
    data["parameters"] = {"pressure": {"label": "Pressure", "value": {"value": 0.0, "low": 0.0, "high": 1.0,
                                                                      **ASSUMED},
                                       "range": [0.0, 1.0],
                                       "effects": [{"path": "parties.x.reservation", "per_unit": 0.1}]}}
    s = Scenario.model_validate(data)
    h = by_id(find_drivers(s, params={"pressure": 0.5}))["draft.x"]
    assert [d.name for d in h.drivers] == ["parties.x.reservation"]
    assert h.drivers[0].to == pytest.approx(0.55 + 1e-9, abs=1e-12) and h.drivers[0].share == pytest.approx(1 / 6)
    # At the parameter's own value (0) the same number flips it past 0.6 + 1e-9: 1/3 of the way.
    h = by_id(find_drivers(s))["draft.x"]
    assert [d.name for d in h.drivers] == ["parties.x.reservation"] and h.drivers[0].share == pytest.approx(1 / 3)


def test_a_no_deal_cost_drives_the_verdict_of_the_party_that_falls_back_on_it():
    # x's fallback is fighting on: one outcome (the status quo, b, worth 0.3 to x) for sure, minus a
    # cost of 0.1 in [0, 0.2]: r = 0.2. The draft (a, worth 0.25) is accepted; a cost below
    # 0.05 - 1e-9 raises r past 0.25 + 1e-9: (0.1 - 0.05) / (0.1 - 0) = 50 % of the way down.
    data = one_party(0.5, 0.25).model_dump()
    data["parties"]["x"]["reservation"] = "no_deal"
    data["no_deal"] = {"outcomes": [{"id": "stalemate", "label": "Front holds", "p": 1.0, "package": {}}],
                       "cost": {"x": {"value": 0.1, "low": 0.0, "high": 0.2, **ASSUMED}}}
    s = Scenario.model_validate(data)
    d = by_id(find_drivers(s))
    h = d["draft.x"]
    assert h.now is True and [x.name for x in h.drivers] == ["no_deal.cost.x"]
    x = h.drivers[0]
    assert x.to == pytest.approx(0.05 - 1e-9, abs=1e-9) and x.share == pytest.approx(0.5, abs=1e-7) and x.assumed
    # The zone {a, b} would need r above 0.3, out of reach: no driver.
    assert d["zone"].now is True and not d["zone"].drivers


# --------------------------------------------------------------------------- against the reference

def set_number(s: Scenario, path: tuple, value: float) -> Scenario:
    """The scenario with the party number at ``path`` set to a plain ``value`` (evidence dropped)."""
    data = s.model_dump()
    node = data["parties"][path[1]]
    keys = list(path[2:])
    if keys[0] == "linkages":
        keys = ["linkages", keys[1], "bonus"]
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = float(value)
    return Scenario.model_validate(data)


def zone_nonempty(s):
    return bool(Reference(s, top=0).zone)


def verdict(s, package_index, p):
    return Reference(s, top=0).accepts[package_index][p]


@pytest.mark.filterwarnings("ignore::negosim.errors.WeightsNormalizedWarning")  # numbers set one by one
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_flip_agrees_with_the_reference(seed):
    s = widen(negosim.random_scenario(3, 4, 3, seed=seed, reservation=0.45, linkages=1), 0.2)
    d = find_drivers(s)
    ref = Reference(s, top=0)
    parties = list(s.parties)
    draft = ref.packages.index(ref.draft)
    assert by_id(d)["zone"].now == bool(ref.zone)
    checked = 0
    for h in d.headlines:
        if h.now is None:
            continue
        if h.kind == "zone":
            def result(x):
                return zone_nonempty(x)
        else:
            index = draft if h.kind == "draft" else d.nash_index
            assert index is not None

            def result(x, index=index, p=parties.index(h.party)):
                return verdict(x, index, p)
        assert result(s) == h.now
        for x in h.drivers:
            assert x.bounds[0] <= x.to <= x.bounds[1]
            assert result(set_number(s, x.path, x.to)) != h.now, (h.id, x)
            # Just short of the flip the result holds (for exact drivers: the flip is the closest one).
            near = x.point + (x.to - x.point) * (1 - 1e-6)
            assert result(set_number(s, x.path, near)) == h.now, (h.id, x)
            checked += 1
    assert checked > 0
    # Nothing missed where the zone is monotone: every reservation or value whose end flips the
    # zone is a driver.
    z = by_id(d)["zone"]
    names = {x.name for x in z.drivers}
    for path, num in negosim.scenario.schema.iter_numbers(s):
        if path[0] != "parties" or path[2] not in ("reservation", "values") or not num.uncertain:
            continue
        for end in num.bounds:
            if zone_nonempty(set_number(s, path, end)) != z.now:
                assert ".".join(path) in names, (path, end)


@pytest.mark.parametrize("seed, reservation", [(0, 0.5), (1, 0.5), (0, 0.6)])
def test_the_zone_test_agrees_with_the_analysis_on_drawn_rows(seed, reservation):
    # ZoneTest tries witnesses (zone members at the point) first, then re-scores only the half rows
    # of the point's blocks and sorts B again per row; the analysis builds everything afresh from
    # each row's compiled scenario. At 0.6 the zone is empty at the point: no witness, only the loops.
    from negosim.engine.compiled import NumberLayout, compile_scenario, with_numbers
    from negosim.uncertainty.drivers import ZoneTest
    from negosim.uncertainty.sampling import Sampler
    s = widen(negosim.random_scenario(3, 6, 3, seed=seed, reservation=reservation, opposed=True, red_lines=2,
                                      linkages=2, list_veto=1), 0.25)
    cs, lay = compile_scenario(s), NumberLayout(s)
    tables = lay.derive(lay.with_parameters(Sampler(s).draw(80, seed=seed)), draws=True)
    zt = ZoneTest(cs)
    got = zt.nonempty(tables)
    want = np.array([negosim.analyze(with_numbers(cs, r, **dict(tables)), top=0, pareto=False).zone_size > 0
                     for r in range(80)])
    assert 10 < want.sum() < 70  # both outcomes occur
    assert (got == want).all()
    witnessed = zt._witnessed(tables)
    assert (len(zt.witnesses) > 0) == (reservation == 0.5)
    assert not (witnessed & ~want).any() and (reservation != 0.5 or 0 < witnessed.sum() < want.sum())


# --------------------------------------------------------------------------- the command line

def test_cli_json_has_drivers_only_when_asked(tmp_path, cli):
    path = tmp_path / "s.yaml"
    negosim.dump(widen(negosim.random_scenario(3, 4, 3, seed=1, reservation=0.45), 0.2), path)
    plain = json.loads(cli("analyze", str(path), "--json").stdout)
    assert "drivers" not in plain
    r = cli("analyze", str(path), "--json", "--drivers")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {k: v for k, v in out.items() if k != "drivers"} == plain
    d = out["drivers"]
    assert set(d) == {"numbers_tried", "zone_tests", "nash_index", "headlines"}
    assert [h["id"] for h in d["headlines"]] == (["draft.p0", "draft.p1", "draft.p2", "zone"]
                                                 + ["nash.p0", "nash.p1", "nash.p2"])
    keys = {"number", "path", "point", "to", "share_of_range", "range", "grade", "assumed", "source", "quote",
            "assumption", "exact"}
    drivers = [x for h in d["headlines"] for x in h["drivers"]]
    assert drivers and all(set(x) == keys for x in drivers)
    for h in d["headlines"]:
        assert set(h) == {"id", "kind", "party", "now", "needed", "zone_size", "red_lines", "drivers", "assumed",
                          "reason", "text"}
        shares = [x["share_of_range"] for x in h["drivers"]]
        assert shares == sorted(shares) and h["assumed"] == sum(x["assumed"] for x in h["drivers"])
    bad = cli("analyze", str(path), "--drivers", "--max-work", "10")
    assert bad.returncode == 2 and "--max-work" in bad.stderr and "Traceback" not in bad.stderr


def test_shipped_round_has_drivers_for_every_headline(cli, root):
    r = cli("analyze", "scenarios/framework20_2025_12.yaml", "--drivers", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    heads = out["drivers"]["headlines"]
    parties = list(out["draft"])
    assert [h["id"] for h in heads] == [f"draft.{p}" for p in parties] + ["zone"] + [f"nash.{p}" for p in parties]
    for h in heads:
        assert h["text"] and (h["drivers"] or h["reason"])
        if h["kind"] == "draft":
            assert h["now"] == out["draft"][h["party"]]["accepts"]
    assert heads[len(parties)]["now"] == (out["zone_size"] > 0)
    assert out["drivers"]["numbers_tried"] > 0


def _section(text: str) -> str:
    return text[text.index("What drives the results"):]


def test_80_columns_cut_no_word(tmp_path, root):
    # Long names: the words of the drivers' section are the same at 80 columns as on one wide line.
    from negosim.cli.render import print_drivers
    s = widen(negosim.random_scenario(3, 4, 3, seed=1, reservation=0.45), 0.2)
    data = s.model_dump()
    data["parties"]["p0"]["label"] = "The government of a party with a long name"
    s = Scenario.model_validate(data)
    d = find_drivers(s)
    assert any(h.drivers for h in d.headlines)

    def render(width):
        con = Console(width=width, record=True, file=open(os.devnull, "w"))
        print_drivers(d, con)
        return con.export_text()
    narrow, wide = render(80), render(1000)
    assert max(len(line.rstrip()) for line in narrow.splitlines()) <= 80
    assert narrow.split() == wide.split()
    for h in d.headlines:
        for x in h.drivers[:5]:
            assert any(x.name in line for line in narrow.splitlines())


def test_cli_text_puts_the_headline_first_and_marks_assumed_numbers(tmp_path, cli):
    s = one_party({"value": 0.55, "low": 0.5, "high": 0.8, **ASSUMED}, 0.6)
    path = tmp_path / "s.yaml"
    negosim.dump(s, path)
    env_cols = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"
    try:
        r = cli("analyze", str(path), "--drivers")
    finally:
        if env_cols is None:
            os.environ.pop("COLUMNS")
        else:
            os.environ["COLUMNS"] = env_cols
    assert r.returncode == 0, r.stderr
    text = " ".join(_section(r.stdout).split())
    assert ("Kyiv's acceptance of the draft hangs on 1 number, Kyiv's fallback (assumption): at 0.6 Kyiv "
            "would reject (20 % of its range).") in text
    assert "3 of 3 headline results hang on an assumed number" in text
    assert "Distance to yes" in r.stdout and "What drives" not in cli("analyze", str(path)).stdout
    # In a terminal the assumed grade is yellow.
    from negosim.cli.render import print_drivers
    con = Console(width=80, force_terminal=True, color_system="standard", record=True, file=open(os.devnull, "w"))
    print_drivers(find_drivers(s), con)
    styled = con.export_text(styles=True)
    assert re.search(r"\x1b\[1;33massumption\x1b\[0m", styled)


def test_report_has_the_drivers_section():
    from negosim.report import build_report
    s = two_parties({"value": 0.0, "low": 0.0, "high": 0.8, **ASSUMED}, 0.0)
    page = build_report(s, trace=False)
    part = page[page.index("<h2 id='drivers'>"):page.index("<h2 id='figures'>")]
    assert "What drives the results" in part and "<a href='#drivers'>" in page
    assert "<code>parties.x.values.p.b</code>" in part
    assert re.search(r"<td><span style=\"background:#fff3c4[^>]*>assumption</span></td>", part)  # the table
    assert ("The empty zone of agreement hangs on 1 number, parties.x.values.p.b (<span style=\"background:#fff3c4;"
            "font-weight:600\">assumption</span>): at 0.5 the zone would open (62 % of its range).") in part


def test_max_work_refuses_before_it_starts():
    s = widen(negosim.random_scenario(3, 4, 3, seed=1, reservation=0.45), 0.2)
    with pytest.raises(NegosimError, match="--max-work"):
        find_drivers(s, max_work=10)
    assert np.isfinite(find_drivers(s).seconds)
