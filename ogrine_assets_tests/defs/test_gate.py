"""Nothing implausible reaches a player: a spike in the data, a wild champion."""

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.common.training_log import TrainingLog
from ogrine_assets.defs.ingestion.sources import HttpRatesSource
from ogrine_assets.failures import cause_of
from ogrine_assets.model.features import series_from_frame, training_examples
from ogrine_assets.names import DECISION_TAG, PROMOTED
from ogrine_assets_tests.fake_upstream import FakeUpstream, good_rows
from ogrine_assets_tests.support import deployment, least_squares_model, register_model


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    server = FakeUpstream().start()
    yield server
    server.stop()


def spiked(rows: list[dict], *indexes: int) -> list[dict]:
    rows = [dict(row) for row in rows]
    for index in indexes:  # 7x the level: inside the plausible range of a rate
        rows[index]["rateTenth"] *= 7
        rows[index]["rate"] = rows[index]["rateTenth"] / 10
    return rows


def test_a_spike_never_reaches_the_forecast_and_a_wild_champion_publishes_nothing(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    source = HttpRatesSource(api_url=upstream.url)
    with deployment(tmp_path / "home", rates_source=source) as deployed:
        assert deployed.run("train_and_publish_job").success
        level = json.loads(deployed.settings.forecast_path.read_text())["history"][-1]["rate"]

        # A 7x day a month ago and another on the newest day: trained on, then refreshed.
        upstream.answer_with(upstream.rows(spiked(good_rows(), -30, -1)))
        assert deployed.run("train_and_publish_job", retrain=True).success
        assert deployed.run("forecast_refresh_job").success
        document = json.loads(deployed.settings.forecast_path.read_text())
        for point in document["forecast"]:
            for edge in (*point["interval_80"], *point["interval_95"]):
                assert 0.8 * level < edge < 1.25 * level, (point, level)
        published = deployed.settings.forecast_path.read_bytes()

        # A champion that forecasts five times the level: the gate keeps the forecast.
        registry: ModelRegistry = deployed.defs.resources["model_registry"]
        training_log: TrainingLog = deployed.defs.resources["training_log"]
        frame = pl.read_parquet(deployed.settings.storage_dir / "validated_rates.parquet")
        series = series_from_frame(frame)
        examples, target = training_examples(series)
        wild = least_squares_model(examples, 5 * target, ["lag_1"])
        version = register_model(training_log, registry, wild, examples[["lag_1"]].head(3))
        registry.tag_version(version, {DECISION_TAG: PROMOTED})
        result = deployed.run("forecast_refresh_job")
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert failure.step_key == "forecast" and failure.step_failure_data.error
        said = cause_of(failure.step_failure_data.error)
        assert said.startswith(f"v{version}'s forecast is implausible: ")
        assert said.endswith("; the published forecast is kept")
        assert deployed.settings.forecast_path.read_bytes() == published
