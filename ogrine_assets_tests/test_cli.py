"""The `ogrine` command as a user runs it: a fresh OGRINE_HOME, real processes."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from mlflow.tracking import MlflowClient

from ogrine_assets.cli import main
from ogrine_assets.names import REGISTERED_MODEL_NAME
from ogrine_assets_tests.net import free_port
from ogrine_assets_tests.support import ogrine

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
    assert re.search(
        r"^Model      v1 registered \(backtest MAE [\d.]+ kamas, naive [\d.]+\)$",
        first.stdout,
        re.M,
    )
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
