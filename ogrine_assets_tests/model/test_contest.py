"""The contest behind a decision: both procedures backtested on the same origins, and what the
rule then makes of it."""

import datetime as dt

import numpy as np
import pytest

from ogrine_assets.model.candidates import Procedure
from ogrine_assets.model.contest import compare
from ogrine_assets.model.features import MODEL_FEATURES, DailySeries
from ogrine_assets.model.promotion import decide


def rhythm(days: int = 300) -> DailySeries:
    t = np.arange(days)
    weekly = np.array([-6.0, -8, -4, 0, 4, 9, 5])[t % 7]
    noise = np.random.default_rng(2).normal(0, 1, days)
    return DailySeries(dt.date(2024, 1, 1), 600 + 0.2 * t + weekly + noise)


def test_compare_backtests_both_procedures_on_the_same_origins() -> None:
    series = rhythm()
    made, backtest = compare(series, "2", MODEL_FEATURES, "1", ["mean_28"])
    assert made.champion_mae is not None and made.candidate_mae < made.champion_mae
    assert made.naive_mae == pytest.approx(backtest.overall("naive")["mae"])
    assert made.origins == len(backtest.origins) and made.window == backtest.window()
    assert made.first_origin == series.start + dt.timedelta(days=int(backtest.origins[0]))
    assert not made.same_features
    same, _ = compare(series, "2", MODEL_FEATURES, "1", MODEL_FEATURES)
    assert same.same_features and same.candidate_mae == same.champion_mae


def test_compare_without_a_comparable_champion() -> None:
    series = rhythm()
    first, backtest = compare(series, "1", MODEL_FEATURES)
    assert first.champion is None and first.champion_mae is None
    assert set(backtest.forecasts) == {"candidate", "naive", "seasonal_naive"}
    broken, _ = compare(series, "4", MODEL_FEATURES, "3", [], champion_broken="gone")
    assert broken.champion_mae is None and broken.champion_broken == "gone"
    old, _ = compare(series, "4", MODEL_FEATURES, "3", ["lag_1", "year"])
    assert old.champion_mae is None and old.champion_missing_features == ["year"]
    assert decide(old).reason == "champion v3 needs features ['year'] no longer computed"


def test_a_champion_that_does_not_clearly_beat_naive_gives_way_to_it() -> None:
    from ogrine_assets.model.candidates import NAIVE as NAIVE_METHOD
    from ogrine_assets_tests.model.test_backtest import random_walk, trend_and_rhythm

    linear = Procedure("linear: recent path, weekday, trend", "ols", MODEL_FEATURES)
    walk, _ = compare(random_walk(700, seed=3), "5", NAIVE_METHOD, "4", linear)
    decision = decide(walk)
    assert walk.champion_no_better_than_naive and decision.promote
    assert "does not clearly beat repeating the last rate" in decision.reason
    rhythm, _ = compare(trend_and_rhythm(700, 2.0), "5", NAIVE_METHOD, "4", linear)
    assert not rhythm.champion_no_better_than_naive and not decide(rhythm).promote
