"""The stack's processes end with ``ogrine up``: whatever carries its mark, wherever it was
adopted, and nothing else."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ogrine_assets.local.keeper import MARK_VARIABLE, end_marked, marked, start_keeper

IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
)


@contextmanager
def orphans(*marks: str, ignoring_sigterm: bool = False) -> Iterator[list[int]]:
    """A sleeping process per mark, whose parent has exited: adopted elsewhere, as a part's
    helper is once its part died; all killed at the end, whatever the test did."""
    pids = []
    command = f"{sys.executable} -c '{IGNORES_SIGTERM}'" if ignoring_sigterm else "sleep 600"
    try:
        for mark in marks:
            started = subprocess.run(
                ["sh", "-c", f"{command} >/dev/null 2>&1 & echo $!"],
                env={**os.environ, MARK_VARIABLE: mark},
                capture_output=True,
                text=True,
                check=True,
                start_new_session=True,
            )
            pids.append(int(started.stdout))
        yield pids
    finally:
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_the_keeper_ends_its_stack_once_ogrine_up_is_gone_and_nothing_else() -> None:
    mark, other = uuid.uuid4().hex, uuid.uuid4().hex
    with orphans(mark, mark, other) as (first, second, elsewhere):
        assert marked(mark) == {first, second}
        keeper = start_keeper(mark)
        try:
            assert keeper.poll() is None and marked(mark) == {first, second}
            assert keeper.stdin is not None
            keeper.stdin.close()  # what ogrine up's end does to the pipe, however it ends
            assert keeper.wait(timeout=60) == 0
        finally:
            keeper.kill()
        assert marked(mark) == set()
        assert marked(other) == {elsewhere}


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    mark = uuid.uuid4().hex
    with orphans(mark, ignoring_sigterm=True) as (stubborn,):
        deadline = time.monotonic() + 30
        while not _ignores(stubborn, signal.SIGTERM):  # once it is past its first lines
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert end_marked(mark, grace_seconds=0.5) == {stubborn}
        assert marked(mark) == set()


def _ignores(pid: int, signum: signal.Signals) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signum - 1)))
    return False
