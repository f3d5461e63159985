"""The processes that run in a home: which process a run belongs to and whether it still runs
(what recovery reads to tell a run in progress from one whose process died), and how a
process that exists for one run treats its garbage collector.

A run process (``ogrine materialize`` and ``refresh``, and the worker Dagster starts for each
launched run) imports Dagster, MLflow, scikit-learn, pandas and polars: hundreds of
thousands of objects that live as long as it does. Walking them finds nothing to free, and
under Python's default thresholds the collector would walk them again and again while they
are imported and while the run allocates, and once more at exit. So such a process does not
collect while it loads (``ogrine``'s commands stop collection before their first heavy
import, docs/libraries.md), then freezes what is loaded once its steps begin and collects
rarely from then on, what the run itself allocates (``defs/common/run_entry.py``). A
process that goes on after a run (the soak and the replay run hundreds in one process)
thaws them again: a frozen object is never collected.
"""

from __future__ import annotations

import gc
import os
import socket
from collections.abc import Callable
from pathlib import Path

# A run in progress that never recorded its process is left alone this long: it may still
# be starting. Dagster's run monitoring fails those that never start (dagster.yaml).
UNTAGGED_GRACE_SECONDS = 15 * 60


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
    fields = stat_fields(pid)
    return fields[19] if len(fields) > 19 else ""  # field 22 of /proc/<pid>/stat


def stat_fields(pid: int | str) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the process's name (state, parent, …, from
    field 3), which may hold spaces and parentheses itself; empty when the process is gone
    or not ours to read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rsplit(")", 1)[1].split()


RARELY = (20_000, 20, 20)  # a young collection every 20,000 net allocations; default 700


def load_without_collecting() -> None:
    """No automatic collection until :func:`collect_rarely`: what is imported now stays."""
    gc.disable()


def collect_rarely() -> None:
    gc.set_threshold(*RARELY)
    gc.enable()


def freeze_what_is_loaded() -> None:
    """Every object alive now out of the collector's reach, for good; what is allocated from
    now on is collected, rarely."""
    gc.freeze()
    collect_rarely()


def thaw() -> None:
    """Every frozen object back to the collector, for a process that goes on after its run."""
    gc.unfreeze()


def abandonment(
    run_id: str,
    process_tag: str | None,
    updated_at: float | None,
    alive: Callable[[str], bool | None],
    now: Callable[[], float],
) -> str | None:
    """Why a run shown in progress was abandoned, or None while it may still run: recovery's
    rule, which ``ogrine up`` also applies through Dagster's API. ``process_tag``: the run's
    ``PROCESS_TAG``; ``updated_at``: when the run last changed (seconds since the epoch)."""
    owner, _, identity = (process_tag or "").partition("@")
    if owner == run_id:  # a re-executed run inherits its parent's tag: not this run's
        if alive(identity) is not False:  # running, or on another host: not ours to judge
            return None
        return f"its process ({identity.split('/')[1]}) is gone"
    if updated_at is not None and now() - updated_at > UNTAGGED_GRACE_SECONDS:
        return "it never reached its first step"
    return None
