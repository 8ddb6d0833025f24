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

Only the page opened with this launch's address gets in: :class:`AccessGuard`
wraps Solara's app and refuses (403, or a refused websocket handshake) any
request whose ``Host`` or ``Origin`` is not this server's, or that carries
neither the secret token printed in the address nor the cookie its first page
load set. So another web site open in the same browser can neither read nor
drive the page, even by DNS rebinding.

Example
-------
>>> free_port("127.0.0.1") > 0
True
"""

from __future__ import annotations

import atexit
import hmac
import importlib.util
import ipaddress
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
from urllib.parse import parse_qsl

from negosim.errors import NegosimError

log = logging.getLogger("negosim.explorer")

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


# --------------------------------------------------------------------------- access control

#: Host names a browser may use for a server bound to a loopback address.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
#: Addresses that mean "every interface of this machine".
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def url_host(host: str) -> str:
    """``host`` as it appears in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address, not bracketed) is this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") and name.endswith("]") else name)
        return True
    except ValueError:
        return False


def new_token() -> str:
    """A fresh secret for one launch of the server (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def page_url(host: str, port: int, token: str) -> str:
    """The address to open: ``http://host:port/?token=...`` (this machine's for a wildcard host).

    >>> page_url("::1", 8765, "t")
    'http://[::1]:8765/?token=t'
    >>> page_url("0.0.0.0", 8765, "t")
    'http://127.0.0.1:8765/?token=t'
    """
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host, url_host(host))
    return f"http://{shown}:{port}/?token={token}"


class AccessGuard:
    """ASGI middleware that lets through only requests from the page opened with this launch's token.

    Every HTTP request and websocket handshake must

    - name this server in its ``Host`` header (``host:port``; for a loopback
      address any of ``localhost``, ``127.0.0.1``, ``[::1]``), which defeats
      DNS rebinding: a page of ``evil.example`` re-pointed at 127.0.0.1 still
      sends ``Host: evil.example``;
    - when it carries an ``Origin`` header (browsers send one with every
      websocket handshake and cross-origin request), come from this server's
      own origin, which defeats cross-site websocket hijacking;
    - carry the launch token, as ``?token=`` in the URL or in the cookie that
      the first page load with the token sets (HttpOnly, SameSite=Strict, named
      after the port since cookies are not kept apart by port).

    Anything else gets 403 (HTTP) or a refused handshake (websocket), and one
    line in the log. Tokens are compared in constant time.

    Parameters
    ----------
    app : the ASGI application to guard.
    token : the secret of this launch (:func:`new_token`).
    host, port : the address served.

    Example
    -------
    >>> g = AccessGuard(None, "s3cret", "127.0.0.1", 8765)
    >>> g.refusal({"type": "http", "query_string": b"token=s3cret",
    ...            "headers": [(b"host", b"localhost:8765")]})
    >>> g.refusal({"type": "http", "query_string": b"token=s3cret",
    ...            "headers": [(b"host", b"evil.example:8765")]})
    'unexpected Host header'
    """

    def __init__(self, app, token: str, host: str, port: int):
        self.app = app
        self.token = token.encode("ascii")
        self.port = str(port)
        self.cookie = f"negosim-explorer-{port}"
        self.wildcard = host in WILDCARD_HOSTS
        names = {url_host(host).lower()}
        if is_loopback(host) or self.wildcard:
            names.update(LOOPBACK_NAMES)
        if self.wildcard:
            names.add(socket.gethostname().lower())
        self.names = frozenset(names)

    # -- the checks ---------------------------------------------------------
    def host_ok(self, value: str) -> bool:
        """Whether a ``Host`` header names this server."""
        value = value.strip().lower()
        if value.startswith("["):
            name, _, rest = value.partition("]")
            name += "]"
            port = rest[1:] if rest.startswith(":") else ("80" if rest == "" else None)
        else:
            name, sep, port = value.partition(":")
            port = port if sep else "80"
        if port != self.port:
            return False
        # Behind a wildcard address any IP literal is fine: DNS rebinding needs a name.
        return name in self.names or (self.wildcard and _is_ip_literal(name))

    def _token_ok(self, value: str) -> bool:
        return hmac.compare_digest(value.encode("utf-8", "surrogateescape"), self.token)

    def query_token_ok(self, scope) -> bool:
        query = scope.get("query_string", b"").decode("latin-1")
        return any(self._token_ok(v) for k, v in parse_qsl(query, keep_blank_values=True) if k == "token")

    def cookie_token_ok(self, cookies: list[str]) -> bool:
        for header in cookies:
            for part in header.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep and name == self.cookie and self._token_ok(value.strip()):
                    return True
        return False

    def refusal(self, scope) -> str | None:
        """Why this request is refused, or None when it may pass."""
        headers: dict[str, list[str]] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        hosts = headers.get("host", [])
        if len(hosts) != 1 or not self.host_ok(hosts[0]):
            return "unexpected Host header"
        origins = headers.get("origin", [])
        if len(origins) > 1 or (origins and origins[0].strip().lower() != f"http://{hosts[0].strip().lower()}"):
            return "request from another origin"
        if not (self.query_token_ok(scope) or self.cookie_token_ok(headers.get("cookie", []))):
            return "missing or wrong token"
        return None

    # -- ASGI ---------------------------------------------------------------
    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):  # lifespan
            return await self.app(scope, receive, send)
        why = self.refusal(scope)
        if why is not None:
            log.warning("negosim explorer: refused %s %s: %s", "websocket" if scope["type"] == "websocket" else scope.get("method"),
                        scope.get("path"), why)
            if scope["type"] == "websocket":
                await receive()  # websocket.connect
                # Closing before accepting makes the server answer the handshake with 403.
                await send({"type": "websocket.close", "code": 1008})
                return
            body = (f"403 Forbidden: {why}. Open the address that `negosim explore` printed "
                    f"(it ends with ?token=...).\n").encode()
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode()),
                                    *SECURITY_HEADERS]})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)
        set_cookie = self.query_token_ok(scope)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = list(SECURITY_HEADERS)
                if set_cookie:
                    extra.append((b"set-cookie", f"{self.cookie}={self.token.decode()}; Path=/; HttpOnly; "
                                                 f"SameSite=Strict".encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


#: Sent with every HTTP response: the token in the address must not leak to other sites.
SECURITY_HEADERS = ((b"referrer-policy", b"same-origin"),)


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

    token = new_token()
    announce(f"negosim explorer: {explorer.name} at {page_url(host, port, token)} (Ctrl-C to stop)")
    if not is_loopback(host):
        print(f"warning: serving on {host}, not only on this machine: other machines can reach the page, "
              "and only the token (sent unencrypted over http) keeps them out", file=sys.stderr)
    sys.stdout.flush()
    # No proxy headers: nothing sits in front of this server, and a local page must not
    # be able to pose as another scheme or client with X-Forwarded-* headers.
    config = uvicorn.Config(AccessGuard(asgi_app, token, host, port), host=host, port=port,
                            log_level=log_level, access_log=False, proxy_headers=False,
                            ws_ping_interval=20, ws_ping_timeout=60)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop) if main else None
    try:
        uvicorn.Server(config).run()
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
