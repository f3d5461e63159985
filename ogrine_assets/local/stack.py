"""``ogrine up``: Dagster (code server, webserver, daemon), MLflow UI and service on 127.0.0.1.

One stack per home, and nothing of it outlives it (``stack_home.py``, ``keeper.py``): a
second ``ogrine up`` on the home is refused, naming the first; whatever a killed stack left
running is ended before anything starts; every process of the stack ends when ``ogrine
up`` ends, SIGKILL included. SIGINT, SIGTERM and SIGHUP all stop the stack the same way, at
any moment, and the exit status is 0 unless a part died on its own.

"Ready" once each part answered as itself (``readiness.py``), not merely once something
answers on its port. Then, at once and every few seconds, the runs whose process is gone
are failed (one of them would keep the run queue's only slot), and once, the refresh the
daily schedule missed while the stack was down is launched (``catch_up.py``).

The terminal stays quiet: the "Ready" line, then one line per run the daemon starts or
finishes or the stack fails, and warnings and errors (``console.py``), and once stopped, a
last line saying that everything has ended; each part's whole output goes to its file in
``OGRINE_HOME/logs/up``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import IO, TextIO

from ogrine_assets.failures import cause_of_exception
from ogrine_assets.local.catch_up import DagsterApiError, catch_up, dead_runs
from ogrine_assets.local.console import console_line, healed_line
from ogrine_assets.local.keeper import (
    MARK_VARIABLE,
    STOP_SIGNALS,
    become_subreaper,
    descendants,
    part_defaults,
    start_keeper,
    stop,
)
from ogrine_assets.local.lock import HomeLock, LockHeld
from ogrine_assets.local.mlflow_ui import landing_url
from ogrine_assets.local.parts import (
    code_server_command,
    dagster_commands,
    service_commands,
    stack_environment,
    workspace_yaml,
)
from ogrine_assets.local.readiness import (
    NotItself,
    Part,
    dagster_webserver,
    forecast_service,
    mlflow_server,
    wait_until_ready,
)
from ogrine_assets.local.stack_home import (
    claim_home,
    end_leftovers,
    record_stack,
    taken_ports,
)
from ogrine_assets.local.stores import StoreDamaged
from ogrine_assets.names import EXPERIMENT_NAME
from ogrine_assets.settings import Settings, current_time

# The code server listens at once and loads the code behind it; a minute is ample on a busy
# machine, and a code server that never listens must not leave the stack waiting forever.
CODE_SERVER_START_SECONDS = 60.0
# How long the parts get to answer before the terminal hears which one does not (they are
# left running: a busy machine may need longer, and the line says where to look).
READY_SECONDS = 120.0
# How often the stack looks for runs whose process is gone (a question to Dagster's API;
# only when there are some does it start a process to fail them).
HEAL_SECONDS = 5.0
PORT_OPTIONS = {"Dagster UI": "--dagster-port", "MLflow UI": "--mlflow-port"}
# The last line once every process of the stack has ended (the terminal's prompt follows).
STOPPED = "Stopped: every part of the stack has ended; nothing is left running."


def up(settings: Settings, dagster_port: int, mlflow_port: int, service_port: int) -> int:
    started = time.monotonic()
    stopping = threading.Event()
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda *_: stopping.set())
    become_subreaper()
    local_mlflow = settings.uses_local_mlflow_store
    ports = {"Dagster UI": dagster_port, "MLflow UI": mlflow_port, "forecast": service_port}
    if not local_mlflow:
        del ports["MLflow UI"]  # a tracking server elsewhere: no MLflow part here
    mark = uuid.uuid4().hex
    try:
        claim_home(settings.home, ports)  # held until this process ends
        left = end_leftovers(settings.home)
        if left:
            shown = ", ".join(map(str, sorted(left)))
            _say(f"ogrine up: stopped what a stack killed earlier left running (PIDs {shown})")
        taken = taken_ports(ports)
        if taken:
            options = ", ".join(PORT_OPTIONS.get(name, "--service-port") for name in ports)
            raise RuntimeError(
                f"another program listens on the port of the {', '.join(taken)}: stop it, "
                f"or choose other ports ({options})"
            )
        record_stack(settings.home, mark, ports)
        if not _prepare_home(settings, stopping):
            _say(STOPPED)  # asked to stop while waiting for the home: nothing had started
            return 0
    except (LockHeld, RuntimeError, OSError) as exc:  # StoreDamaged, StackRunning too
        cause = exc if isinstance(exc, LockHeld | RuntimeError) else cause_of_exception(exc)
        _say(f"ogrine up FAILED at startup: {cause}", sys.stderr)
        return 1
    env = {**stack_environment(settings, mlflow_port), MARK_VARIABLE: mark}
    scratch = Path(tempfile.mkdtemp(prefix="ogrine-up-"))
    code_socket = scratch / "code.sock"
    workspace = scratch / "workspace.yaml"
    workspace.write_text(workspace_yaml(code_socket))
    names: list[str] = []
    processes: list[subprocess.Popen[bytes]] = []
    failed = False

    log_dir = settings.log_dir / "up"
    readers: list[threading.Thread] = []

    def start(name: str, command: list[str]) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        popen = subprocess.Popen(
            command,
            env=env,
            start_new_session=True,
            preexec_fn=part_defaults,  # from this (the main) thread: see part_defaults
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

    def running() -> bool:
        return all(p.poll() is None for p in processes)

    _say(f"ogrine up: starting Dagster, MLflow and the service; their logs go to {log_dir}")
    keeper = start_keeper(mark)
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
        urls = {
            "Dagster UI": f"http://127.0.0.1:{dagster_port}",
            "MLflow UI": f"http://127.0.0.1:{mlflow_port}"
            if local_mlflow
            else settings.mlflow_tracking_uri,
            "forecast": f"http://127.0.0.1:{service_port}",
        }
        parts = {
            "Dagster UI": Part(urls["Dagster UI"], dagster_webserver, "Dagster's webserver"),
            "forecast": Part(urls["forecast"], forecast_service, "the forecast service"),
        }
        if local_mlflow:
            parts["MLflow UI"] = Part(urls["MLflow UI"], mlflow_server, "MLflow's server")
        try:
            ready = wait_until_ready(parts, running, stopping, READY_SECONDS, _warn)
        except NotItself as impostor:
            _warn(f"ogrine up FAILED at startup: {impostor}")
            return 1
        if ready:
            if local_mlflow:  # the experiment's runs, once there is one (mlflow_ui.py)
                urls["MLflow UI"] = landing_url(urls["MLflow UI"], EXPERIMENT_NAME)
            shown = " · ".join(f"{name} {url}" for name, url in urls.items())
            _say(f"Ready in {time.monotonic() - started:.1f} s: {shown} · Ctrl-C stops everything")
            tending = threading.Thread(
                target=_tend_runs, args=(settings, dagster_port, env, stopping), daemon=True
            )
            tending.start()
        while not stopping.is_set() and running():
            stopping.wait(0.5)
        died = [] if stopping.is_set() else [p for p in processes if p.poll() is not None]
        for process in died:
            name = names[processes.index(process)]
            _warn(f"ogrine up: {name} exited with {process.returncode}; see {log_dir / name}.log")
        failed = bool(died)
    finally:
        _say("Stopping…")
        stop(processes, spare=frozenset({keeper.pid}))
        for reader in readers:  # the parts' last lines, into their files
            reader.join(timeout=5)
        shutil.rmtree(scratch, ignore_errors=True)
        _release(keeper)
        if left := descendants(os.getpid()):
            _warn(f"ogrine up: WARNING: still running after the stop: PIDs {sorted(left)}")
        else:
            _say(STOPPED)
    return 1 if failed else 0


def _release(keeper: subprocess.Popen[bytes]) -> None:
    """Close the keeper's pipe (it then finds nothing left to end) and wait for it."""
    if keeper.stdin is not None:
        with contextlib.suppress(OSError):
            keeper.stdin.close()
    try:
        keeper.wait(timeout=30)
    except subprocess.TimeoutExpired:
        keeper.kill()
        keeper.wait()


def _tend_runs(
    settings: Settings, dagster_port: int, env: dict[str, str], stopping: threading.Event
) -> None:
    """At once and every ``HEAL_SECONDS`` until the stack stops: fail the runs whose process
    is gone; once, after the first time, launch the refresh the schedule missed."""
    caught_up = False
    complained = False
    tried: set[str] = set()  # a run that could not be failed is not tried every 5 s
    while not stopping.is_set():
        try:
            dead = set(dead_runs(dagster_port))
            if dead - tried and _heal(settings, env):
                tried |= dead
            if not caught_up:
                line = catch_up(
                    dagster_port, settings.forecast_path, current_time(settings.fixed_now)
                )
                caught_up = True
                if line:
                    _say(line)
        except Exception as exc:  # whatever Dagster answers, the stack goes on: said once
            if not (complained or stopping.is_set()):
                cause = exc if isinstance(exc, DagsterApiError) else cause_of_exception(exc)
                _warn(f"ogrine up: WARNING: the run queue cannot be looked after: {cause}")
                complained = True
        stopping.wait(HEAL_SECONDS)


def _heal(settings: Settings, env: dict[str, str]) -> bool:
    """Fail the runs whose process is gone, in a process of its own (it loads Dagster),
    under the home's lock; a line each. False when a run holds the lock: it does so itself
    (or, once it ends, the next try here)."""
    lock = HomeLock(settings.home)
    try:
        lock.acquire("ogrine up (failing runs whose process is gone)")
    except LockHeld:
        return False
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ogrine_assets.local.stores", "--heal"],
            env=env,  # with the stack's mark: the keeper ends it with the rest
            capture_output=True,
            text=True,
            check=False,
            start_new_session=True,
        )
    finally:
        lock.release()
    for note in done.stdout.splitlines():
        _say(healed_line(note))
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        _warn(f"ogrine up: ERROR: failing the runs whose process is gone: {lines[-1]}")
    return True


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


def _warn(text: str) -> None:
    _say(text, sys.stderr)


def _say(text: str, stream: TextIO = sys.stdout) -> None:
    """Print, unless the terminal is gone (a hang-up): stopping must go on regardless."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=stream, flush=True)
