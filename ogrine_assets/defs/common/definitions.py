"""The resources every domain shares, bound once, and the executor."""

import dagster as dg

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.executor import home_locked_executor
from ogrine_assets.defs.common.io_managers import PolarsParquetIOManager
from ogrine_assets.defs.common.mlflow_resources import (
    mlflow_store_for,
    model_registry_for,
    training_log_for,
)
from ogrine_assets.defs.common.mlflow_tracking import mlflow_tracking_run
from ogrine_assets.settings import Settings


def definitions(settings: Settings, clock: Clock) -> dg.Definitions:
    store = mlflow_store_for(settings)  # one configuration for the registry and the log
    return dg.Definitions(
        resources={
            "clock": clock,
            "model_registry": model_registry_for(settings, store),
            "training_log": training_log_for(settings, store),
            "mlflow_tracking": mlflow_tracking_run,
            # Every frame the graph stores is a polars DataFrame, kept as Parquet.
            "io_manager": PolarsParquetIOManager(base_dir=str(settings.storage_dir)),
        },
        # One process runs every step: the graph is small, MLflow's SQLite store dislikes
        # concurrent writers, and a step costs little next to a fresh interpreter each.
        # It runs under the home's lock, one run at a time.
        executor=home_locked_executor(settings),
    )
