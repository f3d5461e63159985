from pathlib import Path

from ogrine_assets.settings import Settings, ensure_local_state


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


def test_local_state_is_created_once(tmp_path: Path) -> None:
    settings = Settings.from_env({"OGRINE_HOME": str(tmp_path / "home")})
    ensure_local_state(settings)
    dagster_yaml = settings.dagster_home / "dagster.yaml"
    assert "telemetry" in dagster_yaml.read_text()
    dagster_yaml.write_text("# mine\n")
    ensure_local_state(settings)
    assert dagster_yaml.read_text() == "# mine\n"
    assert (tmp_path / "home" / "mlflow").is_dir()
