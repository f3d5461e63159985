"""The resources every domain shares, bound once, and the executor."""

import dagster as dg

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.executor import home_locked_executor
from ogrine_assets.defs.common.io_managers import PolarsParquetIOManager
from ogrine_assets.defs.common.mlflow_tracking import mlflow_tracking_run
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.names import EXPERIMENT_NAME, REGISTERED_MODEL_NAME
from ogrine_assets.settings import Settings


def model_registry_for(settings: Settings) -> ModelRegistry:
    return ModelRegistry(
        tracking_uri=settings.mlflow_tracking_uri,
        artifact_root=settings.mlflow_artifact_root,
        model_name=REGISTERED_MODEL_NAME,
        experiment_name=EXPERIMENT_NAME,
        ui_url=settings.mlflow_ui_url,
    )


def definitions(settings: Settings, clock: Clock) -> dg.Definitions:
    registry = model_registry_for(settings)
    return dg.Definitions(
        resources={
            "clock": clock,
            "model_registry": registry,
            "mlflow_tracking": mlflow_tracking_run,
            # Every frame the graph stores is a polars DataFrame, kept as Parquet.
            "io_manager": PolarsParquetIOManager(base_dir=str(settings.storage_dir)),
        },
        # One process runs every step: the graph is small, MLflow's SQLite store dislikes
        # concurrent writers, and a step costs ~0.1 s instead of a fresh interpreter each.
        # It runs under the home's lock, one run at a time.
        executor=home_locked_executor(settings, registry),
    )
