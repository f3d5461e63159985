"""One stack per home, and what a stack killed earlier left running.

``ogrine up`` holds the home's ``up.lock`` (an ``flock``, like the pipeline's lock: the
kernel releases it when its process ends, however) for its whole life: a second ``ogrine
up`` on the home is refused at once, in one line naming the first one's PID and ports.

Before starting anything, a stack records its mark (``keeper.py``) in ``up.json``, written
atomically. A stack whose keeper could not end it (both killed at once) leaves processes
carrying that mark; the next ``ogrine up`` on the home, once it holds the lock (so that
stack's ``ogrine up`` is gone), ends them: only processes carrying the recorded mark, which
no other process has.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from pathlib import Path

from ogrine_assets.local.files import write_atomically
from ogrine_assets.local.keeper import end_marked
from ogrine_assets.local.lock import HomeLock, LockHeld
from ogrine_assets.local.processes import process_identity

UP_LOCK = "up.lock"
RECORD = "up.json"


class StackRunning(RuntimeError):
    """Another ``ogrine up`` runs on the home; the message names its PID and ports."""


def claim_home(home: Path, ports: dict[str, int]) -> HomeLock:
    """The home's stack lock, held until this process ends; :class:`StackRunning` when
    another ``ogrine up`` holds it. ``ports``: each part's name and port, for its message."""
    lock = HomeLock(home, UP_LOCK)
    shown = ", ".join(f"{port} ({name})" for name, port in ports.items())
    try:
        lock.acquire(f"ogrine up on ports {shown}")
    except LockHeld:
        holder = lock.holder() or "holder unknown"
        pid = re.match(r"PID (\d+):", holder)
        how = f"Ctrl-C in its terminal, or kill {pid[1]}" if pid else "Ctrl-C in its terminal"
        raise StackRunning(
            f"another ogrine up runs on this home ({holder}); stop it first ({how})"
        ) from None
    return lock


def record_stack(home: Path, mark: str, ports: dict[str, int]) -> None:
    """What the next ``ogrine up`` needs to find this stack's leftovers: its mark."""
    record = {
        "mark": mark,
        "process": process_identity(),
        "ports": ports,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_atomically(home / RECORD, json.dumps(record, indent=2).encode())


def end_leftovers(home: Path, grace_seconds: float = 5.0) -> set[int]:
    """End what the stack recorded in ``home`` left running; only under the stack lock."""
    try:
        mark = json.loads((home / RECORD).read_text())["mark"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()  # no stack ran here yet, or one of a version without the record
    if not isinstance(mark, str) or not mark:
        return set()
    return end_marked(mark, grace_seconds)


def taken_ports(ports: dict[str, int]) -> list[str]:
    """The parts whose port on 127.0.0.1 another program listens on, as "name (port N)"."""
    taken = []
    for name, port in ports.items():
        with socket.socket() as probe:
            # As the servers bind: a port a stopped server left in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append(f"{name} (port {port})")
    return taken
