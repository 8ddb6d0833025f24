"""Hostile input, generated: ``negosim validate`` and ``negosim analyze`` never crash, hang or trace back.

Hypothesis mutates a small valid scenario the way a careless or hostile user
would (non-finite and huge numbers, deep nesting, alias bombs, odd Unicode,
raw bytes, truncation) and draws random command-line flags. Every run must end
within a bounded time with exit 0 or 2; exit 2 means exactly one line on stderr
and no traceback. Each example validates a batch of files in one process (a
Python start per file would take minutes) and analyses a few of them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
BASE = (ROOT / "tests" / "data" / "malformed" / "_parts" / "base.yaml").read_text(encoding="utf-8")
ARTICLES = ROOT / "tests" / "data" / "articles"
# Each subprocess must end well within this; a hang is a failure, not a slow test.
TIMEOUT_S = 90

NUMBER = re.compile(r"(?<![\w.])\d+\.\d+|(?<=: )\d+(?=\b)")
LABEL = re.compile(r"(label: )([^,}\n]+)")

HOSTILE_NUMBERS = [".nan", ".inf", "-.inf", "1e309", "-1e309", "1.7e308", "5e-324", "-0.0",
                   "9" * 5000, "-" + "9" * 400, "0x1F", "1_000", "0o17", "true", "null", "~", "[]", "{}",
                   "'0.5'", "1e9", "-1e9", "18446744073709551617"]
HOSTILE_TEXT = ['"\\ud800"', '"\\udfff x"', '"\\u202e reversed"', '"\\x00"', '"\\x07 bell"',
                '"\\u0301\\u0301\\u0301"', '"\U0001F525 fire"', '"' + "é" * 3000 + '"', "''", '"\\t"',
                '"a\\nb"', "&anchor x", "*undefined_alias", "!!python/object:os.system x", "!!binary AAAA"]


def _bomb(levels: int, width: int) -> str:
    lines = ["x-bomb-0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"x-bomb-{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@st.composite
def hostile_text_mutation(draw, text: str) -> str:
    kind = draw(st.sampled_from(["number", "label", "nest_list", "nest_map", "bomb", "anchor_loop",
                                 "dup_line", "truncate", "indent", "extends"]))
    if kind == "number":
        spots = list(NUMBER.finditer(text))
        if not spots:  # an earlier mutation (a truncation) left no number
            return text
        m = spots[draw(st.integers(0, len(spots) - 1))]
        return text[:m.start()] + draw(st.sampled_from(HOSTILE_NUMBERS)) + text[m.end():]
    if kind == "label":
        spots = list(LABEL.finditer(text))
        if not spots:
            return text
        m = spots[draw(st.integers(0, len(spots) - 1))]
        return text[:m.start(2)] + draw(st.sampled_from(HOSTILE_TEXT)) + text[m.end(2):]
    if kind == "nest_list":
        depth = draw(st.sampled_from([1, 10, 100, 1000, 5000]))
        return text.replace("reservation: 0.45", "reservation: " + "[" * depth + "0.45" + "]" * depth, 1)
    if kind == "nest_map":
        depth = draw(st.sampled_from([1, 50, 500, 3000]))
        return text.replace("reservation: 0.45", "reservation: " + "{a: " * depth + "1" + "}" * depth, 1)
    if kind == "bomb":
        return text + _bomb(draw(st.integers(2, 10)), draw(st.integers(2, 12)))
    if kind == "anchor_loop":
        return text.replace("draft: {", "draft: &d {", 1) + "description2: *d\n"
    if kind == "dup_line":
        lines = text.splitlines(keepends=True) or [""]
        i = draw(st.integers(0, len(lines) - 1))
        return "".join(lines[:i + 1] + [lines[i]] + lines[i + 1:])
    if kind == "truncate":
        return text[:draw(st.integers(0, len(text)))]
    if kind == "indent":
        lines = text.splitlines(keepends=True) or [""]
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = draw(st.sampled_from(["\t", " ", "   "])) + lines[i]
        return "".join(lines)
    target = draw(st.sampled_from(["/etc/passwd", "/dev/null", "/", "missing.yaml", "self.yaml"]))
    return f"extends: {target}\n" + text


@st.composite
def hostile_file(draw) -> bytes:
    text = BASE.replace("articles: ../../articles", f"articles: {ARTICLES}")
    for _ in range(draw(st.integers(0, 3))):  # 0: a valid file, for analyze with hostile flags
        text = draw(hostile_text_mutation(text))
    data = text.encode("utf-8", "surrogatepass")
    how = draw(st.sampled_from(["utf8", "utf8", "utf8", "bytes", "latin1", "utf16", "bom"]))
    if how == "bytes":
        junk = draw(st.binary(min_size=1, max_size=8))
        at = draw(st.integers(0, len(data)))
        data = data[:at] + junk + data[at:]
    elif how == "latin1":
        data = text.replace("Lakeside", "Lakesidé").encode("latin-1", "replace")
    elif how == "utf16":
        data = text.encode("utf-16", "surrogatepass")
    elif how == "bom":
        data = b"\xef\xbb\xbf" + data
    return data


def _flag(name: str, values) -> st.SearchStrategy:
    return st.tuples(st.just(name), st.sampled_from(values)).map(list)


ANALYZE_FLAGS = st.lists(st.one_of(
    st.just(["--json"]), st.just(["--pareto"]),
    _flag("--top", ["0", "3", "-1", "1e9", "nan", "abc", "99999999999999999999"]),
    _flag("--samples", ["0", "1", "2", "50", "-5", "1e9", "inf"]),
    _flag("--seed", ["0", "-1", "1e30", "2", "x"]),
    _flag("--param", ["pressure=0.5", "pressure=nan", "pressure=inf", "pressure=1e309", "nope=1",
                      "pressure", "=1", "pressure=0x1", "pressure=-1e9"]),
), max_size=4).map(lambda groups: [a for g in groups for a in g])


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("NEGOSIM_DEBUG", None)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "negosim", *args], capture_output=True, text=True,
                          errors="replace", cwd=cwd, timeout=TIMEOUT_S, env=env)
    print(f"{time.perf_counter() - t0:5.1f} s  exit {r.returncode}  negosim {' '.join(args)[:100]}")
    return r


def _check(r: subprocess.CompletedProcess, what: str) -> None:
    assert r.returncode in (0, 2), f"{what}: exit {r.returncode}\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr, f"{what}: traceback\n{r.stderr[-2000:]}"
    assert "internal error" not in r.stderr, f"{what}: {r.stderr[-2000:]}"


@settings(max_examples=int(os.environ.get("NEGOSIM_FUZZ_EXAMPLES", "8")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(files=st.lists(hostile_file(), min_size=8, max_size=16), flags=st.lists(ANALYZE_FLAGS, min_size=2,
                                                                                max_size=2))
def test_hostile_files_and_flags_end_cleanly(tmp_path_factory, files, flags):
    tmp = tmp_path_factory.mktemp("fuzz")
    names = []
    for i, data in enumerate(files):
        (tmp / f"case{i}.yaml").write_bytes(data)
        names.append(f"case{i}.yaml")
    (tmp / "self.yaml").write_text("extends: self.yaml\n", encoding="utf-8")
    r = _run(["validate", *names], tmp)
    _check(r, "validate")
    ok = {line.split()[1] for line in r.stdout.splitlines() if line.startswith("ok: ")}
    # validate checks every file: one "ok" line on stdout or one error line on stderr per file.
    errors = [line for line in r.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(ok) + len(errors) == len(names), f"validate did not report every file:\n{r.stdout}\n{r.stderr}"
    assert (r.returncode == 0) == (len(errors) == 0)
    # Analyse one file validate accepted (if any) and one it refused, each with random flags.
    picks = [n for n in names if n in ok][:1] + [n for n in names if n not in ok][:1]
    for name, extra in zip(picks, flags):
        r = _run(["analyze", name, *extra], tmp)
        _check(r, f"analyze {name} {' '.join(extra)}")
        if r.returncode == 2:
            errors = [line for line in r.stderr.splitlines() if not line.startswith("warning: ")]
            assert len(errors) == 1, f"analyze {name} {extra}: expected one error line, got:\n{r.stderr}"
