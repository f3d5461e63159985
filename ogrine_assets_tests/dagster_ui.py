"""Dagster's UI as the tests ask it: its GraphQL API, the one the UI's pages query.

What Dagster shows a user (a location's state, a run's status, whether an asset is up to
date) is asked here as the UI asks it, of a real ``dagster-webserver``: Dagster has no other
public way to say some of it (an asset's stale status is computed for the UI only).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ogrine_assets.settings import environment_without_ours
from ogrine_assets_tests.net import free_port, stop, wait_until_ok

WEBSERVER = str(Path(sys.executable).parent / "dagster-webserver")

# Whether each asset is up to date, and why not: what the UI's graph marks "Unsynced".
STALE_STATUSES = """{ assetNodes { assetKey { path } staleStatus
  staleCauses { key { path } reason } } }"""


def graphql(port: int, query: str, **variables: object) -> dict:
    """The data of the answer of the Dagster webserver on ``port`` to ``query``."""
    answer = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["data"]


@contextmanager
def webserver(environment: dict[str, str]) -> Iterator[int]:
    """``dagster-webserver`` on the project's code location, with ``environment`` (the
    home's variables, ``DAGSTER_HOME`` among them), on a free loopback port, once it
    answers; stopped on leaving."""
    port = free_port()
    command = [WEBSERVER, "-m", "ogrine_assets.definitions", "-h", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        command,
        env={**environment_without_ours(), **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/server_info", alive=lambda: process.poll() is None)
        yield port
    finally:
        stop(process)
