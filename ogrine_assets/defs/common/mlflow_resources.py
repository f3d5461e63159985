"""The MLflow resources of a home, from its settings: what the definitions bind, and what
code outside a run (recovery at a run's entry, the soak, the replay) reads the store with."""

from ogrine_assets.defs.common.mlflow_store import MlflowStore
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.common.training_log import TrainingLog
from ogrine_assets.names import EXPERIMENT_NAME, REGISTERED_MODEL_NAME
from ogrine_assets.settings import Settings


def mlflow_store_for(settings: Settings) -> MlflowStore:
    return MlflowStore(tracking_uri=settings.mlflow_tracking_uri, ui_url=settings.mlflow_ui_url)


def model_registry_for(settings: Settings, store: MlflowStore | None = None) -> ModelRegistry:
    return ModelRegistry(
        store=store or mlflow_store_for(settings), model_name=REGISTERED_MODEL_NAME
    )


def training_log_for(settings: Settings, store: MlflowStore | None = None) -> TrainingLog:
    return TrainingLog(
        store=store or mlflow_store_for(settings),
        experiment_name=EXPERIMENT_NAME,
        artifact_root=settings.mlflow_artifact_root,
    )
