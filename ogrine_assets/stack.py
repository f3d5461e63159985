"""``ogrine up``: Dagster (webserver and daemon), the MLflow UI and the service on 127.0.0.1.

Each part runs in a process group of its own, so stopping it stops its helpers. This
process is their *subreaper* (Linux): a helper whose parent died is adopted here rather
than by init, so when the stack stops, nothing it started is left running. SIGINT,
SIGTERM and SIGHUP all stop the stack the same way, at any moment, and the exit status is
0 unless a part died on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ogrine_assets.failures import cause_of_exception
from ogrine_assets.home import HomeLock, LockHeld, StoreDamaged, prepare
from ogrine_assets.settings import Settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_CHILD_SUBREAPER = 36


def stack_commands(
    settings: Settings, dagster_port: int, mlflow_port: int, service_port: int
) -> list[list[str]]:
    workspace = Path.cwd() / "workspace.yaml"
    target = ["-w", str(workspace)] if workspace.exists() else ["-m", "ogrine_assets.definitions"]
    dagster = [
        sys.executable, "-m", "dagster", "dev", *target,
        "-h", "127.0.0.1", "-p", str(dagster_port),
    ]  # fmt: skip
    mlflow = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", settings.mlflow_tracking_uri,
        "--host", "127.0.0.1", "--port", str(mlflow_port), "--workers", "1",
    ]  # fmt: skip
    if settings.mlflow_artifact_root:
        mlflow += ["--default-artifact-root", settings.mlflow_artifact_root]
    service = [sys.executable, "-m", "ogrine_assets.cli", "serve", "--port", str(service_port)]
    # A tracking server configured elsewhere is used as it is; only a local store gets a UI here.
    return [dagster, mlflow, service] if settings.uses_local_mlflow_store else [dagster, service]


def stack_environment(settings: Settings, mlflow_port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(settings.dagster_home),
        # MLflow's server would start seven job-queue workers (~1.4 GiB) for GenAI jobs this
        # project never submits; they also outlived the server when it was stopped.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    if settings.uses_local_mlflow_store:  # Dagster's links to MLflow follow --mlflow-port
        env.setdefault("OGRINE_MLFLOW_UI_URL", f"http://127.0.0.1:{mlflow_port}")
    return env


def _child_defaults() -> None:
    # A shell that starts a job in the background makes it ignore SIGINT, and children
    # inherit that; the parts must still stop when asked, so they get the defaults back.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


def up(settings: Settings, dagster_port: int, mlflow_port: int, service_port: int) -> int:
    stopping = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stopping.set())
    _become_subreaper()
    try:
        if not _prepare_home(settings, stopping):
            return 0  # asked to stop while waiting for the home
    except (LockHeld, StoreDamaged, OSError) as exc:
        cause = exc if isinstance(exc, LockHeld | StoreDamaged) else cause_of_exception(exc)
        _say(f"ogrine up FAILED at startup: {cause}", sys.stderr)
        return 1
    commands = stack_commands(settings, dagster_port, mlflow_port, service_port)
    env = stack_environment(settings, mlflow_port)
    processes: list[subprocess.Popen[bytes]] = []
    died: list[subprocess.Popen[bytes]] = []
    try:
        for command in commands:
            if stopping.is_set():
                break
            processes.append(
                subprocess.Popen(
                    command, env=env, start_new_session=True, preexec_fn=_child_defaults
                )
            )
        mlflow_ui = f"http://127.0.0.1:{mlflow_port}" if settings.uses_local_mlflow_store else None
        _say(
            f"Dagster UI  http://127.0.0.1:{dagster_port}\n"
            f"MLflow UI   {mlflow_ui or settings.mlflow_tracking_uri}\n"
            f"Forecast    http://127.0.0.1:{service_port}  (JSON: /seven-days-forecast)\n"
            f"Document    {settings.forecast_path}\n"
            "Ctrl-C stops everything."
        )
        while not stopping.is_set() and all(p.poll() is None for p in processes):
            stopping.wait(0.5)
        died = [] if stopping.is_set() else [p for p in processes if p.poll() is not None]
        for process in died:
            name = " ".join(commands[processes.index(process)][1:4])
            _say(f"{name} exited with {process.returncode}", sys.stderr)
    finally:
        _say("Stopping…")
        stop(processes)
    return 1 if died else 0


def _prepare_home(settings: Settings, stopping: threading.Event) -> bool:
    """Make the stores whole before MLflow's server or a run opens them, under the home's
    lock: waiting, and saying so, while a run holds it; False if asked to stop meanwhile."""
    lock = HomeLock(settings.home)
    try:
        lock.acquire("ogrine up")
    except LockHeld as held:
        _say(f"Waiting for the home: {held}")

        def wait_or_stop(seconds: float) -> None:
            if stopping.wait(seconds):
                raise InterruptedError

        try:
            lock.acquire("ogrine up", wait_seconds=settings.lock_wait_seconds, sleep=wait_or_stop)
        except InterruptedError:
            return False
    try:
        prepare(settings)
    finally:
        lock.release()
    return True


def _say(text: str, stream: TextIO = sys.stdout) -> None:
    """Print, unless the terminal is gone (a hang-up): stopping must go on regardless."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=stream, flush=True)


def stop(processes: Sequence[subprocess.Popen[bytes]], grace_seconds: float = 20) -> None:
    """SIGTERM each part's leader (each stops its own helpers, gracefully; a part still
    importing just ends, with no traceback), SIGKILL what is left of each group, then every
    descendant still alive (adopted orphans included), and reap them all."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        _signal_group(process.pid, signal.SIGKILL)  # helpers left behind by a stopped leader
        process.wait()
    for _ in range(50):  # bounded: each round kills what is left and reaps it
        left = descendants(os.getpid())
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap()


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (zombies excluded), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if state != "Z":
            children.setdefault(int(parent), []).append(int(entry.name))
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    time.sleep(0.05)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
