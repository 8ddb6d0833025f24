"""Running sweeps: the same table from every runner, Parquet output and resume
after the process is killed with SIGKILL at random moments."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import distributed  # a hard dependency (pyproject): a missing one must fail, not skip
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import negosim
from negosim.engine.analysis import analyze
from negosim.errors import NegosimError
from negosim.sweep.run import Sweep, read_results, run_sweep
from negosim.sweep.store import read_metadata

from reference import QUANTUM, Reference
from test_sweep_spec import edited, with_parameters

AXES = {"push": {"range": [0, 1], "steps": 4}, "parties.p0.reservation": {"values": [0.3, 0.5, 0.7]},
        "draft.x1": {"values": ["o0", "o2"]}}


@pytest.fixture(scope="module")
def spec():
    return Sweep(scenario=with_parameters(3), replicates=2, seed=5, chunk=5, axes=AXES)


@pytest.fixture(scope="module")
def serial(spec):
    return run_sweep(spec, workers=1)


def test_rows_match_the_reference_of_the_edited_file(spec, serial):
    # Every row against tests/reference.py on the scenario file with the row's axis values written
    # into it (test_sweep_spec.edited): nothing of the sweep's machinery or of the engine is shared.
    s = spec.scenario
    assert len(serial) == 48 and serial["row"].tolist() == list(range(48))
    tol = 8 * float(QUANTUM)  # half a quantum per rounded product (4) and bonus (2)
    for _, row in serial.iterrows():
        axes = {k: row[k] for k in spec.axes}
        ref = Reference(edited(s, axes))
        d = ref.draft_index()
        assert row["zone_size"] == len(ref.zone), axes
        assert row["draft_accepted"] == (d in ref.zone), axes
        assert row["repair_size"] == (-1 if ref.repair_size is None else ref.repair_size), axes
        for k, p in enumerate(ref.parties):
            assert row[f"accepts_{p}"] == ref.accepts[d][k], (axes, p)
            assert abs(row[f"utility_{p}"] - float(ref.util[d][k])) <= tol, (axes, p)
            assert row[f"margin_{p}"] == row[f"utility_{p}"] - ref.reservation[k], (axes, p)
        nash = ref.solutions["nash"]
        assert row["nash_index"] == (-1 if nash is None else nash), axes
        if nash is not None:
            package = {prov: ref.options[j][o] for j, (prov, o) in enumerate(zip(ref.provisions, ref.packages[nash]))}
            assert json.loads(row["nash_package"]) == package
            assert all(abs(row[f"nash_utility_{p}"] - float(ref.util[nash][k])) <= tol
                       for k, p in enumerate(ref.parties))
    # Both branches of the rows are exercised.
    assert serial["draft_accepted"].any() and not serial["draft_accepted"].all()


def test_rows_equal_analyze_on_the_edited_file(spec, serial):
    # The engine itself on the edited file gives the very same numbers, bit for bit.
    for _, row in serial.iloc[[0, 17, 46]].iterrows():
        a = analyze(edited(spec.scenario, {k: row[k] for k in spec.axes}), top=0, pareto=False)
        assert (row["zone_size"], row["draft_accepted"]) == (a.zone_size, a.draft_accepted)
        for p, v in a.draft.items():
            assert (row[f"accepts_{p}"], row[f"utility_{p}"]) == (v.accepts, v.utility)
        nash = a.solutions["nash"]
        assert row["nash_index"] == (-1 if nash is None else nash.index)


def test_two_local_workers_give_the_serial_table(spec, serial):
    pd.testing.assert_frame_equal(run_sweep(spec, workers=2), serial)


def test_dask_local_cluster_gives_the_serial_table(spec, serial):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        df = run_sweep(spec, scheduler=cluster.scheduler_address)
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    pd.testing.assert_frame_equal(df, serial)
    assert df.attrs == serial.attrs


def test_parquet_output_carries_the_record(spec, serial, tmp_path):
    out = tmp_path / "r.parquet"
    df = run_sweep(spec, workers=1, out=out)
    pd.testing.assert_frame_equal(df, serial)
    pd.testing.assert_frame_equal(read_results(out), serial)
    meta = read_metadata(out)
    assert meta["spec_sha256"] == spec.sha256() and meta["negosim_version"] == negosim.__version__
    assert meta["spec"]["axes"]["push"] == {"range": [0, 1], "steps": 4}
    assert not (tmp_path / "r.parquet.parts").exists()


def test_another_sweeps_result_is_never_overwritten(spec, tmp_path):
    out = tmp_path / "r.parquet"
    run_sweep(spec, workers=1, out=out)
    other = spec.model_copy(update={"seed": 6})
    for resume in (True, False):
        with pytest.raises(NegosimError, match="holds the result of another sweep"):
            run_sweep(other, workers=1, out=out, resume=resume)
    assert read_metadata(out)["spec_sha256"] == spec.sha256()
    run_sweep(spec, workers=1, out=out)  # the same sweep may write it again
    out.unlink()
    run_sweep(other, workers=1, out=out)
    assert read_metadata(out)["spec_sha256"] == other.sha256()


# --------------------------------------------------------------------------- kill and resume

SPEC = """
scenario: scen.yaml
seed: 11
replicates: 2
chunk: 2
axes:
  parties.p0.reservation: {range: [0.2, 0.7], steps: 12}
  parties.p1.values.x0.o1: {values: [0.0, 0.5, 1.0]}
  draft.x2: {values: [o0, o3]}
"""


@pytest.fixture(scope="module")
def kill_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("kill")
    negosim.dump(negosim.random_scenario(4, 6, 4, seed=9, red_lines=2, linkages=2), d / "scen.yaml")
    (d / "spec.yaml").write_text(textwrap.dedent(SPEC).lstrip())
    return d


@pytest.fixture(scope="module")
def kill_reference(kill_dir):
    return run_sweep(kill_dir / "spec.yaml", workers=1)


def _start(d, out, workers, resume=False):
    cmd = [sys.executable, "-m", "negosim", "sweep", str(d / "spec.yaml"), "--quiet", "--out", str(out),
           "--workers", str(workers)] + (["--resume"] if resume else [])
    env = {k: v for k, v in os.environ.items() if k != "NEGOSIM_DEBUG"}
    # A session of its own, so the kill takes its worker processes too.
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def test_resume_after_sigkill_gives_the_uninterrupted_table(kill_dir, kill_reference):
    reference = kill_reference
    n = len(reference)
    assert n == 144
    rng = np.random.default_rng(2024)
    partial_seen = 0
    # (workers of the killed run, workers of the resumed one): chunks do not depend on them.
    for trial, (w_kill, w_resume) in enumerate([(1, 2), (2, 1), (1, 1)]):
        out = kill_dir / f"r{trial}.parquet"
        parts = kill_dir / f"r{trial}.parquet.parts"
        p = _start(kill_dir, out, workers=w_kill)
        # Kill at a random moment once the sweep has begun: between chunks or while one is written.
        while not (parts / "sweep.json").exists() and p.poll() is None:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.6))
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        if parts.exists() and len(list(parts.glob("chunk-*.parquet"))) < n // 2:
            partial_seen += 1
        r = _start(kill_dir, out, workers=w_resume, resume=True)
        stdout, stderr = r.communicate(timeout=120)
        assert r.returncode == 0, stderr
        df = read_results(out)
        assert df["row"].tolist() == list(range(n))  # no row lost or doubled
        pd.testing.assert_frame_equal(df, reference)
        assert not parts.exists()
    assert partial_seen >= 1  # at least one kill landed mid-sweep


def test_resume_skips_done_chunks_and_clears_half_written_ones(kill_dir, kill_reference, tmp_path):
    out = tmp_path / "r.parquet"
    spec_path = kill_dir / "spec.yaml"
    reference = kill_reference
    run_sweep(spec_path, workers=1, out=out)
    # Rebuild the state of a run killed while writing chunk 3: chunks 0-2 and 4 done, a torn temp file.
    from negosim.sweep.store import ChunkStore
    meta = read_metadata(out)
    store = ChunkStore(out, meta)
    store.open(resume=False)
    full = pq.read_table(out)
    for i in (0, 1, 2, 4):
        store.write(i, full.slice(2 * i, 2))
    (store.parts / ".chunk-000003.parquet.tmp-999").write_bytes(b"PAR1 torn")
    out.unlink()
    computed = []
    df = run_sweep(spec_path, workers=1, out=out, resume=True, progress=lambda d, t: computed.append(d))
    pd.testing.assert_frame_equal(df, reference)
    assert computed[0] == 8  # four chunks of two rows kept
    assert not store.parts.exists()
