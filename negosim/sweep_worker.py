"""Warm-up of the fork server that local sweep workers are forked from.

:mod:`negosim.runners` has the fork server import this module with
``NEGOSIM_SWEEP_SERVER=1`` in its environment; anywhere else the import does
nothing. In the server it switches numba to its ``workqueue`` threading
layer, which survives ``fork()`` (GNU OpenMP does not), holds every library
to one thread, and runs a tiny exact analysis so that the compiled kernels
are loaded from numba's cache once, there. Workers forked afterwards start
computing at once instead of each loading the kernels again.
"""

from __future__ import annotations

import os

#: Set in the environment of the fork server only.
SERVER_FLAG = "NEGOSIM_SWEEP_SERVER"


def warm_up() -> None:
    """Prepare this process to be forked into sweep workers (see the module doc)."""
    import numba
    numba.config.THREADING_LAYER = "workqueue"
    from . import sweep_spec, sweep_store  # noqa: F401  (what every worker needs)
    from .analysis import analyze
    from .random_scenario import random_scenario
    from .sweep_rows import worker_init
    worker_init()
    # Red lines and linkages make the analysis visit every kernel it has.
    analyze(random_scenario(parties=3, provisions=4, options=3, seed=0, reservation=0.3, red_lines=1,
                            linkages=1), top=1)


if os.environ.get(SERVER_FLAG) == "1":
    warm_up()
