"""Which process a run belongs to, and whether it still runs: what recovery reads to tell a
run in progress from one whose process died."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def process_identity(pid: int | None = None) -> str:
    """``host/pid/start`` of a process: its start time (in clock ticks since boot) tells it
    from a later process that reused the PID."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}/{pid}/{_start_ticks(pid)}"


def process_alive(identity: str) -> bool | None:
    """Whether the process ``identity`` names still runs; None when nothing here can tell (it
    ran on another host, this system has no /proc, or the identity is not one)."""
    try:
        host, pid, start = identity.rsplit("/", 2)
        number = int(pid)
    except ValueError:
        return None
    if host != socket.gethostname() or not start or not Path("/proc/self/stat").exists():
        return None
    return _start_ticks(number) == start


def _start_ticks(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, after the name in parentheses
