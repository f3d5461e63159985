"""Loopback helpers for tests that start real servers: free ports and readiness waits."""

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ok(
    url: str, *, timeout: float = 90.0, alive: Callable[[], bool] = lambda: True
) -> httpx.Response:
    """Poll ``url`` until it answers 200; fail when ``timeout`` passes or ``alive()`` is false."""
    deadline = time.monotonic() + timeout
    last_error: object = None
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError(f"the server behind {url} exited before it was ready")
        try:
            response = httpx.get(url, timeout=2.0)
            if response.status_code == 200:
                return response
            last_error = response.status_code
        except httpx.HTTPError as exc:
            last_error = exc
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready after {timeout} s (last: {last_error!r})")


def stop(process: subprocess.Popen[Any], grace: float = 15.0) -> None:
    """Ask a server to stop (SIGTERM); kill it if it has not within ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _QuietServer(ThreadingHTTPServer):
    """A client that gives up mid-answer (what limits are for) is no error of the test's."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalServer:
    """What the tests' fake servers share: a threaded HTTP server on 127.0.0.1 (a free
    port), started and stopped by the test; ``release`` frees every answer held back."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    release: threading.Event

    def serve(self, handler: type[BaseHTTPRequestHandler], poll_seconds: float) -> None:
        self.release = threading.Event()
        self.server = _QuietServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": poll_seconds}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
