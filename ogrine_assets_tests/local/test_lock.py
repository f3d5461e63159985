"""The home's lock: exclusive, naming its holder, released by the kernel when its holder dies."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ogrine_assets.local.lock import HomeLock, LockHeld

HOLD = (
    "import sys, time; from pathlib import Path; from ogrine_assets.local.lock import HomeLock; "
    "HomeLock(Path(sys.argv[1])).acquire('a test holder'); print('held', flush=True); "
    "time.sleep(600)"
)


def hold_lock(home: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_the_lock_is_exclusive_names_its_holder_and_dies_with_it(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path)
    try:
        with pytest.raises(LockHeld, match=rf"PID {holder.pid}: a test holder, since "):
            HomeLock(tmp_path).acquire("a second run")
        waits: list[float] = []
        with pytest.raises(LockHeld, match="waited"):
            HomeLock(tmp_path).acquire("a waiting run", wait_seconds=0.3, sleep=waits.append)
    finally:
        holder.send_signal(signal.SIGKILL)  # no clean-up of its own: the kernel releases it
        holder.wait()
    lock = HomeLock(tmp_path)
    assert lock.acquire("the next run") < 1
    assert lock.holder().startswith(f"PID {os.getpid()}: the next run")
    lock.release()
