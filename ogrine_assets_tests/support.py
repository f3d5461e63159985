"""Helpers shared by the tests: a fixed "now", a temporary OGRINE_HOME, a deployment of the
real graph on a real Dagster instance and MLflow store, and forecast documents to serve."""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from ogrine_assets.definitions import build_definitions
from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.mlflow_resources import model_registry_for, training_log_for
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.common.training_log import TrainingLog
from ogrine_assets.defs.ingestion.sources import RatesSource
from ogrine_assets.forecast_document import (
    LiveAccuracy,
    ModelInfo,
    Quality,
    build_forecast_document,
    encode,
)
from ogrine_assets.local.stores import ensure_mlflow_store, prepare
from ogrine_assets.materialize import RETRAIN
from ogrine_assets.model.candidates import Procedure
from ogrine_assets.model.estimators import Estimator, fit_estimator
from ogrine_assets.rates.upstream import Fetched
from ogrine_assets.settings import Settings, environment_without_ours
from ogrine_assets_tests.fake_upstream import envelope

# Every test sees the same "now": nothing depends on the day the suite runs.
FIXED_NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)

OGRINE = str(Path(sys.executable).parent / "ogrine")


def ogrine_env(home: Path, **env: str) -> dict[str, str]:
    """The environment of an `ogrine` command on ``home`` at FIXED_NOW, nothing inherited
    that could point it elsewhere."""
    return {
        **environment_without_ours(),
        "OGRINE_HOME": str(home),
        "OGRINE_NOW": FIXED_NOW.isoformat(),
        **env,
    }


def probe_at_start(folder: Path, code: str) -> dict[str, str]:
    """The environment that makes a Python process run ``code`` before anything else (a
    ``sitecustomize`` in ``folder``): how a test looks inside a real process it starts."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(code)
    return {"PYTHONPATH": str(folder)}


def ogrine(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `ogrine` as a user would, to its end."""
    return subprocess.run(
        [OGRINE, *args], env=ogrine_env(home, **env), capture_output=True, text=True, timeout=600
    )


@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A small file system of its own at ``folder``, to fill (root only; CI runs as root)."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs to fill ({mounted.stderr.strip() or 'not root'})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system holding ``folder``; returns the file to delete to free it."""
    filler = folder / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while os.write(handle, b"\0" * 65536):
            pass
    except OSError:  # full: what it is for
        pass
    finally:
        os.close(handle)
    return filler


def half_migrated_store(database: Path) -> Path:
    """At ``database``, what an MLflow store creation killed half-way through its
    migrations leaves (before stores were built aside and renamed into place)."""
    database.parent.mkdir(parents=True)
    with closing(sqlite3.connect(database)) as db, db:
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("CREATE TABLE _alembic_tmp_metrics (id INTEGER)")
    return database


@functools.cache
def new_mlflow_store() -> Path:
    """A new MLflow store, made once per test process by MLflow's own migrations (~1 CPU-s
    each time): the tests' homes start from a copy of it instead of migrating anew, which
    ``prepare`` does for every real home. The stores' making, and its crashes, are tested
    in ``local/test_stores.py``."""
    folder = Path(tempfile.mkdtemp(prefix="new-mlflow-store-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    database = folder / "mlflow.db"
    ensure_mlflow_store(database, (folder / "artifacts").as_uri())
    return database


def make_settings(home: Path, **environ: str | Path) -> Settings:
    """Settings for ``home``, made ready as a run makes it (``prepare``), its new MLflow
    store copied from ``new_mlflow_store``."""
    names = {"forecast_path": "OGRINE_FORECAST_PATH", "api_url": "OGRINE_API_URL"}
    settings = Settings.from_env(
        {"OGRINE_HOME": str(home), **{names[key]: str(value) for key, value in environ.items()}}
    )
    if settings.uses_local_mlflow_store and not settings.local_mlflow_db.exists():
        settings.local_mlflow_db.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(new_mlflow_store(), settings.local_mlflow_db)
    prepare(settings)
    return settings


@dataclass
class Deployment:
    """The real graph on a real (SQLite) Dagster instance and MLflow store in one home."""

    settings: Settings
    defs: dg.Definitions
    instance: dg.DagsterInstance

    def run(
        self, job_name: str, *, retrain: bool = False, **kwargs: Any
    ) -> dg.ExecuteInProcessResult:
        """Run a job; ``retrain`` trains a new version even on unchanged data and code."""
        job = self.defs.resolve_job_def(job_name)
        if retrain:
            kwargs["run_config"] = RETRAIN
        return job.execute_in_process(instance=self.instance, raise_on_error=False, **kwargs)

    def client(self) -> MlflowClient:
        uri = self.settings.mlflow_tracking_uri
        return MlflowClient(tracking_uri=uri, registry_uri=uri)

    def document(self) -> dict[str, Any]:
        return json.loads(self.settings.forecast_path.read_text())

    def registry(self) -> ModelRegistry:
        return model_registry_for(self.settings)

    def training_log(self) -> TrainingLog:
        return training_log_for(self.settings)

    def sensor_context(self, cursor: str | None = None) -> dg.SensorEvaluationContext:
        """A tick of a sensor on this deployment, as the daemon gives it."""
        return dg.build_sensor_context(instance=self.instance, definitions=self.defs, cursor=cursor)

    def metadata(self, key: str) -> dict[str, Any]:
        """The latest materialization's metadata of asset ``key``, as plain values."""
        event = self.instance.get_latest_materialization_event(dg.AssetKey(key))
        assert event is not None and event.asset_materialization is not None, key
        return {k: v.value for k, v in event.asset_materialization.metadata.items()}


@contextmanager
def deployment(
    home: Path,
    *,
    now: dt.datetime = FIXED_NOW,
    rates_source: RatesSource | None = None,
    on_disk: bool = False,
    **environ: str | Path,
) -> Iterator[Deployment]:
    """The graph on ``home``; ``environ`` sets more variables, by the settings' field names
    (``forecast_path=...`` is OGRINE_FORECAST_PATH).

    Its Dagster instance is Dagster's in-memory one, where what the test checks is not
    Dagster's storage (a run writes every event to SQLite anew: about half of a warm run's
    time); ``on_disk`` opens the home's own, for a test whose other processes, or later
    commands, read what this one ran.
    """
    settings = make_settings(home, **environ)
    defs = build_definitions(
        settings, clock=Clock(fixed_now=now.isoformat()), rates_source=rates_source
    )
    with home_instance(settings) if on_disk else dg.DagsterInstance.ephemeral() as instance:
        yield Deployment(settings, defs, instance)


def least_squares_model(
    examples: pd.DataFrame, target: np.ndarray, features: Sequence[str]
) -> Estimator:
    """A least-squares model on any ``features`` of ``examples``, for tests that register a
    model of their own making (a weak champion, a feature this code no longer computes)."""
    return fit_estimator(Procedure("linear", "ols", tuple(features)), examples, target)


def register_model(
    training_log: TrainingLog, registry: ModelRegistry, model: Estimator, sample: pd.DataFrame
) -> str:
    """Log ``model`` in a run of its own and register it, as a training does: its version."""
    with mlflow.start_run(experiment_id=training_log.experiment_id()):
        return registry.register(training_log.log_model(model, sample), tags={})


def materialized_home(home: Path) -> Path:
    """``home`` with a trained, promoted and published v1, as a first ``ogrine materialize``
    leaves it, made in this process (for tests whose subject is a later command)."""
    with deployment(home, on_disk=True) as deployed:
        result = deployed.run("train_and_publish_job")
        assert result.success, [e.message for e in result.all_events if e.is_failure]
    return home


@contextmanager
def home_instance(settings: Settings) -> Iterator[dg.DagsterInstance]:
    """The Dagster instance of a home ``make_settings`` made ready, loaded from the
    ``dagster.yaml`` that ``prepare`` wrote, as every ``ogrine`` and Dagster process on the
    home loads it."""
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        yield instance


class SeriesSource(RatesSource):
    """Serves a given daily series (rates in tenths) up to the day before the run, in the
    upstream's envelope, from memory."""

    start: str
    tenths: list[int]

    def fetch(self, today: dt.date) -> Fetched:
        first = dt.date.fromisoformat(self.start)
        rows = [
            {
                "id": i,
                "datetime": f"{first + dt.timedelta(days=i)}T00:00:00+00:00",
                "rateTenth": tenth,
                "rate": tenth / 10,
            }
            for i, tenth in enumerate(self.tenths)
            if first + dt.timedelta(days=i) < today
        ]
        body = json.dumps(envelope(rows)).encode()
        return Fetched(url="test:series", body=body, content_type="application/json", attempts=1)

    def describe(self) -> str:
        return "a test series"


def series_source(values: Sequence[float]) -> SeriesSource:
    """The rates ``values`` (kamas), the last of them on the day before FIXED_NOW."""
    start = FIXED_NOW.date() - dt.timedelta(days=len(values))
    return SeriesSource(start=start.isoformat(), tenths=[round(float(v) * 10) for v in values])


# Documents for the service's tests.

LAST_OBSERVED = dt.date(2026, 11, 25)


def document_bytes(
    version: str = "3",
    last_observed: dt.date = LAST_OBSERVED,
    base: float = 700.0,
    beats_naive: bool | None = None,
) -> bytes:
    """A forecast document; with ``beats_naive`` set, also bands, quality and live accuracy."""
    history = [
        (last_observed - dt.timedelta(days=i), int(base * 10) + i) for i in range(120, -1, -1)
    ]
    predictions = [(last_observed + dt.timedelta(days=i), base + i) for i in range(1, 8)]
    graded = beats_naive is not None
    return encode(
        build_forecast_document(
            model=ModelInfo(
                name="ogrine-rate-forecaster", version=version, run_id="abc", alias="champion"
            ),
            generated_at=dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC),
            dagster_run_id="run-1",
            data_source="test",
            synthetic=False,
            history=history,
            predictions=predictions,
            bands={80: ([-5.0] * 7, [5.0] * 7), 95: ([-9.0] * 7, [9.0] * 7)} if graded else None,
            quality=Quality(
                backtest_origins=182,
                backtest_mae=10.0 if beats_naive else 30.0,
                naive_mae=20.0,
                seasonal_naive_mae=22.0,
                beats_naive=bool(beats_naive),
                interval_coverage={80: 0.81, 95: 0.94},
            )
            if graded
            else None,
            live_accuracy=[
                LiveAccuracy(
                    horizon_days=1,
                    forecasts=3,
                    live_mae=12.5,
                    backtest_mae=10.0,
                    coverage_80=0.67,
                    coverage_95=1.0,
                )
            ]
            if graded
            else [],
        )
    )


@dataclass
class RunningService:
    """A real `ogrine serve` process and where it answers."""

    base_url: str
    process: subprocess.Popen[str]
