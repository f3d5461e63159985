"""Jobs, the weekly training schedule and the sensor that promotes and forecasts."""

import dagster as dg

MODEL_VERSION_TAG = "ogrine/model_version"

training_job = dg.define_asset_job(
    name="training_job",
    selection=dg.AssetSelection.assets(
        "raw_rates", "validated_rates", "train_set", "test_set", "ogrine_model"
    ),
    description="Fetch, validate and split the rates, then train and register a new model version.",
)

promotion_job = dg.define_asset_job(
    name="promotion_job",
    selection=dg.AssetSelection.assets("champion_model", "forecast_accuracy", "forecast"),
    description="Judge the newest model version against the champion, score the forecasts "
    "published so far, then publish the new forecast.",
)

forecast_refresh_job = dg.define_asset_job(
    name="forecast_refresh_job",
    selection=dg.AssetSelection.assets(
        "raw_rates", "validated_rates", "forecast_accuracy", "forecast"
    ),
    description="Fetch the newest rates and forecast the next 7 days with the current champion, "
    "without retraining.",
)

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
    name="daily_forecast_schedule",
    job=forecast_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 02:00 UTC, fetch the day's rate and refresh the forecast.",
)


@dg.asset_sensor(
    asset_key=dg.AssetKey("ogrine_model"),
    job=promotion_job,
    name="model_promotion_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="For each new ogrine_model version, run promotion and the forecast once.",
)
def model_promotion_sensor(
    context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry
) -> dg.RunRequest | dg.SkipReason:
    materialization = asset_event.asset_materialization
    entry = materialization.metadata.get("model_version") if materialization else None
    if entry is None:
        return dg.SkipReason("ogrine_model materialization carries no model_version")
    version = str(entry.value)
    # The run key is the version: a version is never promoted or forecast twice by the sensor.
    return dg.RunRequest(run_key=f"model-version-{version}", tags={MODEL_VERSION_TAG: version})
