"""The code location: one Definitions object, built from the environment.

``build_definitions`` takes its settings (and optionally a clock and a rates source) as
arguments so tests build the very same graph against a temporary OGRINE_HOME.
"""

from __future__ import annotations

import dagster as dg

from ogrine_assets.defs.automation import (
    daily_forecast_schedule,
    forecast_refresh_job,
    model_promotion_sensor,
    promotion_job,
    training_job,
    weekly_training_schedule,
)
from ogrine_assets.defs.ingestion import raw_rates
from ogrine_assets.defs.io_managers import PolarsParquetIOManager
from ogrine_assets.defs.promotion import champion_beats_naive, champion_model
from ogrine_assets.defs.resources import (
    Clock,
    ForecastStore,
    HttpRatesSource,
    ModelRegistry,
    RatesSource,
    RunArchive,
    SyntheticRatesSource,
    mlflow_tracking_run,
)
from ogrine_assets.defs.serving import forecast, forecast_accuracy, forecast_accuracy_drift
from ogrine_assets.defs.training import ogrine_model, train_test_sets
from ogrine_assets.defs.validation import (
    build_freshness_check,
    validated_rates,
    validated_rates_history_length,
    validated_rates_schema,
)
from ogrine_assets.settings import (
    CHAMPION_ALIAS,
    EXPERIMENT_NAME,
    REGISTERED_MODEL_NAME,
    Settings,
)


def rates_source_for(settings: Settings, clock: Clock) -> RatesSource:
    """The HTTP source when OGRINE_API_URL is set, else the embedded synthetic default."""
    if settings.api_url:
        return HttpRatesSource(api_url=settings.api_url)
    return SyntheticRatesSource(clock=clock)


def build_definitions(
    settings: Settings, *, clock: Clock | None = None, rates_source: RatesSource | None = None
) -> dg.Definitions:
    clock = clock or Clock(fixed_now=settings.fixed_now)
    rates_source = rates_source or rates_source_for(settings, clock)
    model_registry = ModelRegistry(
        tracking_uri=settings.mlflow_tracking_uri,
        artifact_root=settings.mlflow_artifact_root,
        model_name=REGISTERED_MODEL_NAME,
        experiment_name=EXPERIMENT_NAME,
        champion_alias=CHAMPION_ALIAS,
        ui_url=settings.mlflow_ui_url,
    )
    source_note = {"source": rates_source.describe()}
    assets = dg.map_asset_specs(
        lambda spec: (
            spec.merge_attributes(metadata=source_note) if spec.key == raw_rates.key else spec
        ),
        [
            raw_rates,
            validated_rates,
            train_test_sets,
            ogrine_model,
            champion_model,
            forecast_accuracy,
            forecast,
        ],
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=[
            validated_rates_schema,
            validated_rates_history_length,
            build_freshness_check(settings.freshness_max_age_days),
            champion_beats_naive,
            forecast_accuracy_drift,
        ],
        jobs=[training_job, promotion_job, forecast_refresh_job],
        schedules=[weekly_training_schedule, daily_forecast_schedule],
        sensors=[model_promotion_sensor],
        resources={
            "clock": clock,
            "rates_source": rates_source,
            "model_registry": model_registry,
            "mlflow_tracking": mlflow_tracking_run.configured(
                {
                    "experiment_name": EXPERIMENT_NAME,
                    "mlflow_tracking_uri": settings.mlflow_tracking_uri,
                }
            ),
            "forecast_store": ForecastStore(path=str(settings.forecast_path)),
            "run_archive": RunArchive(base_dir=str(settings.archive_dir)),
            "polars_parquet_io_manager": PolarsParquetIOManager(base_dir=str(settings.storage_dir)),
            "io_manager": dg.FilesystemIOManager(base_dir=str(settings.storage_dir)),
        },
        # One process runs every step: the graph is small, MLflow's SQLite store dislikes
        # concurrent writers, and a step costs ~0.1 s instead of a fresh interpreter each.
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
