"""The four jobs, by the groups of assets they run: train; promote and publish; both, in one
run; refresh the forecast."""

import dagster as dg

from ogrine_assets.defs.ingestion import SELECTION as INGESTION
from ogrine_assets.defs.serving import SELECTION as SERVING
from ogrine_assets.defs.training import SELECTION as TRAINING

training_job = dg.define_asset_job(
    name="training_job",
    selection=INGESTION | TRAINING,
    description="Fetch, validate and split the rates, then train and register a new model version.",
)

promotion_job = dg.define_asset_job(
    name="promotion_job",
    selection=SERVING,
    description="Judge every model version still waiting against the champion, score the "
    "forecasts published so far, then publish the new forecast with the champion and tell the "
    "subscribers.",
)

train_and_publish_job = dg.define_asset_job(
    name="train_and_publish_job",
    selection=INGESTION | TRAINING | SERVING,
    description="The whole loop once, in one run: fetch, validate, train and register, judge, "
    "publish, tell the subscribers (what `ogrine materialize` runs).",
)

forecast_refresh_job = dg.define_asset_job(
    name="forecast_refresh_job",
    selection=INGESTION | SERVING,
    description="Fetch the newest rates, forecast the next 7 days with the champion and tell the "
    "subscribers, without retraining; a version still waiting for its promotion decision (its "
    "run was stopped) gets it first.",
)
