"""Multi-day forecasts from any one-step predictor, by feeding predictions back as history.

The same function serves training's evaluation, promotion's comparison and the published
forecast, so what is measured is exactly what is shipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ogrine_assets.forecast_document import publishable
from ogrine_assets.model.features import DailySeries, feature_frame
from ogrine_assets.model.spans import HORIZON, WINDOW

if TYPE_CHECKING:
    import pandas as pd

Predictor = Callable[["pd.DataFrame"], np.ndarray]


def forecast_paths(
    predict: Predictor, series: DailySeries, origins: np.ndarray, horizon: int = HORIZON
) -> np.ndarray:
    """Forecast ``horizon`` days after each origin index, using only data up to that origin.

    Returns an array of shape ``(len(origins), horizon)``. All origins step together, so a
    whole evaluation costs ``horizon`` calls to ``predict``.
    """
    origins = np.asarray(origins, dtype=int)
    if origins.size and (origins.min() < WINDOW - 1 or origins.max() >= len(series)):
        raise ValueError(f"origins must lie in [{WINDOW - 1}, {len(series) - 1}]")
    paths = np.empty((origins.size, WINDOW + horizon))
    for row, origin in enumerate(origins):
        paths[row, :WINDOW] = series.values[origin - WINDOW + 1 : origin + 1]
    start = np.datetime64(series.start, "D")
    for step in range(horizon):
        target_dates = start + origins + step + 1
        features = feature_frame(paths[:, step : step + WINDOW], target_dates)
        paths[:, WINDOW + step] = np.asarray(predict(features), dtype=float).reshape(-1)
    return paths[:, WINDOW:]


def naive_paths(series: DailySeries, origins: np.ndarray, horizon: int = HORIZON) -> np.ndarray:
    """The last-value baseline: tomorrow and every day after look like today."""
    return np.repeat(series.values[np.asarray(origins, dtype=int)][:, None], horizon, axis=1)


def actual_paths(series: DailySeries, origins: np.ndarray, horizon: int = HORIZON) -> np.ndarray:
    """What really happened after each origin; NaN on days carried over a gap, which are
    not actuals (repeating the last value would look perfect on them)."""
    steps = np.asarray(origins, dtype=int)[:, None] + np.arange(1, horizon + 1)[None, :]
    return np.where(series.observed[steps], series.values[steps], np.nan)


def window_origins(
    series: DailySeries, first_target: dt.date, horizon: int = HORIZON
) -> np.ndarray:
    """Origins whose whole forecast falls on or after ``first_target`` and inside the data."""
    first_origin = max(series.index_of(first_target) - 1, WINDOW - 1)
    return np.arange(first_origin, len(series) - horizon)


def next_days(
    predict: Predictor, series: DailySeries, horizon: int = HORIZON
) -> list[tuple[dt.date, float]]:
    """The forecast for the ``horizon`` days after the last observed day."""
    path = forecast_paths(predict, series, np.array([len(series) - 1]), horizon)[0]
    return [
        (series.last_date + dt.timedelta(days=step + 1), float(path[step]))
        for step in range(horizon)
    ]


def unusable_rates(predictions: Sequence[tuple[dt.date, float]]) -> list[float]:
    """The predicted rates that cannot be published (``forecast_document.publishable``).

    Promotion tries a candidate's own artifact against this before moving the alias, and
    the forecast refuses to publish anything it lists.
    """
    return [rate for _, rate in predictions if not publishable(rate)]
