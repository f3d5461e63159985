"""Weekly retraining, and a daily refresh so the 7 days ahead are always ahead."""

import dagster as dg

from ogrine_assets.defs.automation.jobs import forecast_refresh_job, training_job
from ogrine_assets.names import REFRESH_SCHEDULE

weekly_training_schedule = dg.ScheduleDefinition(
    name="weekly_training_schedule",
    job=training_job,
    cron_schedule="0 1 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every Monday at 01:00 UTC, retrain on the latest rates.",
)

# The horizon is 7 days: a forecast refreshed only at the weekly retraining would be half
# in the past by Thursday. Every day, after the upstream's daily scrape, it moves on.
daily_forecast_schedule = dg.ScheduleDefinition(
    name=REFRESH_SCHEDULE,
    job=forecast_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 02:00 UTC, fetch the day's rate and refresh the forecast.",
)
