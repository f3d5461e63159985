"""train_set / test_set and ogrine_model: fit, score, log and register a new model version."""

from importlib.metadata import version as installed_version
from typing import Any

import dagster as dg
import mlflow
import pandas as pd
import polars as pl
from mlflow.models import infer_signature
from sklearn.linear_model import LinearRegression

from ogrine_assets.defs.metadata import date_range_metadata, key_value_table
from ogrine_assets.defs.resources import ModelRegistry, RatesSource
from ogrine_assets.model.evaluation import score_on_window
from ogrine_assets.model.features import FEATURE_NAMES, WINDOW, series_from_frame, training_examples
from ogrine_assets.model.forecasting import HORIZON
from ogrine_assets.model.splitting import TEST_DAYS, split_by_time
from ogrine_assets.model.training import fit_regression

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


@dg.asset(
    group_name="training",
    kinds={"sklearn", "mlflow"},
    description="A LinearRegression on lag, moving-average and weekday features, scored on the "
    "test window, logged to MLflow and registered as a new version of the forecaster.",
)
def ogrine_model(
    context: dg.AssetExecutionContext,
    train_set: pl.DataFrame,
    test_set: pl.DataFrame,
    mlflow_tracking: dg.ResourceParam[Any],
    model_registry: ModelRegistry,
    rates_source: RatesSource,
) -> dg.Output[dict[str, Any]]:
    series = series_from_frame(pl.concat([train_set, test_set]))
    test_start = test_set["date"].min()
    regressor = fit_regression(series, series.index_of(test_start))
    window_scores = score_on_window(regressor.predict, series, test_start)
    examples, _ = training_examples(series, end=series.index_of(test_start))

    model_registry.activate()
    run = mlflow.active_run()
    if run is None:
        raise dg.Failure("dagster-mlflow did not start an MLflow run for this step")
    try:
        mlflow.log_params(
            {
                "estimator": "sklearn.linear_model.LinearRegression",
                "features": ",".join(FEATURE_NAMES),
                "window_days": WINDOW,
                "horizon_days": HORIZON,
                "test_days": TEST_DAYS,
                "train_first_date": str(train_set["date"].min()),
                "train_last_date": str(train_set["date"].max()),
                "test_first_date": str(test_start),
                "test_last_date": str(test_set["date"].max()),
                "train_examples": len(examples),
                "filled_days": series.filled_days,
            }
        )
        mlflow.log_metrics(window_scores.as_metrics())
        mlflow.set_tags(
            {
                "dagster_asset": "ogrine_model",
                "data_source": rates_source.describe(),
                "synthetic_data": str(rates_source.is_synthetic).lower(),
            }
        )
        version = log_and_register(regressor, examples.head(5), model_registry.model_name)
        model_registry.tag_version(
            version,
            {
                "dagster_run_id": context.run.run_id,
                "test_first_date": str(test_start),
                "test_rmse": f"{window_scores.model['rmse']:.4f}",
                "synthetic_data": str(rates_source.is_synthetic).lower(),
            },
        )
    except BaseException:
        mlflow.end_run(status="FAILED")
        raise
    # dagster-mlflow's end hook ends the run after the topologically last op, which in an
    # asset job may be an asset check; this asset owns its run and closes it here.
    mlflow.end_run()

    run_id = run.info.run_id
    experiment_id = run.info.experiment_id
    coefficients = dict(
        zip(FEATURE_NAMES, (round(float(c), 4) for c in regressor.coef_), strict=True)
    )
    return dg.Output(
        {
            "name": model_registry.model_name,
            "version": version,
            "run_id": run_id,
            "experiment_id": experiment_id,
            "test_first_date": str(test_start),
            "metrics": window_scores.as_metrics(),
        },
        metadata={
            "model_version": version,
            "mlflow_run_id": run_id,
            "mlflow_run": dg.MetadataValue.url(model_registry.run_url(experiment_id, run_id)),
            "mlflow_model_version": dg.MetadataValue.url(model_registry.version_url(version)),
            **{name: float(value) for name, value in window_scores.as_metrics().items()},
            "beats_naive": window_scores.model["rmse"] < window_scores.naive["rmse"],
            "evaluation_origins": window_scores.origins,
            "coefficients": key_value_table(
                {"intercept": round(float(regressor.intercept_), 4), **coefficients},
                ("feature", "weight"),
            ),
        },
    )
