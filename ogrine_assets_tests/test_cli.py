"""The `ogrine` command as a user runs it: a fresh OGRINE_HOME, real processes."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import httpx
import pytest
from mlflow.tracking import MlflowClient

from ogrine_assets.names import REGISTERED_MODEL_NAME
from ogrine_assets_tests.net import free_port, wait_until_ok

pytestmark = pytest.mark.integration

OGRINE = str(Path(sys.executable).parent / "ogrine")


def ogrine(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("OGRINE_", "DAGSTER_", "MLFLOW_"))
    }
    environ.update(OGRINE_HOME=str(home), OGRINE_NOW="2026-11-26T09:30:00+00:00", **env)
    return subprocess.run([OGRINE, *args], env=environ, capture_output=True, text=True, timeout=600)


def test_materialize_twice_then_a_failed_fetch_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = ogrine(home, "materialize")
    assert first.returncode == 0, first.stderr
    for asset in (
        "raw_rates",
        "validated_rates",
        "train_set",
        "test_set",
        "ogrine_model",
        "champion_model",
        "forecast",
    ):
        assert f"materialized {asset}" in first.stdout
    forecast_path = home / "forecast" / "forecast.json"
    assert f"Forecast published to {forecast_path}" in first.stdout
    document = json.loads(forecast_path.read_text())
    assert len(document["forecast"]) == 7 and document["model"]["version"] == "1"

    second = ogrine(home, "materialize")
    assert second.returncode == 0, second.stderr
    assert json.loads(forecast_path.read_text())["model"]["version"] == "2"
    uri = f"sqlite:///{home}/mlflow/mlflow.db"
    version = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version(
        REGISTERED_MODEL_NAME, "2"
    )
    assert version.tags["promotion.decision"] == "promoted"  # same data and code: a tie promotes

    # The runs live in the instance the UI reads.
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()
        assert sorted(run.job_name for run in runs) == [
            "promotion_job",
            "promotion_job",
            "training_job",
            "training_job",
        ]
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)

    # Dagster's own CLI sees the same runs once DAGSTER_HOME points where `ogrine` says.
    dagster_home = ogrine(home, "paths", "--dagster-home").stdout.strip()
    assert dagster_home == str(home / "dagster")
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "run", "list"],
        env={**os.environ, "DAGSTER_HOME": dagster_home},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stderr
    assert all(run.run_id in listed.stdout for run in runs)

    published = forecast_path.read_bytes()
    port = free_port()  # nothing listens there
    failed = ogrine(home, "materialize", OGRINE_API_URL=f"http://127.0.0.1:{port}/ogrineRates")
    assert failed.returncode == 1
    # One line, the last, names the step and the cause; no traceback reaches the terminal.
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("ogrine materialize FAILED at raw_rates: ")
    assert "could not reach it" in last and "last good data kept" in last
    assert "Traceback" not in failed.stderr + failed.stdout
    assert forecast_path.read_bytes() == published


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for child in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((child / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found |= {int(child.name)} | _descendants(int(child.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def test_up_serves_dagster_mlflow_and_the_service_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    dagster_port, mlflow_port, service_port = free_port(), free_port(), free_port()
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("OGRINE_", "DAGSTER_", "MLFLOW_"))
    }
    environ["OGRINE_HOME"] = str(tmp_path / "home")
    log_path = tmp_path / "up.log"
    command = [OGRINE, "up", "--dagster-port", str(dagster_port), "--mlflow-port", str(mlflow_port)]
    command += ["--service-port", str(service_port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=environ, cwd=Path(__file__).resolve().parent.parent, stdout=log, stderr=log
        )
    children: set[int] = set()
    try:
        alive = lambda: process.poll() is None  # noqa: E731
        info = wait_until_ok(f"http://127.0.0.1:{dagster_port}/server_info", alive=alive)
        assert "dagster_webserver_version" in info.json()
        wait_until_ok(f"http://127.0.0.1:{mlflow_port}/health", alive=alive)
        wait_until_ok(f"http://127.0.0.1:{service_port}/schema", alive=alive)
        # Nothing materialized yet: the service says so instead of failing.
        assert httpx.get(f"http://127.0.0.1:{service_port}/health").status_code == 503
        children = _descendants(process.pid)
        assert len(children) >= 3
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, log_path.read_text()
        assert _alive(children) == set(), "processes left running after Ctrl-C"
    finally:
        if process.poll() is None:
            process.kill()
        for pid in _alive(children | _descendants(process.pid)):
            os.kill(pid, signal.SIGKILL)
        process.wait()
    output = log_path.read_text()
    assert f"Dagster UI  http://127.0.0.1:{dagster_port}" in output
