"""The jobs, schedules and sensor, as one set of definitions."""

import dagster as dg

from ogrine_assets.defs.automation.jobs import (
    forecast_refresh_job,
    promotion_job,
    train_and_publish_job,
    training_job,
)
from ogrine_assets.defs.automation.schedules import (
    daily_forecast_schedule,
    weekly_training_schedule,
)
from ogrine_assets.defs.automation.sensors import model_promotion_sensor


def definitions() -> dg.Definitions:
    return dg.Definitions(
        jobs=[training_job, promotion_job, forecast_refresh_job, train_and_publish_job],
        schedules=[weekly_training_schedule, daily_forecast_schedule],
        sensors=[model_promotion_sensor],
    )
