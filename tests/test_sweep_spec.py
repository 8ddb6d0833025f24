"""Sweep specs: designs, seeds, validation (with file:line:col in the CLI), and
the fast application of axes to compiled arrays."""

from __future__ import annotations

import dataclasses
import re
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pydantic import ValidationError

import negosim
from negosim.engine.compiled import compile_scenario
from negosim.errors import NegosimError
from negosim.sweep.axes import AxisApplier
from negosim.scenario.schema import Scenario
from negosim.sweep.spec import Sweep, load_sweep, row_seed


def with_parameters(seed: int = 0) -> Scenario:
    """A random scenario with linkages, red lines and two parameters."""
    base = negosim.random_scenario(3, 4, 3, seed=seed, red_lines=2, linkages=2, list_veto=1)
    data = base.model_dump(mode="python", exclude_none=True)
    data["parameters"] = {
        "push": {"label": "push", "range": (0.0, 1.0), "value": 0.2, "effects": [
            {"path": "parties.p1.reservation", "per_unit": -0.3},
            {"path": "parties.p0.values.x1.o2", "per_unit": 0.5},
            {"path": "parties.p2.weights.x0", "per_unit": 0.4},
            {"path": "parties.p0.linkages.l0.bonus", "per_unit": 0.1}]},
        "cost": {"label": "cost", "range": (-1.0, 1.0), "effects": [
            {"path": "parties.p1.reservation", "per_unit": 0.1},
            {"path": "parties.p1.weights.x3", "per_unit": -0.2},
            {"path": "parties.p0.values.x1.o2", "per_unit": 0.25}]},
    }
    return Scenario.model_validate(data)


def edited(s: Scenario, row: dict, via_file: bool = True) -> Scenario:
    """The scenario with a sweep row's axis values written into its document, loaded as users load files.

    Independent of negosim.sweep.axes: a parameter axis sets the parameter's ``value``, a dotted
    party path replaces that number by a plain one (its range or distribution dropped, as a
    fixed axis value means), ``draft.PROV`` sets the draft; the YAML is then read by
    ``negosim.load`` (``via_file=False``: the document is validated in memory, for many rows).

    >>> s = negosim.random_scenario(2, 2, 2, seed=0, linkages=1)
    >>> e = edited(s, {"parties.p0.reservation": 0.9, "parties.p0.linkages.l0.bonus": 0.25, "draft.x1": "o0"})
    >>> e.parties["p0"].reservation.value, e.parties["p0"].linkages[0].bonus.value, e.draft["x1"]
    (0.9, 0.25, 'o0')
    """
    import tempfile
    import warnings
    from pathlib import Path

    import yaml
    data = s.model_dump(mode="json", exclude_none=True)
    for name, value in row.items():
        parts = name.split(".")
        if parts[0] == "draft":
            data["draft"][parts[1]] = value
        elif parts[0] != "parties":
            data["parameters"][name]["value"] = float(value)
        elif parts[2] == "linkages":  # parties.P.linkages.ID.bonus
            next(lk for lk in data["parties"][parts[1]]["linkages"] if lk["id"] == parts[3])["bonus"] = float(value)
        else:
            node = data["parties"][parts[1]]
            for key in parts[2:-1]:
                node = node[key]
            node[parts[-1]] = float(value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unsourced numbers, rescaled weights
        if not via_file:
            return Scenario.model_validate(data)
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "edited.yaml"
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            return negosim.load(path)


# --------------------------------------------------------------------------- designs

def test_grid_is_the_product_first_axis_slowest():
    spec = Sweep(scenario="x.yaml", axes={"a": {"range": [0, 1], "steps": 3}, "b": {"values": [5, 6]}})
    assert spec.points().values.tolist() == [[0, 5], [0, 6], [0.5, 5], [0.5, 6], [1, 5], [1, 6]]
    assert spec.n_rows == 6


def test_rows_repeat_points_and_share_seeds_across_axes():
    spec = Sweep(scenario="x.yaml", replicates=3, seed=7, axes={"a": {"values": [0.1, 0.2]}})
    rows = spec.rows()
    assert rows["row"].tolist() == list(range(6))
    assert rows["replicate"].tolist() == [0, 1, 2, 0, 1, 2]
    # Common random numbers: replicate r has one seed whatever the axis values.
    assert rows["seed"].tolist()[:3] == rows["seed"].tolist()[3:]
    assert len(set(rows["seed"][:3])) == 3
    assert rows["seed"][0] == row_seed(7, 0) != row_seed(8, 0)


@pytest.mark.parametrize("design", ["sobol", "lhs"])
def test_quasi_random_designs_fill_the_ranges_reproducibly(design):
    spec = Sweep(scenario="x.yaml", design=design, n=64, seed=3,
                 axes={"a": {"range": [0, 1]}, "b": {"range": [-2, 2]}})
    pts = spec.points()
    assert pts.shape == (64, 2)
    assert pts["a"].between(0, 1).all() and pts["b"].between(-2, 2).all()
    # Space-filling: every quarter of each axis holds a quarter of the points.
    for col, (lo, hi) in (("a", (0, 1)), ("b", (-2, 2))):
        counts = np.histogram(pts[col], bins=4, range=(lo, hi))[0]
        assert (counts == 16).all()
    assert pts.equals(spec.points())
    other = Sweep(scenario="x.yaml", design=design, n=64, seed=4, axes=spec.axes).points()
    assert not pts.equals(other)


def test_points_design_zips_the_values():
    spec = Sweep(scenario="x.yaml", design="points", axes={"a": {"values": [1, 2, 3]}, "b": {"values": [4, 5, 6]}})
    assert spec.points().values.tolist() == [[1, 4], [2, 5], [3, 6]]


def test_spec_hash_follows_content():
    a = Sweep(scenario="x.yaml", axes={"a": {"values": [1, 2]}})
    assert a.sha256() == Sweep(scenario="x.yaml", axes={"a": {"values": [1, 2]}}).sha256()
    assert a.sha256() != Sweep(scenario="x.yaml", axes={"a": {"values": [1, 3]}}).sha256()
    assert a.sha256() != Sweep(scenario="x.yaml", seed=1, axes={"a": {"values": [1, 2]}}).sha256()


@pytest.mark.parametrize("kwargs, message", [
    ({"axes": {"a": {"range": [1, 1], "steps": 3}}}, "empty range"),
    ({"axes": {"a": {"range": [2, 1], "steps": 3}}}, "empty range"),
    ({"axes": {"a": {"values": []}}}, "empty: list at least one value"),
    ({"axes": {"a": {"range": [0, 1]}}}, "needs steps"),
    ({"axes": {"a": {"values": [1], "range": [0, 1]}}}, "either values or range"),
    ({"axes": {"a": {"range": [0, 1], "steps": "ten"}}}, "integer"),
    ({"design": "sobol", "n": 100, "axes": {"a": {"range": [0, 1]}}}, "power of 2"),
    ({"design": "lhs", "axes": {"a": {"range": [0, 1]}}}, "needs n"),
    ({"design": "points", "axes": {"a": {"values": [1, 2]}, "b": {"values": [1]}}}, "same number"),
    ({"samples": -1}, "greater than or equal"),
    ({"task": "simulate"}, "'analyze' or 'run'"),
    ({"task": "run", "samples": 10}, "no samples"),
    ({"protocol": {"name": "single_text"}}, "goes with task: run"),
])
def test_bad_specs_are_refused(kwargs, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        Sweep(scenario="x.yaml", **kwargs)


# --------------------------------------------------------------------------- fast application

def _same(a, b) -> None:
    for name in ("wv", "weights", "values", "reservation", "power", "discount", "drift", "draft"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert [(t.kind, t.party, t.id, t.bonus) for t in a.terms] == [(t.kind, t.party, t.id, t.bonus) for t in b.terms]
    assert np.array_equal(a.score(a.space.all()).util, b.score(b.space.all()).util)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 5), push=st.floats(0, 1), cost=st.floats(-1, 1),
       res=st.floats(0, 1), val=st.floats(0, 1), w=st.floats(0, 3), bonus=st.floats(-1, 1))
def test_fast_application_equals_compile_scenario(seed, push, cost, res, val, w, bonus):
    s = with_parameters(seed)
    axes = ["push", "cost", "parties.p1.reservation", "parties.p0.values.x1.o2", "parties.p2.weights.x3",
            "parties.p0.linkages.l0.bonus"]
    ap = AxisApplier(s, axes)
    row = dict(zip(axes, [push, cost, res, val, w, bonus]))
    # compile_scenario's own arguments, written out by hand (not the applier's row_arguments):
    # parameter axes are parameters, dotted paths are number paths (a linkage by its index).
    params = {"push": push, "cost": cost}
    overrides = {("parties", "p1", "reservation"): res, ("parties", "p0", "values", "x1", "o2"): val,
                 ("parties", "p2", "weights", "x3"): w, ("parties", "p0", "linkages", 0, "bonus"): bonus}
    _same(ap.compiled(row), compile_scenario(s, params=params, overrides=overrides))


def test_fast_application_equals_the_edited_file():
    # The same row written into the scenario file itself and loaded: the very same arrays.
    s = with_parameters(2)
    row = {"push": 0.7, "cost": -0.4, "parties.p1.reservation": 0.35, "parties.p0.values.x1.o2": 0.8,
           "parties.p2.weights.x3": 2.5, "parties.p0.linkages.l0.bonus": -0.2, "draft.x2": "o1"}
    _same(AxisApplier(s, list(row)).compiled(row), compile_scenario(edited(s, row)))


def test_fast_application_of_parameters_only_and_draft_axes():
    s = with_parameters(1)
    ap = AxisApplier(s, ["cost", "draft.x2"])
    cs = ap.compiled({"cost": -0.5, "draft.x2": "o1"})
    ref = compile_scenario(s, params={"cost": -0.5})
    assert cs.draft[2] == 1 and ref.draft[2] == list(s.provisions["x2"].options).index(s.draft["x2"])
    ref = dataclasses.replace(ref, draft=cs.draft)
    _same(cs, ref)
    assert np.array_equal(ap.compiled({"cost": 0.0, "draft.x2": s.draft["x2"]}).draft, ap.base.draft)


def test_fast_application_refuses_a_parameter_out_of_range():
    ap = AxisApplier(with_parameters(0), ["push"])
    with pytest.raises(NegosimError, match="within"):
        ap.compiled({"push": 2.0})


# --------------------------------------------------------------------------- spec files

@pytest.fixture
def spec_dir(tmp_path):
    negosim.dump(negosim.random_scenario(3, 4, 3, seed=2, linkages=1), tmp_path / "scen.yaml")
    return tmp_path


def _write(folder, text: str):
    path = folder / "spec.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_load_sweep_reads_a_valid_spec(spec_dir):
    ls = load_sweep(_write(spec_dir, """
        scenario: scen.yaml
        replicates: 2
        axes:
          parties.p0.reservation: {range: [0.2, 0.6], steps: 5}
          parties.p0.linkages.l0.bonus: {values: [-0.1, 0.1]}
          draft.x1: {values: [o0, o2]}
        """))
    assert ls.spec.n_rows == 40
    assert ls.loaded.scenario.name.startswith("random-3x4x3")
    assert ls.loaded.scenario.draft == negosim.load(spec_dir / "scen.yaml").draft
    # The file's axes, as written: the grid of 5 x 2 x 2 points, first axis slowest, two replicates each.
    pts = ls.spec.points()
    assert list(pts.columns) == ["parties.p0.reservation", "parties.p0.linkages.l0.bonus", "draft.x1"]
    assert np.allclose(pts["parties.p0.reservation"].unique(), [0.2, 0.3, 0.4, 0.5, 0.6], rtol=0, atol=1e-15)
    assert pts.iloc[:4, 1:].values.tolist() == [[-0.1, "o0"], [-0.1, "o2"], [0.1, "o0"], [0.1, "o2"]]
    assert ls.spec.rows()["replicate"].tolist() == [0, 1] * 20


@pytest.mark.parametrize("body, line, message", [
    ("axes:\n  parties.p9.reservation: {values: [0.5]}\n", 3, "unknown party 'p9'"),
    ("axes:\n  parties.p0.reservation: {values: [0.5]}\n  pressure: {values: [1]}\n", 4,
     "unknown axis 'pressure'"),
    ("axes:\n  parties.p0.reservation:\n    range: [0.6, 0.6]\n    steps: 3\n", 4, "empty range"),
    ("axes:\n  parties.p0.reservation: {values: []}\n", 3, "empty: list at least one value"),
    ("axes:\n  parties.p0.reservation:\n    range: [0, 1]\n    steps: ten\n", 5, "must be a whole number"),
    ("samples: many\n", 2, "must be a whole number"),
    ("axes:\n  parties.p0.reservation: {values: [0.5, high]}\n", 3, "must be a number (got 'high')"),
    ("axes:\n  parties.p0.reservation: {values: [0.5, 1.5]}\n", 3, "reservation must lie in [0, 1]"),
    ("axes:\n  draft.x1: {values: [o0, o7]}\n", 3, "unknown option 'o7'"),
    ("sampels: 3\n", 2, "unknown key 'sampels'"),
])
def test_bad_spec_files_point_at_file_line_col(spec_dir, body, line, message):
    path = _write(spec_dir, "scenario: scen.yaml\n" + body)
    with pytest.raises(NegosimError) as e:
        load_sweep(path)
    text = str(e.value)
    assert "\n" not in text
    assert text.startswith(f"{path}:{line}:"), text
    assert message in text


@pytest.mark.parametrize("body, line, message", [
    ("axes:\n  parties.p9.reservation: {values: [0.5]}\n", 3, "unknown party 'p9'"),
    ("axes:\n  parties.p0.reservation:\n    range: [0.6, 0.6]\n    steps: 3\n", 4, "empty range"),
    ("axes:\n  parties.p0.reservation:\n    range: [0, 1]\n    steps: ten\n", 5, "must be a whole number"),
])
def test_bad_spec_files_exit_2_with_one_line(spec_dir, cli, body, line, message):
    path = _write(spec_dir, "scenario: scen.yaml\n" + body)
    r = cli("sweep", str(path), "--quiet", "--out", str(spec_dir / "r.parquet"))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"{path}:{line}:") and message in lines[0], lines[0]
    assert not (spec_dir / "r.parquet").exists()


def test_missing_scenario_file_points_at_the_key(spec_dir):
    path = _write(spec_dir, "seed: 1\nscenario: nowhere.yaml\n")
    with pytest.raises(NegosimError, match=re.escape(f"{path}:2:11: scenario: scenario file 'nowhere.yaml' not found")):
        load_sweep(path)
