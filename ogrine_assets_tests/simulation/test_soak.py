"""The loop, day after day, with faults: every invariant holds after every run."""

import datetime as dt
import gc
import os
import random
from pathlib import Path

import pytest

from ogrine_assets.defs.automation.schedules import (
    daily_forecast_schedule,
    weekly_training_schedule,
)
from ogrine_assets.simulation.calendar import DAILY_REFRESH, WEEKLY_TRAINING, scheduled
from ogrine_assets.simulation.soak import FAULTS, plan_faults, soak

pytestmark = pytest.mark.integration


def test_the_calendar_is_the_schedules() -> None:
    weekday, at = WEEKLY_TRAINING
    assert weekly_training_schedule.cron_schedule == f"{at.minute} {at.hour} * * {weekday + 1}"
    assert (
        daily_forecast_schedule.cron_schedule
        == f"{DAILY_REFRESH.minute} {DAILY_REFRESH.hour} * * *"
    )
    steps = scheduled(dt.date(2025, 1, 5), 9)  # a Sunday, then a week and a day
    assert [(s.at.strftime("%a %H:%M"), s.command) for s in steps[:3]] == [
        ("Sun 02:00", "refresh"),
        ("Mon 01:00", "materialize"),
        ("Mon 02:00", "refresh"),
    ]
    assert sum(s.command == "materialize" for s in steps) == 2 and len(steps) == 11


def test_a_fault_plan_is_seeded_and_runs_every_fault() -> None:
    plan = plan_faults(16, random.Random(7), rate=0.15)
    assert plan == plan_faults(16, random.Random(7), rate=0.15)
    assert set(FAULTS) <= set(plan)
    assert plan_faults(3, random.Random(7), rate=0.0).count(None) == 0  # three kinds, at least


def test_two_weeks_of_the_loop_under_every_fault_keep_every_invariant(tmp_path: Path) -> None:
    """Every kind of fault at least once (the plan guarantees it), three trainings;
    ``ogrine soak --days 365`` is the long run (docs/reliability.md)."""
    lines: list[str] = []
    report = soak(
        tmp_path / "home", days=14, seed=1, first_day=dt.date(2025, 1, 6), say=lines.append
    )
    assert report.violations == [], "\n".join(lines + report.violations)
    assert gc.get_freeze_count() == 0  # each run in this process froze, then thawed
    if os.environ.get("CI"):
        assert report.skipped_faults == []  # CI runs as root: the full disk fault runs too
    ran = {kind for kind in FAULTS if report.faults[kind]}
    assert ran == set(FAULTS) - ({"full_disk"} if report.skipped_faults else set())
    assert report.runs == 1 + 16 + 1  # the opening training, 14 days, 2 Mondays, the closing
    assert report.killed >= 1 and report.versions >= 2 and report.decisions == report.versions
    # Every run that met no fault succeeded.
    outcomes = [line.split()[3:5] for line in lines if line[:4].isdigit()]
    assert len(outcomes) >= 16 and all(
        outcome == "succeeded" for fault, outcome in outcomes if fault == "-"
    ), "\n".join(lines)
