"""Loopback helpers for tests that start real servers: free ports and readiness waits."""

import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

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
