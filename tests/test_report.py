"""The HTML report: valid, self-contained, with the tables, figures, sources and provenance."""

from __future__ import annotations

import base64
import hashlib
import io
from html.parser import HTMLParser

import pytest
from matplotlib.image import imread

import negosim
from negosim.errors import NegosimError
from negosim.report import build_report, write_report
from negosim.scenario.yaml_io import load_scenario

from test_plots import ARTICLES, SHIPPED, assert_not_blank, evidence_scenario

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Collects tags, attributes and text, and checks that every element is closed in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()
        if tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(page: str) -> Page:
    p = Page()
    p.feed(page)
    p.close()
    assert p.problems == [] and p.stack == [], (p.problems, p.stack)
    return p


def check_self_contained(p: Page) -> int:
    """Every image a decodable PNG data URI, no external URL anywhere; returns the image count."""
    images = 0
    for tag, attrs in p.tags:
        for key in ("src", "href", "action", "data", "poster"):
            v = attrs.get(key) or ""
            assert not v.lower().startswith(("http://", "https://", "//")), (tag, key, v[:80])
        if tag == "img":
            src = attrs["src"]
            assert src.startswith("data:image/png;base64,")
            img = imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
            assert_not_blank(img)
            assert attrs.get("alt")
            images += 1
        assert tag not in ("script", "link", "iframe")
    return images


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    path = evidence_scenario(folder)
    ls = load_scenario(path)
    page = build_report(ls, seed=7, protocol="alternating_offers")
    return ls, page, parse(page)


def test_report_is_valid_and_self_contained(report):
    _, page, p = report
    assert page.startswith("<!DOCTYPE html>")
    # frontier, matrix, package, gains and trace
    assert check_self_contained(p) == 5
    assert "http://" not in page.split("<body>")[0] and "https://" not in page.split("<body>")[0]


def test_report_holds_provenance_and_analysis_tables(report):
    ls, page, p = report
    a = negosim.analyze(ls)
    text = " ".join(p.text)
    assert a.meta["scenario_sha256"] == ls.sha256() and ls.sha256() in text
    assert negosim.__version__ in text
    article = ARTICLES / "talks_report.txt"
    assert hashlib.sha256(article.read_bytes()).hexdigest() in text
    settings = dict(row for row in next(t for t in p.tables if t[0] == ["setting", "value"])[1:] if len(row) == 2)
    assert settings["seed (bargaining)"] == "7" and settings["protocol"] == "alternating_offers"
    verdicts = next(t for t in p.tables if t[0][:2] == ["party", "utility"])
    got = {row[0]: float(row[1]) for row in verdicts[1:]}
    want = {(ls.scenario.parties[v.party].label or v.party): round(v.utility, 3) for v in a.draft.values()}
    assert got == want
    assert f"{a.zone_size:,}" in text and f"{a.space_size:,}" in text


def test_report_holds_sources_and_the_quotes_behind_the_numbers(report):
    ls, page, p = report
    assert '<table class="sources">' in page
    sources = next(t for t in p.tables if t[0][:3] == ["id", "title", "date"])
    row = sources[1]
    assert row[0] == "talks" and row[3] == "talks_report.txt"
    assert row[5] == "1"  # one number cites it
    evidence = next(t for t in p.tables if t[0][:2] == ["number", "value"])
    by_path = {r[0]: r for r in evidence[1:]}
    n_numbers = sum(1 for _ in negosim.scenario.schema.iter_numbers(ls.scenario))
    assert len(by_path) == n_numbers
    quoted = by_path["parties.russia.reservation"]
    assert quoted[3] == "talks" and quoted[4] == "the question of territory comes before everything else"
    assert by_path["parties.ukraine.weights.x1"][7] == "no article gives this weight"
    assert by_path["parties.us.reservation"][4] == "unsourced"


def test_report_escapes_text_from_the_scenario(tmp_path):
    s = negosim.random_scenario(parties=2, provisions=3, options=2, seed=0)
    s = s.model_copy(update={"name": "<script>alert(1)</script>", "description": "a & b <i>"})
    page = build_report(s, trace=False)
    parse(page)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_cli_report_with_a_sweep(tmp_path, cli):
    import yaml
    scen = evidence_scenario(tmp_path)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"scenario": scen.name, "axes": {
        "parties.russia.reservation": {"range": [0.3, 0.7], "steps": 4}}}))
    r = cli("sweep", str(spec), "--workers", "1", "--quiet", "--out", str(tmp_path / "res.parquet"))
    assert r.returncode == 0, r.stderr
    out = tmp_path / "report.html"
    r = cli("report", str(scen), "-o", str(out), "--no-trace", "--sweep", str(tmp_path / "res.parquet"))
    assert r.returncode == 0, r.stderr
    p = parse(out.read_text(encoding="utf-8"))
    # frontier, matrix, package, gains and the sweep line
    assert check_self_contained(p) == 5
    assert any("res.parquet" in t for t in p.text)


def test_report_refuses_a_name_that_is_not_html(tmp_path, cli):
    scen = evidence_scenario(tmp_path)
    r = cli("report", str(scen), "-o", str(tmp_path / "report.png"))
    assert r.returncode == 2 and "must end in .html" in r.stderr and "\n" not in r.stderr.strip()
    with pytest.raises(NegosimError, match="does not exist"):
        write_report(tmp_path / "no" / "r.html", scen)


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped 28-point-plan scenario is not there yet")
def test_report_of_the_shipped_plan_has_nothing_missing():
    ls = load_scenario(SHIPPED)
    p = parse(build_report(ls, trace=False))
    assert check_self_contained(p) == 4  # frontier, matrix, package, gains
    sources = next(t for t in p.tables if t[0][:3] == ["id", "title", "date"])
    assert [row[0] for row in sources[1:]] == list(ls.scenario.sources)
    hashes = negosim.analyze(ls, pareto=False, top=0).meta["articles"]
    for row in sources[1:]:
        assert row[6] == hashes[row[3]]  # every cited article was read and hashed


def test_report_counts_the_evidence_as_negosim_sources_does(cli):
    """The report's evidence summary is `negosim sources`' counting: defaults and inert values apart.

    The April round weighs four US provisions 0, so their ten US values decide nothing there: the
    report must not count them (it once counted every number, defaults too, in its own way).
    """
    import json
    import re

    from conftest import ROOT
    from negosim.report import _sources_and_evidence
    path = ROOT / "scenarios" / "freeze_2025_04.yaml"
    src = json.loads(cli("sources", str(path), "--json").stdout)
    assert src["inert"] > 0  # the case this test is about
    page = _sources_and_evidence(load_scenario(path).scenario, {})
    summary = re.sub(r"<[^>]+>", "", page.split("Evidence behind the numbers")[1]).split(".")[0]
    g = src["grades"]
    assert summary.startswith(f"{src['numbers']} numbers: {g['states'] + g['implies']} are supported"), summary
    assert f"{len(src['defaults'])} left at the format's defaults, and {src['inert']} that decide nothing" in page
    d = src["deciding"]
    assert f"Of the {d['numbers']} deciding numbers" in page and f"weights), {d['states'] + d['implies']} are" in page
    inert = [it["path"] for it in src["items"] if it["inert"]]
    rows = re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", page)
    marked = {name for name, rest in rows if "(inert)" in rest}
    assert marked == set(inert)
