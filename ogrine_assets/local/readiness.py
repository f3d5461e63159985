"""When the stack is "Ready": each part answered as itself.

That something answers on a part's port proves only that something listens there: another
program may hold it (the part itself then fails to bind, later). So each part is asked what
only it answers: Dagster's webserver ``/server_info`` (its versions), MLflow's server
``/health`` ("OK") and ``/version`` (the version installed here), the forecast service
``/health`` (a JSON object with its ``status``; 503 until a forecast is published).
Standard library only, like ``ogrine up``'s own process.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

# Straight to the stack's parts, whatever proxy the environment names (every probe of
# local/ asks through it: readiness, catch-up, MLflow's experiment id).
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# A probe's verdict on a base URL: None while nothing answers, "" when the part answered as
# itself, else what answered instead, in words.
Probe = Callable[[str], str | None]


@dataclass(frozen=True)
class Part:
    """A part that must answer before the stack is ready: its base URL and how it is
    recognised (``who``: how the terminal names it)."""

    url: str
    probe: Probe
    who: str


class NotItself(RuntimeError):
    """A part's port answered, but not as that part: another program holds it."""


def heard(url: str, timeout: float = 2.0) -> tuple[int, bytes] | None:
    """The status and body of a GET, whatever the status; None when nothing answers."""
    try:
        with DIRECT.open(url, timeout=timeout) as answer:
            return answer.status, answer.read(65536)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(65536)
    except (OSError, ValueError):
        return None


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


def dagster_webserver(base: str) -> str | None:
    answer = heard(f"{base}/server_info")
    if answer is None:
        return None
    status, body = answer
    info = _json(body)
    if status == 200 and isinstance(info, dict) and "dagster_webserver_version" in info:
        return ""
    return f"its /server_info answered HTTP {status} without Dagster's versions"


def mlflow_server(base: str) -> str | None:
    health = heard(f"{base}/health")
    if health is None:
        return None
    said = heard(f"{base}/version")
    expected = _installed("mlflow")
    if health == (200, b"OK") and said is not None and said[0] == 200:
        answered = said[1].decode("utf-8", "replace").strip()
        if answered == expected or (expected is None and answered[:1].isdigit()):
            return ""
    return f"its /health and /version answered HTTP {health[0]} and {said and said[0]}, not " + (
        f"MLflow {expected}'s" if expected else "MLflow's"
    )


def forecast_service(base: str) -> str | None:
    answer = heard(f"{base}/health")
    if answer is None:
        return None
    status, body = answer
    health = _json(body)
    if status in (200, 503) and isinstance(health, dict) and isinstance(health.get("status"), str):
        return ""
    return f"its /health answered HTTP {status} without the service's status"


def _installed(distribution: str) -> str | None:
    with contextlib.suppress(PackageNotFoundError):
        return version(distribution)
    return None


def wait_until_ready(
    parts: dict[str, Part],
    running: Callable[[], bool],
    stopping: threading.Event,
    seconds: float,
    say: Callable[[str], None],
) -> bool:
    """True once every part answered as itself; False if the stack is stopping or a part
    died (``running()`` false). Raises :class:`NotItself` naming the first part whose port
    answers as something else. After ``seconds``, says which do not answer yet and goes on
    waiting."""
    deadline = time.monotonic() + seconds
    waiting = dict(parts)
    while waiting:
        if stopping.is_set() or not running():
            return False
        for name, part in list(waiting.items()):
            verdict = part.probe(part.url)
            if verdict == "":
                del waiting[name]
            elif verdict is not None:
                raise NotItself(
                    f"the {name}'s address {part.url} answers, but not as {part.who} "
                    f"({verdict}): another program holds it"
                )
        if waiting and time.monotonic() > deadline:
            say(f"ogrine up: still waiting for {', '.join(waiting)} to answer")
            deadline = float("inf")
        if waiting:
            stopping.wait(0.2)
    return True
