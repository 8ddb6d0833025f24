"""Serve the explorer page: Solara's Starlette app under uvicorn, in this process.

:func:`serve` loads nothing itself: it takes an
:class:`~negosim.explorer.state.Explorer` (so a bad scenario is reported
before any server starts), checks that the address is free, points Solara at
:mod:`negosim.explorer.app` and runs uvicorn until interrupted.

Solara keeps a little state of its own on disk (a settings folder, IPython's
profile folder). It is sent to a private temporary folder that is removed when
the server stops, so serving the page leaves no file behind; the page itself
never writes one (the draft download is served from memory). Telemetry and
version checks, which would reach out to the network, are switched off.

Example
-------
>>> free_port("127.0.0.1") > 0
True
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading

from ..errors import NegosimError

#: What a missing optional dependency tells the user.
INSTALL_HINT = "the explorer needs the optional extra: pip install 'negosim[explorer]'"


def require_solara() -> None:
    """Raise a NegosimError naming the extra to install when Solara is missing."""
    # Only look: importing Solara would read its settings before prepare_environment sets them.
    for name in ("solara", "uvicorn"):
        if importlib.util.find_spec(name) is None:
            raise NegosimError(INSTALL_HINT)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_address(host: str, port: int) -> None:
    """Raise a NegosimError when ``host:port`` cannot be served."""
    if not 0 <= port <= 65535:
        raise NegosimError(f"--port must lie within 0 to 65535 (got {port})")
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as e:
        raise NegosimError(f"cannot serve on {host}:{port}: {e.strerror or e}") from None


def _private_state_dir() -> str:
    """A temporary folder for Solara's and IPython's own files, removed at exit.

    Registered before Solara and IPython start, so it is removed after their own
    exit handlers (which write there) have run.
    """
    folder = tempfile.mkdtemp(prefix="negosim-explorer-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _stop(signum, frame):
    # uvicorn re-raises the signal that stopped it; exiting through SystemExit
    # (not the signal's default action) lets the exit handlers run.
    raise SystemExit(0)


def prepare_environment(host: str, port: int) -> str:
    """Settings Solara reads when it is first imported (call before importing it); returns the state folder."""
    state = _private_state_dir()
    os.environ.setdefault("SOLARA_HOME", os.path.join(state, "solara"))
    os.environ.setdefault("IPYTHONDIR", os.path.join(state, "ipython"))
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # A fixed id, so Solara does not write one to its settings folder.
    os.environ.setdefault("SOLARA_TELEMETRY_SERVER_USER_ID", "negosim-explorer")
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    os.environ["SOLARA_APP"] = "negosim.explorer.app"
    os.environ["SOLARA_MODE"] = "production"
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    return state


def serve(explorer, host: str = "127.0.0.1", port: int = 8765, log_level: str = "warning",
          announce=print) -> None:
    """Serve the explorer of ``explorer`` at ``http://host:port/`` until interrupted.

    Parameters
    ----------
    explorer : Explorer
    host, port : the address; port 0 picks a free one.
    announce : called with the one line that says where the page is.
    """
    require_solara()
    if port == 0:
        port = free_port(host)
    check_address(host, port)
    prepare_environment(host, port)
    import uvicorn
    import solara.server.settings as solara_settings

    solara_settings.main.mode = "production"
    solara_settings.telemetry.mixpanel_enable = False
    from . import app
    app.configure(explorer)
    from solara.server.starlette import app as asgi_app

    shown = f"[{host}]" if ":" in host else host
    announce(f"negosim explorer: {explorer.name} at http://{shown}:{port}/ (Ctrl-C to stop)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {host}: anyone who can reach this machine can use the page",
              file=sys.stderr)
    sys.stdout.flush()
    config = uvicorn.Config(asgi_app, host=host, port=port, log_level=log_level, access_log=False,
                            ws_ping_interval=20, ws_ping_timeout=60)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop) if main else None
    try:
        uvicorn.Server(config).run()
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
