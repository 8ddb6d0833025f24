"""The loader under hostile input, through the real ``negosim`` command.

The malformed corpus (tests/data/malformed/hostile_*.yaml) holds the cases
that are plain text files; this module makes the ones that must be generated:
binary bytes, other encodings, FIFOs, devices, huge files, long extends
chains. Every case must end with exit code 2 and one line on stderr (with
``file:line:col`` where there is a position): never a traceback, an
"internal error" or a hang.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

MALFORMED = ROOT / "tests" / "data" / "malformed"
BASE = MALFORMED / "_parts" / "base.yaml"
ARTICLES = ROOT / "tests" / "data" / "articles"
SMALL = """\
negosim: 1
name: small
provisions:
  land:
    label: Land
    options:
      keep: {label: Keep, status_quo: true}
      give: {label: Give}
parties:
  kyiv:
    reservation: 0.4
    weights: {land: 1}
    values:
      land: {keep: 1.0, give: 0.0}
draft: {land: give}
"""


def one_error(r, start: str, fragment: str = "") -> str:
    """Assert exit 2, nothing on stdout, one stderr line starting with ``start``; return it."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(start), lines[0]
    assert fragment in lines[0], lines[0]
    return lines[0]


def each_error(cwd: Path, cases: dict[str, tuple[str, str]]) -> list[str]:
    """One ``negosim validate`` over the files named in ``cases`` (a start-up costs a second or
    two): each file must give its one line, ``(start, fragment)``, in order, and exit code 2."""
    r = validate(*cases, cwd=cwd, timeout=60)
    assert r.returncode == 2 and r.stdout == "", (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == len(cases), r.stderr
    for line, (name, (start, fragment)) in zip(lines, cases.items()):
        assert line.startswith(start) and fragment in line, (name, line)
    return lines


def errors(r) -> list[str]:
    """The stderr lines that are not warnings (the small scenarios here have unsourced numbers)."""
    return [line for line in r.stderr.splitlines() if not line.startswith("warning: ")]


def validate(*files, cwd: Path, timeout: float = 30):
    return run_cli("validate", *map(str, files), cwd=cwd, timeout=timeout)


# --------------------------------------------------------------------------- bytes and encodings

def test_control_characters_and_other_encodings_are_one_line_at_a_position(tmp_path):
    cases = {}
    for i, byte in enumerate([b"\x00", b"\x07", b"\x1b", b"\x7f", "\ufffe".encode()]):
        (tmp_path / f"ctl{i}.yaml").write_bytes(b"negosim: 1\nname: ab" + byte + b"c\n")
        code = f"U+{ord(byte.decode()):04X}"
        cases[f"ctl{i}.yaml"] = (f"ctl{i}.yaml:2:9: ", f"a control character ({code}) is not allowed")
    (tmp_path / "l1.yaml").write_bytes("negosim: 1\nname: Caf\u00e9 talks\n".encode("latin-1"))
    cases["l1.yaml"] = ("l1.yaml:2:10: ", "not UTF-8: byte 0xe9")
    for encoding, what in [("utf-16", "UTF-16 byte-order mark"), ("utf-16-be", "looks like UTF-16"),
                           ("utf-16-le", "looks like UTF-16"), ("utf-32", "UTF-32 byte-order mark")]:
        (tmp_path / f"{encoding}.yaml").write_bytes(SMALL.encode(encoding))
        cases[f"{encoding}.yaml"] = (f"{encoding}.yaml:1:1: not UTF-8", what)
    each_error(tmp_path, cases)


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + SMALL.encode())
    r = validate("bom.yaml", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("ok: bom.yaml"), r.stderr


def test_lone_surrogates_are_refused_in_keys_and_values_by_every_command(tmp_path):
    bad = SMALL.replace("label: Keep", 'label: "Keep \\udc80"')
    (tmp_path / "s.yaml").write_text(bad, encoding="utf-8")
    key = SMALL.replace("  land:\n    label", '  "l\\ud800and":\n    label', 1)
    (tmp_path / "k.yaml").write_text(key, encoding="utf-8")
    want = "s.yaml:7:21: provisions.land.options.keep.label: "
    each_error(tmp_path, {"s.yaml": (want, "lone surrogate (\\udc80)"),
                          "k.yaml": ("k.yaml:4:3: ", "lone surrogate (\\ud800)")})
    for cmd in ("analyze", "sources"):
        one_error(run_cli(cmd, "s.yaml", cwd=tmp_path, timeout=60), want, "lone surrogate (\\udc80)")


# --------------------------------------------------------------------------- what may be read

def test_fifo_and_devices_are_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "child.yaml").write_text("negosim: 1\nextends: pipe.yaml\nname: c\n", encoding="utf-8")
    (tmp_path / "spec.yaml").write_text("scenario: pipe.yaml\naxes: {x: {values: [0, 1]}}\n", encoding="utf-8")
    t0 = time.monotonic()
    each_error(tmp_path, {"pipe.yaml": ("pipe.yaml: is a named pipe (FIFO), not a regular file", ""),
                          "/dev/zero": ("/dev/zero: is a character device, not a regular file", ""),
                          "zero.yaml": ("zero.yaml: is a character device", ""),
                          "child.yaml": ("pipe.yaml: is a named pipe (FIFO)", ""),
                          str(tmp_path): (f"{tmp_path}: is a folder, not a file", "")})
    one_error(run_cli("sweep", "spec.yaml", cwd=tmp_path, timeout=30), "pipe.yaml: is a named pipe (FIFO)")
    one_error(run_cli("sweep", "pipe.yaml", cwd=tmp_path, timeout=30), "pipe.yaml: is a named pipe (FIFO)")
    assert time.monotonic() - t0 < 30


def test_a_fifo_as_article_is_refused_at_the_source(tmp_path):
    (tmp_path / "arts").mkdir()
    os.mkfifo(tmp_path / "arts" / "talks_report.txt")
    (tmp_path / "c.yaml").write_text(f"extends: {BASE}\narticles: arts\nname: c\n", encoding="utf-8")
    one_error(validate("c.yaml", cwd=tmp_path), f"{BASE}:", "of source 'report': is a named pipe (FIFO)")


def test_files_over_the_size_limit_are_refused_before_parsing(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.write(SMALL.encode())
        f.write(b"# " + b"x" * (9 * 2**20) + b"\n")  # 9 MiB: over the default 8 MiB
    t0 = time.monotonic()
    one_error(validate("big.yaml", cwd=tmp_path), "big.yaml: file too large: more than 8 MiB",
              "set NEGOSIM_MAX_FILE_MB")
    assert time.monotonic() - t0 < 10
    # The override: a 1 MiB limit refuses a 1.1 MiB file, which passes the default limit.
    mid = tmp_path / "mid.yaml"
    mid.write_bytes(SMALL.encode() + b"# " + b"x" * (2**20 + 2**17) + b"\n")
    monkeypatch.setenv("NEGOSIM_MAX_FILE_MB", "1")
    one_error(validate("mid.yaml", cwd=tmp_path), "mid.yaml: file too large: more than 1 MiB")
    monkeypatch.setenv("NEGOSIM_MAX_FILE_MB", "lots")
    one_error(validate("mid.yaml", cwd=tmp_path), "NEGOSIM_MAX_FILE_MB must be a whole number of MiB")
    monkeypatch.delenv("NEGOSIM_MAX_FILE_MB")
    r = validate("mid.yaml", cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr


# --------------------------------------------------------------------------- sizes and depths

def _bomb(levels: int, key: str = "lol", seq: bool = False) -> str:
    """A billion-laughs file: ``levels`` anchors, each a list of nine aliases of the one before."""
    lines = ["negosim: 1", "name: bomb", f"{key}:"]
    prev = None
    for ch in "abcdefghijk"[:levels]:
        items = ", ".join(["x"] * 9 if prev is None else [f"*{prev}"] * 9)
        lines.append(("  - " if seq else f"  {ch}: ") + f"&{ch} [{items}]")
        prev = ch
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_stops_at_the_alias_in_every_command(tmp_path):
    (tmp_path / "bomb.yaml").write_text(_bomb(9), encoding="utf-8")
    (tmp_path / "spec.yaml").write_text("scenario: bomb.yaml\naxes: {x: {values: [0, 1]}}\n", encoding="utf-8")
    (tmp_path / "specbomb.yaml").write_text(_bomb(9).replace("negosim: 1\nname: bomb\n", "scenario: x.yaml\n"),
                                            encoding="utf-8")
    want = "bomb.yaml:10:10: alias expansion too large"
    for args in (("validate", "bomb.yaml"), ("analyze", "bomb.yaml"), ("sources", "bomb.yaml"),
                 ("sweep", "spec.yaml"), ("explore", "bomb.yaml", "--port", "0")):
        t0 = time.monotonic()
        one_error(run_cli(*args, cwd=tmp_path, timeout=60), want)
        assert time.monotonic() - t0 < 20, args
    one_error(run_cli("sweep", "specbomb.yaml", cwd=tmp_path, timeout=60), "specbomb.yaml:9:10: alias expansion")


def test_aliases_below_the_limit_cost_their_expanded_size_once(tmp_path):
    # Six levels expand to about 670,000 values: inside the limit, so the file gets as far as
    # the schema, quickly, because every walk visits each distinct node once.
    (tmp_path / "ok.yaml").write_text(_bomb(6, key="description", seq=True), encoding="utf-8")
    t0 = time.monotonic()
    one_error(validate("ok.yaml", cwd=tmp_path), "ok.yaml:3:1: description: must be text (got [[x, x, x,")
    assert time.monotonic() - t0 < 10


def test_nesting_is_refused_above_200_levels_and_fine_below(tmp_path):
    (tmp_path / "deep.yaml").write_text("negosim: 1\nname: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    one_error(validate("deep.yaml", cwd=tmp_path), f"deep.yaml:2:{7 + 199}: nesting too deep",
              "at most 200 levels")
    (tmp_path / "ok.yaml").write_text("negosim: 1\nname: " + "[" * 199 + "]" * 199 + "\n", encoding="utf-8")
    one_error(validate("ok.yaml", cwd=tmp_path), "ok.yaml:2:7: name: must be text (got [[[[")


def test_a_long_extends_chain_is_refused_at_the_extends_key(tmp_path):
    for i in range(1500):
        (tmp_path / f"c{i}.yaml").write_text(f"name: c{i}\nextends: c{i + 1}.yaml\n", encoding="utf-8")
    (tmp_path / "c1500.yaml").write_text(SMALL, encoding="utf-8")
    one_error(validate("c0.yaml", cwd=tmp_path), "c31.yaml:2:1: extends: a chain of extends holds at most 32 files")
    # 32 files is fine.
    (tmp_path / "c30.yaml").write_text("name: c30\nextends: c1500.yaml\n", encoding="utf-8")
    r = validate("c0.yaml", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("ok: c0.yaml"), r.stderr


def test_numbers_too_large_or_not_finite_are_refused_at_their_position(tmp_path):
    cases = {}
    for i, (number, fragment) in enumerate([
            ("9" * 5000, "an integer must lie within ±9,223,372,036,854,775,807; this one has 5,000 digits"),
            ("-" + "1" * 25, "an integer must lie within ±9,223,372,036,854,775,807"),
            ("0x" + "f" * 40, "an integer must lie within ±9,223,372,036,854,775,807; this one has 40 digits"),
            ("1e999", "beyond the range of a 64-bit float"),
            ("-" + "9" * 400 + ".5", "beyond the range of a 64-bit float")]):
        (tmp_path / f"n{i}.yaml").write_text(SMALL.replace("reservation: 0.4", f"reservation: {number}"))
        cases[f"n{i}.yaml"] = (f"n{i}.yaml:11:18: number too large", fragment)
    for i, (text, start) in enumerate([
            ("weights: {land: 1.7e308}", "12:21: parties.kyiv.weights.land: value must lie within ±1,000,000"),
            ("weights: {land: 2000000}", "12:21: parties.kyiv.weights.land: value must lie within ±1,000,000"),
            ("power: {low: 0.5, high: .inf}\n    weights: {land: 1}",
             "12:29: parties.kyiv.power: high must be a finite"),
            ("drift: .nan\n    weights: {land: 1}", "12:12: parties.kyiv.drift: value must be a finite number")]):
        (tmp_path / f"f{i}.yaml").write_text(SMALL.replace("weights: {land: 1}", text))
        cases[f"f{i}.yaml"] = (f"f{i}.yaml:{start}", "")
    each_error(tmp_path, cases)


def test_sixty_four_parties_load_and_sixty_five_do_not(tmp_path):
    def scenario(n):
        party = "{reservation: 0.5, weights: {land: 1}, values: {land: {keep: 1, give: 0}}}"
        parties = "".join(f"  p{i}: {party}\n" for i in range(n))
        return SMALL.split("parties:")[0] + "parties:\n" + parties + "draft: {land: give}\n"
    (tmp_path / "p64.yaml").write_text(scenario(64), encoding="utf-8")
    (tmp_path / "p65.yaml").write_text(scenario(65), encoding="utf-8")
    r = validate("p64.yaml", "p65.yaml", cwd=tmp_path)
    assert r.stdout.startswith("ok: p64.yaml (1 provisions, 64 parties"), r.stdout
    assert errors(r) == ["p65.yaml:9:1: parties: at most 64 parties (the engine keeps one bit per party); "
                                     "got 65"]
    assert r.returncode == 2


# --------------------------------------------------------------------------- extends to files that are not scenarios

SECRET = "hunter2-do-not-print"


def test_extends_to_a_file_that_is_not_a_scenario_quotes_nothing_of_it(tmp_path):
    cases = {}
    for i, (content, reason) in enumerate([
            (f"root:x:0:0:{SECRET}:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n", "not a YAML mapping"),
            (f"password: {SECRET}\nuser: admin\n", "it has no 'negosim:' key"),
            (f"[{SECRET}\n", "not valid YAML"),
            (f"- {SECRET}\n", "not a YAML mapping"),
            (f"{SECRET}\x00\x01", "it holds control characters"),
            (f"key: caf\xe9 {SECRET}\n".encode("latin-1"), "not UTF-8"),
            ("", "it is empty")]):
        conf = tmp_path / f"secret{i}.conf"
        conf.write_bytes(content if isinstance(content, bytes) else content.encode())
        (tmp_path / f"c{i}.yaml").write_text(f"negosim: 1\nname: c\nextends: secret{i}.conf\n", encoding="utf-8")
        cases[f"c{i}.yaml"] = (f"c{i}.yaml:3:10: extends: secret{i}.conf is not a scenario file ({reason})", "")
    lines = each_error(tmp_path, cases)
    assert not any(SECRET in line for line in lines)


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="no /etc/passwd")
def test_extends_etc_passwd(tmp_path):
    first = Path("/etc/passwd").read_text(errors="replace").splitlines()[0]
    (tmp_path / "c.yaml").write_text("negosim: 1\nname: c\nextends: /etc/passwd\n", encoding="utf-8")
    line = one_error(validate("c.yaml", cwd=tmp_path), "c.yaml:3:10: extends: /etc/passwd is not a scenario file (")
    assert first[:10] not in line


def test_a_parent_that_is_a_scenario_keeps_its_detailed_syntax_error(tmp_path):
    (tmp_path / "p.yaml").write_text("negosim: 1\nname: [unclosed\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("extends: p.yaml\nname: c\n", encoding="utf-8")
    one_error(validate("c.yaml", cwd=tmp_path), "p.yaml:2:7: invalid YAML: the '[' opened here is not closed")


# --------------------------------------------------------------------------- several files, one bug

def test_validate_checks_every_file_and_fails_if_any_did(tmp_path):
    (tmp_path / "a.yaml").write_text(SMALL, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(SMALL, encoding="utf-8")
    (tmp_path / "bad.yaml").write_bytes(b"negosim: 1\nname: \x00\n")
    os.mkfifo(tmp_path / "pipe.yaml")
    r = validate("a.yaml", "bad.yaml", "pipe.yaml", "missing.yaml", "b.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert [line.split(" ")[1] for line in r.stdout.splitlines()] == ["a.yaml", "b.yaml"]
    errs = errors(r)
    assert [e.split(":")[0] for e in errs] == ["bad.yaml", "pipe.yaml", "missing.yaml"], errs


def test_validate_reports_a_bug_in_one_file_in_one_line_and_goes_on(tmp_path, monkeypatch):
    # A bug the loader does not expect, injected at start-up for one file name only.
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import negosim.scenario.yaml_io as y\n"
        "_real = y.load_scenario\n"
        "def load_scenario(path, *a, **k):\n"
        "    if str(path).endswith('boom.yaml'):\n"
        "        raise RuntimeError('injected\\nbug')\n"
        "    return _real(path, *a, **k)\n"
        "y.load_scenario = load_scenario\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", f"{hook}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    (tmp_path / "a.yaml").write_text(SMALL, encoding="utf-8")
    (tmp_path / "boom.yaml").write_text(SMALL, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(SMALL, encoding="utf-8")
    r = validate("a.yaml", "boom.yaml", "b.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert [line.split(" ")[1] for line in r.stdout.splitlines()] == ["a.yaml", "b.yaml"]
    assert errors(r) == ["boom.yaml: internal error: RuntimeError: injected bug "
                                     "(set NEGOSIM_DEBUG=1 for the traceback)"]


# --------------------------------------------------------------------------- sources and odd text

ODD = ("Talks [/red] [bold]\u202eRTL\u202c e\u0301 \U0001F600 \u200b\ufeff \\0 \\e[31m \\x07 \\u2028 "
       "\u0627\u0644\u0633\u0644\u0627\u0645 \\\\ [link=x]")


def test_sources_prints_odd_unicode_and_markup_as_text(tmp_path, monkeypatch):
    text = SMALL.replace("name: small", f'name: "{ODD}"').replace(
        "reservation: 0.4", f'reservation: {{value: 0.4, assumption: "{ODD}"}}')
    text = text.replace("  kyiv:", "  \u00e4\u00b2:")  # an id of letters and digits, not ASCII
    (tmp_path / "odd.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "400")  # no folding of long cells
    r = run_cli("sources", "odd.yaml", cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "[/red]" in r.stdout and "Talks" in r.stdout and "parties.\u00e4\u00b2.reservation" in r.stdout
    r = run_cli("sources", "odd.yaml", "--json", cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["items"][0]["assumption"].startswith("Talks [/red] [bold]\u202eRTL")
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")
    r = run_cli("sources", "odd.yaml", cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
