"""Where sweep chunks run: in this process, in local worker processes, or on Dask.

A :class:`Runner` pairs an optional :class:`concurrent.futures.Executor`
(local processes, or a Dask cluster through
``distributed.Client(address).get_executor()``) with whether this process
computes chunks too. The sweep submits chunks to the executor and collects
futures as they finish, one code path for every runner:

- ``workers=1``: serial, every chunk in this process;
- ``workers=N`` (the default: one per CPU): this process and ``N - 1``
  worker processes. This process starts at once, while the workers start up,
  so the start-up costs little; the workers start from a fork server (never
  a fork of a process that may have run OpenMP threads);
- a Dask scheduler: every chunk on the cluster.

Every process that computes keeps BLAS, OpenMP and numba to one thread,
since a sweep's parallelism is across rows.

Example
-------
>>> with runner(workers=1) as r:
...     r.executor is None and r.inline
True
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import NegosimError
from .sweep_rows import THREAD_ENV, worker_init


@dataclass
class Runner:
    """An executor (or None), whether this process computes chunks too, and how many
    chunks to keep submitted to the executor."""

    executor: Executor | None
    inline: bool
    slots: int
    #: Set once the executor's workers are up (None: ready at once).
    ready: threading.Event | None = None

    def accepting(self) -> bool:
        """Whether chunks may be submitted now; until then this process computes alone."""
        return self.ready is None or self.ready.is_set()


def default_workers() -> int:
    """Local workers by default: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def one_thread_env():
    """Set the one-thread variables for processes started inside the block.

    The fork server started here also sees the flag that makes it warm up
    (:mod:`negosim.sweep_worker`).
    """
    from .sweep_worker import SERVER_FLAG
    names = THREAD_ENV + (SERVER_FLAG,)
    old = {k: os.environ.get(k) for k in names}
    for k in names:
        os.environ[k] = "1"
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def _own_threads():
    """BLAS to one thread while chunks run in this process; numba's thread count given back after."""
    import numba
    before = numba.get_num_threads()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    limits = threadpool_limits(1) if threadpool_limits is not None else None
    try:
        yield
    finally:
        numba.set_num_threads(before)
        if limits is not None:
            limits.restore_original_limits()


def _context():
    methods = multiprocessing.get_all_start_methods()
    # A fork of a process that has run numba's OpenMP threads is fatal; the fork
    # server is a fresh process that warms negosim up once, then forks workers.
    if "forkserver" not in methods:  # pragma: no cover - not on Linux
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["negosim.sweep_worker"])
    return ctx


@contextmanager
def runner(workers: int | None = None, scheduler=None):
    """The runner for a sweep's chunks.

    Parameters
    ----------
    workers : processes computing chunks, this one included (default: one
        per CPU); 1 runs serially. Ignored with a scheduler.
    scheduler : address of a Dask scheduler (``tcp://host:port``), or a
        ``distributed.Client``.
    """
    if scheduler is not None:
        with _dask_executor(scheduler) as (ex, slots):
            yield Runner(ex, False, slots)
        return
    n = default_workers() if workers is None else int(workers)
    if n < 1:
        raise NegosimError(f"--workers must be 1 or more (got {n})")
    with _own_threads():
        if n == 1:
            yield Runner(None, True, 0)
            return
        with one_thread_env():
            pool = ProcessPoolExecutor(n - 1, mp_context=_context(), initializer=worker_init)
            # Starting a worker blocks until the fork server has warmed up (about 2 s); let a
            # thread wait for that, so this process computes chunks meanwhile.
            ready = threading.Event()

            def start() -> None:
                try:
                    for f in [pool.submit(os.getpid) for _ in range(n - 1)]:
                        f.result()
                except Exception:  # a broken pool shows itself at the next submit
                    pass
                finally:
                    ready.set()
            threading.Thread(target=start, name="negosim-pool-start", daemon=True).start()
            try:
                # Two chunks per worker: one running, one waiting, so none idles between chunks.
                yield Runner(pool, True, 2 * (n - 1), ready)
            finally:
                # On an interrupt, queued chunks are dropped rather than waited for.
                pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _dask_executor(scheduler):
    try:
        from distributed import Client
    except ImportError:
        raise NegosimError("a Dask scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
    if isinstance(scheduler, Client):
        yield scheduler.get_executor(pure=False), _dask_slots(scheduler)
        return
    address = str(scheduler)
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise NegosimError(f"cannot reach the Dask scheduler at {address} ({e.__class__.__name__}: {e})") from None
    try:
        yield client.get_executor(pure=False), _dask_slots(client)
    finally:
        client.close()


def _dask_slots(client) -> int:
    """Two chunks per thread of the cluster (at least 4), so every worker stays busy."""
    try:
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    except (KeyError, TypeError, AttributeError):  # pragma: no cover - older distributed
        threads = 2
    return max(4, 2 * threads)
