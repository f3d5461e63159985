"""How good the forecast is, through the real graph: backtest gate, bands, live accuracy."""

import datetime as dt
import json

import dagster as dg
import numpy as np
import polars as pl
import pytest
from litestar.testing import TestClient
from mlflow.tracking import MlflowClient

from ogrine_assets.definitions import build_definitions
from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.common.training_log import TrainingLog
from ogrine_assets.defs.ingestion.sources import HttpRatesSource, SyntheticRatesSource
from ogrine_assets.model.features import daily_series, training_examples
from ogrine_assets.names import CHAMPION_ALIAS, EXPERIMENT_NAME, REGISTERED_MODEL_NAME
from ogrine_assets.service.app import create_app
from ogrine_assets.service.config import ServiceConfig
from ogrine_assets.settings import Settings
from ogrine_assets_tests.fake_upstream import FakeUpstream
from ogrine_assets_tests.real_series import upstream_rows
from ogrine_assets_tests.support import (
    FIXED_NOW,
    least_squares_model,
    register_model,
    series_source,
)

pytestmark = pytest.mark.integration

TODAY = FIXED_NOW.date()


def run(defs: dg.Definitions, instance: dg.DagsterInstance, job: str) -> dg.ExecuteInProcessResult:
    result = defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=False)
    assert result.success
    return result


def check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def test_on_a_random_walk_the_document_says_the_naive_forecast_wins(settings: Settings) -> None:
    # Seed 0: a walk where, as on most random walks (model/test_backtest.py), naive wins.
    walk = 700 + np.cumsum(np.random.default_rng(0).normal(0, 5, 1500))
    clock = Clock(fixed_now=FIXED_NOW.isoformat())
    defs = build_definitions(settings, clock=clock, rates_source=series_source(walk))
    with dg.DagsterInstance.ephemeral() as instance:
        run(defs, instance, "training_job")
        promotion = run(defs, instance, "promotion_job")
    document = json.loads(settings.forecast_path.read_text())
    quality = document["quality"]
    assert quality["beats_naive"] is False
    # The pipeline chose the naive method itself, and the document and the page say so.
    assert document["model"]["method"] == "naive: repeats the last observed rate"
    assert quality["backtest_mae"] == pytest.approx(quality["naive_mae"])
    evaluation = check(promotion, "champion_beats_naive")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    with TestClient(create_app(ServiceConfig(forecast_path=settings.forecast_path))) as client:
        assert client.get("/forecast").json()["quality"]["beats_naive"] is False
        page = client.get("/").text
        assert "This forecast repeats the last rate." in page
        assert "naive: repeats the last observed rate" in page


def test_on_trend_and_rhythm_the_regression_beats_a_weak_champion(settings: Settings) -> None:
    t = np.arange(1200)
    rng = np.random.default_rng(5)
    values = (
        600 + 0.3 * t + np.array([-6, -8, -4, 0, 4, 9, 5])[(t + 3) % 7] + rng.normal(0, 2, t.size)
    )
    clock = Clock(fixed_now=FIXED_NOW.isoformat())
    defs = build_definitions(settings, clock=clock, rates_source=series_source(values))
    registry: ModelRegistry = defs.resources["model_registry"]

    # A weak champion already in place: a month's mean knows neither trend nor weekday.
    series = daily_series(
        [TODAY - dt.timedelta(days=len(values) - i) for i in range(len(values))], values
    )
    examples, target = training_examples(series)
    weak = least_squares_model(examples, target, ["mean_28"])
    training_log: TrainingLog = defs.resources["training_log"]
    weak_version = register_model(training_log, registry, weak, examples[["mean_28"]].head(3))
    registry.set_champion(weak_version)

    with dg.DagsterInstance.ephemeral() as instance:
        run(defs, instance, "training_job")
        promotion = run(defs, instance, "promotion_job")
    assert check(promotion, "champion_beats_naive").passed
    client = MlflowClient(
        tracking_uri=settings.mlflow_tracking_uri, registry_uri=settings.mlflow_tracking_uri
    )
    champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    assert str(champion.version) == "2"
    assert champion.tags["promotion.decision"] == "promoted"
    assert f"<= champion v{weak_version}'s" in champion.tags["promotion.reason"]
    document = json.loads(settings.forecast_path.read_text())
    assert document["model"]["version"] == "2" and document["quality"]["beats_naive"] is True
    for point in document["forecast"]:
        low80, high80 = point["interval_80"]
        low95, high95 = point["interval_95"]
        assert low95 <= low80 < point["prediction_rate"] < high80 <= high95

    # The run shows its work: backtest metrics, coverage and artifacts a reviewer can open.
    run_data = client.get_run(champion.run_id)
    assert run_data.data.metrics["backtest_mae"] < run_data.data.metrics["backtest_naive_mae"]
    assert 0.6 < run_data.data.metrics["interval_coverage_80"] < 1.0
    history = client.get_metric_history(champion.run_id, "backtest_mae_by_horizon")
    assert sorted(m.step for m in history) == list(range(1, 8))
    artifacts = {a.path for a in client.list_artifacts(champion.run_id, "backtest")}
    assert {
        "backtest/scores.csv",
        "backtest/intervals.json",
        "backtest/forecasts_vs_actuals.svg",
    } <= artifacts
    experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
    assert experiment is not None


def test_live_accuracy_matches_earlier_forecasts_to_later_actuals(settings: Settings) -> None:
    first_day = FIXED_NOW
    with dg.DagsterInstance.ephemeral() as instance:
        for now in (first_day, first_day + dt.timedelta(days=8)):
            clock = Clock(fixed_now=now.isoformat())
            defs = build_definitions(settings, clock=clock, rates_source=SyntheticRatesSource())
            run(defs, instance, "training_job")
            promotion = run(defs, instance, "promotion_job")
            if now == first_day:
                first = json.loads(settings.forecast_path.read_text())
                assert first["live_accuracy"] == []  # nothing published before

    second = json.loads(settings.forecast_path.read_text())
    validated = pl.read_parquet(settings.storage_dir / "validated_rates.parquet")
    actual = dict(
        zip(validated["date"].cast(pl.String).to_list(), validated["rate"].to_list(), strict=True)
    )
    matched = pl.read_parquet(settings.storage_dir / "forecast_accuracy.parquet")
    assert matched.height == 7  # the first forecast's 7 days have all happened; the second's not
    for point, row in zip(
        first["forecast"], matched.sort("date").iter_rows(named=True), strict=True
    ):
        assert str(row["date"]) == point["date"]
        assert row["predicted"] == point["prediction_rate"]
        assert row["error"] == pytest.approx(actual[point["date"]] - point["prediction_rate"])
    live = second["live_accuracy"]
    assert [row["horizon_days"] for row in live] == list(range(1, 8))
    assert all(row["forecasts"] == 1 for row in live)
    per_horizon = first["quality"]["backtest_mae_by_horizon"]
    assert [row["backtest_mae"] for row in live] == pytest.approx(per_horizon, abs=1e-3)
    assert per_horizon[0] < per_horizon[-1]  # one day ahead is easier than seven
    assert check(promotion, "forecast_accuracy_drift").passed


@pytest.mark.parametrize(
    ("name", "method"),
    [("gold", "naive: repeats the last observed rate"), ("deaths", "ridge: every feature")],
)
def test_real_series_through_the_upstream_api_get_their_own_method(
    settings: Settings, name: str, method: str
) -> None:
    """A real series (``real_series.py``) served by a fake upstream over HTTP, through the
    whole graph: the document names the method the backtest chose for it."""
    upstream = FakeUpstream().start()
    try:
        upstream.answer_with(upstream.rows(upstream_rows(name, FIXED_NOW.date())))
        source = HttpRatesSource(api_url=upstream.url, max_attempts=1)
        clock = Clock(fixed_now=FIXED_NOW.isoformat())
        defs = build_definitions(settings, clock=clock, rates_source=source)
        with dg.DagsterInstance.ephemeral() as instance:
            run(defs, instance, "training_job")
            run(defs, instance, "promotion_job")
    finally:
        upstream.stop()
    document = json.loads(settings.forecast_path.read_text())
    assert document["model"]["method"].startswith(method)
    assert len(document["forecast"]) == 7
    assert all(day["interval_80"] and day["interval_95"] for day in document["forecast"])
