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

Limits (docs/limits.md, "Sweeps"): local workers are capped at the CPUs this
process may use (:func:`plan_workers`; ``force=True``, or ``--force-workers``,
keeps a larger number) and may never exceed :data:`MAX_WORKERS`; a Dask
scheduler must answer within :data:`SCHEDULER_TIMEOUT_S` seconds. Worker
processes die with the sweep's process, however it ends
(:mod:`negosim.sweep.worker`).

Example
-------
>>> with runner(workers=1) as r:
...     r.executor is None and r.inline
True
>>> check_scheduler_address("tcp://127.0.0.1:8786")
'tcp://127.0.0.1:8786'
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import threading
import warnings
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from negosim.errors import NegosimError, NegosimWarning
from negosim.limits import MAX_WORKERS, SCHEDULER_TIMEOUT_S  # the documented limits, re-exported here
from .rows import THREAD_ENV
# Imported here, never inside one_thread_env(): with its flag set, importing it warms this process up.
from .worker import PARENT_ENV, SERVER_FLAG, worker_start


class WorkersCappedWarning(NegosimWarning):
    """More local workers were asked for than this process has CPUs; the sweep uses fewer."""


@dataclass
class Runner:
    """An executor (or None), whether this process computes chunks too, and how many
    chunks to keep submitted to the executor."""

    executor: Executor | None
    inline: bool
    slots: int
    #: Set once the executor's workers are up (None: ready at once).
    ready: threading.Event | None = None
    #: Why the workers could not be started (set before ``ready``), if they could not.
    error: BaseException | None = None

    def accepting(self) -> bool:
        """Whether chunks may be submitted now; until then this process computes alone.

        Raises NegosimError when the worker processes could not be started.
        """
        if self.error is not None:
            raise start_error(self.error)
        return self.ready is None or self.ready.is_set()


def start_error(e: BaseException) -> NegosimError:
    """The one-line error for worker processes that could not be started (or died)."""
    words = getattr(e, "strerror", None) or str(e) or e.__class__.__name__
    return NegosimError(f"cannot start the sweep's worker processes ({e.__class__.__name__}: {words}); "
                        "try fewer --workers, or --workers 1")


def default_workers() -> int:
    """Local workers by default: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def plan_workers(workers: int | None, force: bool = False) -> int:
    """The number of processes a local sweep uses for ``workers`` asked.

    More than the CPUs this process may use only slows the sweep down and costs
    memory, so the number is capped there (with a :class:`WorkersCappedWarning`)
    unless ``force``; more than :data:`MAX_WORKERS`, or fewer than 1, is an error.

    >>> plan_workers(1)
    1
    >>> plan_workers(MAX_WORKERS + 1, force=True)
    Traceback (most recent call last):
    ...
    negosim.errors.NegosimError: --workers must be a whole number from 1 to 1024 (got 1025)
    """
    if workers is None:
        return default_workers()
    n = int(workers)
    if not 1 <= n <= MAX_WORKERS:
        raise NegosimError(f"--workers must be a whole number from 1 to {MAX_WORKERS} (got {n})")
    cpus = default_workers()
    if n > cpus and not force:
        warnings.warn(WorkersCappedWarning(
            f"--workers {n} capped at {cpus}, the CPUs this process may use (--force-workers keeps {n})"),
            stacklevel=2)
        return cpus
    return n


@contextmanager
def one_thread_env():
    """Set the one-thread variables for processes started inside the block.

    The fork server started here also sees the flag that makes it warm up
    and the pid its workers watch (:mod:`negosim.sweep.worker`).
    """
    values = {k: "1" for k in THREAD_ENV + (SERVER_FLAG,)}
    values[PARENT_ENV] = str(os.getpid())
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
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
    ctx.set_forkserver_preload(["negosim.sweep.worker"])
    return ctx


def _start_server(ctx) -> None:
    """Start the fork server (and multiprocessing's resource tracker) from this thread, Ctrl-C ignored.

    Both inherit SIGINT ignored, so a Ctrl-C while the server is still importing
    negosim prints no traceback from it (the server ignores SIGINT itself only
    once its imports are done). A blocked signal mask would keep a Ctrl-C of
    these few milliseconds, but the server does not keep the mask, while it
    does keep an ignored SIGINT. The server is started here rather than by the
    pool's thread because Linux's death signal (:mod:`negosim.sweep.worker`)
    fires when the thread that started a process ends.
    """
    if ctx.get_start_method() != "forkserver":  # pragma: no cover - not on Linux
        return
    from multiprocessing import forkserver
    # After a SIGKILL of this process the tracker frees the pool's semaphores; that is expected,
    # so it need not warn about them on the user's terminal.
    old_warn = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = ",".join(
        x for x in (old_warn, "ignore::UserWarning:multiprocessing.resource_tracker") if x)
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        forkserver.ensure_running()
    except OSError as e:
        raise start_error(e) from None
    finally:
        if main:
            signal.signal(signal.SIGINT, old)
        if old_warn is None:
            os.environ.pop("PYTHONWARNINGS", None)
        else:
            os.environ["PYTHONWARNINGS"] = old_warn


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Drop queued chunks and end the workers at once (on an interrupt or an error)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    # shutdown(wait=False) forgets the pool's manager thread; it is joined below, because
    # while it is still closing its wake-up pipe at exit, Python's own exit hook writes to
    # that pipe and prints an OSError traceback after "interrupted" (CPython 3.12.1).
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    for p in procs:
        try:
            p.join(2)
            if p.is_alive():
                p.kill()
                p.join(1)
        except (OSError, ValueError, AttributeError, AssertionError):
            pass
    if manager is not None and manager is not threading.current_thread():
        manager.join(5)


@contextmanager
def runner(workers: int | None = None, scheduler=None, force_workers: bool = False):
    """The runner for a sweep's chunks.

    Parameters
    ----------
    workers : processes computing chunks, this one included (default: one
        per CPU); 1 runs serially. Ignored with a scheduler. Capped at the
        CPUs unless ``force_workers`` (see :func:`plan_workers`).
    scheduler : address of a Dask scheduler (``tcp://host:port``), or a
        ``distributed.Client``.
    force_workers : keep ``workers`` even above the number of CPUs.
    """
    if scheduler is not None:
        with _dask_executor(scheduler) as (ex, slots):
            yield Runner(ex, False, slots)
        return
    n = plan_workers(workers, force_workers)
    with _own_threads():
        if n == 1:
            yield Runner(None, True, 0)
            return
        with one_thread_env():
            ctx = _context()
            _start_server(ctx)
            pool = ProcessPoolExecutor(n - 1, mp_context=ctx, initializer=worker_start)
            # Two chunks per worker: one running, one waiting, so none idles between chunks.
            run = Runner(pool, True, 2 * (n - 1), threading.Event())

            # Starting a worker blocks until the fork server has warmed up (about 2 s); let a
            # thread wait for that, so this process computes chunks meanwhile.
            def start() -> None:
                try:
                    for f in [pool.submit(os.getpid) for _ in range(n - 1)]:
                        f.result()
                except BaseException as e:  # noqa: BLE001 - reported by the sweep's thread
                    run.error = e
                finally:
                    run.ready.set()
            threading.Thread(target=start, name="negosim-pool-start", daemon=True).start()
            try:
                yield run
            except BaseException:
                # Ctrl-C or an error: queued chunks are dropped and running ones stopped, not waited for.
                _stop_now(pool)
                raise
            pool.shutdown(wait=True)


# --------------------------------------------------------------------------- Dask

_ADDRESS = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?"
                      r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)"
                      r":(?P<port>[0-9]{1,5})$")
_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def check_scheduler_address(address: str) -> str:
    """``address`` if it has the form of a Dask scheduler address (``[tcp://]host:port``).

    Raises NegosimError with what is wrong otherwise (an unknown scheme, no
    port, a port out of range).

    >>> check_scheduler_address("localhost")
    Traceback (most recent call last):
    ...
    negosim.errors.NegosimError: --scheduler 'localhost': not a Dask scheduler address (expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786)
    """
    text = str(address)
    m = _ADDRESS.match(text.strip()) if len(text) <= 300 else None
    scheme = m and (m.group("scheme") or "tcp")
    if m is None or scheme not in _SCHEMES or not 1 <= int(m.group("port")) <= 65535:
        why = f"unknown scheme '{scheme}' (known: {', '.join(_SCHEMES)})" if m and scheme not in _SCHEMES \
            else "not a Dask scheduler address"
        raise NegosimError(f"--scheduler {text[:80]!r}: {why} (expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786)")
    return text.strip()


def _probe(address: str, timeout: float) -> None:
    """Ask the scheduler who it is, within ``timeout`` seconds; raise NegosimError if it does not answer.

    distributed's own Client waits twice its timeout on a failed start and then
    hangs again while it is garbage-collected, so the first contact is this
    bare exchange, on an event loop of its own thread.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def ask():
        from distributed.comm import connect
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    def run():
        return asyncio.run(asyncio.wait_for(ask(), timeout))

    with ThreadPoolExecutor(1) as ex:
        try:
            answer = ex.submit(run).result(timeout + 5)
        except Exception as e:  # noqa: BLE001 - refused, timed out, garbage on the wire: all the same to a user
            why = "no answer" if isinstance(e, TimeoutError) else f"{e.__class__.__name__}: {str(e)[:120]}"
            raise NegosimError(f"cannot reach the Dask scheduler at {address} ({why} within "
                               f"{SCHEDULER_TIMEOUT_S} s)") from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise NegosimError(f"cannot reach the Dask scheduler at {address} (something answers there, "
                           "but not a Dask scheduler)")


@contextmanager
def _dask_executor(scheduler):
    try:
        from distributed import Client
    except ImportError:
        raise NegosimError("a Dask scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
    if isinstance(scheduler, Client):
        yield scheduler.get_executor(pure=False), _dask_slots(scheduler)
        return
    address = check_scheduler_address(scheduler)
    _probe(address, SCHEDULER_TIMEOUT_S)
    try:
        client = Client(address, timeout=f"{SCHEDULER_TIMEOUT_S}s", set_as_default=False)
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
