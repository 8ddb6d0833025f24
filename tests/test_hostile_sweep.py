"""Sweeps under a hostile user (issue 11): every case runs the real ``negosim sweep`` in a subprocess.

Damaged or swapped chunks on --resume, a changed spec or scenario, NaN axes, absurd worker
counts, a killed or interrupted sweep, bad Dask addresses, a failed fork and dangerous --out paths.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import negosim
from negosim.sweep.runners import MAX_WORKERS, SCHEDULER_TIMEOUT_S, default_workers
from negosim.sweep.run import read_results
from negosim.sweep.store import META_KEY, ChunkStore, read_metadata

from conftest import ROOT, run_cli

SPEC = """
scenario: scen.yaml
chunk: 2
axes:
  parties.p0.reservation: {range: [0.2, 0.7], steps: 10}
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A spec, its scenario and the uninterrupted result (10 rows in 5 chunks of 2)."""
    d = tmp_path_factory.mktemp("hostile")
    negosim.dump(negosim.random_scenario(3, 4, 3, seed=2, linkages=1), d / "scen.yaml")
    (d / "spec.yaml").write_text(textwrap.dedent(SPEC).lstrip())
    r = run_cli("sweep", str(d / "spec.yaml"), "--quiet", "--workers", "1", "--out", str(d / "ref.parquet"))
    assert r.returncode == 0, r.stderr
    return d


@pytest.fixture
def work(base, tmp_path):
    """A copy of the spec folder to damage."""
    for name in ("scen.yaml", "spec.yaml", "ref.parquet"):
        shutil.copy(base / name, tmp_path / name)
    return tmp_path


def _sweep(d: Path, *extra: str, out: str = "r.parquet", timeout: float = 120):
    return run_cli("sweep", str(d / "spec.yaml"), "--quiet", "--workers", "1", "--out", str(d / out), *extra,
                   timeout=timeout)


def _interrupted_run(d: Path, chunks=range(5)) -> ChunkStore:
    """The parts folder a killed run leaves: the given chunks written, no final file."""
    ref = d / "ref.parquet"
    store = ChunkStore(d / "r.parquet", read_metadata(ref))
    store.open(resume=False)
    full = pq.read_table(ref)
    for i in chunks:
        store.write(i, full.slice(2 * i, 2))
    return store


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: chunk")]


# --------------------------------------------------------------------------- 1. chunks are checked

def test_resume_recomputes_swapped_truncated_and_empty_chunks(work):
    store = _interrupted_run(work)
    shutil.copy(store._chunk_path(2), store._chunk_path(3))  # a finished chunk copied over another
    shutil.copy(store._chunk_path(0), store._chunk_path(1))  # ... with its checksum file too
    shutil.copy(store._sum_path(0), store._sum_path(1))
    data = store._chunk_path(4).read_bytes()
    store._chunk_path(4).write_bytes(data[: len(data) // 2])  # truncated
    r = _sweep(work, "--resume")
    assert r.returncode == 0, r.stderr
    assert _warnings(r.stderr) == [
        "warning: chunk 1: rows 2-3 do not match (its checksum file is for rows 0-1; recomputing)",
        "warning: chunk 3: rows 6-7 do not match (the file changed after it was written; recomputing)",
        "warning: chunk 4: rows 8-9 do not match (the file changed after it was written; recomputing)"]
    df = read_results(work / "r.parquet")
    assert df["row"].tolist() == list(range(10))  # none doubled, none missing
    pd.testing.assert_frame_equal(df, read_results(work / "ref.parquet"))


def test_an_empty_chunk_is_recomputed_and_later_resumes_still_work(work):
    store = _interrupted_run(work, chunks=[0, 1, 2])
    store._chunk_path(1).write_bytes(b"")
    r = _sweep(work, "--resume")
    assert r.returncode == 0, r.stderr
    assert _warnings(r.stderr)[0].startswith("warning: chunk 1: rows 2-3 do not match")
    again = _sweep(work, "--resume")  # finished: the result is read back, nothing recomputed
    assert again.returncode == 0 and not _warnings(again.stderr), again.stderr
    pd.testing.assert_frame_equal(read_results(work / "r.parquet"), read_results(work / "ref.parquet"))


def test_a_chunk_without_its_checksum_is_recomputed(work):
    store = _interrupted_run(work, chunks=[0, 1])
    store._sum_path(1).unlink()  # killed between writing the chunk and its checksum
    r = _sweep(work, "--resume")
    assert r.returncode == 0, r.stderr
    assert _warnings(r.stderr) == ["warning: chunk 1: rows 2-3 do not match (no checksum: the run stopped "
                                   "while writing it; recomputing)"]


def test_a_finished_result_missing_rows_is_computed_again_on_resume(work):
    full = pq.read_table(work / "ref.parquet")
    pq.write_table(full.slice(0, 4), work / "r.parquet")  # same record, rows 4-9 gone
    assert read_metadata(work / "r.parquet") == read_metadata(work / "ref.parquet")
    r = _sweep(work, "--resume")
    assert r.returncode == 0, r.stderr
    assert "holds 4 rows, 0-3 (computing the sweep again)" in r.stderr
    pd.testing.assert_frame_equal(read_results(work / "r.parquet"), read_results(work / "ref.parquet"))


# --------------------------------------------------------------------------- 2. changed inputs

@pytest.mark.parametrize("changed", ["spec.yaml", "scen.yaml", "parent.yaml"])
def test_resume_after_a_change_refuses_and_names_the_file(work, changed):
    # The scenario extends a parent, so that a change two files away is caught and named too.
    text = (work / "scen.yaml").read_text()
    (work / "parent.yaml").write_text(text)
    (work / "scen.yaml").write_text("extends: parent.yaml\n")
    (work / "ref.parquet").unlink()
    assert _sweep(work, out="ref.parquet").returncode == 0  # the reference of this layout
    _interrupted_run(work, chunks=[0, 1])
    path = work / changed
    if changed == "spec.yaml":
        path.write_text(path.read_text().replace("steps: 10", "steps: 11"))
        what = "the sweep spec"
    else:
        path.write_text(path.read_text().replace("reservation: 0.", "reservation: 0.0", 1)
                        if changed == "parent.yaml" else path.read_text() + "description: changed\n")
        what = "the scenario file"
    r = _sweep(work, "--resume")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"cannot resume: {what} {path} changed since {work / 'r.parquet.parts'} was written; "
        "run without --resume to start over"]
    assert len(list((work / "r.parquet.parts").glob("chunk-*.parquet"))) == 2  # nothing lost


# --------------------------------------------------------------------------- 3. numbers of a spec

@pytest.mark.parametrize("axis, where, got", [
    ("{values: [.nan]}", (3, 36), "values[0]: must be a finite number from -1e+06 to 1e+06 (got nan)"),
    ("{values: [0.3, .inf]}", (3, 41), "values[1]: must be a finite number from -1e+06 to 1e+06 (got inf)"),
    ("{values: [-.inf, 0.3]}", (3, 36), "values[0]: must be a finite number from -1e+06 to 1e+06 (got -inf)"),
    ("{range: [0.1, .nan], steps: 3}", (3, 40), "range[1]: must be a finite number"),
    ("{range: [0.1, 1e300], steps: 3}", (3, 40), "range[1]: must be a finite number"),
])
def test_non_finite_axis_numbers_point_at_the_value(work, axis, where, got):
    # weights have no upper bound, so only the finiteness check stands between .inf and NaN rows
    spec = work / "spec.yaml"
    spec.write_text(f"scenario: scen.yaml\naxes:\n  parties.p0.weights.x0: {axis}\n")
    r = _sweep(work)
    assert r.returncode == 2, r.stderr
    line, col = where
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith(f"{spec}:{line}:{col}: axes.parties.p0.weights.x0.{got}"), r.stderr
    assert not (work / "r.parquet").exists()


@pytest.mark.parametrize("design", ["sobol", "lhs"])
def test_quasi_random_bounds_must_be_finite(work, design):
    spec = work / "spec.yaml"
    spec.write_text(f"scenario: scen.yaml\ndesign: {design}\nn: 4\naxes:\n"
                    "  parties.p0.weights.x0:\n    range: [0.1, .inf]\n")
    r = _sweep(work)
    assert r.returncode == 2
    assert r.stderr.startswith(f"{spec}:6:18: axes.parties.p0.weights.x0.range[1]: must be a finite number"), r.stderr


def test_points_design_values_must_be_finite(work):
    spec = work / "spec.yaml"
    spec.write_text("scenario: scen.yaml\ndesign: points\naxes:\n  parties.p0.weights.x0: {values: [1, 2]}\n"
                    "  parties.p0.reservation: {values: [0.1, .nan]}\n")
    r = _sweep(work)
    assert r.returncode == 2
    assert r.stderr.startswith(f"{spec}:5:42: axes.parties.p0.reservation.values[1]: must be a finite"), r.stderr


# --------------------------------------------------------------------------- 4. worker counts

@pytest.mark.parametrize("n", [str(MAX_WORKERS + 1), "10000", "0", "-3", "1e9"])
def test_absurd_worker_counts_exit_2_before_any_work(work, n):
    r = run_cli("sweep", str(work / "spec.yaml"), "--quiet", "--out", str(work / "r.parquet"), "--workers", n,
                "--force-workers", timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].endswith(
        f"argument --workers: must be a whole number from 1 to {MAX_WORKERS} (got '{n}')")
    assert not (work / "r.parquet").exists() and not (work / "r.parquet.parts").exists()


def test_more_workers_than_cpus_are_capped_with_one_line(work):
    n = default_workers() + 1
    r = run_cli("sweep", str(work / "spec.yaml"), "--quiet", "--out", str(work / "r.parquet"), "--workers", str(n))
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [f"warning: --workers {n} capped at {n - 1}, the CPUs this process may use "
                                     f"(--force-workers keeps {n})"]
    pd.testing.assert_frame_equal(read_results(work / "r.parquet"), read_results(work / "ref.parquet"))


def test_force_workers_keeps_the_number(work):
    n = default_workers() + 1
    r = run_cli("sweep", str(work / "spec.yaml"), "--quiet", "--out", str(work / "r.parquet"), "--workers", str(n),
                "--force-workers")
    assert r.returncode == 0 and "capped" not in r.stderr, r.stderr


# --------------------------------------------------------------------------- 5. killed / interrupted

BIG = """
scenario: scen.yaml
chunk: 2
samples: 300
axes:
  parties.p0.reservation: {range: [0.1, 0.9], steps: 600}
"""


def _session(pid: int) -> list[int]:
    """The processes of the session ``pid`` leads (the sweep, its fork server, workers, tracker)."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.getsid(int(name)) == pid and int(name) != pid:
                    out.append(int(name))
            except OSError:
                pass
    return out


def _alive(pids) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _start_big(d: Path, workers: int = 3):
    (d / "big.yaml").write_text(textwrap.dedent(BIG).lstrip())
    cmd = [sys.executable, "-m", "negosim", "sweep", str(d / "big.yaml"), "--quiet", "--out", str(d / "big.parquet"),
           "--workers", str(workers), "--force-workers"]
    env = {k: v for k, v in os.environ.items() if k != "NEGOSIM_DEBUG"}
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def _wait_for(cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def _reap(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_the_sweep_leaves_no_process_behind(work):
    p = _start_big(work)
    try:
        # Wait until both workers are up: the session then holds the fork server, two workers, the tracker.
        assert _wait_for(lambda: len(_alive(_session(p.pid))) >= 4, 60), _session(p.pid)
        os.kill(p.pid, signal.SIGKILL)  # the sweep's process only, as `kill -9 PID` does
        p.wait(10)
        assert _wait_for(lambda: not _alive(_session(p.pid)), 5), "left running: " + " | ".join(
            Path(f"/proc/{q}/cmdline").read_bytes()[:80].decode(errors="replace") for q in _alive(_session(p.pid)))
        assert "Traceback" not in p.stderr.read()
    finally:
        _reap(_session(p.pid))
        p.kill()
        p.communicate()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("when", ["while the workers start", "once chunks are written"])
def test_ctrl_c_exits_130_with_one_line_and_keeps_the_chunks(work, when):
    p = _start_big(work)
    parts = work / "big.parquet.parts"
    try:
        if when == "while the workers start":
            # The fork server is still importing negosim (it takes seconds): Ctrl-C must not show its traceback.
            assert _wait_for(lambda: (parts / "sweep.json").exists(), 60)
            assert _wait_for(lambda: len(_alive(_session(p.pid))) >= 2, 10)
            time.sleep(0.3)
        else:
            assert _wait_for(lambda: len(list(parts.glob("chunk-*.json"))) >= 2, 60)
        os.killpg(p.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group
        _, stderr = p.communicate(timeout=30)
        assert p.returncode == 130, stderr
        assert stderr.splitlines()[-1:] == ["interrupted"] and "Traceback" not in stderr, stderr
        assert [ln for ln in stderr.splitlines() if not ln.startswith("warning: ")] == ["interrupted"], stderr
        assert _wait_for(lambda: not _alive(_session(p.pid)), 5)
        kept = store_done(work / "big.parquet")
        if when == "once chunks are written":
            assert len(kept) >= 2  # the chunks written before the interrupt are kept, and they check out
    finally:
        _reap(_session(p.pid))
        p.kill()
        p.communicate()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server")
def test_an_interrupted_pool_leaves_no_manager_thread_for_the_exit_hook():
    """The cause of a traceback after "interrupted" seen once in CI.

    Python's exit hook for process pools writes to each pool's wake-up pipe;
    if the pool's manager thread is still closing that pipe then, the write
    fails with EBADF and prints a traceback. After an interrupt the runner
    must therefore have joined the manager thread before the sweep returns.
    """
    from concurrent.futures import process as cf_process
    from negosim.sweep.runners import runner

    with pytest.raises(KeyboardInterrupt):
        with runner(workers=2, force_workers=True) as run:
            run.ready.wait(60)
            raise KeyboardInterrupt
    managers = list(cf_process._threads_wakeups.items())
    assert all(not t.is_alive() and w._closed for t, w in managers), managers


def store_done(out: Path) -> set[int]:
    """The chunks a --resume would keep (checked), without running anything."""
    import json
    parts = out.with_name(out.name + ".parts")
    if not (parts / "sweep.json").exists():
        return set()
    store = ChunkStore(out, json.loads((parts / "sweep.json").read_text()))
    return store._checked_chunks()


# --------------------------------------------------------------------------- 6. Dask scheduler, fork failure

@pytest.mark.parametrize("address", ["nonsense", "tcp://host", "http://127.0.0.1:8786", "tcp://127.0.0.1:99999",
                                     "tcp://:8786", "tcp://a b:1"])
def test_malformed_scheduler_addresses_exit_2_at_once(work, address):
    start = time.monotonic()
    r = _sweep(work, "--scheduler", address, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()], r.stderr
    assert r.stderr.startswith(f"--scheduler {address!r}: "), r.stderr
    assert time.monotonic() - start < 10
    assert not (work / "r.parquet.parts").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield s.getsockname()[1]
    s.close()


@pytest.fixture
def http_server():
    """A TCP port that answers like a web server (not Dask)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.settimeout(30)

    def serve():
        try:
            while True:
                c, _ = s.accept()
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
                c.close()
        except OSError:
            pass
    threading.Thread(target=serve, daemon=True).start()
    yield s.getsockname()[1]
    s.close()


@pytest.mark.parametrize("kind", ["refused", "silent", "http"])
def test_unreachable_scheduler_is_one_line_within_the_timeout(work, kind, request):
    pytest.importorskip("distributed")
    port = {"refused": _free_port, "silent": lambda: request.getfixturevalue("silent_server"),
            "http": lambda: request.getfixturevalue("http_server")}[kind]()
    address = f"tcp://127.0.0.1:{port}"
    start = time.monotonic()
    r = _sweep(work, "--scheduler", address, timeout=60)
    took = time.monotonic() - start
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()], r.stderr
    assert r.stderr.startswith(f"cannot reach the Dask scheduler at {address} ("), r.stderr
    assert took < SCHEDULER_TIMEOUT_S + 8, took


def _launch(d: Path, patch: str, *args: str) -> subprocess.CompletedProcess:
    """``negosim ARGS`` in a subprocess, run as ``python -m negosim`` is, after ``patch`` (a system failure)."""
    (d / "launch.py").write_text(textwrap.dedent(patch) + textwrap.dedent("""
        import runpy, sys
        sys.argv = ["negosim"] + sys.argv[1:]
        runpy.run_module("negosim", run_name="__main__", alter_sys=True)
        """))
    env = {k: v for k, v in os.environ.items() if k != "NEGOSIM_DEBUG"}
    return subprocess.run([sys.executable, str(d / "launch.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


NO_FORK = """
    import multiprocessing.forkserver
    def no_fork(fds):
        raise BlockingIOError(11, "Resource temporarily unavailable")
    multiprocessing.forkserver.connect_to_new_process = no_fork
    """


def test_a_failed_fork_is_one_line_exit_2(work):
    """The operating system refuses the workers (as under ``ulimit -u``): the sweep says so and stops."""
    (work / "big.yaml").write_text(textwrap.dedent(BIG).lstrip())
    r = _launch(work, NO_FORK, "sweep", str(work / "big.yaml"), "--quiet", "--out", str(work / "big.parquet"),
                "--workers", "3", "--force-workers")
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        "cannot start the sweep's worker processes (BlockingIOError: Resource temporarily unavailable); "
        "try fewer --workers, or --workers 1"], r.stderr


# --------------------------------------------------------------------------- 7. --out

@pytest.mark.parametrize("target", ["spec.yaml", "scen.yaml", "folder", "fifo", "notes.txt", "other.parquet"])
def test_out_never_overwrites_what_is_not_this_sweeps_result(work, target):
    path = work / target
    if target == "folder":
        path.mkdir()
    elif target == "fifo":
        os.mkfifo(path)
    elif target == "notes.txt":
        path.write_text("my notes\n")
    elif target == "other.parquet":  # the result of another sweep
        table = pq.read_table(work / "ref.parquet")
        record = read_metadata(work / "ref.parquet") | {"spec_sha256": "0" * 64}
        pq.write_table(table.replace_schema_metadata({META_KEY: __import__("json").dumps(record).encode()}), path)
    before = path.read_bytes() if path.is_file() else None
    r = _sweep(work, out=target)
    assert r.returncode == 2
    message = r.stderr.strip()
    assert message.splitlines() == [message]
    expected = {"spec.yaml": f"{path}: is an input of the sweep ({path})",
                "scen.yaml": f"{path}: is an input of the sweep ({path})",
                "folder": f"negosim sweep: error: argument --out: '{path}' is a folder, not a file to write",
                "fifo": f"negosim sweep: error: argument --out: '{path}' exists and is not a regular file",
                "notes.txt": f"{path}: exists and is not a negosim sweep result",
                "other.parquet": f"{path}: holds the result of another sweep (its spec differs)"}[target]
    assert message.startswith(expected), message
    if before is not None:
        assert path.read_bytes() == before
    assert not (work / f"{target}.parts").exists()


def test_default_out_next_to_a_spec_named_parquet_is_refused(work):
    spec = work / "spec.parquet"  # the default output is the spec's name with .parquet: the spec itself
    shutil.copy(work / "spec.yaml", spec)
    r = run_cli("sweep", str(spec), "--quiet", "--workers", "1")
    assert r.returncode == 2
    assert r.stderr.startswith(f"{spec}: is an input of the sweep"), r.stderr
    assert spec.read_text() == (work / "spec.yaml").read_text()


def test_out_in_a_missing_folder_fails_before_the_run(work):
    start = time.monotonic()
    r = _sweep(work, out="missing/r.parquet")
    assert r.returncode == 2
    assert r.stderr.strip() == f"negosim sweep: error: argument --out: folder '{work / 'missing'}' does not exist"
    assert time.monotonic() - start < 30


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_out_in_a_read_only_folder_fails_before_the_run(work):
    ro = work / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        r = _sweep(work, out="ro/r.parquet")
        assert r.returncode == 2 and "permission denied" in r.stderr, r.stderr
    finally:
        ro.chmod(0o700)


def test_the_same_sweeps_result_may_be_written_again(work):
    shutil.copy(work / "ref.parquet", work / "r.parquet")
    r = _sweep(work)
    assert r.returncode == 0, r.stderr
    pd.testing.assert_frame_equal(read_results(work / "r.parquet"), read_results(work / "ref.parquet"))


# --------------------------------------------------------------------------- 8. nothing lost

def test_all_chunks_without_the_final_file_are_joined_without_recomputing(work):
    store = _interrupted_run(work)  # killed after the last chunk, before the final file was written
    stale = work / ".r.parquet.tmp-999999"  # and a half-written final file of that run
    stale.write_bytes(b"PAR1 torn")
    r = _sweep(work, "--resume")
    assert r.returncode == 0 and not _warnings(r.stderr), r.stderr
    pd.testing.assert_frame_equal(read_results(work / "r.parquet"), read_results(work / "ref.parquet"))
    assert not store.parts.exists() and not stale.exists()


DISK_FULL = """
    import os, negosim.sweep.store as st
    real = os.replace
    def replace(src, dst):
        if str(dst).endswith("r.parquet"):
            raise OSError(28, "No space left on device")
        return real(src, dst)
    st.os.replace = replace
    """


def test_a_failing_final_write_keeps_every_chunk_and_leaves_no_temporary_file(work):
    store = _interrupted_run(work)
    r = _launch(work, DISK_FULL, "sweep", str(work / "spec.yaml"), "--quiet", "--workers", "1",
                "--out", str(work / "r.parquet"), "--resume")
    assert r.returncode == 2
    assert r.stderr.strip() == f"cannot write {work / 'r.parquet'}: No space left on device"
    assert len(list(store.parts.glob("chunk-*.parquet"))) == 5  # every chunk still there
    assert sorted(p.name for p in work.iterdir()) == ["launch.py", "r.parquet.parts", "ref.parquet", "scen.yaml",
                                                      "spec.yaml"]
    r = _sweep(work, "--resume")
    assert r.returncode == 0 and not _warnings(r.stderr), r.stderr
    pd.testing.assert_frame_equal(read_results(work / "r.parquet"), read_results(work / "ref.parquet"))
