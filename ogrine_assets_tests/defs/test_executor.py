"""Runs Dagster launches (the daemon, the UI) execute under the home's lock, and repair first.

`dagster job execute` runs a job the way a run worker does: with the job's own executor,
which `execute_in_process` (the CLI's way) replaces.
"""

import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from ogrine_assets.defs.common.recovery import PROCESS_TAG
from ogrine_assets_tests.local.test_lock import hold_lock
from ogrine_assets_tests.support import materialized_home, ogrine_env, probe_at_start

pytestmark = pytest.mark.integration

DAGSTER = str(Path(sys.executable).parent / "dagster")

# At the exit of a process it is put in, the collector's first threshold and how many
# objects are frozen go to the file COLLECTOR_AT_EXIT names.
COLLECTOR_AT_EXIT = """
import atexit, gc, os
def _say():
    with open(os.environ["COLLECTOR_AT_EXIT"], "w") as said:
        said.write(f"{gc.get_threshold()[0]} {gc.get_freeze_count()}")
atexit.register(_say)
"""


def dagster_run(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    command = [DAGSTER, "job", "execute", "-m", "ogrine_assets.definitions"]
    command += ["-j", "forecast_refresh_job"]
    environ = ogrine_env(home, DAGSTER_HOME=str(home / "dagster"), **env)
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=600)


def latest_run(home: Path) -> dg.DagsterRun:
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        (record,) = instance.get_run_records(limit=1)
        return record.dagster_run


def test_a_launched_run_waits_for_the_home_then_repairs_before_its_first_step(
    tmp_path: Path,
) -> None:
    home = materialized_home(tmp_path / "home")

    holder = hold_lock(home)
    try:
        refused = dagster_run(home, OGRINE_LOCK_WAIT_SECONDS="1")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert refused.returncode != 0
    run = latest_run(home)
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert "another run holds" in refused.stdout + refused.stderr
    assert run.tags[PROCESS_TAG].startswith(f"{run.run_id}@")  # said before waiting

    leftover = home / "archive" / "forecasts" / ".2026-11-25_killed.json.ab12cd34.partial"
    leftover.write_text("{")
    collector = tmp_path / "collector.txt"
    probe = probe_at_start(tmp_path / "probe", COLLECTOR_AT_EXIT)
    ran = dagster_run(home, **probe, COLLECTOR_AT_EXIT=str(collector))
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    # The run's process collected rarely and froze what was loaded (local/processes.py).
    threshold, frozen = map(int, collector.read_text().split())
    assert threshold == 20_000 and frozen > 100_000
    assert latest_run(home).status == dg.DagsterRunStatus.SUCCESS
    assert not leftover.exists()
    assert f"Recovered: removed {leftover.name}" in ran.stdout + ran.stderr
