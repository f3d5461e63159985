"""A process is known by its host, PID and start time: a reused PID is another process."""

import subprocess

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
