"""``ogrine up``: its whole life as a user starts it (real Dagster, MLflow and service
processes on free ports), and its own logic alone."""

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ogrine_assets.local import stack
from ogrine_assets_tests.net import free_port, wait_until_ok
from ogrine_assets_tests.support import OGRINE, half_migrated_store, make_settings, ogrine_env


def _child_ended_by(status: int, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, status, "", "")

    monkeypatch.setattr(stack.subprocess, "run", run)


def test_a_stop_signal_that_caught_the_preparing_child_stops_the_stack_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signal to the stack's group can reach the child before it has its own session
    (seen in CI with the other core busy: 'preparing the home failed: exit status -15')."""
    settings = make_settings(tmp_path / "home")
    stopping = threading.Event()
    _child_ended_by(-signal.SIGTERM, monkeypatch)
    stopping.set()
    assert stack._prepare_home(settings, stopping) is False
    # Not asked to stop: the same end is a failure, said in one line.
    stopping.clear()
    with pytest.raises(RuntimeError, match="preparing the home failed: exit status -15"):
        stack._prepare_home(settings, stopping)


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


def _start_up(
    tmp_path: Path, mark: str, *, home_made: bool = True
) -> tuple[subprocess.Popen[bytes], list[int], Path]:
    """``ogrine up`` in its own process group; ``home_made``: on a home already made, as
    ``make run`` leaves it (its first materialization makes the home)."""
    if home_made:
        make_settings(tmp_path / "home")
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


@pytest.mark.integration
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
        # Dagster's and MLflow's parts run through their own documented commands, and
        # MLflow starts no job-queue workers: no MLflow jobs here.
        commands = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in _marked(mark)}
        # (a console script's process names its interpreter first, then the script)
        started = {Path(a.decode()).name for c in commands.values() for a in c.split(b"\x00")[:2]}
        assert {"dagster", "dagster-webserver", "dagster-daemon", "mlflow"} <= started
        assert any(b"mlflow\x00server\x00" in c for c in commands.values())
        assert not any(b"huey" in c for c in commands.values())
        # MLflow's own guard against DNS rebinding is on, as under `mlflow server`.
        models = f"http://127.0.0.1:{mlflow_port}/ajax-api/2.0/mlflow/registered-models/search"
        assert httpx.get(models).status_code == 200
        assert httpx.get(models, headers={"Host": "x.test"}).status_code == 403

        # The UI sees the code location, with its sensor on and both schedules, under the
        # name its schedules' and sensors' state is kept by...
        [location] = _graphql(dagster_port, LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
        assert (location["name"], location["loadStatus"]) == ("ogrine_assets", "LOADED")
        [repository] = location["locationOrLoadError"]["repositories"]
        assert repository["sensors"] == [
            {"name": "model_promotion_sensor", "sensorState": {"status": "RUNNING"}}
        ]
        assert {s["name"] for s in repository["schedules"]} == {
            "daily_forecast_schedule",
            "weekly_training_schedule",
        }
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
    # The rest are warnings (this run's: its rates are synthetic) and the lines of the runs
    # the sensor starts when its next tick finds the new model (if it came before Ctrl-C),
    # never Dagster's DEBUG log.
    others = [line for line in after if line not in ran]
    warned = [line for line in others if re.search(r" (WARNING|ERROR)\b", line)]
    assert warned and all(
        line in warned or re.fullmatch(r"run [0-9a-f]{8} \w+_job (started|succeeded)", line)
        for line in others
    ), console
    # Everything else is in the parts' own log files.
    daemon_log = (tmp_path / "home" / "logs" / "up" / "daemon.log").read_text()
    assert "SensorDaemon" in daemon_log
    code_log = (tmp_path / "home" / "logs" / "up" / "code-server.log").read_text()
    assert f"{run_id} - " in code_log and "STEP_SUCCESS" in code_log
    assert list((tmp_path / "user").iterdir()) == []  # no telemetry: ~/.dagster, ~/.config


@pytest.mark.integration
def test_up_on_a_damaged_store_says_so_in_one_line_and_starts_nothing(tmp_path: Path) -> None:
    database = half_migrated_store(tmp_path / "home" / "mlflow" / "mlflow.db")
    mark = uuid.uuid4().hex
    process, _, log_path = _start_up(tmp_path, mark, home_made=False)
    assert process.wait(timeout=120) == 1
    last = log_path.read_text().strip().splitlines()[-1]
    assert last.startswith(f"ogrine up FAILED at startup: the MLflow store {database} is damaged")
    assert "Traceback" not in log_path.read_text()
    assert _marked(mark) == set()


@pytest.mark.integration
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
    # "at once": as soon as the process handles the signal at all (its first lines of
    # Python), on a new home, while a child makes it; "parts starting": once it has
    # launched them.
    process, _, log_path = _start_up(tmp_path, mark, home_made=when != "at once")
    deadline = time.monotonic() + 60
    while not (_handles(process.pid, signum) if when == "at once" else _launched(process.pid)):
        assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.01)
    os.killpg(process.pid, signum)
    _stopped_cleanly(process, mark, log_path)


def _handles(pid: int, signum: signal.Signals) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signum - 1)))
    return False


def _launched(pid: int) -> bool:
    """Whether ``ogrine up`` (``pid``) has started its last part, Dagster's daemon. Only its
    children are read: scanning every process's environment (``_marked``) a hundred times a
    second kept a core busy while the stack started."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += (task / "children").read_text().split()
    for child in children:
        with contextlib.suppress(OSError):
            if b"dagster-daemon\x00run" in Path(f"/proc/{child}/cmdline").read_bytes():
                return True
    return False
