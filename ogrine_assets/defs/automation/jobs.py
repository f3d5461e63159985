"""The three jobs: train, promote and publish, refresh the forecast."""

import dagster as dg

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
    description="Judge every model version still waiting against the champion, score the "
    "forecasts published so far, then publish the new forecast with the champion.",
)

train_and_publish_job = dg.define_asset_job(
    name="train_and_publish_job",
    selection=dg.AssetSelection.assets(
        "raw_rates",
        "validated_rates",
        "train_set",
        "test_set",
        "ogrine_model",
        "champion_model",
        "forecast_accuracy",
        "forecast",
    ),
    description="The whole loop once, in one run: fetch, validate, train and register, judge, "
    "publish (what `ogrine materialize` runs).",
)

forecast_refresh_job = dg.define_asset_job(
    name="forecast_refresh_job",
    selection=dg.AssetSelection.assets(
        "raw_rates", "validated_rates", "champion_model", "forecast_accuracy", "forecast"
    ),
    description="Fetch the newest rates and forecast the next 7 days with the champion, without "
    "retraining; a version still waiting for its promotion decision (its run was stopped) "
    "gets it first.",
)
