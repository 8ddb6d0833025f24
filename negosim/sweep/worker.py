"""The fork server and worker processes of local sweeps: warm-up, signals, and dying with the sweep.

:mod:`negosim.sweep.runners` has the fork server import this module with
``NEGOSIM_SWEEP_SERVER=1`` in its environment; anywhere else the import does
nothing. In the server it switches numba to its ``workqueue`` threading
layer, which survives ``fork()`` (GNU OpenMP does not), holds every library
to one thread, and runs a tiny exact analysis so that the compiled kernels
are loaded from numba's cache once, there. Workers forked afterwards start
computing at once instead of each loading the kernels again.

No process of a sweep outlives the process that runs it
(``NEGOSIM_SWEEP_PARENT``, its pid, is in the server's environment):

- the fork server asks Linux to kill it when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), and exits at once if the parent is gone already;
- each worker asks the same of its own parent, the fork server, and runs a
  watchdog thread that ends it when the sweep's process is gone (where
  ``prctl`` is missing, the watchdog alone does it);
- both ignore SIGINT: Ctrl-C reaches the whole process group, and the sweep's
  process handles it (it stops the workers and exits with code 130).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

#: Set in the environment of the fork server only.
SERVER_FLAG = "NEGOSIM_SWEEP_SERVER"
#: The pid of the process running the sweep, in the fork server's (and so the workers') environment.
PARENT_ENV = "NEGOSIM_SWEEP_PARENT"
#: Seconds between two looks of a worker's watchdog at its parents.
WATCH_INTERVAL_S = 0.5


def _die_with_parent() -> bool:
    """Have Linux SIGKILL this process when its parent thread ends; False where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc or no prctl
        return False


def _sweep_pid() -> int | None:
    try:
        return int(os.environ[PARENT_ENV])
    except (KeyError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (signal 0 tests it without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - it exists, owned by another user
        return True
    return True


def _watch(parent: int, sweep: int | None) -> None:
    # Reparenting (getppid changes) means the fork server died; the sweep's pid gone means the sweep did.
    while True:
        time.sleep(WATCH_INTERVAL_S)
        if os.getppid() != parent or (sweep is not None and not pid_alive(sweep)):
            os._exit(1)


def worker_start() -> None:
    """Initializer of local worker processes: ignore Ctrl-C, die with the sweep, one thread each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    _die_with_parent()
    sweep = _sweep_pid()
    if parent == 1 or (sweep is not None and not pid_alive(sweep)):
        os._exit(1)  # orphaned before the watch began
    threading.Thread(target=_watch, args=(parent, sweep), name="negosim-watchdog", daemon=True).start()
    from .rows import worker_init
    worker_init()


def _server_start() -> None:
    # The fork server is forked from by the pool: no watchdog thread here (forking a process
    # with threads risks deadlocks), only the kernel's death signal and a first check.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    sweep = _sweep_pid()
    if sweep is not None and os.getppid() != sweep:
        os._exit(1)  # the sweep's process died before the death signal was set
    sys.excepthook = _server_excepthook


def _server_excepthook(kind, value, tb) -> None:
    # The server's loop ends with an exception when a fork fails (ulimit -u, no memory); the sweep's
    # process reports that its workers could not start, so a traceback here would only be noise.
    if not issubclass(kind, (OSError, KeyboardInterrupt, SystemExit)):
        print(f"negosim sweep worker server: {kind.__name__}: {value}", file=sys.stderr)


def warm_up() -> None:
    """Prepare this process to be forked into sweep workers (see the module doc)."""
    _server_start()
    import numba
    numba.config.THREADING_LAYER = "workqueue"
    from negosim.engine.analysis import analyze
    from negosim.engine.random_scenario import random_scenario
    from . import spec, store  # noqa: F401  (what every worker needs)
    from .rows import worker_init
    worker_init()
    # Red lines and linkages make the analysis visit every kernel it has.
    analyze(random_scenario(parties=3, provisions=4, options=3, seed=0, reservation=0.3, red_lines=1,
                            linkages=1), top=1)


if os.environ.get(SERVER_FLAG) == "1":
    warm_up()
