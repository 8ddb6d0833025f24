"""The explorer's server lets in only the page opened with the address it printed.

A real ``negosim explore`` runs in a subprocess on a free loopback port; the
tests speak raw HTTP/1.1 to it on 127.0.0.1 (so every header, ``Host``
included, is exactly what the test says) and check what a hostile web page in
the same browser could try: a websocket handshake from another origin (cross-site
websocket hijacking), a foreign ``Host`` (DNS rebinding), no token, a wrong
token. The printed address must work: the page loads (200), sets the cookie,
and the websocket upgrade succeeds with that cookie.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from negosim import dump
from negosim.explorer.sample import sample_scenario
from negosim.explorer.server import free_port

pytest.importorskip("solara")

#: Seconds to wait for the server to answer (generous: the machine is shared).
WAIT = 90
URL_LINE = re.compile(r"^negosim explorer: .+ at (http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]+)) "
                      r"\(Ctrl-C to stop\)$")
WS_MAGIC = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def request(port: int, path: str, headers: dict[str, str], timeout: float = 30) -> tuple[int, dict, bytes]:
    """Send one raw GET to 127.0.0.1:port; ``(status, headers, body)`` (headers: name -> list of values).

    A 101 answer (websocket upgrade) returns at once with an empty body.
    """
    lines = [f"GET {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()] + ["Connection: close"
                                                                                    if "Upgrade" not in headers
                                                                                    else "Connection: Upgrade"]
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        got: dict[str, list[str]] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            got.setdefault(name.strip().lower(), []).append(value.strip())
        if status != 101:
            length = int(got.get("content-length", ["0"])[0])
            while len(body) < length:
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
        return status, got, body


def websocket_headers(host: str, **extra: str) -> tuple[dict[str, str], str]:
    """Headers of a websocket handshake, and the ``Sec-WebSocket-Accept`` the server must answer."""
    key = base64.b64encode(os.urandom(16)).decode()
    accept = base64.b64encode(hashlib.sha1((key + WS_MAGIC).encode()).digest()).decode()
    return {"Host": host, "Upgrade": "websocket", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13",
            **extra}, accept


def kernel_path() -> str:
    """Where the page opens its websocket (Solara's Jupyter kernel channel)."""
    return f"/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id={uuid.uuid4()}"


@dataclass
class Served:
    """A running ``negosim explore``: the address it printed, its parts, the process and its output."""

    url: str
    port: int
    token: str
    proc: subprocess.Popen
    err: IO[str]


def _wait_for(what: str, ready, proc: subprocess.Popen, err: IO[str], deadline: float):
    """Poll ``ready()`` until it gives a true value; fail with the server's stderr if it stops or times out."""
    while True:
        try:
            got = ready()
            if got:
                return got
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            err.seek(0)
            pytest.fail(f"negosim explore did not {what}:\n{err.read()}")
        time.sleep(0.2)


@contextmanager
def launch(path: Path, *args: str, logs: Path, cwd: Path | None = None, env: dict | None = None):
    """Run ``negosim explore PATH --port FREE ARGS``; yields a :class:`Served` once the printed address answers.

    Its stdout and stderr go to files in ``logs``. On leaving, the server is
    stopped with SIGTERM (``proc.returncode`` then says how it ended).
    """
    port = free_port()
    env = {k: v for k, v in (os.environ if env is None else env).items() if k != "NEGOSIM_DEBUG"}
    with open(logs / f"explore-{port}.out", "w+") as out, open(logs / f"explore-{port}.err", "w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "negosim", "explore", str(path), "--port", str(port), *args],
                                stdout=out, stderr=err, env=env, cwd=cwd or logs)

        def printed():
            out.seek(0)
            return URL_LINE.match(out.readline().rstrip())

        try:
            deadline = time.monotonic() + WAIT
            m = _wait_for("print its address", printed, proc, err, deadline)
            url, token = m.group(1), m.group(3)
            assert int(m.group(2)) == port
            # The address is printed just before uvicorn listens.
            _wait_for("answer", lambda: request(port, f"/?token={token}", {"Host": f"127.0.0.1:{port}"},
                                                timeout=5)[0] == 200, proc, err, deadline)
            yield Served(url, port, token, proc, err)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``(url, port, token, stderr)`` of a running ``negosim explore``."""
    path = tmp_path_factory.mktemp("security") / "sample.yaml"
    dump(sample_scenario(parties=2, provisions=3, options=2, seed=0), path)
    with launch(path, logs=path.parent) as srv:
        yield srv.url, srv.port, srv.token, srv.err


def page_cookies(port: int, token: str) -> str:
    """Load the printed address; the ``Cookie`` header a browser would send afterwards."""
    status, headers, _ = request(port, f"/?token={token}", {"Host": f"127.0.0.1:{port}"})
    assert status == 200
    return "; ".join(c.split(";")[0] for c in headers["set-cookie"])


def test_the_printed_address_works_and_sets_a_strict_cookie(served):
    url, port, token, _ = served
    assert len(token) >= 43, "secrets.token_urlsafe(32) gives 43 characters"
    status, headers, body = request(port, f"/?token={token}", {"Host": f"127.0.0.1:{port}"})
    assert status == 200 and b"<html" in body.lower()
    ours = [c for c in headers["set-cookie"] if c.startswith(f"negosim-explorer-{port}=")]
    assert len(ours) == 1
    parts = [p.strip() for p in ours[0].split(";")]
    assert parts[0] == f"negosim-explorer-{port}={token}"
    assert "HttpOnly" in parts and "SameSite=Strict" in parts and "Path=/" in parts
    assert headers["referrer-policy"] == ["same-origin"]
    assert token.encode() not in body, "the page must not repeat the token"


def test_the_cookie_authorises_later_requests_and_the_websocket(served):
    url, port, token, _ = served
    cookies = page_cookies(port, token)
    host = f"127.0.0.1:{port}"
    for path in ("/", "/static/main-vuetify.js"):
        status, headers, _ = request(port, path, {"Host": host, "Cookie": cookies})
        assert status == 200, path
        assert not any(c.startswith("negosim-explorer-") for c in headers.get("set-cookie", [])), \
            "the cookie is set only by a load with the token"
    # What the page does next: open its websocket, from its own origin, with the cookie.
    for name in ("127.0.0.1", "localhost"):
        headers, accept = websocket_headers(f"{name}:{port}", Origin=f"http://{name}:{port}", Cookie=cookies)
        status, got, _ = request(port, kernel_path(), headers)
        assert status == 101, name
        assert got["sec-websocket-accept"] == [accept]


@pytest.mark.parametrize("case", ["no token", "wrong token", "wrong cookie", "token of another port",
                                  "empty token", "static asset"])
def test_requests_without_the_token_are_refused(served, case):
    url, port, token, _ = served
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")  # as long as the real one, one character off
    path, headers = {
        "no token": ("/", {}),
        "wrong token": (f"/?token={wrong}", {}),
        "wrong cookie": ("/", {"Cookie": f"negosim-explorer-{port}={wrong}"}),
        "token of another port": ("/", {"Cookie": f"negosim-explorer-{port + 1}={token}"}),
        "empty token": ("/?token=", {}),
        "static asset": ("/static/main-vuetify.js", {}),
    }[case]
    status, _, body = request(port, path, {"Host": f"127.0.0.1:{port}", **headers})
    assert status == 403
    assert body.decode().startswith("403 Forbidden: missing or wrong token. Open the address that "
                                    "`negosim explore` printed")
    assert token.encode() not in body


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1:{other}",
                                  "127.0.0.1.evil.example:{port}", "localhost.:{port}", ""])
def test_a_foreign_host_header_is_refused_even_with_the_token(served, host):
    """DNS rebinding: a page of evil.example re-pointed at 127.0.0.1 still names evil.example."""
    url, port, token, _ = served
    cookies = page_cookies(port, token)
    host = host.format(port=port, other=port + 1)
    status, _, body = request(port, f"/?token={token}", {"Host": host, "Cookie": cookies})
    assert status == 403
    assert body.decode().startswith("403 Forbidden: unexpected Host header.")
    headers, _ = websocket_headers(host, Origin=f"http://{host}", Cookie=cookies)
    assert request(port, kernel_path(), headers)[0] == 403


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:{port}",
                                    "https://127.0.0.1:{port}", "http://127.0.0.1:{other}"])
def test_a_websocket_from_another_origin_is_refused_even_with_the_cookie(served, origin):
    """Cross-site websocket hijacking: the browser sends the cookie only same-site, but checks nothing else."""
    url, port, token, err = served
    cookies = page_cookies(port, token)
    origin = origin.format(port=port, other=port + 1)
    headers, _ = websocket_headers(f"127.0.0.1:{port}", Origin=origin, Cookie=cookies)
    assert request(port, kernel_path() + f"&token={token}", headers)[0] == 403
    # Plain HTTP from another origin (a fetch or a form post) is refused the same way.
    status, _, body = request(port, "/", {"Host": f"127.0.0.1:{port}", "Origin": origin, "Cookie": cookies})
    assert status == 403 and body.decode().startswith("403 Forbidden: request from another origin.")


@pytest.mark.parametrize("case", ["no token", "wrong token"])
def test_a_websocket_without_the_token_is_refused(served, case):
    url, port, token, err = served
    host = f"127.0.0.1:{port}"
    extra = {} if case == "no token" else {"Cookie": f"negosim-explorer-{port}={token[::-1]}"}
    headers, _ = websocket_headers(host, Origin=f"http://{host}", **extra)
    assert request(port, kernel_path(), headers)[0] == 403
    err.seek(0)
    assert "refused websocket /jupyter/api/kernels/" in err.read(), "a refusal is logged"


def test_a_non_loopback_host_warns(tmp_path):
    """``--host 0.0.0.0`` serves other machines: the command says so (the test only talks to 127.0.0.1)."""
    path = tmp_path / "sample.yaml"
    dump(sample_scenario(parties=2, provisions=2, options=2, seed=0), path)
    with launch(path, "--host", "0.0.0.0", logs=tmp_path) as srv:
        port, token, err = srv.port, srv.token, srv.err
        err.seek(0)
        lines = err.read().splitlines()
        assert lines and lines[0].startswith("warning: serving on 0.0.0.0, not only on this machine")
        # Behind a wildcard address a Host that is an IP literal is fine; a name other than this
        # machine's still is not (DNS rebinding needs a name).
        assert request(port, f"/?token={token}", {"Host": f"127.0.0.1:{port}"})[0] == 200
        assert request(port, f"/?token={token}", {"Host": f"evil.example:{port}"})[0] == 403
        assert request(port, "/", {"Host": f"127.0.0.1:{port}"})[0] == 403
