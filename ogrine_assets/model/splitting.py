"""Time-based train/test split: the model is judged on days it has never seen."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ogrine_assets.model.spans import TEST_DAYS
from ogrine_assets.rates.cleaning import date_bounds


def split_by_time(
    frame: pl.DataFrame, test_days: int = TEST_DAYS
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows of the newest ``test_days`` calendar days are the test set; older rows train.

    The cut is by calendar date, not row count, so missing days never move it.
    """
    if frame.is_empty():
        raise ValueError("cannot split an empty frame")
    cutoff = test_window_start(date_bounds(frame["date"])[1], test_days)
    train = frame.filter(pl.col("date") < cutoff)
    test = frame.filter(pl.col("date") >= cutoff)
    if train.is_empty():
        raise ValueError(f"all {frame.height} rows fall in the {test_days}-day test window")
    return train, test


def test_window_start(last_date: dt.date, test_days: int = TEST_DAYS) -> dt.date:
    return last_date - dt.timedelta(days=test_days - 1)
