"""The whole graph, materialized in process against a real instance and MLflow store."""

import datetime as dt
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest
from sklearn.base import is_regressor
from sklearn.utils.validation import check_is_fitted

from ogrine_assets.defs.automation.schedules import (
    daily_forecast_schedule,
    weekly_training_schedule,
)
from ogrine_assets.defs.automation.sensors import model_promotion_sensor
from ogrine_assets.defs.serving.forecast import FRESHNESS
from ogrine_assets.defs.training import model as training_model
from ogrine_assets.model.estimators import predictor
from ogrine_assets.model.features import series_from_frame
from ogrine_assets.model.forecasting import next_days
from ogrine_assets.names import CHAMPION_ALIAS, REGISTERED_MODEL_NAME
from ogrine_assets_tests.support import FIXED_NOW, Deployment, deployment

pytestmark = pytest.mark.integration


def test_forecast_document_has_seven_days_after_the_last_observation(
    materialized: Deployment,
) -> None:
    document = materialized.document()
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
    assert document["generated_at"] == "2026-11-26T09:30:00Z"  # FIXED_NOW, in UTC
    assert len(document["history"]) == 90
    assert document["history"][-1]["date"] == last_observed.isoformat()


def test_registry_holds_the_champion_that_made_the_forecast(materialized: Deployment) -> None:
    client = materialized.client()
    champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    document = materialized.document()
    assert document["model"] == {
        "name": REGISTERED_MODEL_NAME,
        "version": str(champion.version),
        "run_id": champion.run_id,
        "alias": CHAMPION_ALIAS,
        # On the embedded data the backtest chooses least squares on the recent path, the
        # weekday and a trend; the document says how the numbers were made.
        "method": "linear: recent path, weekday, trend (lag_1, mean_7, change_7, trend, "
        "dow_tue, dow_wed, dow_thu, dow_fri, dow_sat, dow_sun)",
    }
    assert champion.tags["method"] == "linear: recent path, weekday, trend"
    assert champion.tags["fit"] == "ols"
    assert champion.tags["promotion.decision"] == "promoted"
    assert champion.tags["promotion.reason"] == "no champion yet"
    run = client.get_run(champion.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["dagster_run_id"] == champion.tags["dagster_run_id"]
    assert run.data.metrics["test_rmse"] > 0 and run.data.metrics["test_naive_rmse"] > 0
    assert run.info.artifact_uri.startswith(materialized.settings.mlflow_artifact_root)
    # Runs are told apart by name; the experiment is tagged as MLflow's UI tags a machine-
    # learning one (the view its UI opens it in: local/test_mlflow_ui.py).
    last_day = materialized.metadata("validated_rates")["last_date"]
    assert run.info.run_name == f"v{champion.version} · data to {last_day}"
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"


def test_the_champion_is_a_scikit_learn_estimator_and_its_predictions_are_the_forecast(
    materialized: Deployment,
) -> None:
    """What is registered, promoted and served is the estimator: MLflow's scikit-learn
    flavour loads it (skops, no pickle), and the published days are what it predicts."""
    uri = f"models:/{REGISTERED_MODEL_NAME}@{CHAMPION_ALIAS}"
    mlflow = materialized.registry().store.fluent()
    estimator = mlflow.sklearn.load_model(uri)
    assert is_regressor(estimator)
    check_is_fitted(estimator)
    info = mlflow.models.get_model_info(uri)
    assert info.flavors["sklearn"]["serialization_format"] == "skops"
    assert info.signature is not None and info.saved_input_example_info is not None
    assert info.signature.inputs.input_names() == list(estimator.feature_names_in_)

    rates = pl.read_parquet(materialized.settings.storage_dir / "validated_rates.parquet")
    predicted = next_days(predictor(estimator), series_from_frame(rates))
    published = materialized.document()["forecast"]
    assert [(p["date"], p["prediction_rate_tenth"]) for p in published] == [
        (day.isoformat(), round(rate * 10)) for day, rate in predicted
    ]
    # MLflow's generic interface predicts the same as the estimator itself.
    generic = mlflow.pyfunc.load_model(uri)
    example = generic.input_example
    assert list(example.columns) == list(estimator.feature_names_in_)
    np.testing.assert_array_equal(generic.predict(example), estimator.predict(example))


def test_the_logged_model_carries_its_backtest_scores(materialized: Deployment) -> None:
    client = materialized.client()
    champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    # The version's source is the logged model it was registered from: models:/<model id>.
    logged = client.get_logged_model(champion.source.removeprefix("models:/"))
    scores = {metric.key: metric.value for metric in logged.metrics if metric.step == 0}
    run = client.get_run(champion.run_id).data.metrics
    for name in ("backtest_mae", "backtest_naive_mae", "interval_coverage_80"):
        assert scores[name] == pytest.approx(run[name])
    horizon = [m for m in logged.metrics if m.key == "backtest_mae_by_horizon"]
    assert sorted(m.step for m in horizon) == list(range(1, 8))


def test_materializations_carry_metadata_and_links(materialized: Deployment) -> None:
    metadata = materialized.metadata
    assert "SYNTHETIC" in metadata("raw_rates")["source"]
    validated = metadata("validated_rates")
    assert validated["dagster/row_count"] > 2000 and validated["rejected_row_count"] == 0
    assert metadata("test_set")["dagster/row_count"] == 30
    model = metadata("ogrine_model")
    assert model["mlflow_run"].startswith("http://127.0.0.1:5000/#/experiments/")
    assert model["test_rmse"] > 0
    assert metadata("champion_model")["decision"] == "promoted"
    forecast = metadata("forecast")
    assert forecast["path"] == str(materialized.settings.forecast_path)
    # The table shows each day's rate as the document publishes it, to the tenth.
    shown = [record.data["prediction_rate"] for record in forecast["forecast"].records]
    assert shown == [day["prediction_rate"] for day in materialized.document()["forecast"]]


def test_validated_rates_reports_its_own_checks(materialized: Deployment) -> None:
    key = dg.AssetKey("validated_rates")
    names = ("validated_rates_schema", "validated_rates_history_length")
    latest = materialized.instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(key, name) for name in names]
    )
    assert {check.name for check in latest} == set(names)
    for record in latest.values():
        evaluation = record.event.dagster_event.event_specific_data
        assert evaluation.passed

    # Checked once, in the asset: no separate step loads the frame again to check it; so do
    # the assets whose checks only read what they have just made.
    def emitted(asset: str) -> dict[str, bool]:
        specs = materialized.defs.resolve_assets_def(asset).check_specs
        return {spec.name: spec.blocking for spec in specs}

    assert emitted("validated_rates") == dict.fromkeys(names, True)
    assert emitted("champion_model") == {"champion_beats_naive": False}
    assert emitted("forecast_accuracy") == {"forecast_accuracy_drift": False}


def test_stored_frames_show_their_column_schema(materialized: Deployment) -> None:
    spec = materialized.defs.resolve_assets_def("validated_rates").specs_by_key[
        dg.AssetKey("validated_rates")
    ]
    schema = spec.metadata["dagster/column_schema"]
    columns = {column.name: column for column in schema.columns}
    assert list(columns) == ["date", "observed_at", "rate_tenth", "rate"]
    assert columns["date"].constraints.unique and not columns["date"].constraints.nullable
    assert columns["rate_tenth"].constraints.other == [
        "greater_than_or_equal_to(100)",
        "less_than_or_equal_to(100000)",
    ]
    assert "dates must be strictly ascending" in schema.constraints.other


def test_forecast_has_a_freshness_policy(materialized: Deployment) -> None:
    spec = materialized.defs.resolve_assets_def("forecast").specs_by_key[dg.AssetKey("forecast")]
    assert spec.freshness_policy == FRESHNESS
    # A missed daily refresh (02:00 UTC) warns; two missed ones fail.
    assert FRESHNESS.warn_window.to_timedelta() == dt.timedelta(hours=26)
    assert FRESHNESS.fail_window.to_timedelta() == dt.timedelta(hours=50)


def test_the_sensor_starts_no_run_for_a_version_already_judged(
    materialized: Deployment,
) -> None:
    tick = model_promotion_sensor.evaluate_tick(materialized.sensor_context())
    assert tick.run_requests == []
    assert tick.skip_message == "version 1 was judged by a later champion_model run"


def test_daily_schedule_refreshes_the_forecast_without_retraining(
    materialized: Deployment,
) -> None:
    assert daily_forecast_schedule.cron_schedule == "0 2 * * *"
    assert daily_forecast_schedule.job_name == "forecast_refresh_job"
    job = materialized.defs.resolve_job_def("forecast_refresh_job")
    selected = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    # champion_model first: a version still waiting for its decision gets it within a day.
    assert selected == {
        "raw_rates",
        "validated_rates",
        "champion_model",
        "forecast_accuracy",
        "forecast",
        "notification",
    }


def test_schedule_targets_training_weekly_monday_0100_utc(materialized: Deployment) -> None:
    assert weekly_training_schedule.cron_schedule == "0 1 * * 1"
    assert weekly_training_schedule.execution_timezone == "UTC"
    assert weekly_training_schedule.job_name == "training_job"
    selected = materialized.defs.resolve_job_def("training_job").asset_layer.executable_asset_keys
    assert {key.to_user_string() for key in selected} == {
        "raw_rates",
        "validated_rates",
        "train_set",
        "test_set",
        "ogrine_model",
    }


def test_second_training_registers_a_new_version_and_records_a_decision(tmp_path: Path) -> None:
    with deployment(tmp_path / "home") as world:
        assert world.run("training_job").success
        assert world.run("promotion_job").success
        before = world.settings.forecast_path.read_bytes()
        assert world.run("training_job", retrain=True).success
        first = model_promotion_sensor.evaluate_tick(world.sensor_context())
        assert [r.run_key for r in first.run_requests] == ["model-version-2"]
        assert first.run_requests[0].tags["ogrine/model_version"] == "2"
        again = world.sensor_context(cursor=first.cursor)
        assert model_promotion_sensor.evaluate_tick(again).run_requests == []  # once a version
        assert world.run("promotion_job").success
        version = world.client().get_model_version(REGISTERED_MODEL_NAME, "2")
        assert "champion v1 " in version.tags["promotion.backtest"]
        assert "champion v1" in version.tags["promotion.reason"]
        # Same data, same code: the new version scores the same and ties promote.
        assert version.tags["promotion.decision"] == "promoted"
        assert world.document()["model"]["version"] == "2"
        assert world.settings.forecast_path.read_bytes() != before

        # Promotion again for the same version: no second decision.
        decided_at = version.tags["promotion.decided_at"]
        result = world.run("promotion_job")
        assert result.success
        event = result.get_asset_materialization_events()[0].materialization
        assert event.metadata["already_decided"].value is True
        again = world.client().get_model_version(REGISTERED_MODEL_NAME, "2")
        assert again.tags["promotion.decided_at"] == decided_at


def test_an_unchanged_model_is_not_trained_again_until_asked_or_its_code_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with deployment(tmp_path / "home") as world:
        assert world.run("training_job").success
        assert world.run("promotion_job").success
        # The same rates and the same code: nothing to train, and nothing to promote.
        assert world.run("training_job").success
        model = world.metadata("ogrine_model")
        assert (model["model_version"], model["retrained"]) == ("1", False)
        assert [str(v.version) for v in world.client().search_model_versions()] == ["1"]
        tick = model_promotion_sensor.evaluate_tick(world.sensor_context())
        assert tick.run_requests == []
        assert tick.skip_message == "nothing changed since version 1: it was judged then"
        # The MLflow run the training step opened is gone, not left as an empty run.
        experiment = world.client().get_experiment_by_name(world.training_log().experiment_name)
        runs = world.client().search_runs([experiment.experiment_id])
        assert [r.info.status for r in runs] == ["FINISHED"]
        # (That Dagster's UI then shows the graph up to date: test_cli.py, on a real home.)

        # A forced retrain registers a new version all the same.
        assert world.run("training_job", retrain=True).success
        assert world.metadata("ogrine_model")["model_version"] == "2"

        # Changed training code (its version is a digest of the model package's files,
        # versions.source_digest): trained again unasked, on the same data.
        monkeypatch.setattr(training_model, "TRAINING_CODE_VERSION", "0123456789abcdef")
        assert world.run("training_job").success
        model = world.metadata("ogrine_model")
        assert (model["model_version"], model["retrained"]) == ("3", True)
