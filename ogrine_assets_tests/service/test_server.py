"""The real server process (`ogrine serve`: uvicorn) on 127.0.0.1: a real materialization's
document served, and the request head bounded."""

import contextlib
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ogrine_assets.settings import environment_without_ours
from ogrine_assets_tests.net import free_port, stop, wait_until_ok
from ogrine_assets_tests.support import Deployment, RunningService, document_bytes

pytestmark = pytest.mark.integration


def test_serves_the_published_forecast(
    running_service: RunningService, materialized: Deployment
) -> None:
    document = materialized.document()
    legacy = httpx.get(f"{running_service.base_url}/seven-days-forecast").json()
    assert [p["datetime"] for p in legacy] == [p["datetime"] for p in document["forecast"]]
    assert [p["prediction_rateTenth"] for p in legacy] == [
        p["prediction_rate_tenth"] for p in document["forecast"]
    ]
    body = httpx.get(f"{running_service.base_url}/forecast").json()
    assert body["model"]["version"] == document["model"]["version"] == "1"
    assert body["data"]["synthetic"] is True
    health = httpx.get(f"{running_service.base_url}/health").json()
    assert health["status"] == "ready"
    page = httpx.get(f"{running_service.base_url}/")
    assert page.status_code == 200 and "synthetic" in page.text
    assert httpx.get(f"{running_service.base_url}/history", params={"limit": 0}).status_code == 400


def peak_resident_bytes(pid: int) -> int:
    """The most memory the process has held resident so far (the kernel's VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def answer_to(port: int, head: bytes) -> bytes:
    """What the server answers a raw request head, read until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_an_oversized_request_head_is_refused_with_431_and_memory_stays_bounded(
    tmp_path: Path, document_path: Path
) -> None:
    """Finding 11: any header size was taken (300 MB of header: 512 MB resident)."""
    document_path.write_bytes(document_bytes())
    port = free_port()
    environ = {
        **environment_without_ours(),
        "OGRINE_HOME": str(tmp_path / "home"),
        "OGRINE_FORECAST_PATH": str(document_path),
        "OGRINE_NOW": "2026-11-26T09:30:00+00:00",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "ogrine"), "serve", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(f"{base_url}/health", timeout=30, alive=lambda: process.poll() is None)
        peak_before = peak_resident_bytes(process.pid)

        big = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
        answer = answer_to(port, big)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert b"16384 bytes" in answer  # it says the limit

        # 64 MiB of one header, as fast as the loopback takes it: refused, never held.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for _ in range(1024):
                    connection.sendall(b"a" * 65536)
        grown = peak_resident_bytes(process.pid) - peak_before
        assert grown < 16 * 2**20, f"the server's peak memory grew {grown / 2**20:.0f} MiB"

        # A head just under the limit is served, and so is everyone afterwards.
        fits = httpx.get(f"{base_url}/health", headers={"X-Fits": "a" * 15_000})
        assert fits.status_code == 200 and fits.json()["status"] == "ready"
        assert httpx.get(f"{base_url}/seven-days-forecast").status_code == 200
    finally:
        stop(process)
