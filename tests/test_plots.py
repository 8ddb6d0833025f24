"""Figures: written files decode and hold what the analysis says; no global matplotlib state changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

import negosim
from negosim.engine.analysis import analyze
from negosim.engine.compiled import compile_scenario
from negosim.errors import NegosimError
from negosim.plots import (frontier, frontier_matrix, gains_figure, package_figure, party_color, save_figure,
                           sweep_figure, trace_figure)
from negosim.plots.common import resolve
from negosim.plots.density import make_grid, package_layer, zone_layer
from negosim.plots.gains import package_effects
from negosim.plots.trace import provision_changes, run_trace

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "tests" / "data" / "articles"
SHIPPED = ROOT / "scenarios" / "plan28_2025_11.yaml"
PARTIES = ("us", "ukraine", "russia", "europe")


def evidence_scenario(folder: Path, seed: int = 11, reservation: float = 0.5) -> Path:
    """A random 4-party scenario with the shipped party ids, a source and quoted numbers, as a YAML file."""
    import yaml
    s = negosim.random_scenario(parties=4, provisions=6, options=4, seed=seed, reservation=reservation,
                                opposed=True, red_lines=2, linkages=2, list_veto=1)
    d = s.model_dump(mode="json", exclude_none=True)
    d["parties"] = {new: d["parties"][f"p{i}"] for i, new in enumerate(("ukraine", "russia", "us", "europe"))}
    d["articles"] = str(ARTICLES)
    d["sources"] = {"talks": {"file": "talks_report.txt", "title": "Lakeside talks (test fixture)",
                              "date": "2025-03-03", "confidence": "medium"}}
    d["parties"]["russia"]["reservation"] = {
        "value": reservation, "source": "talks", "quote": "the question of territory comes before everything else",
        "claim": "Territory first", "confidence": "medium"}
    d["parties"]["ukraine"]["weights"]["x1"] = {
        "value": d["parties"]["ukraine"]["weights"]["x1"], "assumption": "no article gives this weight"}
    path = folder / f"evidence_{seed}.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def decode_png(path: Path) -> np.ndarray:
    img = imread(str(path))
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    return img


def assert_not_blank(img: np.ndarray) -> None:
    rgb = img[..., :3]
    assert rgb.std() > 0.05, "the image is (nearly) one colour"
    assert (rgb.mean(axis=2) < 0.5).mean() > 0.002, "almost nothing dark (no text, no lines) was drawn"


def by_gid(ax, gid: str):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    found += [a for a in ax.patches if a.get_gid() == gid and a not in found]
    return found


def labelled(scenario):
    """The scenario with labels that differ from every id: "Party 0", "Provision 3", "Option 3.1"."""
    from negosim.scenario.schema import Scenario
    d = scenario.model_dump(mode="json", exclude_none=True)
    for k, (pid, party) in enumerate(d["parties"].items()):
        party["label"] = f"Party {k}"
    for k, (prov, body) in enumerate(d["provisions"].items()):
        body["label"] = f"Provision {k}"
        for m, opt in enumerate(body["options"].values()):
            opt["label"] = f"Option {k}.{m}"
    return Scenario.model_validate(d)


def figure_texts(fig) -> list:
    """Every text the figure draws, once laid out: titles, axis and tick labels, annotations, legends."""
    fig.draw_without_rendering()
    out = list(fig.texts) + ([fig._suptitle] if fig._suptitle is not None else [])
    for ax in fig.axes + [c for a in fig.axes for c in a.child_axes]:
        out += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        if ax.axison:  # tick labels of ticks in view (the others are not drawn)
            for labels, lim, k in ((ax.get_xticklabels(), ax.get_xlim(), 0), (ax.get_yticklabels(), ax.get_ylim(), 1)):
                lo, hi = min(lim), max(lim)
                out += [t for t in labels if lo - 1e-9 <= t.get_position()[k] <= hi + 1e-9]
        if ax.get_legend() is not None:
            out += [ax.get_legend().get_title(), *ax.get_legend().get_texts()]
    for leg in fig.legends:
        out += [leg.get_title(), *leg.get_texts()]
    unique = {id(t): t for t in out}  # the suptitle is one of fig.texts too
    return [t for t in unique.values() if t.get_visible() and t.get_text().strip()]


def assert_texts_readable(fig, ids=(), marks=()) -> None:
    """No text overlaps another (or one of ``marks``), none runs off the figure or is cut with an
    ellipsis, and none holds one of ``ids``: at the figure's resolution and at 72, 80 and 90 dpi, where the
    rasteriser's text runs relatively wider (the docs' matrix is written at 72)."""
    dpi = fig.dpi
    try:
        for at in (dpi, 72, 80, 90):
            fig.set_dpi(at)
            _readable_now(fig, ids, marks)
    finally:
        fig.set_dpi(dpi)


def _readable_now(fig, ids, marks) -> None:
    texts = figure_texts(fig)
    boxes = [(t.get_text(), t.get_window_extent()) for t in texts]
    page = fig.bbox
    for text, b in boxes:
        assert not text.rstrip().endswith(("…", "...")) and "…" not in text, f"cut label: {text!r}"
        assert b.x0 >= page.x0 - 1 and b.x1 <= page.x1 + 1 and b.y0 >= page.y0 - 1 and b.y1 <= page.y1 + 1, \
            f"runs off the figure: {text!r}"
        for i in ids:
            assert i not in text, f"id {i!r} in {text!r}"
    clash = [(ta, tb) for k, (ta, a) in enumerate(boxes) for tb, b in boxes[k + 1:] if _meet(a, b, 0.5)]
    assert not clash, f"texts overlap: {clash[:3]}"
    hit = [(ta, m.get_gid()) for ta, a in boxes for m in marks if _meet(a, m.get_window_extent(), 0.0)]
    assert not hit, f"texts run into marks: {hit[:3]}"


def _meet(a, b, pad: float) -> bool:
    return bool(a.x0 < b.x1 - pad and b.x0 < a.x1 - pad and a.y0 < b.y1 - pad and b.y0 < a.y1 - pad)


def legend_entries(fig) -> dict:
    """``{label: handle}`` of every legend of the figure."""
    out = {}
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    for leg in legends:
        for h, t in zip(leg.legend_handles, leg.get_texts()):
            out[t.get_text()] = h
    return out


@pytest.fixture(scope="module")
def small():
    return negosim.random_scenario(parties=3, provisions=5, options=4, seed=2, reservation=0.45, red_lines=2,
                                   linkages=2)


@pytest.fixture(scope="module")
def big():
    # 4**8 = 65,536 packages: beyond the exact-points limit, so the density path is used.
    return negosim.random_scenario(parties=4, provisions=8, options=4, seed=3, reservation=0.45, opposed=True,
                                   red_lines=3, linkages=3, list_veto=1)


# --------------------------------------------------------------------------- style and files

def test_party_colours_fixed_distinct_and_stable_across_processes():
    fixed = [party_color(p) for p in PARTIES]
    assert len(set(fixed)) == 4
    # Another process with another str-hash salt gives the same colours.
    code = "from negosim.plots.style import party_color; print(party_color('p0'), party_color('hungary'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "12345", "PATH": ""}).stdout
    assert out.split() == [party_color("p0"), party_color("hungary")]
    assert party_color("hungary") not in fixed


def test_png_decodes_is_not_blank_and_has_the_size_asked(tmp_path, small):
    fig = frontier(small, width=6, height=4)
    out = save_figure(fig, tmp_path / "f.png", dpi=100)
    img = decode_png(out)
    assert img.shape[:2] == (400, 600)
    assert_not_blank(img)


def test_svg_and_pdf_by_extension_and_bad_extension_refused(tmp_path, small):
    fig = package_figure(small)
    save_figure(fig, tmp_path / "p.svg")
    save_figure(fig, tmp_path / "p.PDF")
    assert b"<svg" in (tmp_path / "p.svg").read_bytes()[:500]
    assert (tmp_path / "p.PDF").read_bytes().startswith(b"%PDF")
    with pytest.raises(NegosimError, match=r"\.png, \.svg or \.pdf"):
        save_figure(fig, tmp_path / "p.jpg")
    with pytest.raises(NegosimError, match="does not exist"):
        save_figure(fig, tmp_path / "missing" / "p.png")


def test_no_global_matplotlib_state_changes(small, big):
    before = dict(matplotlib.rcParams)
    figs = [frontier(small), frontier_matrix(small), package_figure(small), gains_figure(small, solution="nash"),
            sweep_figure(pd.DataFrame({"a": [0.0, 1.0], "p_all": [0.2, 0.8]}), "a")]
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figs)
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_making_figures_never_imports_pyplot():
    code = ("import sys, negosim; from negosim.plots import frontier, package_figure;"
            "s = negosim.random_scenario(parties=2, provisions=3, options=3, seed=0);"
            "frontier(s).savefig(sys.argv[1]); package_figure(s);"
            "print('matplotlib.pyplot' in sys.modules)")
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([sys.executable, "-c", code, str(Path(d) / "x.png")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


# --------------------------------------------------------------------------- density layer

def _cdf_between(approx: np.ndarray, exact: np.ndarray) -> None:
    """Each package lands at most one bin from its exact bin: the CDFs interleave."""
    ca, ce = np.cumsum(approx), np.cumsum(exact)
    lower = np.concatenate([[0.0], ce[:-1]])
    upper = np.concatenate([ce[1:], [ce[-1]]])
    tol = 1e-6 * ce[-1] + 1
    assert (ca >= lower - tol).all() and (ca <= upper + tol).all()


@pytest.mark.parametrize("conditioned", [False, True])
def test_density_of_the_whole_space_matches_exact_scoring(big, monkeypatch, conditioned):
    if conditioned:
        # Small halves force conditioning blocks, the path big plans take.
        monkeypatch.setattr("negosim.engine.split.MAX_HALF", 64)
    cs = compile_scenario(big)
    pairs = [(0, 1), (2, 3), (1, 3)]
    grid = make_grid(cs, 60)
    dens = package_layer(cs, pairs, grid=grid, max_points=0)
    exact = package_layer(cs, pairs, grid=grid, max_points=10 ** 6)
    assert dens.U is None and exact.U is not None
    for pq in pairs:
        assert dens.hist[pq].sum() == pytest.approx(cs.space.size, rel=1e-9)
        _cdf_between(dens.hist[pq].sum(axis=1), exact.hist[pq].sum(axis=1))
        _cdf_between(dens.hist[pq].sum(axis=0), exact.hist[pq].sum(axis=0))


def test_density_under_mean_of_addressed():
    s = negosim.random_scenario(parties=2, provisions=5, options=3, seed=8).model_copy(
        update={"aggregation": "mean_of_addressed"})
    cs = compile_scenario(s)
    grid = make_grid(cs, 40)
    dens = package_layer(cs, [(0, 1)], grid=grid, max_points=0)
    exact = package_layer(cs, [(0, 1)], grid=grid, max_points=10 ** 6)
    assert dens.hist[(0, 1)].sum() == pytest.approx(cs.space.size)
    _cdf_between(dens.hist[(0, 1)].sum(axis=1), exact.hist[(0, 1)].sum(axis=1))


def test_zone_layer_holds_exactly_the_zone(big):
    cs = compile_scenario(big)
    grid = make_grid(cs, 50)
    z = zone_layer(cs, [(0, 1)], grid, max_points=10 ** 6)
    s = cs.score(cs.space.all())
    assert z.count == int(s.in_zone.sum()) == analyze(cs, pareto=False, top=0).zone_size
    assert np.array_equal(np.sort(z.U[:, 0]), np.sort(s.util[0, s.in_zone]))
    assert z.hist[(0, 1)].sum() == z.count


# --------------------------------------------------------------------------- frontier

def drawn_count(artist) -> float:
    """Packages an artist shows: its dots, or the counts of its density image."""
    if hasattr(artist, "get_offsets"):
        return len(artist.get_offsets())
    return float(np.ma.sum(artist.get_array()))


def _offsets(ax, gid):
    (coll,) = [c for c in ax.collections if c.get_gid() == gid]
    return np.asarray(coll.get_offsets())


@pytest.mark.parametrize("which", ["small", "big"])
def test_frontier_draws_what_the_analysis_finds(request, which):
    s = request.getfixturevalue(which)
    sub = resolve(s)
    a = sub.analysis()
    fig = frontier(sub, parties=["p0", "p1"])
    ax = fig.axes[0]
    front = _offsets(ax, "pareto")
    assert len(front) == a.pareto_size > 0
    want = sorted((p.utilities["p0"], p.utilities["p1"]) for p in a.pareto)
    assert sorted(map(tuple, front.tolist())) == want
    assert _offsets(ax, "draft").tolist() == [[a.draft["p0"].utility, a.draft["p1"].utility]]
    for name in ("nash", "kalai_smorodinsky", "egalitarian"):
        sol = a.solutions[name]
        assert _offsets(ax, f"solution:{name}").tolist() == [[sol.utilities["p0"], sol.utilities["p1"]]]
        label = {"nash": "Nash", "kalai_smorodinsky": "Kalai-Smorodinsky", "egalitarian": "egalitarian"}[name]
        assert any(label in t.get_text() for t in ax.texts)
    (vline,) = by_gid(ax, "reservation:p0")
    assert vline.get_xdata()[0] == a.compiled.reservation[0]
    packages = by_gid(ax, "packages")[0]
    if which == "small":  # one dot per package
        assert len(packages.get_offsets()) == a.space_size
    else:  # a density image that counts every package
        assert packages.get_array().sum() == pytest.approx(a.space_size, rel=1e-9)
    assert drawn_count(by_gid(ax, "zone")[0]) == a.zone_size
    assert "p0 utility" in ax.get_xlabel() and "Acceptance frontier" in fig.get_suptitle()


def test_frontier_matrix_has_every_pair(small):
    a = analyze(small)
    fig = frontier_matrix(small)
    panels = [ax for ax in fig.axes if any(c.get_gid() == "pareto" for c in ax.collections)]
    assert len(panels) == 3  # 3 parties -> 3 pairs
    for ax in panels:
        assert len(_offsets(ax, "pareto")) == a.pareto_size
    diagonal = [ax for ax in fig.axes if by_gid(ax, "marginal:packages")]
    assert len(diagonal) == 3


def test_frontier_matrix_diagonal_shows_the_zone_and_the_draft_line_is_in_the_legend(small):
    from matplotlib.colors import to_hex
    from negosim.plots.style import DRAFT_COLOR
    a = analyze(small)
    assert 0 < a.zone_size < a.space_size / 2  # a zone smaller than the space, as in the plans
    fig = frontier_matrix(small)
    diagonal = [ax for ax in fig.axes if by_gid(ax, "marginal:packages")]
    for ax in diagonal:
        (zone,) = by_gid(ax, "marginal:zone")
        top = max(p.vertices[:, 1].max() for p in zone.get_paths())
        # Scaled to its own peak: as tall as the space's curve, not a sliver at its foot.
        assert zone.get_visible() and top == pytest.approx(1.0)
        (draft,) = by_gid(ax, "draft")
        assert draft.get_visible() and to_hex(draft.get_color()) == to_hex(DRAFT_COLOR)
    lines = [h for t, h in legend_entries(fig).items() if "draft" in t and isinstance(h, matplotlib.lines.Line2D)
             and h.get_linestyle() == "-" and to_hex(h.get_color()) == to_hex(DRAFT_COLOR)]
    assert lines, "the draft's line on the diagonal has no legend entry"
    assert_texts_readable(fig)


@pytest.mark.parametrize("which", ["small", "big"])
def test_frontier_labels_do_not_overlap(request, which):
    fig = frontier(request.getfixturevalue(which), parties=["p0", "p1"])
    assert_texts_readable(fig)


def test_frontier_refuses_bad_parties(small):
    with pytest.raises(NegosimError, match="unknown party 'nobody'"):
        frontier(small, parties=["p0", "nobody"])
    with pytest.raises(NegosimError, match="two parties"):
        frontier(small, parties=["p0", "p1", "p2"])


def test_frontier_with_an_empty_zone():
    s = negosim.random_scenario(parties=2, provisions=4, options=3, seed=1, reservation=0.99)
    a = analyze(s)
    assert a.zone_size == 0
    fig = frontier(s)
    ax = fig.axes[0]
    assert not by_gid(ax, "zone") and not [c for c in ax.collections if c.get_gid() == "pareto"]
    assert any("rejected" in t.get_text() for t in fig.legends[0].get_texts())


# --------------------------------------------------------------------------- package and gains

def _red_line_package(cs):
    """The draft changed so that the first red line is crossed."""
    t = next(t for t in cs.terms if t.kind == "red")
    x = cs.draft.copy()
    for k, j in enumerate(t.provs):
        x[j] = int(np.flatnonzero(t.allowed[k])[0])
    return x, cs.party_ids[t.party], t.id


def test_package_bars_add_up_to_each_verdict(small):
    cs = compile_scenario(small)
    x, who, red_id = _red_line_package(cs)
    fig = package_figure(small, {cs.provision_ids[j]: cs.option_ids[j][x[j]] for j in range(cs.n_provisions)})
    ax = fig.axes[0]
    util = cs.score(x[None, :]).util[:, 0]
    for i, p in enumerate(cs.party_ids):
        segs = [r for r in ax.patches if (r.get_gid() or "").startswith((f"contrib:{p}:", f"link:{p}:"))]
        assert sum(r.get_width() for r in segs) == pytest.approx(util[i], abs=1e-12)
        (tick,) = by_gid(ax, f"reservation:{p}")
        assert tick.get_xdata()[0] == cs.reservation[i]
        assert bool(by_gid(ax, f"redline:{p}")) == (p == who or bool(cs.red_lines_hit(x)[p]))
    # The red line is named by the options that cross it, by label (not by its id).
    t = next(t for t in cs.terms if t.kind == "red" and t.id == red_id)
    words = [f"{small.provisions[cs.provision_ids[j]].label}: {cs.option_ids[j][x[j]]}" for j in t.provs]
    side = [a.get_text() for a in fig.axes[1].texts if a.get_gid() == f"verdict-detail:{who}"]
    assert any(a.startswith("red line: ") and all(w in a.replace("\n", " ") for w in words) for a in side), side


def _plan():
    return resolve(SHIPPED)


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped 28-point-plan scenario is not there yet")
@pytest.mark.parametrize("package", [None, "donbas=kyiv_holds,guarantee=nato_like"])
def test_package_figure_of_the_plan_groups_small_provisions_and_reads_in_labels(package):
    from matplotlib.colors import to_hex
    from negosim.plots.package import MAX_KEY
    sub = _plan()
    cs = sub.compiled
    fig = package_figure(sub, package)
    ax = fig.axes[0]
    segs = [r for r in ax.patches if (r.get_gid() or "").startswith("contrib:")]
    own = {r.get_gid().split(":")[2] for r in segs} - {"(other)"}
    assert 0 < len(own) <= MAX_KEY < cs.n_provisions, own
    if package is None:
        assert "donbas" in own  # on Ukraine's crossed red line: always drawn on its own
    entries = legend_entries(fig)
    # Every colour on a bar has one legend entry, and it names that provision (by label) and its option.
    x = resolve_package_of(cs, package)
    for prov in own:
        j = cs.provision_ids.index(prov)
        colours = {to_hex(r.get_facecolor()) for r in segs if r.get_gid().endswith(f":{prov}")}
        assert len(colours) == 1
        (label,) = [t for t, h in entries.items() if hasattr(h, "get_facecolor") and h.get_fill()
                    and to_hex(h.get_facecolor()) in colours]
        want = f"{sub.provision_label(prov)}: {sub.option_label(prov, cs.option_ids[j][x[j]])}"
        assert label.replace("\n", " ") == want
    others = [t for t in entries if t.startswith("other provisions")]
    assert len(others) == 1 and str(cs.n_provisions - len(own)) in others[0]
    # Segment labels lie inside their segments.
    for t in ax.texts:
        if (t.get_gid() or "").startswith("seglabel:"):
            (bar,) = [r for r in segs if r.get_gid() == "contrib:" + t.get_gid().split(":", 1)[1]]
            e, b = t.get_window_extent(), bar.get_window_extent()
            assert b.x0 - 1 <= e.x0 and e.x1 <= b.x1 + 1 and b.y0 - 1 <= e.y0 and e.y1 <= b.y1 + 1, t.get_text()
    ids = [f"{p}={o}" for j, p in enumerate(cs.provision_ids) for o in cs.option_ids[j]]
    ids += [t.id for t in cs.terms]
    ticks = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("reservation:")]
    assert_texts_readable(fig, ids=ids, marks=ticks)
    # The linkages are named by the options that trigger them.
    details = " ".join(t.get_text().replace("\n", " ") for t in fig.axes[1].texts)
    assert "linkage +0.03: Allies' pledge not to admit Ukraine" in details


def resolve_package_of(cs, package):
    from negosim.plots.common import resolve_package
    return resolve_package(cs, package)


def test_package_figure_at_the_explorer_width_stays_readable(small):
    s = labelled(small)
    cs = compile_scenario(s)
    x, who, red_id = _red_line_package(cs)
    fig = package_figure(s, x.tolist(), width=7.0)
    ax = fig.axes[0]
    ids = [f"{p}={o}" for j, p in enumerate(cs.provision_ids) for o in cs.option_ids[j]] + [t.id for t in cs.terms]
    ticks = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("reservation:")]
    assert_texts_readable(fig, ids=ids, marks=ticks)


def test_package_given_as_changes_and_refused_when_unknown(small):
    cs = compile_scenario(small)
    other = cs.option_ids[0][(cs.draft[0] + 1) % 4]
    fig = package_figure(small, f"x0={other}")
    assert f"X0: {other}" in fig.get_suptitle()
    with pytest.raises(NegosimError, match="unknown option"):
        package_figure(small, "x0=nope")
    with pytest.raises(NegosimError, match="unknown provision"):
        package_figure(small, "nope=o1")


def test_gains_bars_are_the_repair_effects(big):
    a = analyze(big)
    assert a.repairs, "the fixture should need a repair"
    r = a.repairs[0]
    fig = gains_figure(a)
    ax = fig.axes[0]
    for prov, deltas in r.effects.items():
        for p, d in deltas.items():
            (bar,) = by_gid(ax, f"gain:{prov}:{p}")
            assert bar.get_width() == pytest.approx(d, abs=1e-12)
    base = a.draft
    for p in a.compiled.party_ids:
        (bar,) = by_gid(ax, f"total:{p}")
        assert bar.get_width() == pytest.approx(r.utilities[p] - base[p].utility, abs=1e-9)


def test_package_effects_explain_the_whole_utility_change(big):
    cs = compile_scenario(big)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.integers(0, cs.radix)
        eff = package_effects(cs, x)
        util = cs.score(np.stack([cs.draft, x])).util
        total = np.array([sum(e[p] for e in eff.values()) for p in cs.party_ids])
        assert np.allclose(total, util[:, 1] - util[:, 0], atol=1e-12)


def test_gains_figure_of_many_changes_stays_readable(big):
    s = labelled(big)
    cs = compile_scenario(s)
    fig = gains_figure(s, solution="nash")
    ids = [f"{p}={o}" for j, p in enumerate(cs.provision_ids) for o in cs.option_ids[j]]
    assert_texts_readable(fig, ids=ids)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any(t.startswith("Provision ") and "Option " in t and "→" in t for t in ticks), ticks
    assert "p0=" not in fig.get_suptitle() and "x0=" not in fig.get_suptitle()


def test_gains_figure_packed_with_changes_leaves_out_values_rather_than_overprint():
    s = labelled(negosim.random_scenario(parties=4, provisions=28, options=2, seed=5))
    cs = compile_scenario(s)
    flipped = {p: cs.option_ids[j][1 - cs.draft[j]] for j, p in enumerate(cs.provision_ids)}
    fig = gains_figure(s, flipped)
    assert fig.get_figheight() <= 12.0
    values = [t for t in fig.axes[0].texts if (t.get_gid() or "").startswith("value:")]
    assert values and all(t.get_gid().startswith("value:") for t in values)
    # The net change keeps its numbers.
    assert {t.get_gid() for t in values} >= {f"value:net change:{p}" for p in cs.party_ids
                                             if abs(sum(e[p] for e in package_effects(cs, cs.package_from_dict(
                                                 {**cs.package_dict(cs.draft), **flipped})).values())) >= 0.0005}
    assert_texts_readable(fig)


def test_gains_without_anything_to_show():
    s = negosim.random_scenario(parties=2, provisions=4, options=3, seed=1, reservation=0.99)
    with pytest.raises(NegosimError, match="no repair"):
        gains_figure(s)


# --------------------------------------------------------------------------- sweep

def test_sweep_heatmap_from_a_real_sweep(small):
    from negosim.sweep.run import Sweep, run_sweep
    from negosim.plots.sweep_figure import scenario_marks
    axes = {"parties.p0.reservation": {"range": [0.2, 0.8], "steps": 5},
            "parties.p1.reservation": {"range": [0.2, 0.8], "steps": 4}}
    df = run_sweep(Sweep(scenario=small, axes=axes), workers=1)
    marks = scenario_marks([small], *axes)
    assert marks == {small.name: (0.45, 0.45)}
    fig = sweep_figure(df, *axes, marks=marks)
    ax = fig.axes[0]
    (mesh,) = [c for c in ax.collections if c.get_gid() == "heatmap"]
    want = df.groupby(list(axes))["zone_size"].mean().unstack().to_numpy().T
    got = np.ma.filled(mesh.get_array(), 0).reshape(want.shape)
    assert np.array_equal(got, want)
    assert _offsets(ax, f"mark:{small.name}").tolist() == [[0.45, 0.45]]
    has_both = (df["zone_size"] > 0).any() and (df["zone_size"] == 0).any()
    assert bool([c for c in ax.collections if c.get_gid() == "frontier"]) == has_both


def test_sweep_frontier_lies_where_the_probability_crosses_one_half():
    xs, ys = np.linspace(0, 1, 11), np.linspace(0, 2, 5)
    df = pd.DataFrame([{"a": x, "b": y, "p_all": x, "replicate": 0} for x in xs for y in ys])
    fig = sweep_figure(df, "a", "b")
    (front,) = [c for c in fig.axes[0].collections if c.get_gid() == "frontier"]
    verts = np.concatenate([p.vertices for p in front.get_paths()])
    assert np.allclose(verts[:, 0], 0.5)


def test_sweep_overlays_the_frontier_of_another_sweep():
    xs = np.linspace(0, 1, 6)
    first = pd.DataFrame([{"a": x, "b": y, "p_all": x} for x in xs for y in xs])
    second = pd.DataFrame([{"a": x, "b": y, "p_all": y} for x in xs for y in xs])
    never = pd.DataFrame([{"a": x, "b": y, "p_all": 0.1} for x in xs for y in xs])
    fig = sweep_figure(first, "a", "b", also={"other draft": second, "hopeless": never})
    ax = fig.axes[0]
    (other,) = [c for c in ax.collections if c.get_gid() == "also:other draft"]
    verts = np.concatenate([p.vertices for p in other.get_paths()])
    assert np.allclose(verts[:, 1], 0.5)  # the second sweep crosses one half along b = 0.5
    assert not [c for c in ax.collections if c.get_gid() == "also:hopeless"]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "hopeless: no frontier here: the probability is below 0.5 everywhere" in texts
    with pytest.raises(NegosimError, match="have no column 'b'"):
        sweep_figure(first, "a", "b", also={"bad": pd.DataFrame({"a": [0.0], "p_all": [0.2]})})


def test_sweep_line_band_spans_the_replicates():
    rng = np.random.default_rng(1)
    df = pd.DataFrame([{"a": x, "replicate": r, "p_all": float(np.clip(x + rng.normal(0, 0.1), 0, 1))}
                       for x in np.linspace(0, 1, 6) for r in range(4)])
    fig = sweep_figure(df, "a")
    ax = fig.axes[0]
    (mean,) = [ln for ln in ax.lines if ln.get_gid() == "mean"]
    assert np.allclose(mean.get_ydata(), df.groupby("a")["p_all"].mean().to_numpy())
    (band,) = by_gid(ax, "band")
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    assert ys.min() == pytest.approx(df.groupby("a")["p_all"].min().min())
    assert ys.max() == pytest.approx(df.groupby("a")["p_all"].max().max())
    assert "min to max of 4 replicates" in [t.get_text() for t in ax.get_legend().get_texts()]
    # A marked scenario's name sits clear of the curve, the legend and the 0.5 line.
    fig = sweep_figure(df.assign(p_all=0.97), "a", marks={"some scenario": (0.5,)})
    ax = fig.axes[0]
    (name,) = [t for t in ax.texts if t.get_gid() == "mark-label:some scenario"]
    marks = [ln for ln in ax.lines if ln.get_gid() in ("mean", "frontier")]
    assert_texts_readable(fig, marks=marks)


def test_sweep_heatmap_says_what_grey_cells_mean():
    xs = np.linspace(0, 1, 4)
    df = pd.DataFrame([{"a": x, "b": y, "zone_size": int(x > 0.3) * 100 * (1 + y)} for x in xs for y in xs])
    fig = sweep_figure(df, "a", "b", value="zone_size")
    texts = list(legend_entries(fig))
    assert "grey: no zone of agreement" in texts
    assert any(t.endswith("frontier where the zone is non-empty in half the rows") for t in texts)
    assert_texts_readable(fig)
    full = pd.DataFrame([{"a": x, "b": y, "zone_size": 5} for x in xs for y in xs])
    texts = list(legend_entries(sweep_figure(full, "a", "b", value="zone_size")))
    assert not [t for t in texts if t.startswith("grey")]
    assert "this sweep: no frontier here: the zone is non-empty everywhere" in texts


def test_sweep_figure_refuses_unknown_axis_and_value():
    df = pd.DataFrame({"a": [0.0, 1.0], "p_all": [0.1, 0.9]})
    with pytest.raises(NegosimError, match="no axis 'b'"):
        sweep_figure(df, "b")
    with pytest.raises(NegosimError, match="no column 'zzz'"):
        sweep_figure(df, "a", value="zzz")


# --------------------------------------------------------------------------- trace

def test_trace_lines_follow_the_model_trace():
    s = negosim.random_scenario(parties=3, provisions=5, options=3, seed=1, reservation=0.5)
    result = run_trace(s, "single_text", seed=0, rounds=20)
    t = result.trace() if callable(result.trace) else result.trace
    fig = trace_figure(result, scenario=s)
    ax = fig.axes[0]
    for p in s.parties:
        rows = t[t["party"] == p]
        (u,) = [ln for ln in ax.lines if ln.get_gid() == f"utility:{p}"]
        (r,) = [ln for ln in ax.lines if ln.get_gid() == f"reservation:{p}"]
        assert np.allclose(u.get_ydata(), rows["utility"]) and np.allclose(r.get_ydata(), rows["reservation"])
    changed = sorted(int(ln.get_gid().split(":")[1]) for ln in ax.lines if (ln.get_gid() or "").startswith("change:"))
    assert changed == sorted(provision_changes(t))
    assert by_gid(ax, "outcome")


#: The legend entry of each kind of mark the trace figure draws (by the start of its gid).
TRACE_MARKS = {"utility": "utility of the text", "reservation": "reservation (drifts)", "aspiration": "aspiration",
               "change": "text changed (listed below)", "proposer": "proposer of the round (its colour)",
               "outcome": ("agreement", "no deal (deadline)", "no deal (deadlock)")}


@pytest.mark.parametrize("protocol", ["single_text", "alternating_offers"])
def test_trace_every_mark_has_a_legend_entry_and_labels_read_in_labels(protocol):
    s = labelled(negosim.random_scenario(parties=3, provisions=6, options=3, seed=1, reservation=0.5))
    result = run_trace(s, protocol, seed=0, rounds=25)
    fig = trace_figure(result, scenario=s, note=f"{protocol}, seed 0")
    ax = fig.axes[0]
    kinds = {(a.get_gid() or "").split(":")[0] for a in ax.get_children()} & set(TRACE_MARKS)
    assert {"utility", "reservation", "change", "outcome"} <= kinds
    if protocol == "alternating_offers":
        assert "proposer" in kinds
    entries = legend_entries(fig)
    for kind in kinds:
        want = TRACE_MARKS[kind]
        assert any(t in entries for t in ((want,) if isinstance(want, str) else want)), kind
    for p in s.parties:
        assert s.parties[p].label in entries
    # The list under the plot names what changed by label, never by id.
    listed = " ".join(t.get_text() for t in fig.axes[1].texts)
    t = result.trace() if callable(result.trace) else result.trace
    first = min(provision_changes(t).items())[1]
    prov, opt = next(iter(first.items()))
    assert s.provisions[prov].label in listed
    ids = [f"{prov}→", f"{prov}={opt}"] + [f"{q}={o}" for q in s.provisions for o in s.provisions[q].options]
    assert_texts_readable(fig, ids=ids)


def test_trace_list_of_changes_is_bounded():
    from negosim.plots.trace import MAX_LINES
    rounds = range(1, 61)
    t = pd.DataFrame({"round": list(rounds), "party": "a", "utility": 0.5, "reservation": 0.4,
                      "changes": [f"x=o{r % 3}, y=o{r % 2}" for r in rounds]})
    fig = trace_figure(t)
    listed = [a.get_text() for a in fig.axes[1].texts if (a.get_gid() or "").startswith("change-label:")]
    assert sum(x.count("\n") + 1 for x in listed) <= MAX_LINES
    assert listed[-1].startswith("and ") and "more rounds with changes" in listed[-1]
    assert_texts_readable(fig)


def test_provision_changes_reads_the_text_round_by_round():
    t = pd.DataFrame({"round": [1, 2, 3, 4], "party": ["a"] * 4, "utility": 0.5, "reservation": 0.4,
                      "changes": ["no change", "x=o1", "x=o1, y=o2", "y=o3"]})
    assert provision_changes(t) == {2: {"x": "o1"}, 3: {"y": "o2"}, 4: {"y": "o3", "x": "(draft)"}}


def test_trace_refuses_a_table_without_utilities():
    with pytest.raises(NegosimError, match="lacks column"):
        trace_figure(pd.DataFrame({"round": [1], "party": ["a"]}))


# --------------------------------------------------------------------------- the CLI

def _png_ok(path: Path, size=None) -> None:
    img = decode_png(path)
    assert_not_blank(img)
    if size is not None:
        assert img.shape[:2] == size


def test_cli_plot_every_kind(tmp_path, cli):
    path = evidence_scenario(tmp_path)
    out = tmp_path / "f.png"
    r = cli("plot", "frontier", str(path), "--parties", "ukraine,russia", "-o", str(out), "--dpi", "80")
    assert r.returncode == 0, r.stderr
    _png_ok(out, (560, 600))  # 7.5 x 7 inches at 80 dpi
    for args in (["frontier", str(path), "--parties", "all"], ["package", str(path), "--package", "x0=o1"],
                 ["gains", str(path), "--solution", "nash"],
                 ["trace", str(path), "--protocol", "alternating_offers", "--seed", "3", "--rounds", "15"]):
        out = tmp_path / f"{args[0]}.{'svg' if args[0] == 'package' else 'png'}"
        r = cli("plot", *args, "-o", str(out))
        assert r.returncode == 0, (args, r.stderr)
        if out.suffix == ".svg":
            assert out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()[:1000]
        else:
            _png_ok(out)


def test_cli_plot_sweep_from_parquet(tmp_path, cli):
    import yaml
    scen = evidence_scenario(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"scenario": scen.name, "axes": {
        "parties.ukraine.reservation": {"range": [0.3, 0.7], "steps": 3},
        "parties.russia.reservation": {"range": [0.3, 0.7], "steps": 3}}}))
    r = cli("sweep", str(spec), "--workers", "1", "--quiet", "--out", str(tmp_path / "res.parquet"))
    assert r.returncode == 0, r.stderr
    out = tmp_path / "sweep.png"
    r = cli("plot", "sweep", str(tmp_path / "res.parquet"), "--x", "parties.ukraine.reservation",
            "--y", "parties.russia.reservation", "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    _png_ok(out)
    r = cli("plot", "sweep", str(tmp_path / "res.parquet"), "--x", "nope", "-o", str(out))
    assert r.returncode == 2 and "no axis 'nope'" in r.stderr


def test_cli_plot_errors_are_one_line_exit_2(tmp_path, cli, capsys):
    from negosim.cli.main import main
    path = evidence_scenario(tmp_path)
    r = cli("plot", "frontier", str(path), "-o", str(tmp_path / "f.jpg"))
    assert r.returncode == 2 and r.stderr.strip().endswith("must end in .png, .svg or .pdf")
    assert "\n" not in r.stderr.strip() and not (tmp_path / "f.jpg").exists()
    # The same entry point in this process, for the other user errors.
    for args, words in (
            (["frontier", str(path), "--parties", "ukraine,nobody", "-o", str(tmp_path / "f.png")],
             "unknown party 'nobody'"),
            (["package", str(path), "--package", "x0", "-o", str(tmp_path / "f.png")], "PROVISION=OPTION"),
            (["trace", str(path), "--protocol", "shouting", "-o", str(tmp_path / "t.png")], "protocol"),
            (["gains", str(path), "--repair", "0", "-o", str(tmp_path / "g.png")], "must be a whole number from 1"),
            (["package", str(path), "-o", str(tmp_path / "no" / "f.png")], "does not exist")):
        assert main(["plot", *args]) == 2, args
        line = capsys.readouterr().err.strip()
        assert "\n" not in line and words in line, line


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped 28-point-plan scenario is not there yet")
def test_shipped_scenario_frontier_and_package(tmp_path):
    sub = resolve(SHIPPED)
    a = sub.analysis()
    fig = frontier(sub)
    ax = fig.axes[0]
    assert len(_offsets(ax, "pareto")) == a.pareto_size > 0
    assert by_gid(ax, "packages")[0].get_array().sum() == pytest.approx(a.space_size, rel=1e-9)
    # A zone in a small corner is enlarged in an inset that shows the same front (since the no-deal
    # fallbacks the shipped zone holds millions of packages and may need none).
    insets = [c for c in ax.child_axes if c.get_gid() == "zoom"]
    assert len(insets) <= 1
    for inset in insets:
        assert len(_offsets(inset, "pareto")) == a.pareto_size
        assert drawn_count(by_gid(inset, "zone")[0]) == a.zone_size
    assert_texts_readable(fig)  # the plan's long legend entries included
    save_figure(fig, tmp_path / "f.png")
    _png_ok(tmp_path / "f.png")
    save_figure(package_figure(sub), tmp_path / "p.png")
    _png_ok(tmp_path / "p.png")


# --------------------------------------------------------------------------- the experiments' figures

EXPERIMENTS = ROOT / "experiments"


def _experiment(name: str, monkeypatch):
    import importlib
    monkeypatch.syspath_prepend(str(EXPERIMENTS))
    return importlib.import_module(name)


def _grid_table(parties, xs=("us_pressure", "russia_war_cost"), n=3):
    rng = np.random.default_rng(0)
    rows = []
    for i, a in enumerate(np.linspace(-1, 1, n)):
        for j, b in enumerate(np.linspace(-1, 1, n)):
            r = {xs[0]: a, xs[1]: b, "p_all": 0.0, "p_all_low": 0.0, "p_all_high": 0.1,
                 "zone_size": 0 if i == 0 else 1000 * (i + j + 1), "nash_p_all": np.nan if i == 0 else 0.9}
            for p in parties:
                r[f"p_accepts_{p}"] = 0.0 if p == "ukraine" else float(rng.uniform(0.6, 1))
                r[f"margin_{p}"] = float(rng.uniform(-0.2, 0.2))
            rows.append(r)
    return pd.DataFrame(rows)


def _assert_negosim_style(fig):
    from negosim.plots.style import TITLE_SIZE
    assert isinstance(fig, matplotlib.figure.Figure) and fig.canvas.manager is None  # not made by pyplot
    assert fig.get_layout_engine() is not None and fig._suptitle.get_fontsize() == TITLE_SIZE


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped 28-point-plan scenario is not there yet")
def test_experiment_a_figure_in_negosim_style_says_what_grey_cells_mean_and_answer_names_the_red_line(monkeypatch):
    from matplotlib.colors import to_hex
    from negosim.plots.sweep_figure import GREY
    a = _experiment("a_plan28_pressure_vs_war_cost", monkeypatch)
    scenario = negosim.load(SHIPPED)
    parties = list(scenario.parties)
    df = _grid_table(parties)
    fig = a.figure(df, parties, scenario)
    _assert_negosim_style(fig)
    meshes = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "heatmap"]
    assert len(meshes) == len(parties) + 3
    assert all(to_hex(m.get_cmap().get_bad()) == to_hex(GREY) for m in meshes)
    said = " ".join(t.get_text() for t in figure_texts(fig))
    assert "grey: no zone of agreement, so no Nash package" in said
    assert "us_pressure" not in said and "P(Ukraine accepts the draft)" in said
    assert_texts_readable(fig)
    lines = a.answer(df, parties, scenario)
    text = " ".join(lines)
    assert "Ukraine's red line binds at every parameter value" in text and "Kyiv-held Donbas: Ceded to Russia" in text
    assert "donbas=" not in text and "p_accepts" not in text


def test_experiment_b_figure_and_answer_in_labels(monkeypatch):
    b = _experiment("b_framework20_concessions", monkeypatch)
    scenario = negosim.load(b.SCENARIO)
    parties = list(scenario.parties)
    prov = next(iter(scenario.provisions))
    other = next(o for o in scenario.provisions[prov].options if o != scenario.draft[prov])
    changes = ["(the draft)", f"{prov}={other}"]
    table = pd.DataFrame({"change": changes, "change_label": [b.change_label(scenario, c) for c in changes],
                          "p_all": [0.5, 0.8], "p_all_low": [0.4, 0.7], "p_all_high": [0.6, 0.9],
                          "p_least": [0.55, 0.85], "min_margin": [0.01, 0.05],
                          **{f"p_accepts_{p}": [0.6, 0.9] for p in parties},
                          **{f"margin_{p}": [0.02, 0.06] for p in parties}})
    sens = pd.DataFrame([{"output": o, "parameter": k, "first_order": 0.3, "total_order": 0.4, "first_low": 0.2,
                          "first_high": 0.4, "total_low": 0.3, "total_high": 0.5}
                         for o in b.OUTPUTS for k in scenario.parameters])
    assert table["change_label"][1].startswith(scenario.provisions[prov].label + ": ") and "→" in table["change_label"][1]
    fig = b.figure(table, sens, scenario)
    _assert_negosim_style(fig)
    assert_texts_readable(fig, ids=[f"{prov}={other}"] + list(scenario.parameters))
    text = " ".join(b.answer(scenario, table, sens))
    assert table["change_label"][1] in text and f"{prov}={other}" not in text
    assert "binds" in text and all(k not in text for k in scenario.parameters)


def test_experiment_c_figure_in_party_colours_and_answer_names_the_red_line(monkeypatch):
    from matplotlib.colors import to_hex
    c = _experiment("c_counterproposal_europe", monkeypatch)
    scenario = negosim.load(c.SCENARIO)
    parties = list(scenario.parties)
    df = _grid_table(parties, xs=("us_pressure", "europe_support")).replace({"us_pressure": {-1.0: -0.5, 1.0: 0.5}})
    df["p_accepts_russia"] = 0.0
    fig = c.figure(df, parties, scenario)
    _assert_negosim_style(fig)
    first = fig.axes[0]
    assert {to_hex(ln.get_color()) for ln in first.lines} == {to_hex(party_color(p)) for p in parties}
    assert {t.get_text() for t in first.get_legend().get_texts()} == {scenario.parties[p].label for p in parties}
    assert_texts_readable(fig)
    text = " ".join(c.answer(df, parties, scenario))
    assert "Russia's red line binds at every parameter value" in text and "Foreign troops in Ukraine" in text
