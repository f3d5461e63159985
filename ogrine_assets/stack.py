"""``ogrine up``: Dagster (code server, webserver, daemon), MLflow UI and service on 127.0.0.1.

Each part runs in a process group of its own, so stopping it stops its helpers. This
process is their *subreaper* (Linux): a helper whose parent died is adopted here rather
than by init, so when the stack stops, nothing it started is left running. SIGINT,
SIGTERM and SIGHUP all stop the stack the same way, at any moment, and the exit status is
0 unless a part died on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ogrine_assets.failures import cause_of_exception
from ogrine_assets.home import HomeLock, LockHeld, StoreDamaged
from ogrine_assets.settings import Settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_CHILD_SUBREAPER = 36
# The code server listens at once and loads the code behind it; a minute is ample on a busy
# machine, and a code server that never listens must not leave the stack waiting forever.
CODE_SERVER_START_SECONDS = 60.0


LOCATION_NAME = "ogrine_assets"


def code_server_command(code_socket: Path) -> list[str]:
    """Dagster's code server for the project, on a Unix socket: the webserver and the daemon
    share it, and "Reload" in the UI restarts the code inside it."""
    return [
        sys.executable, "-m", "dagster", "code-server", "start", "--socket", str(code_socket),
        "-m", "ogrine_assets.definitions", "--location-name", LOCATION_NAME,
    ]  # fmt: skip


def workspace_yaml(code_socket: Path) -> str:
    """The workspace of the webserver and the daemon: the code server, under a fixed location
    name (schedules' and sensors' state is keyed by it, so it must not change between starts)."""
    return (
        "load_from:\n"
        "  - grpc_server:\n"
        f"      socket: {json.dumps(str(code_socket))}\n"
        f"      location_name: {LOCATION_NAME}\n"
    )


def dagster_commands(workspace: Path, dagster_port: int) -> list[list[str]]:
    """The webserver and the daemon on the code server's workspace: what ``dagster dev``
    starts, without ``dagster dev``'s own process (~120 MiB) sitting between them and this one."""
    webserver = [
        sys.executable, "-m", "dagster_webserver", "-w", str(workspace),
        "-h", "127.0.0.1", "-p", str(dagster_port),
    ]  # fmt: skip
    return [webserver, [sys.executable, "-m", "dagster._daemon", "run", "-w", str(workspace)]]


def service_commands(settings: Settings, mlflow_port: int, service_port: int) -> list[list[str]]:
    """The MLflow UI (for a local store; a tracking server configured elsewhere is used as it
    is) and the forecast service."""
    mlflow = [
        sys.executable, "-m", "ogrine_assets.mlflow_server",
        "--backend-store-uri", settings.mlflow_tracking_uri,
        "--host", "127.0.0.1", "--port", str(mlflow_port), "--workers", "1",
    ]  # fmt: skip
    if settings.mlflow_artifact_root:
        mlflow += ["--default-artifact-root", settings.mlflow_artifact_root]
    service = [sys.executable, "-m", "ogrine_assets.cli", "serve", "--port", str(service_port)]
    return [mlflow, service] if settings.uses_local_mlflow_store else [service]


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
    except (LockHeld, RuntimeError, OSError) as exc:  # StoreDamaged is a RuntimeError
        cause = exc if isinstance(exc, LockHeld | RuntimeError) else cause_of_exception(exc)
        _say(f"ogrine up FAILED at startup: {cause}", sys.stderr)
        return 1
    env = stack_environment(settings, mlflow_port)
    scratch = Path(tempfile.mkdtemp(prefix="ogrine-up-"))
    code_socket = scratch / "code.sock"
    workspace = scratch / "workspace.yaml"
    workspace.write_text(workspace_yaml(code_socket))
    commands: list[list[str]] = []
    processes: list[subprocess.Popen[bytes]] = []
    died: list[subprocess.Popen[bytes]] = []

    def start(command: list[str]) -> None:
        popen = subprocess.Popen(
            command, env=env, start_new_session=True, preexec_fn=_child_defaults
        )
        commands.append(command)
        processes.append(popen)

    try:
        for command in [
            code_server_command(code_socket),
            *service_commands(settings, mlflow_port, service_port),
        ]:
            if not stopping.is_set():
                start(command)
        code_server = processes[0] if processes else None  # none if asked to stop already
        if code_server and _wait_for_socket(
            code_socket, code_server, stopping, CODE_SERVER_START_SECONDS
        ):
            for command in dagster_commands(workspace, dagster_port):
                start(command)
        elif code_server and not stopping.is_set() and code_server.poll() is None:
            _say(
                f"ogrine up FAILED at startup: Dagster's code server did not answer within "
                f"{CODE_SERVER_START_SECONDS:.0f} s",
                sys.stderr,
            )
            return 1
        if not stopping.is_set() and all(p.poll() is None for p in processes):
            mlflow_ui = (
                f"http://127.0.0.1:{mlflow_port}" if settings.uses_local_mlflow_store else None
            )
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
            name = " ".join(commands[processes.index(process)][1:5])
            _say(f"{name} exited with {process.returncode}", sys.stderr)
    finally:
        _say("Stopping…")
        stop(processes)
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if died else 0


def _wait_for_socket(
    path: Path, server: subprocess.Popen[bytes], stopping: threading.Event, seconds: float
) -> bool:
    """True once a server listens on the Unix socket ``path``; False if the server died, the
    stack is stopping, or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    while not stopping.is_set() and server.poll() is None and time.monotonic() < deadline:
        with socket.socket(socket.AF_UNIX) as probe, contextlib.suppress(OSError):
            probe.connect(str(path))
            return True
        stopping.wait(0.1)
    return False


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
        _prepare_elsewhere(settings)
    finally:
        lock.release()
    return True


def _prepare_elsewhere(settings: Settings) -> None:
    """``prepare`` in a short-lived child process: creating the MLflow store imports MLflow
    (~250 MiB), which this process, alive as long as the stack, would otherwise keep. The
    child reads the same settings from the same environment, and runs in a session of its
    own: a stop signal to the stack lets it finish its (atomic) work, then the stack stops."""
    done = subprocess.run(
        [sys.executable, "-m", "ogrine_assets.home"],
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
    )
    if done.returncode == StoreDamaged.EXIT_STATUS:
        raise StoreDamaged(done.stderr.strip())
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise RuntimeError(f"preparing the home failed: {lines[-1]}")


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
