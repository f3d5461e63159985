"""The sensor that sends each newly registered model version to promotion, once."""

import dagster as dg

from ogrine_assets.defs.automation.jobs import promotion_job
from ogrine_assets.defs.serving.promotion import champion_model
from ogrine_assets.defs.training.model import ogrine_model
from ogrine_assets.names import MODEL_VERSION_METADATA, MODEL_VERSION_TAG, RETRAINED_METADATA


@dg.asset_sensor(
    asset_key=ogrine_model.key,
    job=promotion_job,
    name="model_promotion_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="For each new ogrine_model version, run promotion and the forecast once.",
)
def model_promotion_sensor(
    context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry
) -> dg.RunRequest | dg.SkipReason:
    """Asks Dagster's event log, not MLflow, whether the version still waits for a decision.

    Every champion_model materialization judges all the versions waiting, oldest first, so
    one recorded after the newest training (the event the sensor was given, or a newer one)
    means the version has its decision (as when
    ``ogrine materialize`` trains and judges in one run). The sensor runs in the code server
    every 30 s: reading the event log keeps MLflow out of that long-lived process.
    A version whose judging run failed is still judged by the next promotion or refresh.
    A materialization that trained nothing (same data and code) names a version already
    sent to promotion when it was trained.
    """
    materialization = asset_event.asset_materialization
    entry = materialization.metadata.get(MODEL_VERSION_METADATA) if materialization else None
    if entry is None:
        return dg.SkipReason("ogrine_model materialization carries no model_version")
    version = str(entry.value)
    retrained = materialization.metadata.get(RETRAINED_METADATA) if materialization else None
    if retrained is not None and retrained.value is False:
        return dg.SkipReason(f"nothing changed since version {version}: it was judged then")
    instance = context.instance
    [trained] = instance.fetch_materializations(ogrine_model.key, limit=1).records
    later = dg.AssetRecordsFilter(asset_key=champion_model.key, after_storage_id=trained.storage_id)
    if instance.fetch_materializations(later, limit=1).records:
        return dg.SkipReason(f"version {version} was judged by a later champion_model run")
    # The run key is the version: a version is never promoted or forecast twice by the sensor.
    return dg.RunRequest(run_key=f"model-version-{version}", tags={MODEL_VERSION_TAG: version})
