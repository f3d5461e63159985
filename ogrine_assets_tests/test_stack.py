"""``ogrine up``'s own logic, without starting the stack (its whole life: test_cli.py)."""

import signal
import subprocess
import threading
from pathlib import Path

import pytest

from ogrine_assets import stack
from ogrine_assets_tests.support import make_settings


def _child_ended_by(status: int, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, status, "", "")

    monkeypatch.setattr(stack.subprocess, "run", run)


def test_a_stop_signal_that_caught_the_preparing_child_stops_the_stack_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signal to the stack's group can reach the child before it has its own session
    (seen in CI with the other core busy: 'preparing the home failed: exit status -15')."""
    settings = make_settings(tmp_path / "home")
    stopping = threading.Event()
    _child_ended_by(-signal.SIGTERM, monkeypatch)
    stopping.set()
    assert stack._prepare_home(settings, stopping) is False
    # Not asked to stop: the same end is a failure, said in one line.
    stopping.clear()
    with pytest.raises(RuntimeError, match="preparing the home failed: exit status -15"):
        stack._prepare_home(settings, stopping)
