"""The training log: MLflow runs of trainings, their params, metrics, artifacts and models.

dagster-mlflow opens the run of a Dagster run (``mlflow_tracking.py``); a training records
into it here: the model (MLflow's scikit-learn flavour, ``skops``-serialized, with its
signature and an input example taken from real feature rows), its params and every score
(the backtest's also against the logged model, so the model's own page shows them), and its
backtest's files. Recovery reads it too: runs a killed process left RUNNING are closed.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import msgspec
from pydantic import Field

from ogrine_assets.defs.common.mlflow_store import MlflowStore, mlflow_module
from ogrine_assets.local.mlflow_ui import run_url
from ogrine_assets.names import DAGSTER_RUN_TAG, INTERVALS_ARTIFACT

if TYPE_CHECKING:
    import pandas as pd

    from ogrine_assets.model.estimators import Estimator
    from ogrine_assets.model.intervals import IntervalRecord
    from ogrine_assets.model.training import TrainedModel

RUN_NAME_TAG = "mlflow.runName"
# The experiment's kind, as MLflow's UI records a machine-learning one. MLflow 3.17's UI
# opens an experiment in the view the browser chose instead (GenAI unless told): the
# addresses given carry that choice (local/mlflow_ui.py).
EXPERIMENT_KIND_TAG, EXPERIMENT_KIND = "mlflow.experimentKind", "custom_model_development"


@dataclass(frozen=True)
class TrainingRun:
    """The MLflow run a training records into."""

    run_id: str
    experiment_id: str


@dataclass(frozen=True)
class LoggedModel:
    """A model logged in a run, ready to be registered."""

    uri: str
    model_id: str
    run_id: str


class TrainingLog(dg.ConfigurableResource):
    """The trainings of one experiment in one MLflow store."""

    store: MlflowStore
    experiment_name: str
    artifact_root: str | None = Field(
        default=None,
        description="Artifact location of the experiment when created (None: the server's).",
    )

    def experiment_id(self) -> str:
        """The experiment's id, creating it with artifacts under ``artifact_root`` if needed.

        An experiment whose artifacts live elsewhere than ``artifact_root`` belongs to a home
        that was moved (or to another OGRINE_MLFLOW_ARTIFACT_ROOT): new runs must not write
        under the old place, so it is renamed aside and a new one made. Versions trained in
        it stay registered; those whose files are gone are found broken when needed.
        """
        client = self.store.client
        experiment = client.get_experiment_by_name(self.experiment_name)
        if experiment is not None and self.artifact_root not in (
            None,
            experiment.artifact_location,
        ):
            aside = f"{self.experiment_name} (artifacts at {experiment.artifact_location})"
            if client.get_experiment_by_name(aside) is not None:
                aside += f" {time.strftime('%Y%m%dT%H%M%S')}"
            client.rename_experiment(experiment.experiment_id, aside)
            dg.get_dagster_logger().warning(
                f"The MLflow experiment kept its artifacts at {experiment.artifact_location}, "
                f"not {self.artifact_root}: renamed it '{aside}' and started a new one."
            )
            experiment = None
        if experiment is not None:
            if experiment.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
                client.set_experiment_tag(
                    experiment.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND
                )
            return experiment.experiment_id
        return client.create_experiment(
            self.experiment_name,
            artifact_location=self.artifact_root,
            tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND},
        )

    # A training, recorded.

    @contextlib.contextmanager
    def training_run(self) -> Iterator[TrainingRun]:
        """The active MLflow run, for a training to record into; ended FINISHED when the
        block ends, FAILED if it raises.

        dagster-mlflow's end hook ends the run after the topologically last op, which in an
        asset job may be an asset check: the training owns its run and closes it here.
        """
        mlflow = self.store.fluent()
        run = mlflow.active_run()
        if run is None:
            raise RuntimeError("no active MLflow run: mlflow_tracking did not start one")
        try:
            yield TrainingRun(run.info.run_id, run.info.experiment_id)
        except BaseException:
            mlflow.end_run(status="FAILED")
            raise
        mlflow.end_run()

    def log_model(self, estimator: Estimator, sample: pd.DataFrame) -> LoggedModel:
        """Log a fitted estimator to the active run with MLflow's scikit-learn flavour.

        Serialized with ``skops`` (loading runs no pickle), its signature and input example
        from real feature rows, so a version carries the exact feature columns it needs.
        The pip requirements are the flavour's own defaults, given explicitly: MLflow would
        otherwise infer them by loading the model in a subprocess (seconds per model).
        """
        mlflow = self.store.fluent()
        info = mlflow.sklearn.log_model(
            estimator,
            name="model",
            serialization_format="skops",
            signature=mlflow.models.infer_signature(sample, estimator.predict(sample)),
            input_example=sample,
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
        )
        return LoggedModel(uri=info.model_uri, model_id=info.model_id, run_id=info.run_id)

    def record(
        self,
        trained: TrainedModel,
        run: TrainingRun,
        *,
        version: str,
        model_id: str,
        run_tags: dict[str, str],
    ) -> None:
        """A training's params, tags, scores and backtest files, in its run.

        One batch (one transaction), not a call per value. The scores by horizon are steps
        1..7 of their metric, for MLflow's charts.
        """
        from mlflow.entities import Metric, Param, RunTag

        mlflow = self.store.fluent()
        at = int(time.time() * 1000)
        # Named for what tells trainings apart (dagster-mlflow names them all by the job).
        tags = {**run_tags, RUN_NAME_TAG: f"v{version} · data to {trained.series.last_date}"}
        # (name, step, value, of the model?): the holdout's are the run's alone.
        scores = [
            *((name, 0, value, False) for name, value in trained.holdout.as_metrics().items()),
            *((name, 0, value, True) for name, value in trained.backtest_metrics().items()),
            *(
                (name, step, value, True)
                for name, values in trained.mae_by_horizon().items()
                for step, value in enumerate(values, start=1)
            ),
        ]
        self.store.client.log_batch(
            run.run_id,
            params=[Param(key, str(value)) for key, value in trained.params().items()],
            tags=[RunTag(key, value) for key, value in tags.items()],
            metrics=[
                Metric(name, value, at, step, model_id=model_id if of_model else None)
                for name, step, value, of_model in scores
            ],
        )
        with tempfile.TemporaryDirectory() as folder:
            for relative, content in trained.artifacts().items():
                path = Path(folder, relative)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            mlflow.log_artifacts(folder)

    def discard_active_run(self) -> None:
        """End the active MLflow run and delete it: a step that trained nothing leaves no
        run behind (MLflow keeps deleted runs until ``mlflow gc``)."""
        mlflow = self.store.fluent()
        run = mlflow.active_run()
        if run is not None:
            mlflow.end_run()
            self.store.client.delete_run(run.info.run_id)

    # What trainings left.

    def run_status(self, run_id: str) -> str:
        """The status of a training run (FINISHED, FAILED, KILLED, RUNNING)."""
        return str(self.store.client.get_run(run_id).info.status)

    def interval_record(self, run_id: str) -> IntervalRecord | None:
        """The bands a training run stored; None for runs trained before they existed, or
        whose record cannot be read (said in the log): a forecast without bands is better
        than none."""
        from ogrine_assets.model.intervals import IntervalRecord

        with tempfile.TemporaryDirectory() as folder:
            try:
                path = self.store.client.download_artifacts(run_id, INTERVALS_ARTIFACT, folder)
                return IntervalRecord.from_json(Path(path).read_bytes())
            except (mlflow_module().exceptions.MlflowException, OSError):
                return None
            except msgspec.DecodeError as exc:
                dg.get_dagster_logger().warning(
                    f"The interval record of run {run_id} is unreadable ({exc}); no bands."
                )
                return None

    def unfinished_runs(self) -> dict[str, str]:
        """The experiment's runs still marked RUNNING: their id and their Dagster run's id."""
        client = self.store.client
        experiment = client.get_experiment_by_name(self.experiment_name)
        if experiment is None:
            return {}
        running = client.search_runs(
            [experiment.experiment_id], filter_string="attributes.status = 'RUNNING'"
        )
        return {run.info.run_id: run.data.tags.get(DAGSTER_RUN_TAG, "") for run in running}

    def close_run(self, run_id: str, status: str) -> None:
        self.store.client.set_terminated(run_id, status)

    def run_url(self, run: TrainingRun) -> str:
        return run_url(self.store.ui_url, run.experiment_id, run.run_id)
