"""``ogrine up``: Dagster (code server, webserver, daemon), MLflow UI and service on 127.0.0.1.

Each part runs in a process group of its own, so stopping it stops its helpers. This
process is their *subreaper* (Linux): a helper whose parent died is adopted here rather
than by init, so when the stack stops, nothing it started is left running. SIGINT,
SIGTERM and SIGHUP all stop the stack the same way, at any moment, and the exit status is
0 unless a part died on its own.

The terminal stays quiet: one "Ready" line once all three answer, then one line per run
the daemon starts or finishes, and warnings and errors (``console.py``); each part's
whole output goes to its file in ``OGRINE_HOME/logs/up``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TextIO

from ogrine_assets.failures import cause_of_exception
from ogrine_assets.local.console import console_line
from ogrine_assets.local.lock import HomeLock, LockHeld
from ogrine_assets.local.parts import (
    code_server_command,
    dagster_commands,
    service_commands,
    stack_environment,
    workspace_yaml,
)
from ogrine_assets.local.stores import StoreDamaged
from ogrine_assets.settings import Settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_CHILD_SUBREAPER = 36
# The code server listens at once and loads the code behind it; a minute is ample on a busy
# machine, and a code server that never listens must not leave the stack waiting forever.
CODE_SERVER_START_SECONDS = 60.0
# How long the parts get to answer before the terminal hears which one does not (they are
# left running: a busy machine may need longer, and the line says where to look).
READY_SECONDS = 120.0


def _child_defaults() -> None:
    # A shell that starts a job in the background makes it ignore SIGINT, and children
    # inherit that; the parts must still stop when asked, so they get the defaults back.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)


def up(settings: Settings, dagster_port: int, mlflow_port: int, service_port: int) -> int:
    started = time.monotonic()
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
    names: list[str] = []
    processes: list[subprocess.Popen[bytes]] = []
    died: list[subprocess.Popen[bytes]] = []

    log_dir = settings.log_dir / "up"
    readers: list[threading.Thread] = []

    def start(name: str, command: list[str]) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        popen = subprocess.Popen(
            command,
            env=env,
            start_new_session=True,
            preexec_fn=_child_defaults,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        names.append(name)
        processes.append(popen)
        assert popen.stdout is not None
        reader = threading.Thread(
            target=_relay, args=(name, popen.stdout, log_dir / f"{name}.log"), daemon=True
        )
        reader.start()
        readers.append(reader)

    _say(f"ogrine up: starting Dagster, MLflow and the service; their logs go to {log_dir}")
    try:
        first = {
            "code-server": code_server_command(code_socket),
            **service_commands(settings, mlflow_port, service_port),
        }
        for name, command in first.items():
            if not stopping.is_set():
                start(name, command)
        code_server = processes[0] if processes else None  # none if asked to stop already
        if code_server and _wait_for_socket(
            code_socket, code_server, stopping, CODE_SERVER_START_SECONDS
        ):
            for name, command in dagster_commands(workspace, dagster_port).items():
                start(name, command)
        elif code_server and not stopping.is_set() and code_server.poll() is None:
            _say(
                f"ogrine up FAILED at startup: Dagster's code server did not answer within "
                f"{CODE_SERVER_START_SECONDS:.0f} s",
                sys.stderr,
            )
            return 1
        mlflow_ui = f"http://127.0.0.1:{mlflow_port}" if settings.uses_local_mlflow_store else None
        urls = {
            "Dagster UI": f"http://127.0.0.1:{dagster_port}",
            "MLflow UI": mlflow_ui or settings.mlflow_tracking_uri,
            "forecast": f"http://127.0.0.1:{service_port}",
        }
        probes = {"Dagster UI": f"{urls['Dagster UI']}/server_info", "forecast": urls["forecast"]}
        if mlflow_ui:
            probes["MLflow UI"] = f"{mlflow_ui}/health"
        if _wait_until_answering(probes, processes, stopping, READY_SECONDS):
            shown = " · ".join(f"{name} {url}" for name, url in urls.items())
            _say(f"Ready in {time.monotonic() - started:.1f} s: {shown} · Ctrl-C stops everything")
        while not stopping.is_set() and all(p.poll() is None for p in processes):
            stopping.wait(0.5)
        died = [] if stopping.is_set() else [p for p in processes if p.poll() is not None]
        for process in died:
            name = names[processes.index(process)]
            _say(
                f"ogrine up: {name} exited with {process.returncode}; see {log_dir / name}.log",
                sys.stderr,
            )
    finally:
        _say("Stopping…")
        stop(processes)
        for reader in readers:  # the parts' last lines, into their files
            reader.join(timeout=5)
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if died else 0


def _relay(part: str, stream: IO[bytes], log_path: Path) -> None:
    """Every line of a part's output into its log file; the few that matter to the terminal.
    Runs until the part closes its output; never raises (a part blocked on a full pipe
    would hang)."""
    try:
        log: IO[bytes] | None = log_path.open("ab")
    except OSError:
        log = None
    with contextlib.suppress(Exception):
        for raw in iter(stream.readline, b""):
            if log is not None:
                try:
                    log.write(raw)
                    log.flush()
                except OSError:
                    log = None
            with contextlib.suppress(Exception):
                shown = console_line(part, raw.decode("utf-8", "replace"))
                if shown is not None:
                    _say(shown)
    with contextlib.suppress(Exception):
        for _ in iter(stream.readline, b""):  # drain whatever is left, never block a part
            pass
    if log is not None:
        with contextlib.suppress(OSError):
            log.close()


def _wait_until_answering(
    probes: dict[str, str],
    processes: Sequence[subprocess.Popen[bytes]],
    stopping: threading.Event,
    seconds: float,
) -> bool:
    """True once every URL answers over HTTP (any status: a service with no forecast yet
    answers 503); False if the stack is stopping or a part died. After ``seconds``, says
    which do not answer yet and goes on waiting."""
    deadline = time.monotonic() + seconds
    waiting = dict(probes)
    while waiting:
        if stopping.is_set() or any(p.poll() is not None for p in processes):
            return False
        for name, url in list(waiting.items()):
            if _answers(url):
                del waiting[name]
        if waiting and time.monotonic() > deadline:
            _say(f"ogrine up: still waiting for {', '.join(waiting)} to answer", sys.stderr)
            deadline = float("inf")
        if waiting:
            stopping.wait(0.2)
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # an HTTP answer, if not a 2xx one
    except (OSError, ValueError):
        return False


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
        return _prepare_elsewhere(settings, stopping)
    finally:
        lock.release()


def _prepare_elsewhere(settings: Settings, stopping: threading.Event) -> bool:
    """``prepare`` in a short-lived child process: creating the MLflow store imports MLflow
    (~250 MiB), which this process, alive as long as the stack, would otherwise keep. The
    child reads the same settings from the same environment, and runs in a session of its
    own: a stop signal to the stack lets it finish its (atomic) work, then the stack stops.

    A signal sent to the stack's group in the instant between the child's creation and its
    own new session still reaches it (seen under load: exit status -15). Its work is atomic
    and the next start redoes it, so a child ended by a stop signal while the stack is
    stopping is no failure: False, the stack stops as asked."""
    done = subprocess.run(
        [sys.executable, "-m", "ogrine_assets.local.stores"],
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
    )
    if done.returncode < 0 and -done.returncode in STOP_SIGNALS and stopping.is_set():
        return False
    if done.returncode == StoreDamaged.EXIT_STATUS:
        raise StoreDamaged(done.stderr.strip())
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise RuntimeError(f"preparing the home failed: {lines[-1]}")
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
