"""The service's fixtures: a document path to publish to, and `ogrine serve` as a real process.

Light imports only, as in the top conftest: pytest loads this file in its controller too
when a run names a test of this folder (the helpers in ``support.py`` load MLflow and
Dagster, ~1.7 s)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ogrine_assets_tests.net import free_port, stop, wait_until_ok

if TYPE_CHECKING:
    from ogrine_assets_tests.support import Deployment, RunningService


@pytest.fixture
def document_path(tmp_path: Path) -> Path:
    return tmp_path / "forecast.json"


@pytest.fixture(scope="session")
def running_service(materialized: Deployment) -> Iterator[RunningService]:
    """`ogrine serve` as a real uvicorn process on a free loopback port, serving the document
    the session's real materialization published, at the session's "now" (OGRINE_NOW)."""
    from ogrine_assets_tests.support import RunningService, ogrine_env

    port = free_port()
    environ = ogrine_env(materialized.settings.home)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "ogrine"), "serve", "--port", str(port)],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(f"{base_url}/health", timeout=30, alive=lambda: process.poll() is None)
        yield RunningService(base_url=base_url, process=process)
    finally:
        stop(process)
        process.communicate()
