"""How the processes of ``ogrine up`` end with it, however it ends.

Every process of a stack carries the stack's *mark* (``OGRINE_STACK=<id>``) in its
environment: the parts get it from the stack, and whatever they start inherits it (the
code server's gRPC server and run workers, MLflow's server workers). Nothing without the
mark is ever signalled: it is how a process is known to be the stack's, even once its
parent has died and it was adopted elsewhere.

Three layers, each enough for what the one before cannot do:

- ``ogrine up`` stops its parts itself (:func:`stop`) when asked (Ctrl-C, SIGTERM,
  SIGHUP), as their *subreaper* (Linux): whatever a part started stays below it.
- Each part has a parent-death signal (``PR_SET_PDEATHSIG``): the kernel sends it SIGTERM
  the instant ``ogrine up`` dies, SIGKILL included.
- The *keeper* (``python -m ogrine_assets.local.keeper <mark>``), started first in a
  session of its own, waits on a pipe only ``ogrine up`` holds open. When the pipe closes
  (``ogrine up`` ended, however), it ends every process that still carries the mark
  (:func:`end_marked`), then exits: the grandchildren that no parent-death signal reaches.

What survives all three (the keeper killed together with ``ogrine up``) is found by the
next ``ogrine up`` on the home, by the mark it recorded (``stack_home.py``). Standard
library only (``processes.py`` reads ``/proc`` for it too): the keeper and ``ogrine up``
stay small.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ogrine_assets.local.processes import stat_fields

MARK_VARIABLE = "OGRINE_STACK"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
# How long the stack's processes get to stop on SIGTERM (Dagster's daemon and webserver
# finish their threads) before SIGKILL.
GRACE_SECONDS = 10.0

try:  # resolved here, not in a child between fork and exec (dlsym takes the loader's lock)
    _prctl: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: no parent-death signal, no subreaper
    _prctl = None


def marked(mark: str) -> set[int]:
    """Every live process (zombies excluded) whose environment carries ``mark``, from /proc;
    never this one."""
    needle = f"{MARK_VARIABLE}={mark}".encode()
    found = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            variables = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue  # ended meanwhile, or not ours to read
        state = stat_fields(entry.name)[:1]
        if needle in variables and state and state != ["Z"] and int(entry.name) != os.getpid():
            found.add(int(entry.name))
    return found


def end_marked(
    mark: str,
    grace_seconds: float = GRACE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> set[int]:
    """End every process carrying ``mark``: SIGTERM, up to ``grace_seconds`` to stop, then
    SIGKILL whatever is left (or appeared meanwhile), until none is (bounded). Returns the
    processes found."""
    found = marked(mark)
    for pid in found:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while marked(mark) and time.monotonic() < deadline:
        sleep(0.1)
    for _ in range(100):
        left = marked(mark)
        if not left:
            break
        found |= left
        for pid in left:
            _signal(pid, signal.SIGKILL)
        sleep(0.05)
    return found


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)


def start_keeper(mark: str) -> subprocess.Popen[bytes]:
    """The keeper of the stack ``mark``: it ends the stack's processes once the returned
    process's stdin (a pipe only this process holds) closes, at this process's end."""
    return subprocess.Popen(
        [sys.executable, "-m", "ogrine_assets.local.keeper", mark],
        stdin=subprocess.PIPE,
        start_new_session=True,  # out of reach of a signal to the stack's group
    )


def part_defaults() -> None:
    """Run in each part between fork and exec: the stop signals' defaults back (a shell
    that starts a job in the background makes it ignore SIGINT, and children inherit that),
    and SIGTERM when ``ogrine up`` dies (the kernel's parent-death signal: the part was
    forked by ``ogrine up``'s main thread, which lives as long as it does)."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def become_subreaper() -> None:
    """Adopt the orphans of this process's descendants (Linux), so that stopping the stack
    finds them below it."""
    if _prctl is not None:
        _prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def stop(
    processes: Sequence[subprocess.Popen[bytes]],
    grace_seconds: float = 20,
    spare: frozenset[int] = frozenset(),
) -> None:
    """SIGTERM each part's leader (each stops its own helpers, gracefully; a part still
    importing just ends, with no traceback), SIGKILL what is left of each group, then every
    descendant still alive (adopted orphans included) but ``spare`` (the keeper), and reap
    them all."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # helpers left behind by a stopped leader
        process.wait()
    for _ in range(50):  # bounded: each round kills what is left and reaps it
        left = descendants(os.getpid()) - spare
        if not left:
            return
        for pid in left:
            _signal(pid, signal.SIGKILL)
        _reap()


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (zombies excluded), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = stat_fields(entry.name)
        if len(fields) < 2:
            continue  # ended meanwhile
        state, parent = fields[:2]
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


def main(argv: Sequence[str]) -> int:
    """The keeper: wait for stdin to close, then end the stack ``argv[1]``. It says so only
    when ``ogrine up`` left processes behind (it was killed), on the same terminal."""
    mark = argv[1]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for ogrine up, which stops it all
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        while os.read(0, 4096):
            pass
    ended = end_marked(mark)
    if ended:
        with contextlib.suppress(OSError, ValueError):
            print(
                f"ogrine up ended without stopping its parts; its keeper stopped "
                f"{len(ended)} processes",
                file=sys.stderr,
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
