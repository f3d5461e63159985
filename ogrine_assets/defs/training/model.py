"""ogrine_model: train a new model version and register it in MLflow, unless nothing changed.

Its data version is made of the training code's version and its inputs' data versions
(``defs/common/versions.py``). When the newest materialization has that same version and
its model version is still registered, a run reports "nothing changed since vN" and
trains nothing: no duplicate versions from re-runs on the same data. ``retrain`` forces it.
"""

from typing import Any

import dagster as dg
import polars as pl
from pydantic import Field

from ogrine_assets.defs.common.metadata import pairs_table, rounded, table
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.common.training_log import TrainingLog
from ogrine_assets.defs.common.versions import (
    TRAINING_CODE_VERSION,
    combined_version,
    frame_version,
)
from ogrine_assets.defs.ingestion.sources import RatesSource
from ogrine_assets.defs.ingestion.validation import suspect_days_now
from ogrine_assets.defs.training import GROUP
from ogrine_assets.names import (
    BACKTEST_MAE_METADATA,
    DAGSTER_RUN_TAG,
    DATA_FIRST_DATE_TAG,
    DATA_LAST_DATE_TAG,
    DATA_SUSPECT_DAYS_TAG,
    FIT_TAG,
    METHOD_TAG,
    MODEL_METHOD,
    MODEL_VERSION_METADATA,
    NAIVE_MAE_METADATA,
    RETRAINED_METADATA,
)

DATA_VERSION_TAG = "dagster/data_version"  # where Dagster records a materialization's version


class TrainingConfig(dg.Config):
    retrain: bool = Field(
        default=False,
        description="Train and register a new version even when the data and the training "
        "code are those of the newest version.",
    )


@dg.asset(
    group_name=GROUP,
    kinds={"scikitlearn", "mlflow"},
    code_version=TRAINING_CODE_VERSION,
    description="The forecasting method chosen for the series among linear models and the "
    "naive, seasonal-naive and drift methods, by a rolling-origin backtest with nested "
    "evaluation; scored on the test window, refitted on all the data as a scikit-learn "
    "estimator, logged to MLflow and registered as a new version of the forecaster. Not "
    "retrained when the data and the training code are unchanged (config `retrain` forces it).",
)
def ogrine_model(
    context: dg.AssetExecutionContext,
    config: TrainingConfig,
    train_set: pl.DataFrame,
    test_set: pl.DataFrame,
    mlflow_tracking: dg.ResourceParam[Any],  # opens this run's MLflow run
    training_log: TrainingLog,
    model_registry: ModelRegistry,
    rates_source: RatesSource,
) -> dg.MaterializeResult:
    # Imported by the step, not when the code location loads: scikit-learn, SciPy, pandas.
    from ogrine_assets.model.features import series_from_frame
    from ogrine_assets.model.splitting import test_window_start
    from ogrine_assets.model.training import train
    from ogrine_assets.rates.cleaning import date_bounds

    made_from = combined_version(
        TRAINING_CODE_VERSION, frame_version(train_set).value, frame_version(test_set).value
    )
    unchanged = (
        None
        if config.retrain
        else _unchanged_version(context, training_log, model_registry, made_from)
    )
    if unchanged is not None:
        training_log.discard_active_run()  # nothing trained: no MLflow run to keep
        context.log.info(
            f"Nothing changed since v{unchanged} (same data, same training code): not retrained."
        )
        return dg.MaterializeResult(
            data_version=made_from,
            metadata={
                MODEL_VERSION_METADATA: unchanged,
                RETRAINED_METADATA: False,
                "mlflow_model_version": dg.MetadataValue.url(model_registry.version_url(unchanged)),
            },
        )
    # The window's calendar start, not its first observed day: a gap over the start of the
    # window left a week or less to score on, and the training failed.
    test_start = test_window_start(date_bounds(test_set["date"])[1])
    trained = train(series_from_frame(pl.concat([train_set, test_set])), test_start)
    summary = trained.summary
    synthetic = str(rates_source.is_synthetic).lower()
    version_tags = {
        **summary.as_tags(),
        METHOD_TAG: trained.procedure.name,
        FIT_TAG: trained.procedure.fit,
        DAGSTER_RUN_TAG: context.run.run_id,
        DATA_FIRST_DATE_TAG: str(trained.series.start),
        DATA_LAST_DATE_TAG: str(trained.series.last_date),
        DATA_SUSPECT_DAYS_TAG: ",".join(suspect_days_now(context.instance)),
        "synthetic_data": synthetic,
    }
    run_tags = {
        "dagster_asset": context.asset_key.to_user_string(),
        "data_source": rates_source.describe(),
        "synthetic_data": synthetic,
        "beats_naive": str(summary.beats_naive).lower(),
    }
    with training_log.training_run() as run:
        logged = training_log.log_model(trained.model, trained.sample())
        version = model_registry.register(logged, version_tags)
        training_log.record(
            trained, run, version=version, model_id=logged.model_id, run_tags=run_tags
        )
    if not summary.beats_naive:
        context.log.warning(
            f"The model does not beat the naive forecast: backtest MAE {summary.model_mae:.2f} "
            f">= {summary.naive_mae:.2f}."
        )
    scores = trained.backtest.overall(MODEL_METHOD)
    return dg.MaterializeResult(
        data_version=made_from,
        metadata={
            MODEL_VERSION_METADATA: version,
            RETRAINED_METADATA: True,
            "mlflow_run_id": run.run_id,
            "mlflow_run": dg.MetadataValue.url(training_log.run_url(run)),
            "mlflow_model_version": dg.MetadataValue.url(model_registry.version_url(version)),
            **rounded(
                {
                    **trained.holdout.as_metrics(),
                    **{f"backtest_{name}": value for name, value in scores.items()},
                    BACKTEST_MAE_METADATA: summary.model_mae,
                    NAIVE_MAE_METADATA: summary.naive_mae,
                    "backtest_seasonal_naive_mae": summary.seasonal_naive_mae,
                    **{
                        f"interval_coverage_{level}": value
                        for level, value in trained.intervals.held_out_coverage.items()
                    },
                    "selection_nested_mae": trained.selection.nested_mae,
                    "selection_nested_naive_mae": trained.selection.nested_naive_mae,
                }
            ),
            "backtest_origins": summary.origins,
            "test_window_origins": trained.holdout.origins,
            "beats_naive": summary.beats_naive,
            "backtest_mae_by_horizon": table(trained.backtest.mae_by_horizon()),
            "coefficients": pairs_table(trained.coefficients(), ("feature", "weight")),
            "method": trained.procedure.describe(),
            "candidates": table(trained.selection.table()),
        },
    )


def _unchanged_version(
    context: dg.AssetExecutionContext,
    training_log: TrainingLog,
    registry: ModelRegistry,
    made_from: dg.DataVersion,
) -> str | None:
    """The version the newest materialization registered, if it was made from the same data
    by the same code and is still a finished, registered version with its files; else None."""
    event = context.instance.get_latest_materialization_event(context.asset_key)
    if event is None or event.asset_materialization is None:
        return None
    materialization = event.asset_materialization
    entry = materialization.metadata.get(MODEL_VERSION_METADATA)
    if entry is None or (materialization.tags or {}).get(DATA_VERSION_TAG) != made_from.value:
        return None
    version = str(entry.value)
    try:
        found = registry.version(version)
        finished = training_log.run_status(found.run_id) == "FINISHED"
        registry.feature_names(version)  # its files are still there (a moved home, a deletion)
    except Exception:  # gone in part or whole: train a new one
        return None
    return version if finished else None
