"""The real ``negosim`` command given hostile flags, paths and machines: one line on stderr, the right exit code.

Every case runs ``python -m negosim`` in a subprocess. Flag errors are found while
the command line is read, so most cases take about a second (the import).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT, run_cli

PLAN = "scenarios/plan28_2025_11.yaml"
MISSING = "no-such-scenario.yaml"  # flag errors must come before the scenario is even read


def _one_line(r) -> str:
    """The only line on stderr (warnings aside); fails when there are more."""
    lines = [x for x in r.stderr.splitlines() if x.strip() and not x.startswith("warning:")]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


# (argv, the exact start of the one line). The scenario does not exist: the flag must fail first.
BAD_FLAGS = [
    (["run", MISSING, "--seed", "-1"], "negosim run: error: argument --seed: must be a whole number from 0 to"),
    (["run", MISSING, "--seed", "1.5"], "negosim run: error: argument --seed: must be a whole number"),
    (["run", MISSING, "--seed", "9" * 30], "negosim run: error: argument --seed: must be a whole number"),
    (["run", MISSING, "--rounds", "-5"], "negosim run: error: argument --rounds: must be a whole number from 1 to 100000"),
    (["run", MISSING, "--rounds", "0"], "negosim run: error: argument --rounds: must be a whole number from 1 to"),
    (["run", MISSING, "--rounds", "1e12"], "negosim run: error: argument --rounds: must be a whole number from 1 to"),
    (["plot", "trace", MISSING, "-o", "t.png", "--seed", "-1"],
     "negosim plot trace: error: argument --seed: must be a whole number from 0 to"),
    (["plot", "trace", MISSING, "-o", "t.png", "--rounds", "100001"],
     "negosim plot trace: error: argument --rounds: must be a whole number from 1 to 100000"),
    (["plot", "package", MISSING, "-o", "p.png", "--dpi", "nan"],
     "negosim plot package: error: argument --dpi: must be a finite number from 1 to 1200"),
    (["plot", "package", MISSING, "-o", "p.png", "--dpi", "1e6"],
     "negosim plot package: error: argument --dpi: must be a finite number from 1 to 1200"),
    (["plot", "package", MISSING, "-o", "p.png", "--dpi=-inf"],
     "negosim plot package: error: argument --dpi: must be a finite number"),
    (["plot", "package", MISSING, "-o", "p.png", "--dpi", "0"],
     "negosim plot package: error: argument --dpi: must be a finite number from 1 to 1200"),
    (["plot", "frontier", MISSING, "-o", "f.png", "--bins", "0"],
     "negosim plot frontier: error: argument --bins: must be a whole number from 10 to 1000"),
    (["plot", "frontier", MISSING, "-o", "f.png", "--bins", "10000000"],
     "negosim plot frontier: error: argument --bins: must be a whole number from 10 to 1000"),
    (["plot", "gains", MISSING, "-o", "g.png", "--repair", "0"],
     "negosim plot gains: error: argument --repair: must be a whole number from 1 to 1000"),
    (["plot", "gains", MISSING, "-o", "g.png", "--repair", "1e9"],
     "negosim plot gains: error: argument --repair: must be a whole number from 1 to 1000"),
    (["report", MISSING, "-o", "r.html", "--seed", "-1"],
     "negosim report: error: argument --seed: must be a whole number from 0 to"),
    # argparse's own errors: one line too, no usage block
    (["run"], "negosim run: error: the following arguments are required: FILE"),
    (["nosuch"], "negosim: error: argument COMMAND: invalid choice: 'nosuch'"),
    (["plot"], "negosim plot: error: the following arguments are required: KIND"),
    (["plot", "package", MISSING], "negosim plot package: error: the following arguments are required: -o/--out"),
    (["schema", "--nope"], "negosim: error: unrecognized arguments: --nope"),
    ([], "negosim: error: the following arguments are required: COMMAND"),
]


@pytest.mark.parametrize("argv,start", BAD_FLAGS, ids=[" ".join(a[0]) or "(none)" for a in BAD_FLAGS])
def test_bad_flag_is_one_line_and_exit_2(argv, start, tmp_path):
    r = run_cli(*argv, cwd=tmp_path) if MISSING in argv or not argv else run_cli(*argv)
    assert r.returncode == 2, r.stderr
    line = _one_line(r)
    assert line.startswith(start), line
    assert not line.startswith("usage:")


def test_help_still_prints_the_usage(cli):
    r = cli("run", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: negosim run")
    assert "1 to 100,000" in r.stdout  # the documented maximum of --rounds


def test_largest_seed_is_accepted(tmp_path, cli):
    r = cli("run", PLAN, "--rounds", "2", "--seed", str(2**63 - 1), "--json")
    assert r.returncode == 0, r.stderr


def test_repair_beyond_the_first_five(tmp_path, cli):
    # The analysis behind the figure lists as many repairs as asked for, not a fixed five.
    r = cli("plot", "gains", PLAN, "--repair", "8", "-o", str(tmp_path / "g.png"))
    assert r.returncode == 0, r.stderr
    r = cli("plot", "gains", PLAN, "--repair", "1000", "-o", str(tmp_path / "h.png"))
    assert r.returncode == 2
    assert _one_line(r).startswith("repair 1000 does not exist (there are ")
    assert not (tmp_path / "h.png").exists()


def _out_cases(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    return {
        "a folder": (str(tmp_path), "is a folder, not a file to write"),
        "missing folder": (str(tmp_path / "nope" / "x.EXT"), "does not exist"),
        "under a file": (str(a_file / "x.EXT"), "is not a folder"),
        "in /proc": ("/proc/negosim-test.EXT", "cannot write"),
        "in /sys": ("/sys/negosim-test.EXT", "cannot write"),
    }


@pytest.mark.parametrize("command", ["run", "plot", "report"])
@pytest.mark.parametrize("case", ["a folder", "missing folder", "under a file", "in /proc", "in /sys"])
def test_bad_out_fails_while_reading_the_command_line(command, case, tmp_path):
    path, words = _out_cases(tmp_path)[case]
    if command == "run":
        argv = ["run", MISSING, "--out", path.replace(".EXT", ".csv")]
        flag = "--out"
    elif command == "plot":
        argv = ["plot", "package", MISSING, "-o", path.replace(".EXT", ".png")]
        flag = "-o/--out"
    else:
        argv = ["report", MISSING, "-o", path.replace(".EXT", ".html")]
        flag = "-o/--out"
    if case.startswith("in /") and not os.path.isdir(path.rsplit("/", 1)[0]):
        pytest.skip("no such system folder here")
    r = run_cli(*argv, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    line = _one_line(r)
    # it is the output that is refused, before the (missing) scenario is read
    assert line.startswith(f"negosim {' '.join(argv[:2]) if command == 'plot' else command}: error: argument {flag}: ")
    assert words in line, line


def _limited(args, *, fsize=None, address_space=None, cwd=ROOT):
    """``python -m negosim ARGS`` with a file-size or memory limit, like a full disk or a small machine."""
    def limit():
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    env = {k: v for k, v in os.environ.items() if k != "NEGOSIM_DEBUG"}
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"  # thread buffers would count against the limit
    return subprocess.run([sys.executable, "-m", "negosim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env=env, preexec_fn=limit)


@pytest.mark.parametrize("what", ["report", "plot", "run"])
def test_full_disk_at_write_time_is_one_line_and_leaves_no_file(what, tmp_path):
    # RLIMIT_FSIZE makes writes past 20 kB fail with EFBIG (Python ignores SIGXFSZ): the disk is full.
    old = tmp_path / "keep.out"
    if what == "report":
        out = tmp_path / "r.html"
        argv = ["report", PLAN, "-o", str(out), "--no-trace"]
    elif what == "plot":
        out = tmp_path / "p.png"
        argv = ["plot", "package", PLAN, "-o", str(out), "--dpi", "300"]
    else:
        out = tmp_path / "t.json"
        argv = ["run", PLAN, "--rounds", "50", "--out", str(out)]
    out.write_text("the previous version")  # an existing file is kept whole, not truncated
    r = _limited(argv, fsize=20_000)
    assert r.returncode == 2, r.stderr
    line = _one_line(r)
    assert line.startswith(f"cannot write '{out}': File too large"), line
    assert out.read_text() == "the previous version"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name], "a temporary file was left behind"
    assert not old.exists()


def test_out_of_memory_is_one_line_exit_2(tmp_path):
    # A 12000 x 7600 pixel raster does not fit in 800 MB of address space; the start-up does.
    limit = 800 * 2**20
    r = _limited(["plot", "package", PLAN, "-o", str(tmp_path / "small.png"), "--dpi", "20"], address_space=limit)
    assert r.returncode == 0, r.stderr
    r = _limited(["plot", "package", PLAN, "-o", str(tmp_path / "big.png"), "--dpi", "1200"], address_space=limit)
    assert r.returncode == 2, r.stderr
    assert _one_line(r).startswith("out of memory"), r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.png"]


# The failure is injected into the real command's work: a failed fork, a full disk, memory, deep input.
INJECT = textwrap.dedent("""
    import importlib, sys
    simulate = importlib.import_module("negosim.bargaining.simulate")
    def boom(*args, **kwargs):
        raise {exc}
    simulate.simulate = boom
    from negosim.cli.main import main
    sys.exit(main(["run", "scenarios/plan28_2025_11.yaml", "--rounds", "2"]))
""")

INJECTED = [
    ("BlockingIOError(11, 'Resource temporarily unavailable')", 2,
     "system error: Resource temporarily unavailable [EAGAIN] (too many processes"),
    ("OSError(28, 'No space left on device', '/data/x.parquet')",
     2, "cannot use '/data/x.parquet': No space left on device"),
    ("PermissionError(13, 'Permission denied', '/root/x')", 2, "cannot use '/root/x': Permission denied"),
    ("MemoryError()", 2, "out of memory: the input needs more memory than this machine has; try a smaller"),
    ("RecursionError('maximum recursion depth exceeded')", 2, "input nested too deeply"),
    ("KeyboardInterrupt()", 130, "interrupted"),
    ("ValueError('a genuine bug')", 1, "internal error: ValueError: a genuine bug"),
]


@pytest.mark.parametrize("exc,code,start", INJECTED, ids=[e[0].split("(")[0] for e in INJECTED])
def test_failures_of_the_machine_are_one_line(exc, code, start):
    env = {k: v for k, v in os.environ.items() if k != "NEGOSIM_DEBUG"}
    r = subprocess.run([sys.executable, "-c", INJECT.format(exc=exc)], capture_output=True, text=True,
                       cwd=ROOT, timeout=120, env=env)
    assert r.returncode == code, r.stderr
    assert _one_line(r).startswith(start), r.stderr


def test_interrupt_while_importing_is_one_line(tmp_path):
    # Ctrl-C during the second spent importing numpy/numba: a sitecustomize raises it in the import.
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent("""
        import sys
        class Interrupt:
            def find_spec(self, name, path=None, target=None):
                if name == "negosim.engine.analysis":
                    raise KeyboardInterrupt
        sys.meta_path.insert(0, Interrupt())
    """))
    env = {k: v for k, v in os.environ.items() if k != "NEGOSIM_DEBUG"}
    env["PYTHONPATH"] = str(tmp_path)
    # analyze imports the engine (negosim.engine.analysis) when it runs; --help and validate never do.
    analyze = ["-m", "negosim", "analyze", "scenarios/plan28_2025_11.yaml"]
    for argv in ([sys.executable, *analyze], [sys.executable, "-X", "dev", *analyze]):
        r = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
        assert r.returncode == 130, r.stderr
        assert r.stderr.strip() == "interrupted"
    # a program that imports negosim keeps its KeyboardInterrupt
    r = subprocess.run([sys.executable, "-c", "import negosim; negosim.analyze"], capture_output=True, text=True,
                       cwd=ROOT, timeout=120, env=env)
    assert r.returncode != 130 and "KeyboardInterrupt" in r.stderr


ODD = textwrap.dedent("""
    negosim: 1
    name: "na\\u00efve \\u262e \\U0001F54A"
    provisions:
      x0:
        label: "\\u0423\\u043a\\u0440 \\u200f\\u202e mixed \\U0001F54A"
        options: {o0: {label: "\\u00e9", status_quo: true}, o1: {label: "\\u2603"}}
    parties:
      p0:
        label: "\\u0423\\u043a\\u0440\\u0430\\u0457\\u043d\\u0430 \\U0001F1FA\\U0001F1E6"
        reservation: 0.4
        weights: {x0: 1}
        values: {x0: {o0: 0.2, o1: 0.9}}
      p1:
        label: "\\u2622 p1"
        reservation: 0.4
        weights: {x0: 1}
        values: {x0: {o0: 0.9, o1: 0.5}}
    draft: {x0: o0}
""")


@pytest.mark.parametrize("argv", [["analyze"], ["run", "--rounds", "5"], ["compare"], ["validate"]])
def test_odd_unicode_labels_print_on_an_ascii_terminal(argv, tmp_path):
    path = tmp_path / "odd.yaml"
    path.write_text(ODD, encoding="utf-8")
    probe = subprocess.run([sys.executable, "-m", "negosim", "validate", str(path)], capture_output=True, text=True,
                           cwd=ROOT, timeout=120)
    assert probe.returncode == 0, probe.stderr  # the scenario itself is fine
    env = {k: v for k, v in os.environ.items() if k != "NEGOSIM_DEBUG"}
    env["PYTHONIOENCODING"] = "ascii"  # a terminal that cannot show these characters
    r = subprocess.run([sys.executable, "-m", "negosim", argv[0], str(path), *argv[1:]], capture_output=True,
                       text=True, cwd=ROOT, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    if argv[0] in ("analyze", "run", "compare"):
        assert "na\\xefve" in r.stdout  # escaped, not dropped
