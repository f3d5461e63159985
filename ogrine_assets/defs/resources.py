"""Resources: the clock, the rates sources, the MLflow model registry and tracking run."""

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import mlflow
from dagster_mlflow import mlflow_tracking
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from pydantic import Field

from ogrine_assets.model.forecasting import Predictor
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.rates.upstream import fetch_payload


class Clock(dg.ConfigurableResource):
    """The current time. Fixed in tests so that nothing depends on today's date."""

    fixed_now: str | None = Field(
        default=None,
        description="ISO 8601 instant to use as 'now' (UTC if naive); unset: real time.",
    )

    def now(self) -> dt.datetime:
        if self.fixed_now is None:
            return dt.datetime.now(dt.UTC)
        moment = dt.datetime.fromisoformat(self.fixed_now)
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(dt.UTC).date()


class RatesSource(dg.ConfigurableResource):
    """Where daily Ogrine rates come from; answers the upstream JSON envelope."""

    def fetch_payload(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def is_synthetic(self) -> bool:
        return False

    def describe(self) -> str:
        raise NotImplementedError


class HttpRatesSource(RatesSource):
    """The Ogrine rates API over HTTP (``OGRINE_API_URL``)."""

    api_url: str = Field(description="Full URL of GET /ogrineRates.")
    timeout_seconds: float = Field(default=20.0, description="Connect and read timeout.")

    def fetch_payload(self) -> dict[str, Any]:
        return fetch_payload(self.api_url, timeout_seconds=self.timeout_seconds)

    def describe(self) -> str:
        return f"Ogrine rates API at {self.api_url}"


class SyntheticRatesSource(RatesSource):
    """The embedded default: deterministic synthetic rates up to yesterday (UTC), offline."""

    clock: Clock

    def fetch_payload(self) -> dict[str, Any]:
        return synthetic_payload(self.clock.today())

    @property
    def is_synthetic(self) -> bool:
        return True

    def describe(self) -> str:
        return "SYNTHETIC embedded default (OGRINE_API_URL is unset): not real market data"


@dataclass(frozen=True)
class RegisteredVersion:
    """A model version as this project uses it (MLflow gives the number as int or str)."""

    version: str
    run_id: str
    tags: dict[str, str]

    @classmethod
    def of(cls, found: ModelVersion) -> "RegisteredVersion":
        return cls(version=str(found.version), run_id=found.run_id, tags=dict(found.tags or {}))


class ModelRegistry(dg.ConfigurableResource):
    """Registry work on MlflowClient: versions, the champion alias, tags and loading.

    dagster-mlflow covers the tracking run; registering, aliasing and loading are ours.
    """

    tracking_uri: str
    artifact_root: str = Field(description="Artifact location of the experiment when created.")
    model_name: str
    experiment_name: str
    champion_alias: str = "champion"
    ui_url: str = Field(default="http://127.0.0.1:5000", description="Base URL of the MLflow UI.")

    def client(self) -> MlflowClient:
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def ensure_experiment(self) -> str:
        """The experiment's id, creating it with artifacts under ``artifact_root`` if needed."""
        client = self.client()
        experiment = client.get_experiment_by_name(self.experiment_name)
        if experiment is not None:
            return experiment.experiment_id
        return client.create_experiment(self.experiment_name, artifact_location=self.artifact_root)

    def champion(self) -> RegisteredVersion | None:
        try:
            found = self.client().get_model_version_by_alias(self.model_name, self.champion_alias)
        except MlflowException as exc:
            if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
                return None
            raise
        return RegisteredVersion.of(found)

    def version(self, version: str) -> RegisteredVersion:
        return RegisteredVersion.of(self.client().get_model_version(self.model_name, version))

    def set_champion(self, version: str) -> None:
        self.client().set_registered_model_alias(self.model_name, self.champion_alias, version)

    def tag_version(self, version: str, tags: dict[str, Any]) -> None:
        client = self.client()
        for key, value in tags.items():
            client.set_model_version_tag(self.model_name, version, key, str(value))

    def activate(self) -> None:
        """Point MLflow's process-global fluent API (log_model, load_model) at this store."""
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)

    def load_predictor(self, version: str) -> Predictor:
        """A function from a feature frame to predictions, using the version's own columns."""
        self.activate()
        model = mlflow.pyfunc.load_model(f"models:/{self.model_name}/{version}")
        schema = model.metadata.get_input_schema()
        columns = schema.input_names() if schema is not None else None

        def predict(features):  # type: ignore[no-untyped-def]
            if columns is not None:
                missing = sorted(set(columns) - set(features.columns))
                if missing:
                    raise ValueError(
                        f"model version {version} needs features {missing} that this code "
                        "does not compute"
                    )
                features = features[columns]
            return model.predict(features)

        return predict

    def run_url(self, experiment_id: str, run_id: str) -> str:
        return f"{self.ui_url}/#/experiments/{experiment_id}/runs/{run_id}"

    def version_url(self, version: str) -> str:
        return f"{self.ui_url}/#/models/{self.model_name}/versions/{version}"


@dg.resource(
    config_schema=mlflow_tracking.config_schema,
    required_resource_keys={"model_registry"},
    description="dagster-mlflow's mlflow_tracking, after making sure the experiment "
    "stores its artifacts under OGRINE_HOME (MLflow would otherwise pick ./mlruns).",
)
def mlflow_tracking_run(context: dg.InitResourceContext) -> Iterator[Any]:
    context.resources.model_registry.ensure_experiment()
    yield from mlflow_tracking.resource_fn(context)


class ForecastStore(dg.ConfigurableResource):
    """The published forecast document: replaced atomically, read by the service."""

    path: str

    def publish(self, document_bytes: bytes) -> Path:
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".forecast-", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(document_bytes)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target
