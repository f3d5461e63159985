"""Features for the rate regression, computed the same way in training and forecasting.

The old project regressed the rate on year, month and day: a calendar cannot know where
the price *is*, so it loses to repeating yesterday's rate. ``feature_frame`` computes a
catalogue of features of the recent path and the target's weekday:

- ``lag_1``, ``lag_2``, ``lag_7``: the rate one, two and seven days before the target day;
- ``mean_7``, ``mean_28``: the mean rate over the last week and the last four weeks;
- ``change_1``, ``change_7``: the last day's and the last week's change;
- ``trend``: the target's date, in years since 2000 (a linear drift);
- ``dow_tue`` … ``dow_sun``: the target's weekday (Monday is the baseline);
- ``year_sin_1`` … ``year_cos_2``: two Fourier pairs of the day of the year (a yearly cycle;
  only candidates of series with two years or more use them, ``model/candidates.py``).

A model uses a subset, named by its MLflow signature; which subset (or which naive method)
is chosen per series, at every training, by the rolling-origin backtest
(``model/candidates.py``). Every feature of a target day needs only the ``WINDOW`` days
before it, so a 7-day forecast is built step by step, each prediction becoming history for
the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ogrine_assets.model.spans import WINDOW

if TYPE_CHECKING:
    import pandas as pd

DAYS_TO_2000 = 10_957  # from 1970-01-01
WEEKDAY_FEATURES = ("dow_tue", "dow_wed", "dow_thu", "dow_fri", "dow_sat", "dow_sun")
PATH_FEATURES = ("lag_1", "lag_2", "lag_7", "mean_7", "mean_28", "change_1", "change_7", "trend")
YEARLY_FEATURES = ("year_sin_1", "year_cos_1", "year_sin_2", "year_cos_2")
CATALOGUE: tuple[str, ...] = (*PATH_FEATURES, *WEEKDAY_FEATURES, *YEARLY_FEATURES)
DAYS_PER_YEAR = 365.25
# Greedy forward selection by backtest MAE on the embedded data (benchmarks/features.py):
# naive 19.91, + mean_7 19.44, + weekday 18.00, + lag_1 15.99, + trend 15.66, + change_7 15.41.
MODEL_FEATURES: tuple[str, ...] = ("lag_1", "mean_7", "change_7", "trend", *WEEKDAY_FEATURES)


_EVERY_DAY = np.ones(0, dtype=bool)  # the default of ``observed``: no day was carried


@dataclass(frozen=True)
class DailySeries:
    """A rate per calendar day with no holes: ``values[i]`` is the rate on ``start + i`` days.

    ``observed`` marks the days that were really observed; the others carry the last rate
    over a gap. Carried days feed the features but are never a training target nor an actual
    a forecast is scored against (repeating the last value would look perfect on them).
    """

    start: dt.date
    values: np.ndarray
    observed: np.ndarray = field(default_factory=lambda: _EVERY_DAY)

    def __post_init__(self) -> None:
        if self.observed is _EVERY_DAY:
            object.__setattr__(self, "observed", np.ones(len(self.values), dtype=bool))

    def __len__(self) -> int:
        return len(self.values)

    @property
    def filled_days(self) -> int:
        return int((~self.observed).sum())

    @property
    def dates(self) -> np.ndarray:
        return np.datetime64(self.start, "D") + np.arange(len(self.values))

    @property
    def last_date(self) -> dt.date:
        return self.start + dt.timedelta(days=len(self.values) - 1)

    def index_of(self, day: dt.date) -> int:
        return (day - self.start).days


def unknown_features(names: Sequence[str]) -> list[str]:
    """The names this code no longer computes: a version that needs them cannot be refitted."""
    return sorted(set(names) - set(CATALOGUE))


def daily_series(dates: Sequence[dt.date], rates: Sequence[float]) -> DailySeries:
    """Lay ascending, unique daily observations on a calendar, carrying the last rate over gaps.

    A missing day means nobody observed the market, not that the price vanished; carrying
    the last value forward is the assumption a trader would make.
    """
    if len(dates) == 0:
        raise ValueError("cannot build a daily series from no observations")
    start = dates[0]
    offsets = np.array([(day - start).days for day in dates])
    if np.any(np.diff(offsets) <= 0):
        raise ValueError("dates must be unique and ascending")
    positions = np.full(offsets[-1] + 1, -1)
    positions[offsets] = np.arange(len(offsets))
    carried = np.maximum.accumulate(positions)
    values = np.asarray(rates, dtype=float)[carried]
    return DailySeries(start=start, values=values, observed=positions >= 0)


def series_from_frame(frame: pl.DataFrame) -> DailySeries:
    """The daily series of a validated-rates frame (columns ``date`` and ``rate``)."""
    return daily_series(frame["date"].to_list(), frame["rate"].to_list())


def feature_frame(windows: np.ndarray, target_dates: np.ndarray) -> pd.DataFrame:
    """Features for each target day from the ``WINDOW`` rates just before it (one row each)."""
    windows = np.atleast_2d(np.asarray(windows, dtype=float))
    if windows.shape[1] != WINDOW:
        raise ValueError(f"each window needs the {WINDOW} days before its target")
    days = np.asarray(target_dates, dtype="datetime64[D]").astype(np.int64)  # since 1970-01-01
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    columns = {
        "lag_1": windows[:, -1],
        "lag_2": windows[:, -2],
        "lag_7": windows[:, -7],
        "mean_7": windows[:, -7:].mean(axis=1),
        "mean_28": windows.mean(axis=1),
        "change_1": windows[:, -1] - windows[:, -2],
        "change_7": windows[:, -1] - windows[:, -8],
        "trend": (days - DAYS_TO_2000) / 365.25,
    }
    for number, name in enumerate(WEEKDAY_FEATURES, start=1):
        columns[name] = (weekday == number).astype(float)
    for harmonic in (1, 2):
        angle = 2 * np.pi * harmonic * days / DAYS_PER_YEAR
        columns[f"year_sin_{harmonic}"] = np.sin(angle)
        columns[f"year_cos_{harmonic}"] = np.cos(angle)
    import pandas as pd  # imported by the steps that model, not when the code is loaded

    # One 2-D block: a frame built from a dict of columns costs ~8x more, and the backtest
    # builds one per forecast day of every candidate.
    return pd.DataFrame(np.column_stack([columns[name] for name in CATALOGUE]), columns=CATALOGUE)


def all_examples(series: DailySeries, end: int | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """(features, rate) for every target index in ``[WINDOW, end)``, carried days included."""
    end = len(series) if end is None else end
    targets = np.arange(WINDOW, end)
    if targets.size == 0:
        raise ValueError(f"need more than {WINDOW} days of history to train, got {end}")
    windows = np.lib.stride_tricks.sliding_window_view(series.values[: end - 1], WINDOW)
    return feature_frame(windows, series.dates[targets]), series.values[targets]


def training_examples(
    series: DailySeries, end: int | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The examples to learn from: targets in ``[WINDOW, end)`` that were really observed."""
    features, target = all_examples(series, end)
    keep = series.observed[WINDOW : WINDOW + len(target)]
    return features[keep].reset_index(drop=True), target[keep]
