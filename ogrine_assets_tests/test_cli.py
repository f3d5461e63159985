"""The `ogrine` command as a user runs it: a fresh OGRINE_HOME, real processes."""

import contextlib
import datetime as dt
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import httpx
import msgspec
import pytest
from mlflow.tracking import MlflowClient

from ogrine_assets.cli import main
from ogrine_assets.names import REGISTERED_MODEL_NAME
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets_tests.net import free_port, wait_until_ok
from ogrine_assets_tests.support import OGRINE, ogrine, ogrine_env

pytestmark = pytest.mark.integration


def test_materialize_twice_then_a_failed_fetch_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = ogrine(home, "materialize")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    # Progress from the first line, before the slow imports; then each step with its time.
    assert lines[0] == f"ogrine materialize: home {home}; loading Dagster…"
    log_path = home / "logs" / f"train_and_publish_job-{lines[1].split()[2].rstrip(',')}.log"
    assert lines[1].endswith(f"log {log_path}") and log_path.exists()
    for step in (
        "raw_rates",
        "validated_rates",
        "train_test_sets",
        "ogrine_model",
        "champion_model",
        "forecast",
    ):
        assert re.search(rf"^  \d\d:\d\d:\d\d  {step} +\d+\.\d\d s$", first.stdout, re.M), step
    # The summary: what was registered, decided and published, and where.
    forecast_path = home / "forecast" / "forecast.json"
    document = json.loads(forecast_path.read_text())
    assert len(document["forecast"]) == 7 and document["model"]["version"] == "1"
    days = document["forecast"][0]["date"], document["forecast"][-1]["date"]
    assert re.search(r"^Model      v1 registered \(backtest MAE [\d.]+ kamas, naive [\d.]+\)$",
                     first.stdout, re.M)  # fmt: skip
    assert "Promotion  v1 promoted: no champion yet" in lines
    assert f"Forecast   {days[0]} to {days[1]} by v1, published to {forecast_path}" in lines
    assert re.match(r"Done in \d+\.\d s\.$", lines[-1])

    # The same data and code again: nothing is trained, nothing new to judge.
    second = ogrine(home, "materialize")
    assert second.returncode == 0, second.stderr
    assert (
        "Model      unchanged since v1: same data, same training code (--retrain trains anyway)"
        in second.stdout.splitlines()
    )
    assert "Promotion  nothing to judge: v1 was promoted before" in second.stdout.splitlines()
    assert json.loads(forecast_path.read_text())["model"]["version"] == "1"
    retrained = ogrine(home, "materialize", "--retrain")
    assert retrained.returncode == 0, retrained.stderr
    assert json.loads(forecast_path.read_text())["model"]["version"] == "2"
    uri = f"sqlite:///{home}/mlflow/mlflow.db"
    version = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version(
        REGISTERED_MODEL_NAME, "2"
    )
    assert version.tags["promotion.decision"] == "promoted"  # same data and code: a tie promotes

    # The runs live in the instance the UI reads.
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()
        # One run each: the whole loop in one job.
        assert [run.job_name for run in runs] == ["train_and_publish_job"] * 3
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
    # The details are in the run log it names, tracebacks included.
    run_log = Path(last.rsplit("; details in ", 1)[1])
    assert "Traceback" in run_log.read_text() or "Stack Trace" in run_log.read_text()
    assert "Traceback" not in failed.stderr + failed.stdout
    assert forecast_path.read_bytes() == published


def _marked(mark: str) -> set[int]:
    """Every live process that carries ``mark`` in its environment: whatever the stack
    started, however late, and wherever it was reparented."""
    found = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            marked = mark.encode() in (entry / "environ").read_bytes()
        except OSError:
            continue
        if marked and state != "Z":
            found.add(int(entry.name))
    return found


def _start_up(tmp_path: Path, mark: str) -> tuple[subprocess.Popen[bytes], list[int], Path]:
    ports = [free_port(), free_port(), free_port()]
    command = [OGRINE, "up", "--dagster-port", str(ports[0]), "--mlflow-port", str(ports[1])]
    command += ["--service-port", str(ports[2])]
    log_path = tmp_path / "up.log"
    user = tmp_path / "user"  # the user's home: telemetry must leave nothing there
    user.mkdir()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            env={**ogrine_env(tmp_path / "home"), "OGRINE_TEST_MARK": mark, "HOME": str(user)},
            cwd=Path(__file__).resolve().parent.parent,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group, as a service manager starts it
        )
    return process, ports, log_path


def _stopped_cleanly(process: subprocess.Popen[bytes], mark: str, log_path: Path) -> None:
    try:
        assert process.wait(timeout=90) == 0, log_path.read_text()
        assert _marked(mark) == set(), "processes left running after the stack stopped"
        assert "Traceback" not in log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
        for pid in _marked(mark):
            os.kill(pid, signal.SIGKILL)
        process.wait()


LOCATION_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { ... on RepositoryLocation { repositories {
    sensors { name sensorState { status } } schedules { name } } } } } } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUN_STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
MATERIALIZATION_LINKS = """{ assetOrError(assetKey: {path: ["ogrine_model"]}) { ... on Asset {
  assetMaterializations(limit: 1) { metadataEntries { label ... on UrlMetadataEntry { url } } }
} } }"""


def _graphql(port: int, query: str, **variables: object) -> dict:
    answer = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["data"]


def test_up_serves_dagster_mlflow_and_the_service_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    process, (dagster_port, mlflow_port, service_port), log_path = _start_up(tmp_path, mark)
    alive = lambda: process.poll() is None  # noqa: E731
    try:
        info = wait_until_ok(f"http://127.0.0.1:{dagster_port}/server_info", alive=alive)
        assert "dagster_webserver_version" in info.json()
        wait_until_ok(f"http://127.0.0.1:{mlflow_port}/health", alive=alive)
        wait_until_ok(f"http://127.0.0.1:{service_port}/schema", alive=alive)
        # Nothing materialized yet: the service says so instead of failing.
        assert httpx.get(f"http://127.0.0.1:{service_port}/health").status_code == 503
        # One MLflow process (no idle parent), and no job-queue workers: no MLflow jobs here.
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in _marked(mark)]
        mlflow = [c for c in commands if b"mlflow" in c and b"\x00up\x00" not in c]
        assert len(mlflow) == 1 and b"uvicorn" in mlflow[0], mlflow
        assert not any(b"huey" in command for command in commands)

        # The UI sees the code location, with its sensor on and both schedules, under the
        # name its schedules' and sensors' state is kept by...
        [location] = _graphql(dagster_port, LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
        assert (location["name"], location["loadStatus"]) == ("ogrine_assets", "LOADED")
        [repository] = location["locationOrLoadError"]["repositories"]
        assert repository["sensors"] == [
            {"name": "model_promotion_sensor", "sensorState": {"status": "RUNNING"}}
        ]
        assert {s["name"] for s in repository["schedules"]} == {
            "daily_forecast_schedule", "weekly_training_schedule",
        }  # fmt: skip
        # ...and a job launched from the UI is queued, launched by the daemon through the code
        # server, and runs to the end.
        selector = {
            "repositoryLocationName": "ogrine_assets",
            "repositoryName": "__repository__",
            "jobName": "training_job",
        }
        launched = _graphql(dagster_port, LAUNCH, params={"selector": selector})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        deadline = time.monotonic() + 240
        status = "QUEUED"
        while status not in ("SUCCESS", "FAILURE", "CANCELED") and time.monotonic() < deadline:
            assert alive(), log_path.read_text()
            time.sleep(0.5)
            status = _graphql(dagster_port, RUN_STATUS, id=run_id)["runOrError"]["status"]
        assert status == "SUCCESS", log_path.read_text()[-4000:]
        # The terminal hears of the daemon's run, started and finished, in one line each.
        ran = [f"run {run_id[:8]} training_job started", f"run {run_id[:8]} training_job succeeded"]
        deadline = time.monotonic() + 60
        while not all(said in log_path.read_text() for said in ran):
            assert time.monotonic() < deadline, log_path.read_text()[-4000:]
            time.sleep(0.2)
        # Dagster's links into MLflow follow --mlflow-port.
        links = _graphql(dagster_port, MATERIALIZATION_LINKS)["assetOrError"]
        [materialization] = links["assetMaterializations"]
        urls = [entry["url"] for entry in materialization["metadataEntries"] if "url" in entry]
        assert urls and all(u.startswith(f"http://127.0.0.1:{mlflow_port}/#/") for u in urls)
        # MLflow's UI is told telemetry is off (no banner, nothing sent).
        telemetry = httpx.get(f"http://127.0.0.1:{mlflow_port}/ajax-api/3.0/mlflow/ui-telemetry")
        assert telemetry.json()["disable_ui_telemetry"] is True
    finally:
        process.send_signal(signal.SIGINT)
    _stopped_cleanly(process, mark, log_path)
    console = log_path.read_text().splitlines()
    # One "Ready" line once all three answer; after it, only the run lines and the stop.
    [ready] = [i for i, line in enumerate(console) if line.startswith("Ready in ")]
    assert re.fullmatch(
        rf"Ready in \d+\.\d s: Dagster UI http://127.0.0.1:{dagster_port} · MLflow UI "
        rf"http://127.0.0.1:{mlflow_port} · forecast http://127.0.0.1:{service_port} · "
        "Ctrl-C stops everything",
        console[ready],
    )
    assert console[:ready] == [
        f"ogrine up: starting Dagster, MLflow and the service; their logs go to "
        f"{tmp_path / 'home' / 'logs' / 'up'}"
    ]
    after = [line.split(maxsplit=1)[1] for line in console[ready + 1 :] if line != "Stopping…"]
    assert [line for line in after if line in ran] == ran, console
    # The rest are warnings (this run's: its rates are synthetic), never Dagster's DEBUG log.
    others = [line for line in after if line not in ran]
    assert others and all(re.search(r" (WARNING|ERROR): ", line) for line in others), console
    # Everything else is in the parts' own log files.
    daemon_log = (tmp_path / "home" / "logs" / "up" / "daemon.log").read_text()
    assert "SensorDaemon" in daemon_log
    code_log = (tmp_path / "home" / "logs" / "up" / "code-server.log").read_text()
    assert f"{run_id} - " in code_log and "STEP_SUCCESS" in code_log
    assert list((tmp_path / "user").iterdir()) == []  # no telemetry: ~/.dagster, ~/.config


def test_up_on_a_damaged_store_says_so_in_one_line_and_starts_nothing(tmp_path: Path) -> None:
    database = tmp_path / "home" / "mlflow" / "mlflow.db"
    database.parent.mkdir(parents=True)
    with sqlite3.connect(database) as db:  # what a creation killed half-way leaves
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("CREATE TABLE _alembic_tmp_metrics (id INTEGER)")
    mark = uuid.uuid4().hex
    process, _, log_path = _start_up(tmp_path, mark)
    assert process.wait(timeout=120) == 1
    last = log_path.read_text().strip().splitlines()[-1]
    assert last.startswith(f"ogrine up FAILED at startup: the MLflow store {database} is damaged")
    assert "Traceback" not in log_path.read_text()
    assert _marked(mark) == set()


@pytest.mark.parametrize(
    ("signum", "when"),
    [
        (signal.SIGTERM, "parts starting"),
        (signal.SIGHUP, "parts starting"),
        (signal.SIGINT, "parts starting"),
        (signal.SIGTERM, "at once"),
    ],
)
def test_up_stops_cleanly_on_any_stop_signal_to_its_group_at_any_moment(
    tmp_path: Path, signum: signal.Signals, when: str
) -> None:
    mark = uuid.uuid4().hex
    process, _, log_path = _start_up(tmp_path, mark)
    deadline = time.monotonic() + 60
    # "at once": as soon as the process handles the signal at all (its first lines of
    # Python), long before its parts start; "parts starting": once it has launched them.
    while not (_handles(process.pid, signum) if when == "at once" else _launched(mark)):
        assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.01)
    os.killpg(process.pid, signum)
    _stopped_cleanly(process, mark, log_path)


def _handles(pid: int, signum: signal.Signals) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signum - 1)))
    return False


def _launched(mark: str) -> bool:
    """Whether the last part (Dagster's daemon) has been started."""
    for pid in _marked(mark):
        with contextlib.suppress(OSError):
            if b"dagster._daemon" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
    return False


def test_help_describes_every_command_and_option_with_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0
    assert re.fullmatch(r"ogrine \d+\.\d+\.\d+\n", capsys.readouterr().out)
    with pytest.raises(SystemExit):
        main(["--help"])
    said = capsys.readouterr().out
    for command in ("materialize", "refresh", "up", "serve", "soak", "replay", "paths"):
        assert re.search(rf"^    {command}\s+\w", said, re.M), command  # each with a line of help
    with pytest.raises(SystemExit):
        main(["up", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    for option, default in (("--dagster-port", 3000), ("--mlflow-port", 5000)):
        assert re.search(rf"{option} \w+ the .+? \(default: {default}\)", said), option


def test_paths_names_every_place_the_home_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OGRINE_HOME", str(tmp_path))
    assert main(["paths"]) == 0
    listed = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert listed["archive_dir"] == str(tmp_path / "archive")
    assert listed["log_dir"] == str(tmp_path / "logs")
    assert listed["forecast_path"] == str(tmp_path / "forecast" / "forecast.json")


def test_replay_scores_the_policy_on_a_file_of_rates(tmp_path: Path) -> None:
    rates = tmp_path / "rates.json"
    rates.write_bytes(msgspec.json.encode(synthetic_payload(dt.date(2026, 10, 16))))
    done = ogrine(
        tmp_path / "unused-home", "replay", "--from", "2026-10-05", "--to", "2026-10-07",
        "--rates", str(rates), "--home", str(tmp_path / "replay"),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| runs | 4 (0 failed) |" in done.stdout  # Monday's training, three refreshes
    assert re.search(r"^\| 7 \| 3 \| [\d.]+ \| [\d.]+ \|", done.stdout, re.M)
    assert f"Figure: {tmp_path / 'replay' / 'replay.svg'}" in done.stdout
    assert not (tmp_path / "unused-home").exists()  # the user's home is never touched
