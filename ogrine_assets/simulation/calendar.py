"""What the schedules and the sensor run on a given day, as ``ogrine`` commands.

Every day at 02:00 UTC the daily schedule refreshes the forecast; on Mondays at 01:00 the
weekly schedule retrains, and the sensor promotes the new version and publishes: together
what ``ogrine materialize`` runs. A test holds these times to the schedules' cron strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEEKLY_TRAINING = (0, dt.time(1, 0))  # Monday, 01:00 UTC: "0 1 * * 1"
DAILY_REFRESH = dt.time(2, 0)  # every day, 02:00 UTC: "0 2 * * *"


@dataclass(frozen=True)
class Step:
    """One scheduled run: when it starts and the command that runs it."""

    at: dt.datetime
    command: str  # "materialize" or "refresh"


def scheduled(first_day: dt.date, days: int) -> list[Step]:
    """Every scheduled run of ``days`` days from ``first_day``, in order."""
    steps = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        if day.weekday() == WEEKLY_TRAINING[0]:
            steps.append(Step(_at(day, WEEKLY_TRAINING[1]), "materialize"))
        steps.append(Step(_at(day, DAILY_REFRESH), "refresh"))
    return steps


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=dt.UTC)
