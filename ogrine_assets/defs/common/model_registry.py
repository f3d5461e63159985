"""The model registry: every MLflow call of the project goes through this one resource.

dagster-mlflow opens the tracking run (``mlflow_tracking.py``); everything else is here:
logging a training's params, metrics and artifacts, logging and registering the model,
tagging versions, the ``champion`` alias, reading a version's features and bands, loading
it to forecast, and the links into MLflow's UI. The tracking and registry URIs are set once
per execution, when Dagster sets the resource up, because MLflow keeps them process-global.

MLflow is imported on first use, not with this module: loading the code location (every
run worker, every reload of the UI) must not pay for it, nor steps that never call it.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import msgspec
import numpy as np
from pydantic import Field, PrivateAttr

from ogrine_assets.model.candidates import Procedure, procedure_of
from ogrine_assets.model.forecasting import Predictor
from ogrine_assets.model.intervals import IntervalRecord
from ogrine_assets.model.linear import LinearModel
from ogrine_assets.model.promotion import BROKEN_TAG
from ogrine_assets.names import CHAMPION_ALIAS, INTERVALS_ARTIFACT, METHOD_TAG

if TYPE_CHECKING:
    import pandas as pd
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

    from ogrine_assets.model.training import TrainedModel

# What a version needs to load (pyfunc_model.py): given explicitly, because MLflow's own
# inference starts a subprocess and costs seconds per model.
MODEL_REQUIREMENTS = ("mlflow", "numpy", "pandas")
# The code MLflow runs to load a version ("models from code"), and its artifact's name.
PYFUNC_CODE = Path(__file__).resolve().parents[2] / "model" / "pyfunc_model.py"
LINEAR_MODEL_ARTIFACT = "linear_model"
RUN_NAME_TAG = "mlflow.runName"
# The MLflow UI opens an experiment of this kind on its runs and models (without the tag,
# MLflow 3 opens new experiments in its GenAI view: traces, an assistant panel).
EXPERIMENT_KIND_TAG, EXPERIMENT_KIND = "mlflow.experimentKind", "custom_model_development"


def _mlflow() -> Any:
    import mlflow

    return mlflow


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


class ModelUnavailable(RuntimeError):
    """A registered version cannot be loaded because its files, or the version, are gone.

    Only such lasting causes: a version marked broken stops being the champion for good, so
    a passing fault (a server not answering) is left to fail the step, to be tried again.
    """


@dataclass(frozen=True)
class LoggedTraining:
    """Where a training landed: its MLflow run and the version it registered."""

    version: str
    run_id: str
    experiment_id: str


class ModelRegistry(dg.ConfigurableResource):
    """One registered model in one MLflow store: its versions, champion alias and runs."""

    tracking_uri: str
    artifact_root: str | None = Field(
        default=None,
        description="Artifact location of the experiment when created (None: the server's).",
    )
    model_name: str
    experiment_name: str
    champion_alias: str = CHAMPION_ALIAS
    ui_url: str = Field(default="http://127.0.0.1:5000", description="Base URL of the MLflow UI.")

    _client: Any = PrivateAttr(default=None)  # an MlflowClient once connected

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._connect()

    def _connect(self) -> MlflowClient:
        """Point MLflow's process-global fluent API at this store, once, and keep a client."""
        mlflow = _mlflow()
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        self._client = mlflow.MlflowClient(
            tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
        )
        return self._client

    @property
    def client(self) -> MlflowClient:
        # Set up by Dagster for a run; connected on first use when called directly (tests).
        return self._client or self._connect()

    def _fluent(self) -> None:
        """Make sure MLflow's fluent API (log_model, load_model) points at this store; only
        another store used in the same process (tests) can have moved it since setup."""
        if self._client is None or _mlflow().get_tracking_uri() != self.tracking_uri:
            self._connect()

    def experiment_id(self) -> str:
        """The experiment's id, creating it with artifacts under ``artifact_root`` if needed.

        An experiment whose artifacts live elsewhere than ``artifact_root`` belongs to a home
        that was moved (or to another OGRINE_MLFLOW_ARTIFACT_ROOT): new runs must not write
        under the old place, so it is renamed aside and a new one made. Versions trained in
        it stay registered; those whose files are gone are found broken when needed.
        """
        experiment = self.client.get_experiment_by_name(self.experiment_name)
        if experiment is not None and self.artifact_root not in (
            None,
            experiment.artifact_location,
        ):
            aside = f"{self.experiment_name} (artifacts at {experiment.artifact_location})"
            if self.client.get_experiment_by_name(aside) is not None:
                aside += f" {time.strftime('%Y%m%dT%H%M%S')}"
            self.client.rename_experiment(experiment.experiment_id, aside)
            dg.get_dagster_logger().warning(
                f"The MLflow experiment kept its artifacts at {experiment.artifact_location}, "
                f"not {self.artifact_root}: renamed it '{aside}' and started a new one."
            )
            experiment = None
        if experiment is not None:
            if experiment.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
                self.client.set_experiment_tag(
                    experiment.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND
                )
            return experiment.experiment_id
        return self.client.create_experiment(
            self.experiment_name,
            artifact_location=self.artifact_root,
            tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND},
        )

    # Versions and the champion alias.

    def champion(self) -> RegisteredVersion | None:
        try:
            found = self.client.get_model_version_by_alias(self.model_name, self.champion_alias)
        except _mlflow().exceptions.MlflowException as exc:
            if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
                return None
            raise
        return RegisteredVersion.of(found)

    def version(self, version: str) -> RegisteredVersion:
        return RegisteredVersion.of(self.client.get_model_version(self.model_name, version))

    def versions(self) -> dict[str, RegisteredVersion]:
        """Every registered version, by number."""
        try:
            found = self.client.search_model_versions(
                f"name = '{self.model_name}'", max_results=100_000
            )
        except _mlflow().exceptions.MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return {}
            raise
        return {str(v.version): RegisteredVersion.of(v) for v in found}

    def decisions(self) -> dict[str, dict[str, str]]:
        """Every version's tags, by number: what ``model.promotion`` reads decisions from."""
        return {number: version.tags for number, version in self.versions().items()}

    def run_status(self, run_id: str) -> str:
        """The status of a version's training run (FINISHED, FAILED, KILLED, RUNNING)."""
        return str(self.client.get_run(run_id).info.status)

    def model_location(self, version: str) -> str:
        """Where a version's model files live (its logged model's artifacts), as a URI."""
        source = self.client.get_model_version(self.model_name, version).source or ""
        return str(self.client.get_logged_model(source.removeprefix("models:/")).artifact_location)

    def mark_broken(self, version: str, reason: str) -> None:
        """Record that a version cannot be loaded: it stops being the champion."""
        self.tag_version(version, {BROKEN_TAG: reason})

    def set_champion(self, version: str) -> None:
        self.client.set_registered_model_alias(self.model_name, self.champion_alias, version)

    def tag_version(self, version: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(self.model_name, version, key, value)

    def feature_names(self, version: str) -> list[str]:
        """The feature columns a version was trained on, from its MLflow signature."""
        self._fluent()
        with _unavailable_as(version):
            info = _mlflow().models.get_model_info(f"models:/{self.model_name}/{version}")
        if info.signature is None:
            raise ModelUnavailable(f"model version {version} has no signature")
        return list(info.signature.inputs.input_names())

    def procedure(self, version: str) -> Procedure:
        """How a version was made (its method tag and its signature's features): what
        promotion refits at every backtest origin to judge it."""
        method = self.version(version).tags.get(METHOD_TAG)
        return procedure_of(method, self.feature_names(version))

    def load_predictor(self, version: str) -> Predictor:
        """A function from a feature frame to predictions, using the version's own columns."""
        self._fluent()
        # Without MLflow's check of the version's pinned requirements against what is
        # installed: it maps every installed package to its modules (~0.3 s, a few MiB) at
        # each load, to warn of differences that cannot matter here: the model is plain JSON
        # coefficients, read by pyfunc_model.py with NumPy and pandas.
        with _unavailable_as(version):
            model = _mlflow().pyfunc.load_model(
                f"models:/{self.model_name}/{version}", suppress_warnings=True
            )
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

    def interval_record(self, run_id: str) -> IntervalRecord | None:
        """The bands a training run stored; None for runs trained before they existed, or
        whose record cannot be read (said in the log): a forecast without bands is better
        than none."""
        with tempfile.TemporaryDirectory() as folder:
            try:
                path = self.client.download_artifacts(run_id, INTERVALS_ARTIFACT, folder)
                return IntervalRecord.from_json(Path(path).read_bytes())
            except (_mlflow().exceptions.MlflowException, OSError):
                return None
            except msgspec.DecodeError as exc:
                dg.get_dagster_logger().warning(
                    f"The interval record of run {run_id} is unreadable ({exc}); no bands."
                )
                return None

    # Training runs.

    def unfinished_runs(self) -> dict[str, str]:
        """The experiment's runs still marked RUNNING: their id and their Dagster run's id."""
        experiment = self.client.get_experiment_by_name(self.experiment_name)
        if experiment is None:
            return {}
        running = self.client.search_runs(
            [experiment.experiment_id], filter_string="attributes.status = 'RUNNING'"
        )
        return {run.info.run_id: run.data.tags.get("dagster_run_id", "") for run in running}

    def close_run(self, run_id: str, status: str) -> None:
        self.client.set_terminated(run_id, status)

    def discard_active_run(self) -> None:
        """End the active MLflow run and delete it: a step that trained nothing leaves no
        run behind (MLflow keeps deleted runs until ``mlflow gc``)."""
        self._fluent()
        mlflow = _mlflow()
        run = mlflow.active_run()
        if run is not None:
            mlflow.end_run()
            self.client.delete_run(run.info.run_id)

    def log_model(
        self, model: LinearModel, sample: pd.DataFrame, tags: dict[str, str] | None = None
    ) -> tuple[str, str]:
        """Log ``model`` to the active run and register it, with ``tags``: (version, logged
        model id).

        Its artifact is the model as JSON, served by ``model/pyfunc_model.py`` (no pickle).
        The signature and input example come from real feature rows, so a version carries
        the exact feature columns it needs.
        """
        self._fluent()
        mlflow = _mlflow()
        with tempfile.TemporaryDirectory() as folder:
            spec = Path(folder, f"{LINEAR_MODEL_ARTIFACT}.json")
            spec.write_bytes(model.to_json())
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(PYFUNC_CODE),
                artifacts={LINEAR_MODEL_ARTIFACT: str(spec)},
                signature=mlflow.models.infer_signature(sample, model.predict(sample)),
                input_example=sample,
                pip_requirements=[f"{n}=={installed_version(n)}" for n in MODEL_REQUIREMENTS],
            )
        # Registered here rather than by log_model: the version then knows its logged model
        # (its model id), and nothing is printed to the terminal on the way.
        if not self.client.search_registered_models(f"name = '{self.model_name}'"):
            self.client.create_registered_model(self.model_name)
        version = self.client.create_model_version(
            self.model_name,
            source=info.model_uri,
            run_id=info.run_id,
            tags=tags,
            model_id=info.model_id,
        )
        return str(version.version), info.model_id

    def log_training(
        self, trained: TrainedModel, *, run_tags: dict[str, str], version_tags: dict[str, str]
    ) -> LoggedTraining:
        """Record a training in the active MLflow run, register its model, and end the run.

        The backtest scores are logged against the logged model too (MLflow 3's model id),
        so the model's own page shows them. The run ends FAILED if anything here fails.
        """
        self._fluent()
        mlflow = _mlflow()
        from mlflow.entities import Metric, Param, RunTag

        run = mlflow.active_run()
        if run is None:
            raise RuntimeError("no active MLflow run: mlflow_tracking did not start one")
        try:
            version, model_id = self.log_model(
                trained.model, trained.sample(), {**trained.summary.as_tags(), **version_tags}
            )
            # Everything else in one batch (one transaction), not a call per value. The
            # scores by horizon are steps 1..7 of their metric, for MLflow's charts.
            at = int(time.time() * 1000)
            # Named for what tells trainings apart (dagster-mlflow names them all by the job).
            tags = {**run_tags, RUN_NAME_TAG: f"v{version} · data to {trained.series.last_date}"}
            self.client.log_batch(
                run.info.run_id,
                params=[Param(key, str(value)) for key, value in trained.params().items()],
                tags=[RunTag(key, value) for key, value in tags.items()],
                metrics=[
                    *(Metric(name, value, at, 0)
                      for name, value in trained.holdout.as_metrics().items()),
                    *(Metric(name, value, at, 0, model_id=model_id)
                      for name, value in trained.backtest_metrics().items()),
                    *(Metric(name, value, at, step, model_id=model_id)
                      for name, values in trained.mae_by_horizon().items()
                      for step, value in enumerate(values, start=1)),
                ],
            )  # fmt: skip
            with tempfile.TemporaryDirectory() as folder:
                for relative, content in trained.artifacts().items():
                    path = Path(folder, relative)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(content)
                mlflow.log_artifacts(folder)
        except BaseException:
            mlflow.end_run(status="FAILED")
            raise
        # dagster-mlflow's end hook ends the run after the topologically last op, which in
        # an asset job may be an asset check; the training owns its run and closes it here.
        mlflow.end_run()
        return LoggedTraining(
            version=version, run_id=run.info.run_id, experiment_id=run.info.experiment_id
        )

    # Links into the MLflow UI.

    def run_url(self, experiment_id: str, run_id: str) -> str:
        return f"{self.ui_url}/#/experiments/{experiment_id}/runs/{run_id}"

    def version_url(self, version: str) -> str:
        return f"{self.ui_url}/#/models/{self.model_name}/versions/{version}"


_GONE = ("No such artifact", "does not exist", "No such file or directory", "not found")


@contextlib.contextmanager
def _unavailable_as(version: str) -> Iterator[None]:
    """MLflow's ways of saying a model's files are gone, as one error naming the version;
    any other failure is raised as it is."""
    try:
        yield
    except (_mlflow().exceptions.MlflowException, OSError) as exc:
        cause = (getattr(exc, "message", None) or str(exc)).splitlines()[0]
        gone = isinstance(exc, FileNotFoundError | NotADirectoryError) or (
            isinstance(exc, _mlflow().exceptions.MlflowException)
            and (exc.error_code == "RESOURCE_DOES_NOT_EXIST" or any(m in cause for m in _GONE))
        )
        if not gone:
            raise
        raise ModelUnavailable(f"model version {version} cannot be loaded: {cause}") from exc
