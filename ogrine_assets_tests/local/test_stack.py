"""``ogrine up``: its whole life as a user starts it (real Dagster, MLflow and service
processes on free ports), and its own logic alone."""

import contextlib
import datetime as dt
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import httpx
import pytest

from ogrine_assets.defs.common.recovery import PROCESS_TAG
from ogrine_assets.local import keeper, stack
from ogrine_assets.local.processes import process_identity, stat_fields
from ogrine_assets_tests.dagster_ui import graphql
from ogrine_assets_tests.net import free_port, wait_until_ok
from ogrine_assets_tests.support import (
    FIXED_NOW,
    OGRINE,
    half_migrated_store,
    make_settings,
    materialized_home,
    ogrine,
    ogrine_env,
)


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
        if not (fields := stat_fields(entry.name)):
            continue
        try:
            marked = mark.encode() in (entry / "environ").read_bytes()
        except OSError:
            continue
        if marked and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _start_up(
    tmp_path: Path, mark: str, *, home_made: bool = True, **env: str
) -> tuple[subprocess.Popen[bytes], list[int], Path]:
    """``ogrine up`` in its own process group; ``home_made``: on a home already made, as
    ``make run`` leaves it (its first materialization makes the home); ``env``: more
    variables."""
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
            env={
                **ogrine_env(tmp_path / "home", **env),
                "OGRINE_TEST_MARK": mark,
                "HOME": str(user),
            },
            cwd=Path(__file__).resolve().parent.parent,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group, as a service manager starts it
        )
    return process, ports, log_path


def _stopped_cleanly(process: subprocess.Popen[bytes], mark: str, log_path: Path) -> None:
    """Ended with status 0, nothing of it left running, and its last line says so."""
    try:
        try:
            status = process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            pytest.fail(f"ogrine up still runs 90 s after the signal\n{_state(mark, log_path)}")
        assert status == 0, _state(mark, log_path)
        assert _marked(mark) == set(), "processes left running after the stack stopped"
        assert "Traceback" not in log_path.read_text()
        assert log_path.read_text().splitlines()[-1] == stack.STOPPED
    finally:
        if process.poll() is None:
            process.kill()
        for pid in _marked(mark):
            os.kill(pid, signal.SIGKILL)
        process.wait()


def _state(mark: str, log_path: Path) -> str:
    """What a stack that did not stop as it should has said and still runs: its output, the
    end of each part's log, and every process left with the mark (a failure once passed
    without any of it, and did not come back)."""
    said = [f"== {log_path.name}", log_path.read_text()]
    for part_log in sorted((log_path.parent / "home" / "logs" / "up").glob("*.log")):
        said += [f"== {part_log.name}", *part_log.read_text(errors="replace").splitlines()[-15:]]
    said.append("== still running")
    for pid in sorted(_marked(mark)):
        state = " ".join(stat_fields(pid)[:2])  # its state and its parent
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            said.append(f"{pid} {state} {command[:200]}")
    return "\n".join(said)


LOCATION_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { ... on RepositoryLocation { repositories {
    sensors { name sensorState { status } } schedules { name } } } } } } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
RUN_STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
MATERIALIZATION_LINKS = """{ assetOrError(assetKey: {path: ["ogrine_model"]}) { ... on Asset {
  assetMaterializations(limit: 1) { metadataEntries { label ... on UrlMetadataEntry { url } } }
} } }"""

# What Dagster's Overview timeline asks for its finished runs (dagster-webserver 1.13's
# useRunsForTimeline.tsx, COMPLETED_RUN_TIMELINE_QUERY, its fragments inlined); it then
# draws only the runs with a repositoryOrigin.
COMPLETED_RUN_TIMELINE = """query CompletedRunTimelineQuery(
  $completedFilter: RunsFilter!, $limit: Int!, $cursor: String) {
  completed: runsOrError(filter: $completedFilter, limit: $limit, cursor: $cursor) {
    ... on Runs { results { id pipelineName externalJobSource tags { key value }
      repositoryOrigin { id repositoryName repositoryLocationName }
      status creationTime startTime endTime updateTime } } } }"""


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
        [location] = graphql(dagster_port, LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
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
        launched = graphql(dagster_port, LAUNCH, params={"selector": selector})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        deadline = time.monotonic() + 240
        status = "QUEUED"
        while status not in ("SUCCESS", "FAILURE", "CANCELED") and time.monotonic() < deadline:
            assert alive(), log_path.read_text()
            time.sleep(0.5)
            status = graphql(dagster_port, RUN_STATUS, id=run_id)["runOrError"]["status"]
        assert status == "SUCCESS", log_path.read_text()[-4000:]
        # The terminal hears of the daemon's run, started and finished, in one line each.
        ran = [f"run {run_id[:8]} training_job started", f"run {run_id[:8]} training_job succeeded"]
        deadline = time.monotonic() + 60
        while not all(said in log_path.read_text() for said in ran):
            assert time.monotonic() < deadline, log_path.read_text()[-4000:]
            time.sleep(0.2)
        # Dagster's links into MLflow follow --mlflow-port.
        links = graphql(dagster_port, MATERIALIZATION_LINKS)["assetOrError"]
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
    assert console[-1] == stack.STOPPED  # the last line, once everything has ended
    after = [line.split(maxsplit=1)[1] for line in console[ready + 1 : -1] if line != "Stopping…"]
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
@pytest.mark.parametrize("store", ["MLflow", "Dagster"])
def test_up_on_a_damaged_store_says_so_in_one_line_and_starts_nothing(
    tmp_path: Path, store: str
) -> None:
    if store == "MLflow":
        database = half_migrated_store(tmp_path / "home" / "mlflow" / "mlflow.db")
        said = f"{database} is damaged"
    else:  # overwritten: Dagster alone would fail every run, naming no file
        database = make_settings(tmp_path / "home").dagster_home / "history" / "runs.db"
        database.parent.mkdir(parents=True, exist_ok=True)
        database.write_bytes(b"\x13garbage" * 512)
        said = f"{database} is damaged"
    mark = uuid.uuid4().hex
    process, _, log_path = _start_up(tmp_path, mark, home_made=False)
    assert process.wait(timeout=120) == 1
    last = log_path.read_text().strip().splitlines()[-1]
    assert last.startswith(f"ogrine up FAILED at startup: {said}")
    assert f"{database} is damaged: rename it {database.name}.damaged and run again" in last
    assert "Traceback" not in log_path.read_text()
    assert _marked(mark) == set()


def test_up_with_a_port_another_server_holds_says_which_and_is_never_ready(
    tmp_path: Path,
) -> None:
    """Another HTTP server on the Dagster UI's port: once, ``ogrine up`` said "Ready" (the
    port answered) while the webserver could not listen."""
    home = make_settings(tmp_path / "home").home
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=other.serve_forever, args=(0.01,), daemon=True).start()
    port = other.server_address[1]
    try:
        ports = ["--mlflow-port", str(free_port()), "--service-port", str(free_port())]
        refused = ogrine(home, "up", "--dagster-port", str(port), *ports)
    finally:
        other.shutdown()
        other.server_close()
    assert refused.returncode == 1 and "Ready" not in refused.stdout
    assert refused.stderr.splitlines() == [
        f"ogrine up FAILED at startup: another program listens on the port of the Dagster UI "
        f"(port {port}): stop it, or choose other ports (--dagster-port, --mlflow-port, "
        "--service-port)"
    ]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("signum", "when"),
    [
        (signal.SIGTERM, "every part starting"),
        (signal.SIGHUP, "first parts starting"),
        (signal.SIGINT, "first parts starting"),
        (signal.SIGTERM, "at once"),
    ],
)
def test_up_stops_cleanly_on_any_stop_signal_to_its_group_at_any_moment(
    tmp_path: Path, signum: signal.Signals, when: str
) -> None:
    """Three moments: "at once", as soon as the process handles the signal at all (its
    first lines of Python), on a new home, while a child makes it; "first parts starting":
    once it has launched the code server, MLflow and the service, which are then loading;
    "every part starting": once it has launched the last, Dagster's daemon, after the code
    server answered. Each stack killed costs the machine its parts' start-up so far, so
    the later moment is taken once."""
    mark = uuid.uuid4().hex
    process, _, log_path = _start_up(tmp_path, mark, home_made=when != "at once")
    last = {"every part starting": DAEMON, "first parts starting": SERVICE}.get(when)
    deadline = time.monotonic() + 60
    while not (_launched(process.pid, last) if last else _handles(process.pid, signum)):
        assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.01)
    os.killpg(process.pid, signum)
    _stopped_cleanly(process, mark, log_path)


def _handles(pid: int, signum: signal.Signals) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signum - 1)))
    return False


# How a part's command line ends or reads, for ``_launched``: Dagster's daemon is launched
# last, the forecast service last of the first parts (local/stack.py).
DAEMON = b"dagster-daemon\x00run"
SERVICE = b"ogrine_assets.cli\x00serve"


def _launched(pid: int, part: bytes = DAEMON) -> bool:
    """Whether ``ogrine up`` (``pid``) has started ``part`` (a piece of its command line).
    Only its children are read: scanning every process's environment (``_marked``) a
    hundred times a second kept a core busy while the stack started."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += (task / "children").read_text().split()
    for child in children:
        with contextlib.suppress(OSError):
            if part in Path(f"/proc/{child}/cmdline").read_bytes():
                return True
    return False


def _abandoned_run(home: Path) -> tuple[str, int]:
    """A run left in progress whose process is gone, as a power loss leaves one: its id and
    its (ended) process's PID."""
    ended = subprocess.Popen(["true"])
    identity = process_identity(ended.pid)  # before it is reaped: its start time is known
    ended.wait()
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        run = instance.create_run_for_job(dg.GraphDefinition("nothing").to_job())
        instance.add_run_tags(run.run_id, {PROCESS_TAG: f"{run.run_id}@{identity}"})
        started = dg.DagsterEvent(event_type_value="PIPELINE_START", job_name=run.job_name)
        instance.handle_run_event(run.run_id, started)
        return run.run_id, ended.pid


def _run_status(home: Path, run_id: str) -> dg.DagsterRunStatus:
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        return run.status


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _wait_for(said: str, process: subprocess.Popen[bytes], log_path: Path, seconds: float) -> str:
    """The console once it shows ``said`` (a regular expression); fails if ``ogrine up``
    ends or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while not re.search(said, console := log_path.read_text()):
        assert process.poll() is None and time.monotonic() < deadline, console[-4000:]
        time.sleep(0.2)
    return console


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_a_stack_heals_its_queue_catches_up_stays_alone_and_dies_whole(tmp_path: Path) -> None:
    """A power loss left a run in progress (its process gone, it keeps the queue's only
    slot) and the stack down at the daily refresh's tick (02:00 on the 27th; the forecast
    was published on the 26th). ``ogrine up`` on the 27th fails that run, saying so, and one
    refresh catches up, through the queue; a second ``ogrine up`` on the home is refused; a
    run that dies meanwhile is failed and said; SIGKILL of ``ogrine up`` ends everything it
    started, down to its parts' own children, and frees the ports."""
    home = materialized_home(tmp_path / "home")  # published at FIXED_NOW, the 26th 09:30
    dead, dead_pid = _abandoned_run(home)
    next_day = FIXED_NOW + dt.timedelta(days=1)
    mark = uuid.uuid4().hex
    process, ports, log_path = _start_up(
        tmp_path, mark, home_made=False, OGRINE_NOW=next_day.isoformat()
    )
    try:
        caught_up = r"run ([0-9a-f]{8}) forecast_refresh_job catches up"
        found = re.search(caught_up, _wait_for(caught_up, process, log_path, 180))
        assert found is not None
        run = found[1]
        console = _wait_for(rf"run {run} forecast_refresh_job succeeded", process, log_path, 240)
        # In this order after "Ready": the dead run failed (so the queue's slot is free), the
        # catch-up launched, and through the queue, run.
        said = [line.split("  ", 1)[-1] for line in console.splitlines()]
        order = [
            next(i for i, line in enumerate(said) if line.startswith("Ready in ")),
            said.index(f"run {dead[:8]} nothing FAILED: its process ({dead_pid}) is gone"),
            said.index(
                "ogrine up: the refresh of 2026-11-27T02:00+00:00 was missed (the forecast is "
                f"from 2026-11-26T09:30+00:00); run {run} forecast_refresh_job catches up"
            ),
            said.index(f"run {run} forecast_refresh_job started"),
        ]
        assert order == sorted(order), console
        # Its MLflow address opens the experiment the first run created on its training runs.
        assert (
            f"MLflow UI http://127.0.0.1:{ports[1]}/#/experiments/1?workflowType=" in said[order[0]]
        )
        # On the Overview timeline: the refresh launched through the code location, not the
        # run executed in its own process, as `ogrine materialize` runs (docs/libraries.md).
        done = {"statuses": ["SUCCESS", "FAILURE", "CANCELED"], "updatedAfter": 0.0}
        timeline = graphql(ports[0], COMPLETED_RUN_TIMELINE, completedFilter=done, limit=500)
        origins = {
            run["pipelineName"]: run["repositoryOrigin"] for run in timeline["completed"]["results"]
        }
        assert origins["train_and_publish_job"] is None
        origin = origins["forecast_refresh_job"]
        assert (origin["repositoryLocationName"], origin["repositoryName"]) == (
            "ogrine_assets",
            "__repository__",
        )
        assert sum("catches up" in line for line in said) == 1  # one refresh, not one a tick
        assert _run_status(home, dead) == dg.DagsterRunStatus.FAILURE
        published = json.loads((home / "forecast" / "forecast.json").read_text())
        assert dt.datetime.fromisoformat(published["generated_at"]) == next_day

        # One stack per home: a second is refused at once, naming this one.
        others = [str(free_port()) for _ in range(3)]
        options = ["--dagster-port", others[0], "--mlflow-port", others[1], "--service-port"]
        second = subprocess.run(
            [OGRINE, "up", *options, others[2]],
            env=ogrine_env(home),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1 and second.stdout == ""
        assert second.stderr.startswith(
            f"ogrine up FAILED at startup: another ogrine up runs on this home (PID "
            f"{process.pid}: ogrine up on ports {ports[0]} (Dagster UI), {ports[1]} (MLflow "
            f"UI), {ports[2]} (forecast), since "
        ), second.stderr
        assert len(second.stderr.splitlines()) == 1

        # A run that dies while the stack runs is failed, and the terminal hears of it.
        later, later_pid = _abandoned_run(home)
        _wait_for(
            f"run {later[:8]} nothing FAILED: its process \\({later_pid}\\)", process, log_path, 60
        )

        started = keeper.descendants(process.pid)  # the keeper, the parts and their children
        commands = b"".join(Path(f"/proc/{pid}/cmdline").read_bytes() for pid in started)
        assert b"api\x00grpc" in commands and b"uvicorn" in commands  # grandchildren
    finally:
        process.send_signal(signal.SIGKILL)  # no clean-up of its own
        process.wait()
    deadline = time.monotonic() + 60
    while left := _still_running(started) | _marked(mark):
        if time.monotonic() > deadline:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            pytest.fail(f"left running after ogrine up was killed: {left}")
        time.sleep(0.2)
    assert all(map(_port_free, ports))


def _still_running(pids: set[int]) -> set[int]:
    return {pid for pid in pids if (fields := stat_fields(pid)) and fields[0] != "Z"}
