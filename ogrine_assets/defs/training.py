"""train_set / test_set and ogrine_model: fit, backtest, log and register a new model version."""

import datetime as dt
import json
import tempfile
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
import mlflow
import pandas as pd
import polars as pl
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression

from ogrine_assets.defs.metadata import date_range_metadata, key_value_table
from ogrine_assets.defs.resources import ModelRegistry, RatesSource
from ogrine_assets.model.backtest import (
    NAIVE,
    SEASONAL_NAIVE,
    Backtest,
    interval_record,
    run_backtest,
)
from ogrine_assets.model.evaluation import score_on_window
from ogrine_assets.model.features import (
    MODEL_FEATURES,
    WINDOW,
    DailySeries,
    series_from_frame,
    training_examples,
)
from ogrine_assets.model.forecasting import HORIZON
from ogrine_assets.model.plots import backtest_png, horizon_table_markdown
from ogrine_assets.model.splitting import TEST_DAYS, split_by_time
from ogrine_assets.model.training import as_predictor, fit_regression

MODEL_METHOD = "model"  # the name of this model's rows in the backtest tables
INTERVALS_ARTIFACT = "backtest/intervals.json"  # read back by the forecast asset

# Given explicitly: MLflow's own inference starts a subprocess and costs seconds per model.
MODEL_REQUIREMENTS = ("scikit-learn", "numpy", "scipy", "pandas", "skops")


def model_pip_requirements() -> list[str]:
    return [f"{name}=={installed_version(name)}" for name in MODEL_REQUIREMENTS]


def log_and_register(regressor: LinearRegression, sample: pd.DataFrame, model_name: str) -> str:
    """Log the regressor to the active MLflow run and register it; returns the new version.

    The signature and input example come from real feature rows, so a version carries
    the exact feature columns it needs.
    """
    info = mlflow.sklearn.log_model(
        regressor,
        name="model",
        signature=infer_signature(sample, regressor.predict(sample)),
        input_example=sample,
        pip_requirements=model_pip_requirements(),
        registered_model_name=model_name,
    )
    return str(info.registered_model_version)


@dg.multi_asset(
    outs={
        "train_set": dg.AssetOut(
            group_name="training",
            kinds={"polars"},
            io_manager_key="polars_parquet_io_manager",
            description=f"Rates before the newest {TEST_DAYS} days: what models learn from.",
        ),
        "test_set": dg.AssetOut(
            group_name="training",
            kinds={"polars"},
            io_manager_key="polars_parquet_io_manager",
            description=f"The newest {TEST_DAYS} days of rates: what models are scored on.",
        ),
    },
)
def train_test_sets(validated_rates: pl.DataFrame):  # type: ignore[no-untyped-def]
    """Split by time so that no model is scored on a day it trained on."""
    train, test = split_by_time(validated_rates, TEST_DAYS)
    yield dg.Output(train, output_name="train_set", metadata=date_range_metadata(train))
    yield dg.Output(test, output_name="test_set", metadata=date_range_metadata(test))


def _log_backtest(series: DailySeries, backtest: Backtest, record: dict[str, Any]) -> None:
    """Scores, per-horizon table, bands and a plot, as metrics and artifacts of the run."""
    for method in backtest.forecasts:
        prefix = "backtest" if method == MODEL_METHOD else f"backtest_{method}"
        mlflow.log_metrics({f"{prefix}_{k}": v for k, v in backtest.overall(method).items()})
        for step, mae in enumerate(backtest.per_horizon(method)["mae"], start=1):
            mlflow.log_metric(f"{prefix}_mae_by_horizon", float(mae), step=step)
    coverage = record["held_out_coverage"]
    mlflow.log_metrics({f"interval_coverage_{int(float(k) * 100)}": v for k, v in coverage.items()})
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pl.DataFrame(backtest.table()).write_csv(root / "scores.csv")
        (root / "scores.md").write_text(horizon_table_markdown(backtest) + "\n")
        (root / INTERVALS_ARTIFACT.rsplit("/", 1)[1]).write_text(json.dumps(record, indent=2))
        (root / "forecasts_vs_actuals.png").write_bytes(
            backtest_png(series, backtest, MODEL_METHOD)
        )
        mlflow.log_artifacts(folder, artifact_path="backtest")


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
    mlflow_tracking: dg.ResourceParam[Any],
    model_registry: ModelRegistry,
    rates_source: RatesSource,
) -> dg.Output[dict[str, Any]]:
    """Three fits of one procedure: on the train set (scored on the held-out test window), at
    every backtest origin (the per-horizon errors, the promotion score and the interval
    bands), and on everything (the registered model, which forecasts from the newest day)."""
    series = series_from_frame(pl.concat([train_set, test_set]))
    test_start = test_set["date"].min()
    holdout = score_on_window(
        as_predictor(fit_regression(series, series.index_of(test_start))), series, test_start
    )
    backtest = run_backtest(series, {MODEL_METHOD: MODEL_FEATURES})
    record = interval_record(backtest, MODEL_METHOD)
    regressor = fit_regression(series)
    examples, _ = training_examples(series)
    scores = backtest.overall(MODEL_METHOD)
    first_origin = series.start + dt.timedelta(days=int(backtest.origins[0]))
    naive_mae = backtest.overall(NAIVE)["mae"]
    seasonal_mae = backtest.overall(SEASONAL_NAIVE)["mae"]

    model_registry.activate()
    run = mlflow.active_run()
    if run is None:
        raise dg.Failure("dagster-mlflow did not start an MLflow run for this step")
    try:
        mlflow.log_params(
            {
                "estimator": "sklearn.linear_model.LinearRegression",
                "features": ",".join(MODEL_FEATURES),
                "window_days": WINDOW,
                "horizon_days": HORIZON,
                "test_days": TEST_DAYS,
                "backtest_origins": len(backtest.origins),
                "backtest_first_origin": str(first_origin),
                "data_first_date": str(series.start),
                "data_last_date": str(series.last_date),
                "test_first_date": str(test_start),
                "training_examples": len(examples),
                "filled_days": series.filled_days,
            }
        )
        mlflow.log_metrics(holdout.as_metrics())
        _log_backtest(series, backtest, record)
        mlflow.set_tags(
            {
                "dagster_asset": "ogrine_model",
                "data_source": rates_source.describe(),
                "synthetic_data": str(rates_source.is_synthetic).lower(),
                "beats_naive": str(scores["mae"] < naive_mae).lower(),
            }
        )
        version = log_and_register(
            regressor, examples[list(MODEL_FEATURES)].head(5), model_registry.model_name
        )
        model_registry.tag_version(
            version,
            {
                "dagster_run_id": context.run.run_id,
                "data_last_date": str(series.last_date),
                "backtest_mae": f"{scores['mae']:.4f}",
                "backtest_naive_mae": f"{naive_mae:.4f}",
                "backtest_seasonal_naive_mae": f"{seasonal_mae:.4f}",
                "backtest_origins": str(len(backtest.origins)),
                "synthetic_data": str(rates_source.is_synthetic).lower(),
            },
        )
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    # dagster-mlflow's end hook ends the run after the topologically last op, which in an
    # asset job may be an asset check; this asset owns its run and closes it here.
    mlflow.end_run()

    if scores["mae"] >= naive_mae:
        context.log.warning(
            f"The model does not beat the naive forecast: backtest MAE {scores['mae']:.2f} "
            f">= {naive_mae:.2f}."
        )
    run_id = run.info.run_id
    experiment_id = run.info.experiment_id
    coefficients = dict(
        zip(MODEL_FEATURES, (round(float(c), 4) for c in regressor.coef_), strict=True)
    )
    return dg.Output(
        {
            "name": model_registry.model_name,
            "version": version,
            "run_id": run_id,
            "experiment_id": experiment_id,
            "features": list(MODEL_FEATURES),
            "backtest_mae": scores["mae"],
        },
        metadata={
            "model_version": version,
            "mlflow_run_id": run_id,
            "mlflow_run": dg.MetadataValue.url(model_registry.run_url(experiment_id, run_id)),
            "mlflow_model_version": dg.MetadataValue.url(model_registry.version_url(version)),
            **{name: float(value) for name, value in holdout.as_metrics().items()},
            **{f"backtest_{name}": value for name, value in scores.items()},
            "backtest_naive_mae": naive_mae,
            "backtest_seasonal_naive_mae": seasonal_mae,
            "backtest_origins": len(backtest.origins),
            "test_window_origins": holdout.origins,
            "beats_naive": scores["mae"] < naive_mae,
            "backtest_mae_by_horizon": dg.MetadataValue.md(horizon_table_markdown(backtest)),
            "interval_coverage_80": record["held_out_coverage"]["0.8"],
            "interval_coverage_95": record["held_out_coverage"]["0.95"],
            "coefficients": key_value_table(
                {"intercept": round(float(regressor.intercept_), 4), **coefficients},
                ("feature", "weight"),
            ),
        },
    )
