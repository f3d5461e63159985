"""The production storage path, live: the whole graph on Postgres-backed Dagster and MLflow.

The Dagster instance is loaded from docker/dagster.yaml, the very file compose uses, with
only the host changed through its environment (127.0.0.1 instead of the `postgres` service).
In CI (.ci/run starts PostgreSQL) a missing server fails the test; elsewhere it skips.
"""

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest
from mlflow.tracking import MlflowClient

from ogrine_assets.definitions import build_definitions
from ogrine_assets.defs.automation.sensors import model_promotion_sensor
from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.names import CHAMPION_ALIAS, REGISTERED_MODEL_NAME
from ogrine_assets.settings import Settings
from ogrine_assets_tests.support import FIXED_NOW

pytestmark = pytest.mark.integration

DOCKER = Path(__file__).resolve().parents[2] / "docker"
ADMIN_DSN = os.environ.get(
    "OGRINE_TEST_POSTGRES", "postgresql://ogrine:ogrine@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="module")
def databases() -> Iterator[dict[str, str]]:
    """Two fresh databases (Dagster's, MLflow's) on the test server, dropped afterwards."""
    import psycopg2

    try:
        admin = psycopg2.connect(ADMIN_DSN, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        reason = (
            f"no PostgreSQL at {urlsplit(ADMIN_DSN).netloc} (.ci/postgres.sh starts one): {exc}"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    admin.autocommit = True
    suffix = uuid.uuid4().hex[:10]
    names = {"dagster": f"ogrine_dagster_{suffix}", "mlflow": f"ogrine_mlflow_{suffix}"}
    with admin.cursor() as cursor:
        for name in names.values():
            cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield names
    finally:
        with admin.cursor() as cursor:
            for name in names.values():
                cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def test_whole_graph_on_postgres(
    databases: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = urlsplit(ADMIN_DSN)
    monkeypatch.setenv("DAGSTER_POSTGRES_USER", server.username or "")
    monkeypatch.setenv("DAGSTER_POSTGRES_PASSWORD", server.password or "")
    monkeypatch.setenv("DAGSTER_POSTGRES_HOST", server.hostname or "")
    monkeypatch.setenv("DAGSTER_POSTGRES_DB", databases["dagster"])
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    shutil.copy(DOCKER / "dagster.yaml", dagster_home / "dagster.yaml")

    mlflow_uri = f"postgresql+psycopg2://{server.username}:{server.password}@{server.hostname}:{server.port}/{databases['mlflow']}"
    settings = Settings.from_env(
        {
            "OGRINE_HOME": str(tmp_path / "home"),
            "DAGSTER_HOME": str(dagster_home),
            "MLFLOW_TRACKING_URI": mlflow_uri,
            "OGRINE_MLFLOW_ARTIFACT_ROOT": (tmp_path / "artifacts").as_uri(),
        }
    )
    defs = build_definitions(settings, clock=Clock(fixed_now=FIXED_NOW.isoformat()))

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"

        training = defs.resolve_job_def("training_job").execute_in_process(instance=instance)
        assert training.success
        tick = model_promotion_sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, definitions=defs)
        )
        assert [r.run_key for r in tick.run_requests] == ["model-version-1"]
        promotion = defs.resolve_job_def("promotion_job").execute_in_process(instance=instance)
        assert promotion.success

        runs = instance.get_runs()
        assert sorted(run.job_name for run in runs) == ["promotion_job", "training_job"]
        assert instance.get_latest_materialization_event(dg.AssetKey("forecast")) is not None

    client = MlflowClient(tracking_uri=mlflow_uri, registry_uri=mlflow_uri)
    champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    document = json.loads(settings.forecast_path.read_text())
    assert document["model"]["version"] == str(champion.version) == "1"
    assert len(document["forecast"]) == 7
