"""The model registry: the forecaster's registered versions, their decisions and the alias.

Every version is a scikit-learn estimator logged by the training log (``training_log.py``)
and registered here; the decisions promotion records on it are version tags
(``model/promotion.py`` reads them), and the ``champion`` alias follows the published
forecast. Loading a version to forecast goes through MLflow's pyfunc interface, which loads
every version this project ever registered (the scikit-learn flavour's, and the JSON
coefficients of versions made before it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg

from ogrine_assets.defs.common.mlflow_store import (
    MlflowStore,
    ModelUnavailable,
    mlflow_module,
    unavailable_as,
)
from ogrine_assets.local.mlflow_ui import model_version_url
from ogrine_assets.names import BROKEN_TAG, CHAMPION_ALIAS, FIT_TAG, METHOD_TAG

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from mlflow.entities.model_registry import ModelVersion

    from ogrine_assets.defs.common.training_log import LoggedModel
    from ogrine_assets.model.candidates import Procedure
    from ogrine_assets.model.forecasting import Predictor


@dataclass(frozen=True)
class RegisteredVersion:
    """A model version as this project uses it (MLflow gives the number as int or str)."""

    version: str
    run_id: str
    tags: dict[str, str]

    @classmethod
    def of(cls, found: ModelVersion) -> RegisteredVersion:
        # Every version of ours is registered from a training run, so it has a run id.
        return cls(
            version=str(found.version), run_id=found.run_id or "", tags=dict(found.tags or {})
        )


class ModelRegistry(dg.ConfigurableResource):
    """One registered model in one MLflow store: its versions, decisions and champion alias."""

    store: MlflowStore
    model_name: str
    champion_alias: str = CHAMPION_ALIAS

    # Versions and the champion alias.

    def champion(self) -> RegisteredVersion | None:
        """The version the alias names, if any."""
        client = self.store.client
        try:
            found = client.get_model_version_by_alias(self.model_name, self.champion_alias)
        except mlflow_module().exceptions.MlflowException as exc:
            if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
                return None
            raise
        return RegisteredVersion.of(found)

    def version(self, version: str) -> RegisteredVersion:
        return RegisteredVersion.of(self.store.client.get_model_version(self.model_name, version))

    def versions(self) -> dict[str, RegisteredVersion]:
        """Every registered version, by number."""
        try:
            found = self.store.client.search_model_versions(
                f"name = '{self.model_name}'", max_results=100_000
            )
        except mlflow_module().exceptions.MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return {}
            raise
        return {str(v.version): RegisteredVersion.of(v) for v in found}

    def decisions(self) -> dict[str, dict[str, str]]:
        """Every version's tags, by number: what ``model.promotion`` reads decisions from."""
        return {number: version.tags for number, version in self.versions().items()}

    def register(self, logged: LoggedModel, tags: dict[str, str]) -> str:
        """A new version of the model from a logged model, with ``tags``: its number.

        Registered here rather than by ``log_model``: the version then knows its logged
        model (its model id), and nothing is printed to the terminal on the way.
        """
        client = self.store.client
        if not client.search_registered_models(f"name = '{self.model_name}'"):
            client.create_registered_model(self.model_name)
        version = client.create_model_version(
            self.model_name,
            source=logged.uri,
            run_id=logged.run_id,
            tags=tags,
            model_id=logged.model_id,
        )
        return str(version.version)

    def model_location(self, version: str) -> str:
        """Where a version's model files live (its logged model's artifacts), as a URI."""
        client = self.store.client
        source = client.get_model_version(self.model_name, version).source or ""
        return str(client.get_logged_model(source.removeprefix("models:/")).artifact_location)

    def mark_broken(self, version: str, reason: str) -> None:
        """Record that a version cannot be loaded: it stops being the champion."""
        self.tag_version(version, {BROKEN_TAG: reason})

    def set_champion(self, version: str) -> None:
        self.store.client.set_registered_model_alias(self.model_name, self.champion_alias, version)

    def tag_version(self, version: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.store.client.set_model_version_tag(self.model_name, version, key, value)

    # What a version is and does.

    def uri(self, version: str) -> str:
        return f"models:/{self.model_name}/{version}"

    def feature_names(self, version: str) -> list[str]:
        """The feature columns a version was trained on, from its MLflow signature."""
        mlflow = self.store.fluent()
        with unavailable_as(version):
            info = mlflow.models.get_model_info(self.uri(version))
        if info.signature is None:
            raise ModelUnavailable(f"model version {version} has no signature")
        return list(info.signature.inputs.input_names())

    def procedure(self, version: str) -> Procedure:
        """How a version was made (its method and fit tags and its signature's features):
        what promotion refits at every backtest origin to judge it."""
        from ogrine_assets.model.candidates import procedure_of

        tags = self.version(version).tags
        return procedure_of(tags.get(METHOD_TAG), self.feature_names(version), tags.get(FIT_TAG))

    def load_predictor(self, version: str) -> Predictor:
        """A function from a feature frame to predictions, using the version's own columns.

        MLflow checks the version's pinned requirements against what is installed, and
        warns of differences; ``suppress_warnings`` keeps them out of the run's console.
        """
        import numpy as np

        mlflow = self.store.fluent()
        with unavailable_as(version):
            model = mlflow.pyfunc.load_model(self.uri(version), suppress_warnings=True)
        schema = model.metadata.get_input_schema()
        columns = schema.input_names() if schema is not None else None

        def predict(features: pd.DataFrame) -> np.ndarray:
            if columns is not None:
                missing = sorted(set(columns) - set(features.columns))
                if missing:
                    raise ValueError(
                        f"model version {version} needs features {missing} that this code "
                        "does not compute"
                    )
                features = features[columns]
            return np.asarray(model.predict(features), dtype=float)

        return predict

    def version_url(self, version: str) -> str:
        return model_version_url(self.store.ui_url, self.model_name, version)
