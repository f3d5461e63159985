"""The home's single-flight lock: one run at a time changes a home.

Every run that changes the home holds ``pipeline.lock`` for its whole length: the CLI takes
it before running anything (and says at once who holds it when it cannot), runs launched by
Dagster's daemon wait for it (``defs/common/run_entry.py`` takes it for both). The lock is an
``flock`` on a file under ``OGRINE_HOME``, so the kernel releases it when its process dies,
however it dies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

LOCK_NAME = "pipeline.lock"


class LockHeld(RuntimeError):
    """Another process holds the home's pipeline lock; the message names it."""


class HomeLock:
    """An exclusive, process-lifetime lock on a home (``flock``: released when the process
    ends, even by SIGKILL). Its file records who holds it, for the message of the next.
    ``name``: the pipeline's lock by default; ``ogrine up`` holds one of its own
    (``stack_home.py``)."""

    def __init__(self, home: Path, name: str = LOCK_NAME) -> None:
        self.path = home / name
        self._handle: int | None = None

    def acquire(
        self,
        holder: str,
        *,
        wait_seconds: float = 0.0,
        poll_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> float:
        """Take the lock, waiting up to ``wait_seconds``; returns the seconds waited.

        ``holder`` says who takes it ("ogrine materialize", "run <id>"); raises
        :class:`LockHeld` naming the current holder when the wait runs out.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        began = time.monotonic()
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - began
                    if waited >= wait_seconds:
                        raise LockHeld(
                            f"another run holds {self.path} ({self.holder() or 'holder unknown'})"
                            + (f"; waited {waited:.0f} s" if wait_seconds else "")
                        ) from None
                    sleep(min(poll_seconds, wait_seconds - waited))
        except BaseException:
            os.close(handle)
            raise
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with contextlib.suppress(OSError):  # who holds it is a courtesy: a full disk may refuse
            os.ftruncate(handle, 0)
            os.pwrite(handle, f"PID {os.getpid()}: {holder}, since {since}\n".encode(), 0)
        self._handle = handle
        return time.monotonic() - began

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)  # closing the descriptor releases the flock
            self._handle = None

    def holder(self) -> str:
        """Who took the lock last, as they wrote it (the lock itself is the kernel's)."""
        try:
            return self.path.read_text().strip()
        except OSError:
            return ""
