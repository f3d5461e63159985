"""Scoring a forecaster on a test window, next to the naive last-value baseline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ogrine_assets.model.features import DailySeries
from ogrine_assets.model.forecasting import (
    HORIZON,
    Predictor,
    actual_paths,
    forecast_paths,
    naive_paths,
    window_origins,
)
from ogrine_assets.model.metrics import scores


@dataclass(frozen=True)
class WindowScores:
    """Errors of every ``horizon``-day forecast whose targets all lie in the test window."""

    model: dict[str, float]
    naive: dict[str, float]
    origins: int

    def as_metrics(self, prefix: str = "test") -> dict[str, float]:
        flat = {f"{prefix}_{name}": value for name, value in self.model.items()}
        flat.update({f"{prefix}_naive_{name}": value for name, value in self.naive.items()})
        return flat


def score_on_window(
    predict: Predictor, series: DailySeries, first_target: dt.date, horizon: int = HORIZON
) -> WindowScores:
    origins = window_origins(series, first_target, horizon)
    if origins.size == 0:
        raise ValueError(f"the test window from {first_target} is shorter than {horizon} days")
    actual = actual_paths(series, origins, horizon)
    return WindowScores(
        model=scores(actual, forecast_paths(predict, series, origins, horizon)),
        naive=scores(actual, naive_paths(series, origins, horizon)),
        origins=int(origins.size),
    )
