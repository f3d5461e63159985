"""ogrine_model: train a new model version and register it in MLflow."""

from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.metadata import key_value_table
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.ingestion.sources import RatesSource
from ogrine_assets.model.features import series_from_frame
from ogrine_assets.model.plots import horizon_table_markdown
from ogrine_assets.model.training import train
from ogrine_assets.names import MODEL_METHOD, MODEL_VERSION_METADATA
from ogrine_assets.rates.cleaning import date_bounds


@dg.asset(
    group_name="training",
    kinds={"sklearn", "mlflow"},
    description="A LinearRegression on backtest-chosen features: scored on the test window and "
    "by a rolling-origin backtest against naive baselines, refitted on all the data, logged to "
    "MLflow and registered as a new version of the forecaster.",
)
def ogrine_model(
    context: dg.AssetExecutionContext,
    train_set: pl.DataFrame,
    test_set: pl.DataFrame,
    mlflow_tracking: dg.ResourceParam[Any],  # opens this run's MLflow run
    model_registry: ModelRegistry,
    rates_source: RatesSource,
) -> dg.MaterializeResult:
    test_start = date_bounds(test_set["date"])[0]
    trained = train(series_from_frame(pl.concat([train_set, test_set])), test_start)
    summary = trained.summary
    synthetic = str(rates_source.is_synthetic).lower()
    logged = model_registry.log_training(
        trained,
        run_tags={
            "dagster_asset": "ogrine_model",
            "data_source": rates_source.describe(),
            "synthetic_data": synthetic,
            "beats_naive": str(summary.beats_naive).lower(),
        },
        version_tags={
            "dagster_run_id": context.run.run_id,
            "data_last_date": str(trained.series.last_date),
            "synthetic_data": synthetic,
        },
    )
    if not summary.beats_naive:
        context.log.warning(
            f"The model does not beat the naive forecast: backtest MAE {summary.model_mae:.2f} "
            f">= {summary.naive_mae:.2f}."
        )
    scores = trained.backtest.overall(MODEL_METHOD)
    return dg.MaterializeResult(
        metadata={
            MODEL_VERSION_METADATA: logged.version,
            "mlflow_run_id": logged.run_id,
            "mlflow_run": dg.MetadataValue.url(
                model_registry.run_url(logged.experiment_id, logged.run_id)
            ),
            "mlflow_model_version": dg.MetadataValue.url(
                model_registry.version_url(logged.version)
            ),
            **trained.holdout.as_metrics(),
            **{f"backtest_{name}": value for name, value in scores.items()},
            "backtest_naive_mae": summary.naive_mae,
            "backtest_seasonal_naive_mae": summary.seasonal_naive_mae,
            "backtest_origins": summary.origins,
            "test_window_origins": trained.holdout.origins,
            "beats_naive": summary.beats_naive,
            "backtest_mae_by_horizon": dg.MetadataValue.md(
                horizon_table_markdown(trained.backtest)
            ),
            **{
                f"interval_coverage_{level}": value
                for level, value in trained.intervals.held_out_coverage.items()
            },
            "coefficients": key_value_table(trained.coefficients(), ("feature", "weight")),
        },
    )
