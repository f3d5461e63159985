"""The `ogrine` command as a user runs it: a fresh OGRINE_HOME, real processes.

The commands the README and docs/configuration.md show run once, in their order, on one home
and for a user whose own home starts empty (``Session``); each test below reads what one of
them said or left. One sequence serves them all because each command is a process that loads
Dagster, MLflow and scikit-learn: several seconds of CPU on the machine CI shares.
"""

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from mlflow.tracking import MlflowClient

from ogrine_assets.cli import main
from ogrine_assets.names import REGISTERED_MODEL_NAME
from ogrine_assets_tests.dagster_ui import STALE_STATUSES, graphql, webserver
from ogrine_assets_tests.net import free_port
from ogrine_assets_tests.support import OGRINE, ogrine_env

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
Done = subprocess.CompletedProcess[str]


@dataclass(frozen=True)
class Session:
    home: Path
    user: Path  # $HOME of every command: telemetry off means nothing lands there
    dagster_home: str
    checked: Done  # `dg check defs`
    first: Done  # `ogrine materialize` on a fresh home
    second: Done  # again: same data, same code
    retrained: Done  # `--retrain`
    refreshed: Done  # `ogrine refresh`
    listed: Done  # `dagster run list`
    published: bytes  # the forecast before the failed fetch
    failed: Done  # `ogrine materialize` with nothing listening at OGRINE_API_URL
    project_root_before: frozenset[Path]
    project_root_after_check: frozenset[Path]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    folder = tmp_path_factory.mktemp("cli")
    home, user = folder / "home", folder / "user"
    user.mkdir()

    # Nothing that would turn telemetry off for them, or write it elsewhere than $HOME.
    untold = {"XDG_CONFIG_HOME", "DO_NOT_TRACK"}
    user_env = {k: v for k, v in ogrine_env(home).items() if k not in untold} | {"HOME": str(user)}

    def command(*args: str, **env: str) -> Done:
        return subprocess.run(
            args,
            env={**user_env, **env},
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def run(*args: str, **env: str) -> Done:
        return command(OGRINE, *args, **env)

    def tool(name: str, *args: str) -> Done:  # Dagster's own CLI, as configuration.md shows it
        return command(str(BIN / name), *args, DAGSTER_HOME=dagster_home)

    dagster_home = run("paths", "--dagster-home").stdout.strip()
    before = frozenset(PROJECT_ROOT.iterdir())
    checked = tool("dg", "check", "defs")
    after_check = frozenset(PROJECT_ROOT.iterdir())
    first, second, retrained = (
        run("materialize"),
        run("materialize"),
        run("materialize", "--retrain"),
    )
    refreshed = run("refresh")
    listed = tool("dagster", "run", "list")
    forecast = home / "forecast" / "forecast.json"
    published = forecast.read_bytes() if forecast.exists() else b""
    port = free_port()  # nothing listens there
    failed = run("materialize", OGRINE_API_URL=f"http://127.0.0.1:{port}/ogrineRates")
    return Session(
        home,
        user,
        dagster_home,
        checked,
        first,
        second,
        retrained,
        refreshed,
        listed,
        published,
        failed,
        before,
        after_check,
    )


def test_materialize_says_each_step_and_what_it_published(session: Session) -> None:
    home, first = session.home, session.first
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
    assert re.search(
        r"^Model      v1 registered \(backtest MAE [\d.]+ kamas, naive [\d.]+\)$",
        first.stdout,
        re.M,
    )
    assert "Promotion  v1 promoted: no champion yet" in lines
    published = re.search(
        r"^Forecast   (\S+) to (\S+) by v1, published to (.+)$", first.stdout, re.M
    )
    assert published and published[3] == str(forecast_path)
    assert (published[1], published[2]) == ("2026-11-26", "2026-12-02")  # FIXED_NOW's week
    assert re.match(r"Done in \d+\.\d s\.$", lines[-1])


def test_unchanged_data_trains_nothing_until_asked(session: Session) -> None:
    assert session.second.returncode == 0, session.second.stderr
    said = session.second.stdout.splitlines()
    assert (
        "Model      unchanged since v1: same data, same training code (--retrain trains anyway)"
        in said
    )
    assert "Promotion  nothing to judge: v1 was promoted before" in said
    assert session.retrained.returncode == 0, session.retrained.stderr
    assert "Model      v2 registered" in session.retrained.stdout
    uri = f"sqlite:///{session.home}/mlflow/mlflow.db"
    version = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version(
        REGISTERED_MODEL_NAME, "2"
    )
    assert version.tags["promotion.decision"] == "promoted"  # same data and code: a tie promotes
    assert session.refreshed.returncode == 0, session.refreshed.stderr
    document = json.loads(session.published)
    assert len(document["forecast"]) == 7 and document["model"]["version"] == "2"


def test_the_runs_are_in_the_instance_the_ui_and_dagsters_cli_read(session: Session) -> None:
    # `ogrine paths --dagster-home` names it, so Dagster's own CLI finds the same runs.
    assert session.dagster_home == str(session.home / "dagster")
    with dg.DagsterInstance.from_config(session.dagster_home) as instance:
        runs = instance.get_runs()
    # One run each: the whole loop in one job (newest first).
    assert [run.job_name for run in runs] == ["train_and_publish_job"] + [
        "forecast_refresh_job"
    ] + ["train_and_publish_job"] * 3
    assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs[1:])
    assert runs[0].status == dg.DagsterRunStatus.FAILURE  # the failed fetch
    assert session.listed.returncode == 0, session.listed.stderr
    assert all(run.run_id in session.listed.stdout for run in runs[1:])


def test_the_ui_shows_the_graph_up_to_date_after_runs_on_unchanged_data(
    session: Session,
) -> None:
    """The refresh re-fetched and re-validated the same rates after the last training: their
    data versions are their content's, so Dagster's UI marks nothing as changed (the model
    of the run before, the sets it was trained on, the forecast)."""
    environment = ogrine_env(session.home, DAGSTER_HOME=session.dagster_home)
    with webserver(environment) as port:
        nodes = graphql(port, STALE_STATUSES)["assetNodes"]
    statuses = {node["assetKey"]["path"][0]: node["staleStatus"] for node in nodes}
    causes = [cause for node in nodes for cause in node["staleCauses"]]
    assert len(statuses) == 9
    assert (set(statuses.values()), causes) == ({"FRESH"}, []), (statuses, causes)


def test_a_failed_fetch_ends_in_one_line_and_changes_nothing(session: Session) -> None:
    failed = session.failed
    assert failed.returncode == 1
    # One line, the last, names the step and the cause; no traceback reaches the terminal.
    last = failed.stderr.strip().splitlines()[-1]
    assert last.startswith("ogrine materialize FAILED at raw_rates: ")
    assert "could not reach it" in last and "last good data kept" in last
    # The details are in the run log it names, tracebacks included.
    run_log = Path(last.rsplit("; details in ", 1)[1])
    assert "Traceback" in run_log.read_text() or "Stack Trace" in run_log.read_text()
    assert "Traceback" not in failed.stderr + failed.stdout
    forecast = session.home / "forecast" / "forecast.json"
    assert session.published and forecast.read_bytes() == session.published


def test_dg_check_defs_passes_and_makes_no_instance_in_the_project(session: Session) -> None:
    """The same check a developer runs: `dg check defs` in the project root, on the
    instance `ogrine paths --dagster-home` names (telemetry off there)."""
    said = session.checked.stdout + session.checked.stderr
    assert session.checked.returncode == 0, said
    assert "All definitions loaded successfully" in said
    assert "Warning" not in said  # beta warnings are silenced at source
    # It made no temporary Dagster instance inside the project. Other workers' tests may
    # meanwhile make what they keep there: the page test's screenshots, Hypothesis's database.
    others = {PROJECT_ROOT / "test-artifacts", PROJECT_ROOT / ".hypothesis"}
    assert session.project_root_after_check - others == session.project_root_before - others


def test_the_documented_commands_leave_nothing_in_the_users_home(session: Session) -> None:
    """Telemetry off: `ogrine paths`, `dg check defs`, `dagster run list`, `ogrine
    materialize` and `ogrine refresh` (docs/configuration.md, then the README's run; `ogrine
    up` is checked by the stack's tests) report nothing and leave nothing under the user's
    home: not Dagster's ``~/.dagster``, not MLflow's ``~/.config/mlflow``."""
    assert session.refreshed.returncode == 0, session.refreshed.stderr
    assert sorted(str(p.relative_to(session.user)) for p in session.user.rglob("*")) == []


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
        setting = f"OGRINE_{option[2:].split('-')[0].upper()}_PORT"
        assert re.search(rf"{option} \w+ the .+? \(default: {default}, or {setting}\)", said)


def test_up_takes_its_ports_from_the_settings_and_its_options_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[int, int, int]] = []
    monkeypatch.setattr(
        "ogrine_assets.local.stack.up", lambda settings, *ports: started.append(ports) or 0
    )
    monkeypatch.setenv("OGRINE_HOME", str(tmp_path))
    assert main(["up"]) == 0
    monkeypatch.setenv("OGRINE_DAGSTER_PORT", "3100")
    monkeypatch.setenv("OGRINE_SERVICE_PORT", "8180")
    assert main(["up"]) == 0
    assert main(["up", "--dagster-port", "3200"]) == 0
    assert started == [(3000, 5000, 8080), (3100, 5000, 8180), (3200, 5000, 8180)]
    monkeypatch.setenv("OGRINE_MLFLOW_PORT", "70000")
    assert main(["up"]) == 2  # one line, as every setting: not a port


def test_paths_names_every_place_the_home_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OGRINE_HOME", str(tmp_path))
    assert main(["paths"]) == 0
    listed = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert listed["archive_dir"] == str(tmp_path / "archive")
    assert listed["log_dir"] == str(tmp_path / "logs")
    assert listed["forecast_path"] == str(tmp_path / "forecast" / "forecast.json")
