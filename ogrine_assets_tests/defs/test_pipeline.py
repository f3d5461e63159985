"""The whole graph, materialized in process against a real instance and MLflow store."""

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import pytest
from mlflow.tracking import MlflowClient

from ogrine_assets.definitions import build_definitions
from ogrine_assets.defs.automation import (
    daily_forecast_schedule,
    model_promotion_sensor,
    weekly_training_schedule,
)
from ogrine_assets.defs.resources import Clock
from ogrine_assets.settings import CHAMPION_ALIAS, REGISTERED_MODEL_NAME, Settings
from ogrine_assets_tests.conftest import FIXED_NOW, make_settings

pytestmark = pytest.mark.integration


@dataclass
class Deployment:
    settings: Settings
    defs: dg.Definitions
    instance: dg.DagsterInstance

    def run(self, job_name: str) -> dg.ExecuteInProcessResult:
        job = self.defs.resolve_job_def(job_name)
        return job.execute_in_process(instance=self.instance, raise_on_error=False)

    def client(self) -> MlflowClient:
        uri = self.settings.mlflow_tracking_uri
        return MlflowClient(tracking_uri=uri, registry_uri=uri)

    def document(self) -> dict:
        return json.loads(self.settings.forecast_path.read_text())


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Train, promote and forecast once; the tests below read and extend that state."""
    settings = make_settings(tmp_path_factory.mktemp("pipeline") / "home")
    defs = build_definitions(settings, clock=Clock(fixed_now=FIXED_NOW.isoformat()))
    with dg.instance_for_test(temp_dir=str(settings.dagster_home)) as instance:
        deployment = Deployment(settings, defs, instance)
        assert deployment.run("training_job").success
        assert deployment.run("promotion_job").success
        yield deployment


def test_forecast_document_has_seven_days_after_the_last_observation(
    deployment: Deployment,
) -> None:
    document = deployment.document()
    last_observed = dt.date.fromisoformat(document["data"]["last_observed_date"])
    assert last_observed == FIXED_NOW.date() - dt.timedelta(days=1)  # synthetic: up to yesterday
    points = document["forecast"]
    assert [p["date"] for p in points] == [
        (last_observed + dt.timedelta(days=step)).isoformat() for step in range(1, 8)
    ]
    for point in points:
        assert point["datetime"] == f"{point['date']}T00:00:00+00:00"
        assert isinstance(point["prediction_rate_tenth"], int)
        assert point["prediction_rate"] == point["prediction_rate_tenth"] / 10
        assert 150 < point["prediction_rate"] < 2500
    assert document["data"]["synthetic"] is True
    assert document["generated_at"] == FIXED_NOW.isoformat()
    assert len(document["history"]) == 90
    assert document["history"][-1]["date"] == last_observed.isoformat()


def test_registry_holds_the_champion_that_made_the_forecast(deployment: Deployment) -> None:
    client = deployment.client()
    champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    document = deployment.document()
    assert document["model"] == {
        "name": REGISTERED_MODEL_NAME,
        "version": str(champion.version),
        "run_id": champion.run_id,
        "alias": CHAMPION_ALIAS,
    }
    assert champion.tags["promotion.decision"] == "promoted"
    assert champion.tags["promotion.reason"] == "no champion yet"
    run = client.get_run(champion.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["dagster_run_id"] == champion.tags["dagster_run_id"]
    assert run.data.metrics["test_rmse"] > 0 and run.data.metrics["test_naive_rmse"] > 0
    assert run.info.artifact_uri.startswith(deployment.settings.mlflow_artifact_root)


def test_materializations_carry_metadata_and_links(deployment: Deployment) -> None:
    instance = deployment.instance

    def metadata(key: str) -> dict:
        event = instance.get_latest_materialization_event(dg.AssetKey(key))
        assert event is not None, key
        return {k: v.value for k, v in event.asset_materialization.metadata.items()}

    assert "SYNTHETIC" in metadata("raw_rates")["source"]
    validated = metadata("validated_rates")
    assert validated["dagster/row_count"] > 2000 and validated["rejected_row_count"] == 0
    assert metadata("test_set")["dagster/row_count"] == 30
    model = metadata("ogrine_model")
    assert model["mlflow_run"].startswith("http://127.0.0.1:5000/#/experiments/")
    assert model["test_rmse"] > 0
    assert metadata("champion_model")["decision"] == "promoted"
    assert metadata("forecast")["path"] == str(deployment.settings.forecast_path)
    checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("validated_rates"), "validated_rates_schema")]
    )
    assert len(checks) == 1


def test_sensor_requests_one_run_per_new_version(deployment: Deployment) -> None:
    context = dg.build_sensor_context(instance=deployment.instance, definitions=deployment.defs)
    first = model_promotion_sensor.evaluate_tick(context)
    assert [r.run_key for r in first.run_requests] == ["model-version-1"]
    assert first.run_requests[0].tags["ogrine/model_version"] == "1"
    again = dg.build_sensor_context(
        instance=deployment.instance, definitions=deployment.defs, cursor=first.cursor
    )
    assert model_promotion_sensor.evaluate_tick(again).run_requests == []


def test_daily_schedule_refreshes_the_forecast_without_retraining(deployment: Deployment) -> None:
    assert daily_forecast_schedule.cron_schedule == "0 2 * * *"
    assert daily_forecast_schedule.job_name == "forecast_refresh_job"
    job = deployment.defs.resolve_job_def("forecast_refresh_job")
    selected = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert selected == {"raw_rates", "validated_rates", "forecast_accuracy", "forecast"}


def test_schedule_targets_training_weekly_monday_0100_utc(deployment: Deployment) -> None:
    assert weekly_training_schedule.cron_schedule == "0 1 * * 1"
    assert weekly_training_schedule.execution_timezone == "UTC"
    assert weekly_training_schedule.job_name == "training_job"
    selected = deployment.defs.resolve_job_def("training_job").asset_layer.executable_asset_keys
    assert {key.to_user_string() for key in selected} == {
        "raw_rates", "validated_rates", "train_set", "test_set", "ogrine_model",
    }  # fmt: skip


def test_second_training_registers_a_new_version_and_records_a_decision(
    deployment: Deployment,
) -> None:
    before = deployment.settings.forecast_path.read_bytes()
    assert deployment.run("training_job").success
    context = dg.build_sensor_context(instance=deployment.instance, definitions=deployment.defs)
    requests = model_promotion_sensor.evaluate_tick(context).run_requests
    assert [r.run_key for r in requests] == ["model-version-2"]
    assert deployment.run("promotion_job").success
    version = deployment.client().get_model_version(REGISTERED_MODEL_NAME, "2")
    assert version.tags["promotion.previous_champion"] == "1"
    assert "champion v1" in version.tags["promotion.reason"]
    # Same data, same code: the new version scores the same and ties promote.
    assert version.tags["promotion.decision"] == "promoted"
    assert deployment.document()["model"]["version"] == "2"
    assert deployment.settings.forecast_path.read_bytes() != before

    # Promotion again for the same version: no second decision.
    decided_at = version.tags["promotion.decided_at"]
    result = deployment.run("promotion_job")
    assert result.success
    event = result.get_asset_materialization_events()[0].materialization
    assert event.metadata["already_decided"].value is True
    again = deployment.client().get_model_version(REGISTERED_MODEL_NAME, "2")
    assert again.tags["promotion.decided_at"] == decided_at
