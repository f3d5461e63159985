"""The refresh a stopped stack missed: when it is due, by the runs' clock, and when
Dagster's own scheduler runs it instead. (Launching it, against the real webserver, is in
test_stack.py.)"""

import datetime as dt
from pathlib import Path

from ogrine_assets.defs.automation.jobs import forecast_refresh_job
from ogrine_assets.defs.automation.schedules import daily_forecast_schedule
from ogrine_assets.local import catch_up
from ogrine_assets.local.catch_up import (
    abandoned,
    dagster_catches_up,
    last_tick,
    published_at,
)
from ogrine_assets.local.processes import UNTAGGED_GRACE_SECONDS
from ogrine_assets.names import PROCESS_TAG
from ogrine_assets.settings import current_time

TICK = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC).timestamp()


def test_the_names_it_uses_are_the_definitions_and_recoverys() -> None:
    assert daily_forecast_schedule.name == catch_up.REFRESH_SCHEDULE
    assert daily_forecast_schedule.job_name == forecast_refresh_job.name


def test_now_is_the_runs_now_and_the_forecast_is_as_old_as_it_says(tmp_path: Path) -> None:
    assert current_time("2026-11-27T09:30:00") == dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
    assert current_time("2026-11-27T09:30:00+01:00").hour == 9
    document = tmp_path / "forecast.json"
    assert published_at(document) is None
    document.write_text('{"schema_version": 3, "generated_at": "2026-11-26T09:30:00Z"}')
    assert published_at(document) == dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
    document.write_text("{")
    assert published_at(document) is None


def test_the_last_tick_is_the_latest_at_or_before_now() -> None:
    ticks = [TICK - 86400, TICK, TICK + 86400]
    assert last_tick(ticks, TICK + 7.5 * 3600) == TICK
    assert last_tick(ticks, TICK) == TICK
    assert last_tick([TICK + 86400], TICK) is None


def test_dagster_runs_the_missed_tick_itself_only_for_a_schedule_it_evaluated_before() -> None:
    never = {"ticks": [], "typeSpecificData": {"startTimestamp": None}}
    assert not dagster_catches_up(never, TICK)  # its daemon starts it now: no catch-up
    started_after = {"ticks": [], "typeSpecificData": {"startTimestamp": TICK + 3600}}
    assert not dagster_catches_up(started_after, TICK)
    evaluated_before = {"ticks": [], "typeSpecificData": {"startTimestamp": TICK - 86400}}
    assert dagster_catches_up(evaluated_before, TICK)  # its daemon catches the tick up
    ticked = {"ticks": [{"timestamp": TICK}], "typeSpecificData": {"startTimestamp": None}}
    assert dagster_catches_up(ticked, TICK)
    ticked_before = {**evaluated_before, "ticks": [{"timestamp": TICK - 86400}]}
    assert dagster_catches_up(ticked_before, TICK)
    assert not dagster_catches_up(evaluated_before, None)


def test_a_run_is_abandoned_by_recoverys_rule() -> None:
    """As ``fail_abandoned_runs`` judges it (test_recovery.py), from what the API shows."""
    alive = {"h/1/1": False, "h/2/2": True, "x/3/3": None}.get

    def run(process: str | None, updated: float = 0.0, run_id: str = "r1") -> dict:
        tags = [{"key": PROCESS_TAG, "value": f"{run_id}@{process}"}] if process else []
        return {"runId": "r1", "updateTime": updated, "tags": tags}

    assert abandoned(run("h/1/1"), alive, lambda: 0.0)  # its process is gone
    assert not abandoned(run("h/2/2"), alive, lambda: 0.0)  # still running
    assert not abandoned(run("x/3/3"), alive, lambda: 0.0)  # another host's: not ours
    assert not abandoned(run(None), alive, lambda: 60.0)  # may still be starting
    assert abandoned(run(None), alive, lambda: UNTAGGED_GRACE_SECONDS + 1.0)
    # A re-executed run inherits its parent's tag: the parent's process is not its own.
    assert not abandoned(run("h/1/1", run_id="parent"), alive, lambda: 60.0)
