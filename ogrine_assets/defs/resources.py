"""Resources: the clock, the rates sources, the MLflow model registry and tracking run."""

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import mlflow
import msgspec
import polars as pl
from dagster_mlflow import mlflow_tracking
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from pydantic import Field

from ogrine_assets.model.forecasting import Predictor
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.rates.upstream import Fetched, RetryPolicy, fetch_rates


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
    """Where daily Ogrine rates come from; answers the bytes of the upstream JSON envelope."""

    def fetch(self) -> Fetched:
        raise NotImplementedError

    @property
    def is_synthetic(self) -> bool:
        return False

    def describe(self) -> str:
        raise NotImplementedError


class HttpRatesSource(RatesSource):
    """The Ogrine rates API over HTTP (``OGRINE_API_URL``), with timeouts and bounded retries."""

    api_url: str = Field(description="Full URL of GET /ogrineRates.")
    connect_timeout_seconds: float = Field(default=10.0)
    read_timeout_seconds: float = Field(default=30.0)
    max_attempts: int = Field(default=4, description="Attempts on connection errors, 429, 5xx.")
    backoff_base_seconds: float = Field(
        default=1.0, description="First backoff; doubles, jittered."
    )
    backoff_max_seconds: float = Field(
        default=30.0, description="Cap on any wait, Retry-After too."
    )

    def fetch(self) -> Fetched:
        return fetch_rates(
            self.api_url,
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_seconds,
            retry=RetryPolicy(
                attempts=self.max_attempts,
                base_seconds=self.backoff_base_seconds,
                max_seconds=self.backoff_max_seconds,
            ),
        )

    def describe(self) -> str:
        return f"Ogrine rates API at {self.api_url}"


class SyntheticRatesSource(RatesSource):
    """The embedded default: deterministic synthetic rates up to yesterday (UTC), offline."""

    clock: Clock

    def fetch(self) -> Fetched:
        body = msgspec.json.encode(synthetic_payload(self.clock.today()))
        return Fetched(
            url="synthetic:ogrineRates", body=body, content_type="application/json", attempts=1
        )

    @property
    def is_synthetic(self) -> bool:
        return True

    def describe(self) -> str:
        return "SYNTHETIC embedded default (OGRINE_API_URL is unset): not real market data"


class RunArchive(dg.ConfigurableResource):
    """Per-run files kept for good: raw snapshots, quarantined rows, published forecasts.

    They make every training set traceable to its bytes, and every published forecast
    checkable against what happened next.
    """

    base_dir: str

    def save_snapshot(self, run_id: str, body: bytes) -> tuple[Path, str]:
        """Keep the exact bytes a run fetched; returns the path and their SHA-256."""
        path = Path(self.base_dir) / "raw" / f"{run_id}.json"
        _write_atomically(path, body)
        return path, hashlib.sha256(body).hexdigest()

    def save_quarantine(self, run_id: str, rejected: pl.DataFrame) -> Path:
        """The rejected rows of a run, one JSON object per line, with their reasons."""
        path = Path(self.base_dir) / "quarantine" / f"{run_id}.jsonl"
        _write_atomically(path, rejected.write_ndjson().encode())
        return path

    def save_forecast(self, run_id: str, last_observed: str, document_bytes: bytes) -> Path:
        path = Path(self.base_dir) / "forecasts" / f"{last_observed}_{run_id}.json"
        _write_atomically(path, document_bytes)
        return path

    def published_forecasts(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Every readable forecast published so far (oldest origin first), and the problems
        with those that are not: one bad file must not stop the next forecast."""
        documents, problems = [], []
        for path in sorted((Path(self.base_dir) / "forecasts").glob("*.json")):
            try:
                document = json.loads(path.read_bytes())
                if not isinstance(document.get("forecast"), list) or not document.get("data"):
                    raise ValueError("not a forecast document")
            except (OSError, ValueError, AttributeError) as exc:
                problems.append(f"{path.name}: {exc}")
                continue
            documents.append(document)
        return documents, problems


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
    artifact_root: str | None = Field(
        default=None,
        description="Artifact location of the experiment when created (None: the server's).",
    )
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

    def feature_names(self, version: str) -> list[str]:
        """The feature columns a version was trained on, from its MLflow signature."""
        self.activate()
        info = mlflow.models.get_model_info(f"models:/{self.model_name}/{version}")
        if info.signature is None:
            raise ValueError(f"model version {version} has no signature")
        return list(info.signature.inputs.input_names())

    def load_run_json(self, run_id: str, artifact_path: str) -> dict[str, Any] | None:
        """A JSON artifact of a run, or None when the run has none (older versions)."""
        self.activate()
        try:
            return mlflow.artifacts.load_dict(f"runs:/{run_id}/{artifact_path}")
        except (MlflowException, OSError):
            return None

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
    try:
        yield from mlflow_tracking.resource_fn(context)
    finally:
        # ogrine_model closes the run it uses. One still open here was started for a run
        # that failed before training (the in-process executor starts every resource up
        # front): close it as FAILED, or it would stay RUNNING and leak into the next run
        # this process executes (MLflow's active run is process-global).
        if mlflow.active_run() is not None:
            mlflow.end_run(status="FAILED")


class ForecastStore(dg.ConfigurableResource):
    """The published forecast document: replaced atomically, read by the service."""

    path: str

    def publish(self, document_bytes: bytes) -> Path:
        target = Path(self.path)
        _write_atomically(target, document_bytes)
        return target
