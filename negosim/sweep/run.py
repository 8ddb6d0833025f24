"""Parameter sweeps: run a scenario over a design of axes, row by row.

The Python API mirrors the YAML spec: build a :class:`~negosim.sweep.spec.Sweep`
(or load one with :func:`load_sweep`) and pass it to :func:`run_sweep`, which
returns a pandas DataFrame with one row per design point and replicate (see
:mod:`negosim.sweep.rows` for the columns). Chunks of rows run serially, on
local worker processes (the default) or on a Dask cluster, always through the
same executor interface; the table is the same whichever runs it. With
``out=``, chunks are written to Parquet as they finish and ``resume=True``
picks up a sweep that was interrupted (see :mod:`negosim.sweep.store`).

Example
-------
>>> import negosim
>>> s = negosim.random_scenario(parties=3, provisions=4, options=3, seed=4)
>>> spec = Sweep(scenario=s, axes={"parties.p1.reservation": {"range": [0.2, 0.8], "steps": 3}})
>>> df = run_sweep(spec, workers=1)
>>> df["parties.p1.reservation"].tolist(), df["zone_size"].tolist()
([0.2, 0.5, 0.8], [40, 19, 0])
"""

from __future__ import annotations

import hashlib
import math
import signal
import threading
from collections import deque
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa

from negosim.errors import NegosimError
from .rows import evaluate_chunk, make_job
from .runners import runner, start_error
from .spec import Sweep, load_sweep, resolve
from .store import ChunkStore, check_out, join, read_results, to_frame

__all__ = ["Sweep", "load_sweep", "run_sweep", "read_results"]


def _scenario_of(spec: Sweep):
    """``(Scenario, sha256, name, {file: sha256})`` of the spec's scenario, checked against its axes."""
    from negosim.scenario.schema import Scenario
    from negosim.scenario.yaml_io import LoadedScenario, dump_scenario
    loaded = resolve(spec)
    if isinstance(loaded, LoadedScenario):
        return loaded.scenario, loaded.sha256(), str(loaded.path), _file_hashes(loaded)
    assert isinstance(loaded, Scenario)
    return loaded, hashlib.sha256(dump_scenario(loaded).encode()).hexdigest(), loaded.name, {}


def _file_hashes(loaded) -> dict[str, str]:
    """Each file of the scenario's extends chain -> its SHA-256, so a refused resume can name the one that changed."""
    return {str(f): hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in loaded.files}


def _record(spec: Sweep, scenario_sha: str, name: str, chunk: int, files: dict[str, str],
            spec_file: str | None) -> dict:
    from negosim import __version__
    record = {"format": 1, "negosim_version": __version__, "spec_sha256": spec.sha256(),
              "scenario_sha256": scenario_sha, "scenario": name, "rows": spec.n_rows, "chunk": chunk,
              "spec": spec.spec_json(), "scenario_files": files}
    if spec_file is not None:
        record["spec_file"] = spec_file
    return record


def _result(future):
    from concurrent.futures.process import BrokenProcessPool
    try:
        return future.result()
    except BrokenProcessPool:
        raise NegosimError("a local worker process died; in a script, run the sweep under "
                           "`if __name__ == \"__main__\":` (workers start by importing the main module), "
                           "or use workers=1") from None


def _submit(run, job, rows):
    from concurrent.futures.process import BrokenProcessPool
    try:
        return run.executor.submit(evaluate_chunk, job, rows)
    except (OSError, EOFError, BrokenProcessPool) as e:  # the pool could not fork a worker
        raise start_error(e) from None


@contextmanager
def _interrupts():
    """Ctrl-C as a flag while the sweep runs: yields a function telling whether it was pressed.

    Python's own handler raises KeyboardInterrupt wherever the main thread is,
    and one raised inside a library's cleanup (a ``__del__``, an import lock's
    callback) is printed as "Exception ignored" and lost, so the sweep would go
    on. The flag is looked at between rows and while waiting for workers (every
    0.2 s), and the sweep then stops with KeyboardInterrupt from its own code.
    A second Ctrl-C raises at once. Outside the main thread, or where the
    program has a SIGINT handler of its own, nothing changes.
    """
    pressed = threading.Event()
    main = threading.current_thread() is threading.main_thread()
    old = signal.getsignal(signal.SIGINT) if main else None
    if old is not signal.default_int_handler:
        yield pressed.is_set
        return

    def handler(signum, frame):
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()
    signal.signal(signal.SIGINT, handler)
    try:
        yield pressed.is_set
    finally:
        signal.signal(signal.SIGINT, old)


def run_sweep(spec, *, workers: int | None = None, scheduler=None, out=None, resume: bool = False,
              progress: Callable[[int, int], None] | None = None, force_workers: bool = False) -> pd.DataFrame:
    """Run a sweep and return its table.

    Parameters
    ----------
    spec : Sweep, or the path of a YAML spec file.
    workers : processes computing rows, this one included (default: one per CPU;
        1 runs serially in this process). More than the CPUs is capped there, with
        a warning, unless ``force_workers``; more than
        :data:`~negosim.sweep.runners.MAX_WORKERS` is an error.
    scheduler : a Dask scheduler address (``tcp://host:port``) or ``distributed.Client``;
        the chunks then run on that cluster.
    out : Parquet file to write (chunks are saved as they finish). Refused before
        anything runs when it is a folder, not a regular file, in a folder that
        is missing or read-only, the spec or a scenario file, or an existing
        file that is not a result of this same sweep.
    resume : keep the chunks an interrupted run of the same sweep left in ``out``;
        refused when the spec, the scenario or negosim's version changed. Every
        chunk kept is checked first (rows, row count, checksum); one that fails
        is computed again, with a warning.
    progress : called as ``progress(rows_done, rows_total)``.
    force_workers : keep ``workers`` even above the number of CPUs.

    Local workers start by importing the main module (as multiprocessing's
    ``forkserver`` and ``spawn`` methods do), so a script that runs a sweep
    on them keeps that code under ``if __name__ == "__main__":``.

    Returns
    -------
    pandas.DataFrame
        One row per design point and replicate; ``df.attrs["negosim"]`` holds
        the hashes, version and spec.
    """
    spec_file = None
    if isinstance(spec, (str, Path)):
        ls = load_sweep(spec)
        spec_file = str(spec)
        spec, (scenario, sha, name) = ls.spec, (ls.loaded.scenario, ls.loaded.sha256(), str(ls.loaded.path))
        files = _file_hashes(ls.loaded)
    else:
        if not isinstance(spec, Sweep):
            raise TypeError("run_sweep() takes a Sweep or the path of a spec file")
        scenario, sha, name, files = _scenario_of(spec)
    if resume and out is None:
        raise NegosimError("resume needs an output file (out=...)")
    chunk = spec.default_chunk()
    record = _record(spec, sha, name, chunk, files, spec_file)
    if out is not None:  # before any work: a run must not fail at its end, nor overwrite what it should not
        out = check_out(out, record, protected=[f for f in (spec_file, *files) if f is not None])
    rows = spec.rows()
    n_chunks = max(1, math.ceil(len(rows) / chunk))
    job = make_job(spec, scenario, f"{record['spec_sha256'][:16]}-{sha[:16]}")
    store = ChunkStore(out, record) if out is not None else None
    done = store.open(resume) if store is not None else set()
    if done is None:
        return read_results(out)
    tables: dict[int, pa.Table] = {}

    def bounds(i):
        return i * chunk, min(len(rows), (i + 1) * chunk)

    def chunk_rows(i) -> dict:
        lo, hi = bounds(i)
        return rows.iloc[lo:hi].to_dict("list")

    rows_done = sum(bounds(i)[1] - bounds(i)[0] for i in done)
    if progress:
        progress(rows_done, len(rows))

    def finished(i: int, table: pa.Table) -> None:
        nonlocal rows_done
        if store is not None:
            store.write(i, table)
        else:
            tables[i] = table
        rows_done += table.num_rows
        if progress:
            progress(rows_done, len(rows))

    todo = deque(i for i in range(n_chunks) if i not in done)
    with _interrupts() as interrupted, runner(workers, scheduler, force_workers) as run:
        pending: dict = {}
        while todo or pending:
            if interrupted():
                raise KeyboardInterrupt
            # Keep the executor's slots full; this process takes the next chunk itself when it computes too.
            while run.executor is not None and run.accepting() and len(pending) < run.slots and todo:
                i = todo.popleft()
                pending[_submit(run, job, chunk_rows(i))] = i
            if run.inline and todo:
                i = todo.popleft()
                finished(i, evaluate_chunk(job, chunk_rows(i), in_worker=False, stop=interrupted))
                ready = [f for f in pending if f.done()]
            else:
                ready, _ = wait(list(pending), timeout=0.2, return_when=FIRST_COMPLETED)
            for f in ready:
                finished(pending.pop(f), _result(f))
    if store is not None:
        return store.finish(n_chunks)
    return to_frame(join(record, [tables[i] for i in range(n_chunks)]))
