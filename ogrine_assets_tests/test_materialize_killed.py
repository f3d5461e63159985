"""`ogrine materialize` killed in the middle of training, or stopped by a full disk: the next
run finds a consistent home and carries on by itself."""

import signal
import subprocess
import time
from pathlib import Path

import pytest

from ogrine_assets.names import EXPERIMENT_NAME
from ogrine_assets_tests.support import (
    OGRINE,
    fill,
    materialized_home,
    ogrine,
    ogrine_env,
    probe_at_start,
    tmpfs,
)
from ogrine_assets_tests.test_materialize import assert_consistent, registry

pytestmark = pytest.mark.integration


# Holds a process in the middle of training, its MLflow run open, until it is killed; says
# so by making the file named in HELD_IN_TRAINING.
HELD_IN_LOG_MODEL = """
import os, time
from ogrine_assets.defs.common.training_log import TrainingLog
def _held(self, *args, **kwargs):
    open(os.environ["HELD_IN_TRAINING"], "w").close()
    time.sleep(600)
TrainingLog.log_model = _held
"""


def test_a_run_killed_in_training_is_closed_by_the_next_one(tmp_path: Path) -> None:
    home = materialized_home(tmp_path / "home")
    held = tmp_path / "held"
    training = subprocess.Popen(
        [OGRINE, "materialize", "--retrain"],
        env=ogrine_env(
            home,
            **probe_at_start(tmp_path / "probe", HELD_IN_LOG_MODEL),
            HELD_IN_TRAINING=str(held),
        ),
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not held.exists():  # the model is fitted and being logged, its run open
        assert training.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    training.send_signal(signal.SIGKILL)
    training.wait()
    experiment = registry(home).get_experiment_by_name(EXPERIMENT_NAME)
    statuses = [r.info.status for r in registry(home).search_runs([experiment.experiment_id])]
    assert "RUNNING" in statuses  # what the kill left
    # A write killed half-way leaves a temporary file like this one behind.
    leftover = home / "archive" / "forecasts" / ".2026-11-25_killed.json.ab12cd34.partial"
    leftover.write_text("{")

    after = ogrine(home, "materialize")
    assert after.returncode == 0, after.stderr
    assert "recovered: marked failed: run " in after.stdout
    assert "was left in progress: its process" in after.stdout
    assert "recovered: ended MLflow run" in after.stdout
    assert f"recovered: removed {leftover.name}" in after.stdout
    assert not leftover.exists()
    assert_consistent(home)


def test_a_full_disk_ends_in_one_line_and_the_next_run_carries_on(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "48m") as disk:
        home = materialized_home(disk / "home")
        published = (home / "forecast" / "forecast.json").read_bytes()
        filler = fill(disk)
        full = ogrine(home, "materialize")
        assert full.returncode == 1
        last = full.stderr.strip().splitlines()[-1]
        assert "FAILED at " in last and "no space left on the disk" in last, full.stderr
        assert "Traceback" not in full.stdout + full.stderr
        assert len(full.stderr.strip().splitlines()) == 1, full.stderr
        assert (home / "forecast" / "forecast.json").read_bytes() == published
        filler.unlink()
        again = ogrine(home, "materialize")
        assert again.returncode == 0, again.stderr
        assert_consistent(home)
