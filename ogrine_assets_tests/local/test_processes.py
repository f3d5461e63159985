"""A process is known by its host, PID and start time: a reused PID is another process."""

import subprocess
import sys

from ogrine_assets.local.processes import process_alive, process_identity


def test_a_process_is_told_from_one_that_reused_its_pid() -> None:
    me = process_identity()
    assert process_alive(me) is True
    host, pid, _ = me.split("/")
    assert process_alive(f"{host}/{pid}/1") is False  # same PID, another start: not it
    assert process_alive("another-host/1/1") is None
    ended = subprocess.Popen(["true"])
    identity = process_identity(ended.pid)
    ended.wait()
    assert process_alive(identity) is False


# What a run process does with its collector, in a process of its own: the state is global.
LOADS_THEN_RUNS = """
import gc
from ogrine_assets.local.processes import RARELY, freeze_what_is_loaded, load_without_collecting

def collections():
    return sum(generation["collections"] for generation in gc.get_stats())

load_without_collecting()
before = collections()
loaded = [[n] for n in range(100_000)]  # what imports leave: objects that stay
print(collections() - before)
freeze_what_is_loaded()
print(gc.get_freeze_count() >= 100_000, gc.isenabled(), gc.get_threshold() == RARELY)
before = collections()
allocated = [[n] for n in range(100_000)]  # what the run allocates
print(collections() - before > 0)
"""


def test_a_run_process_collects_nothing_while_it_loads_then_rarely() -> None:
    ran = subprocess.run([sys.executable, "-c", LOADS_THEN_RUNS], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split("\n")[:3] == ["0", "True True True", "True"]
