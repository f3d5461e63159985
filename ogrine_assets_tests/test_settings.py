from pathlib import Path

import pytest

from ogrine_assets.cli import main
from ogrine_assets.defs.ingestion.sources import HttpRatesSource, rates_source_for
from ogrine_assets.settings import Settings, SettingsError


def test_ogrine_home_roots_everything(tmp_path: Path) -> None:
    settings = Settings.from_env({"OGRINE_HOME": str(tmp_path)})
    assert settings.dagster_home == tmp_path / "dagster"
    assert settings.mlflow_tracking_uri == f"sqlite:///{tmp_path}/mlflow/mlflow.db"
    assert settings.mlflow_artifact_root == (tmp_path / "mlflow" / "artifacts").as_uri()
    assert settings.storage_dir == tmp_path / "storage"
    assert settings.archive_dir == tmp_path / "archive"
    assert settings.forecast_path == tmp_path / "forecast" / "forecast.json"
    assert settings.api_url is None and settings.fixed_now is None


def test_each_part_can_be_pointed_elsewhere(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "OGRINE_HOME": str(tmp_path),
            "DAGSTER_HOME": "/srv/dagster",
            "MLFLOW_TRACKING_URI": "http://127.0.0.1:5000",
            "OGRINE_API_URL": "http://127.0.0.1:9/ogrineRates",
            "OGRINE_FORECAST_PATH": "/srv/forecast.json",
        }
    )
    assert settings.dagster_home == Path("/srv/dagster")
    assert settings.mlflow_tracking_uri == "http://127.0.0.1:5000"
    assert not settings.uses_local_mlflow_store
    assert settings.api_url == "http://127.0.0.1:9/ogrineRates"
    assert settings.forecast_path == Path("/srv/forecast.json")


def test_the_limits_of_a_run_are_settings(tmp_path: Path) -> None:
    default = Settings.from_env({"OGRINE_HOME": str(tmp_path)})
    assert default.lock_wait_seconds == 1800
    assert default.fetch_deadline_seconds == 300 and default.fetch_max_bytes == 64 * 2**20
    tight = Settings.from_env(
        {
            "OGRINE_HOME": str(tmp_path),
            "OGRINE_LOCK_WAIT_SECONDS": "5",
            "OGRINE_FETCH_DEADLINE_SECONDS": "2.5",
            "OGRINE_FETCH_MAX_BYTES": "1048576",
            "OGRINE_API_URL": "http://127.0.0.1:9/ogrineRates",
        }
    )
    assert tight.lock_wait_seconds == 5
    source = rates_source_for(tight)
    assert isinstance(source, HttpRatesSource)
    assert source.deadline_seconds == 2.5
    assert source.max_received_bytes == source.max_decoded_bytes == 2**20


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("OGRINE_LOCK_WAIT_SECONDS", "soon", "a finite number of seconds >= 0"),
        ("OGRINE_LOCK_WAIT_SECONDS", "-1", "a finite number of seconds >= 0"),
        ("OGRINE_FETCH_DEADLINE_SECONDS", "0", "a finite number of seconds > 0"),
        ("OGRINE_FETCH_DEADLINE_SECONDS", "nan", "a finite number of seconds > 0"),
        ("OGRINE_FETCH_DEADLINE_SECONDS", "inf", "a finite number of seconds > 0"),
        ("OGRINE_FETCH_MAX_BYTES", "1.5", "a whole number of bytes >= 1"),
        ("OGRINE_FRESHNESS_MAX_AGE_DAYS", "0", "a whole number of days >= 1"),
        ("OGRINE_NOW", "yesterday", "an ISO 8601 instant"),
        ("OGRINE_API_URL", "127.0.0.1:9/ogrineRates", "an http:// or https:// URL"),
        ("OGRINE_DAGSTER_PORT", "0", "a TCP port, 1 to 65535"),
        ("OGRINE_SERVICE_PORT", "http", "a TCP port, 1 to 65535"),
    ],
)
def test_a_value_a_setting_cannot_take_is_named_with_what_is_allowed(
    tmp_path: Path, name: str, value: str, allowed: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"OGRINE_HOME": str(tmp_path), name: value})
    said = str(refused.value)
    assert said.startswith(f"{name}={value!r} is not allowed: {allowed}")
    assert "\n" not in said


def test_a_webhook_url_is_refused_without_being_shown(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(
            {"OGRINE_HOME": str(tmp_path), "OGRINE_NOTIFY_URL": "discord.com/api/s3cr3t"}
        )
    assert str(refused.value) == "OGRINE_NOTIFY_URL is not allowed: an http:// or https:// URL"
    deadline = {"OGRINE_HOME": str(tmp_path), "OGRINE_NOTIFY_DEADLINE_SECONDS": "2.5"}
    assert Settings.from_env(deadline).notify_deadline_seconds == 2.5
    assert Settings.from_env({"OGRINE_HOME": str(tmp_path)}).notify_deadline_seconds == 10
    with pytest.raises(SettingsError, match="a finite number of seconds > 0"):
        Settings.from_env({**deadline, "OGRINE_NOTIFY_DEADLINE_SECONDS": "0"})


@pytest.mark.parametrize("command", [["paths"], ["materialize"], ["up"]])
def test_every_command_says_a_wrong_setting_in_one_line_before_anything_runs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.setenv("OGRINE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OGRINE_LOCK_WAIT_SECONDS", "a while")
    assert main(command) == 2
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == (
        f"ogrine {command[0]}: OGRINE_LOCK_WAIT_SECONDS='a while' is not allowed: "
        "a finite number of seconds >= 0\n"
    )
    assert not (tmp_path / "home").exists()  # nothing ran
