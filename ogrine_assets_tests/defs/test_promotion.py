"""Promotion both ways, on crafted models registered in a real MLflow store."""

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.mlflow_store import MlflowStore
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.common.training_log import TrainingLog
from ogrine_assets.defs.serving.promotion import champion_model
from ogrine_assets.model.features import MODEL_FEATURES, daily_series, training_examples
from ogrine_assets.model.promotion import standing_champion
from ogrine_assets.model.splitting import split_by_time
from ogrine_assets.names import (
    BROKEN_TAG,
    CONTEST_TAG,
    DECISION_TAG,
    MODEL_VERSION_METADATA,
    MODEL_VERSION_TAG,
)
from ogrine_assets.settings import Settings
from ogrine_assets_tests.support import least_squares_model, register_model

START = dt.date(2024, 1, 1)


@dataclass(frozen=True)
class Crafted:
    """A registered model and a training log of the tests' own, in a real MLflow store."""

    registry: ModelRegistry
    log: TrainingLog


@pytest.fixture
def crafted(settings: Settings) -> Crafted:
    store = MlflowStore(tracking_uri=settings.mlflow_tracking_uri)
    return Crafted(
        ModelRegistry(store=store, model_name="crafted-forecaster"),
        TrainingLog(
            store=store, experiment_name="crafted", artifact_root=settings.mlflow_artifact_root
        ),
    )


@pytest.fixture
def rates() -> pl.DataFrame:
    """A trend with a weekly rhythm: a fitted regression forecasts it well."""
    days = np.arange(200)
    weekly = np.array([-6, -8, -4, 0, 4, 9, 5])[days % 7]
    rng = np.random.default_rng(3)
    tenths = np.round((600 + 0.5 * days + weekly + rng.normal(0, 0.5, days.size)) * 10).astype(int)
    return pl.DataFrame(
        {"date": [START + dt.timedelta(days=int(d)) for d in days], "rate": tenths / 10}
    )


WEAK_FEATURES = ("mean_28",)  # a month's mean: blind to the trend's last steps and the weekday


def register(
    crafted: Crafted, rates: pl.DataFrame, features: tuple[str, ...], shift: float = 0.0
) -> str:
    """Fit a regression on ``features`` (its intercept moved by ``shift``) and register it."""
    series = daily_series(rates["date"].to_list(), rates["rate"].to_list())
    examples, target = training_examples(series)
    model = least_squares_model(examples, target, features)
    model.intercept_ += shift
    sample = examples[list(features)].head(3)
    return register_model(crafted.log, crafted.registry, model, sample)


def promote(crafted: Crafted, rates: pl.DataFrame, version: str, tags: dict | None = None) -> dict:
    """Materialize the real champion_model asset on top of stand-ins for its inputs."""
    train, test = split_by_time(rates)

    @dg.asset(name="ogrine_model")
    def candidate() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata={MODEL_VERSION_METADATA: version})

    @dg.multi_asset(outs={"train_set": dg.AssetOut(), "test_set": dg.AssetOut()})
    def sets() -> Iterator[dg.Output[pl.DataFrame]]:
        yield dg.Output(train, output_name="train_set")
        yield dg.Output(test, output_name="test_set")

    result = dg.materialize(
        [candidate, sets, champion_model],
        resources={
            "io_manager": dg.InMemoryIOManager(),
            "model_registry": crafted.registry,
            "training_log": crafted.log,
            "clock": Clock(fixed_now="2026-11-26T09:30:00+00:00"),
        },
        tags=tags,
    )
    assert result.success
    (event,) = result.asset_materializations_for_node("champion_model")
    return {key: value.value for key, value in event.metadata.items()}


def standing(crafted: Crafted) -> str | None:
    return standing_champion(crafted.registry.decisions())


def test_first_version_becomes_champion(crafted: Crafted, rates: pl.DataFrame) -> None:
    version = register(crafted, rates, MODEL_FEATURES)
    outcome = promote(crafted, rates, version)
    assert outcome["decision"] == "promoted" and outcome["reason"] == "no champion yet"
    assert standing(crafted) == version == outcome["champion_version"]
    # The alias follows publication: only the forecast moves it, once its document is out.
    assert crafted.registry.champion() is None


def test_worse_model_is_rejected_and_better_one_promoted(
    crafted: Crafted, rates: pl.DataFrame
) -> None:
    good = register(crafted, rates, MODEL_FEATURES)
    promote(crafted, rates, good)

    worse = register(crafted, rates, WEAK_FEATURES)
    outcome = promote(crafted, rates, worse)
    assert outcome["decision"] == "rejected"
    assert outcome["candidate_backtest_mae"] > outcome["champion_backtest_mae"]
    assert outcome["backtest_origins"] == 200 - 7 - 83  # every day from the first trainable one
    assert standing(crafted) == good
    tags = crafted.registry.version(worse).tags
    assert tags["promotion.decision"] == "rejected"
    assert f"champion v{good} " in tags[CONTEST_TAG]
    assert f"> champion v{good}'s" in tags["promotion.reason"]
    assert "backtest MAE over" in tags["promotion.reason"]

    # A worse champion gives way to a better candidate.
    crafted.registry.tag_version(worse, {DECISION_TAG: "promoted"})  # as if it had been promoted
    assert standing(crafted) == worse
    better = register(crafted, rates, MODEL_FEATURES)
    outcome = promote(crafted, rates, better)
    assert outcome["decision"] == "promoted"
    assert outcome["candidate_backtest_mae"] < outcome["champion_backtest_mae"]
    assert standing(crafted) == better


def test_a_version_is_judged_once(crafted: Crafted, rates: pl.DataFrame) -> None:
    good = register(crafted, rates, MODEL_FEATURES)
    promote(crafted, rates, good)
    worse = register(crafted, rates, WEAK_FEATURES)
    first = promote(crafted, rates, worse)
    decided_at = crafted.registry.version(worse).tags["promotion.decided_at"]
    second = promote(crafted, rates, worse, tags={MODEL_VERSION_TAG: worse})
    assert first["already_decided"] is False and second["already_decided"] is True
    assert second["decision"] == "rejected" and second["candidate_version"] == worse
    assert crafted.registry.version(worse).tags["promotion.decided_at"] == decided_at


def test_a_model_whose_forecast_is_unusable_never_becomes_champion(
    crafted: Crafted, rates: pl.DataFrame
) -> None:
    good = register(crafted, rates, MODEL_FEATURES)
    promote(crafted, rates, good)
    # Same procedure (so the backtest ties), but the registered artifact forecasts nonsense.
    broken = register(crafted, rates, MODEL_FEATURES, shift=-1e6)
    outcome = promote(crafted, rates, broken)
    assert outcome["decision"] == "rejected" and "unusable" in outcome["reason"]
    assert standing(crafted) == good


def test_every_waiting_version_gets_one_decision_oldest_first(
    crafted: Crafted, rates: pl.DataFrame
) -> None:
    first = register(crafted, rates, MODEL_FEATURES)
    newest = register(crafted, rates, WEAK_FEATURES)
    # The sensor's run names `first`; `newest` was registered since: both are judged, once.
    outcome = promote(crafted, rates, newest, tags={MODEL_VERSION_TAG: first})
    assert outcome["candidate_version"] == first and outcome["decision"] == "promoted"
    assert crafted.registry.version(newest).tags[DECISION_TAG] == "rejected"
    assert f"champion v{first}'s" in crafted.registry.version(newest).tags["promotion.reason"]
    again = promote(crafted, rates, newest, tags={MODEL_VERSION_TAG: newest})
    assert again["already_decided"] is True and again["decision"] == "rejected"


def test_a_version_whose_training_never_finished_is_rejected(
    crafted: Crafted, rates: pl.DataFrame
) -> None:
    version = register(crafted, rates, MODEL_FEATURES)
    # Its process was killed after registering it.
    crafted.log.close_run(crafted.registry.version(version).run_id, "KILLED")
    outcome = promote(crafted, rates, version)
    assert outcome["decision"] == "rejected"
    assert (
        outcome["reason"] == f"its training run ended KILLED: v{version} was never fully recorded"
    )
    assert standing(crafted) is None


def test_a_champion_whose_files_are_gone_is_recorded_broken_and_gives_way(
    crafted: Crafted, rates: pl.DataFrame
) -> None:
    champion = register(crafted, rates, MODEL_FEATURES)
    promote(crafted, rates, champion)
    shutil.rmtree(model_folder(crafted, champion))
    candidate = register(crafted, rates, WEAK_FEATURES)  # worse, but it can be loaded
    outcome = promote(crafted, rates, candidate)
    assert outcome["decision"] == "promoted"
    assert outcome["reason"].startswith(f"champion v{champion} cannot be loaded (")
    assert "judged against the naive forecast instead" in outcome["reason"]
    assert "cannot be loaded" in crafted.registry.version(champion).tags[BROKEN_TAG]
    assert standing(crafted) == candidate


def model_folder(crafted: Crafted, version: str) -> Path:
    return Path(crafted.registry.model_location(version).removeprefix("file://"))


def test_a_version_that_cannot_be_compared_is_rejected_once_not_retried_forever(
    crafted: Crafted, rates: pl.DataFrame
) -> None:
    series = daily_series(rates["date"].to_list(), rates["rate"].to_list())
    examples, target = training_examples(series)
    examples["year"] = 2024.0  # a feature this code does not compute
    columns = ["lag_1", "year"]
    model = least_squares_model(examples, target, columns)
    version = register_model(crafted.log, crafted.registry, model, examples[columns].head(3))
    outcome = promote(crafted, rates, version)
    assert outcome["decision"] == "rejected"
    assert (
        outcome["reason"].startswith("it cannot be judged: KeyError: ")
        and "year" in outcome["reason"]
    )
    assert promote(crafted, rates, version)["already_decided"] is True
