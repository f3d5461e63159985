import datetime as dt

import numpy as np
import pandas as pd

from ogrine_assets.model.candidates import Procedure
from ogrine_assets.model.estimators import predictor
from ogrine_assets.model.evaluation import score_on_window
from ogrine_assets.model.features import MODEL_FEATURES, WINDOW, DailySeries
from ogrine_assets.model.forecasting import (
    actual_paths,
    forecast_paths,
    naive_paths,
    next_days,
    window_origins,
)
from ogrine_assets.model.promotion import at_least_as_good
from ogrine_assets.model.training import fit_procedure

START = dt.date(2024, 1, 1)  # a Monday


def repeat_last(features: pd.DataFrame) -> np.ndarray:
    return features["lag_1"].to_numpy()


def test_predictions_feed_back_as_history() -> None:
    series = DailySeries(start=START, values=np.arange(40, dtype=float))

    def plus_one(features: pd.DataFrame) -> np.ndarray:
        return features["lag_1"].to_numpy() + 1

    paths = forecast_paths(plus_one, series, np.array([WINDOW - 1, 39]), horizon=3)
    assert paths.tolist() == [[28.0, 29.0, 30.0], [40.0, 41.0, 42.0]]


def test_an_origin_never_sees_data_after_itself() -> None:
    values = np.full(60, 100.0)
    values[45:] = 1e6  # the future is wildly different; a leak would show
    series = DailySeries(start=START, values=values)
    paths = forecast_paths(repeat_last, series, np.array([44]), horizon=7)
    assert (paths == 100.0).all()


def test_next_days_are_the_seven_days_after_the_last_observation() -> None:
    series = DailySeries(start=START, values=np.linspace(500, 600, 60))
    days = next_days(repeat_last, series)
    assert [day for day, _ in days] == [
        series.last_date + dt.timedelta(days=i) for i in range(1, 8)
    ]
    assert all(rate == 600.0 for _, rate in days)


def test_window_origins_keep_whole_forecasts_inside_the_test_window() -> None:
    series = DailySeries(start=START, values=np.ones(100))
    origins = window_origins(series, START + dt.timedelta(days=70))
    assert origins[0] == 69 and origins[-1] == 92
    actual = actual_paths(series, origins)
    assert actual.shape == (24, 7)
    assert naive_paths(series, origins).shape == (24, 7)


def test_regression_beats_naive_on_trend_and_weekly_rhythm() -> None:
    days = np.arange(400)
    rng = np.random.default_rng(7)
    weekly = np.array([-6, -8, -4, 0, 4, 9, 5])[(days + START.weekday()) % 7]
    values = 500 + 0.8 * days + weekly + rng.normal(0, 1, days.size)
    series = DailySeries(start=START, values=values)
    test_start = START + dt.timedelta(days=370)
    linear = Procedure("linear", "ols", MODEL_FEATURES)
    model = fit_procedure(series, linear, series.index_of(test_start))
    ours = score_on_window(predictor(model), series, test_start)
    assert ours.model["rmse"] < ours.naive["rmse"]
    naive = score_on_window(repeat_last, series, test_start)
    assert naive.model == naive.naive  # repeating the last value is the naive forecast
    assert at_least_as_good(ours.model["rmse"], naive.model["rmse"])
    assert not at_least_as_good(naive.model["rmse"], ours.model["rmse"])
    assert at_least_as_good(1.0, 1.0)  # ties promote
