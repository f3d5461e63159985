"""The sensor that sends each newly registered model version to promotion, once."""

import dagster as dg

from ogrine_assets.defs.automation.jobs import promotion_job
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.model.promotion import DECISION_TAG
from ogrine_assets.names import MODEL_VERSION_METADATA, MODEL_VERSION_TAG


@dg.asset_sensor(
    asset_key=dg.AssetKey("ogrine_model"),
    job=promotion_job,
    name="model_promotion_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="For each new ogrine_model version, run promotion and the forecast once.",
)
def model_promotion_sensor(
    context: dg.SensorEvaluationContext,
    asset_event: dg.EventLogEntry,
    model_registry: ModelRegistry,
) -> dg.RunRequest | dg.SkipReason:
    materialization = asset_event.asset_materialization
    entry = materialization.metadata.get(MODEL_VERSION_METADATA) if materialization else None
    if entry is None:
        return dg.SkipReason("ogrine_model materialization carries no model_version")
    version = str(entry.value)
    decided = model_registry.decisions().get(version, {}).get(DECISION_TAG)
    if decided is not None:  # e.g. `ogrine materialize` trained and judged it in one run
        return dg.SkipReason(f"version {version} is already {decided}: nothing to run")
    # The run key is the version: a version is never promoted or forecast twice by the sensor.
    return dg.RunRequest(run_key=f"model-version-{version}", tags={MODEL_VERSION_TAG: version})
