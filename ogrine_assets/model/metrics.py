"""Forecast error metrics, in kamas (RMSE, MAE) and percent (MAPE).

An actual of NaN is a day nobody observed (see ``forecasting.actual_paths``): it is left
out of every metric. With ``axis`` the metrics are per column, e.g. per horizon day.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _errors(actual: Any, predicted: Any) -> np.ndarray:
    return np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float)


def mean_daily_change(
    values: np.ndarray,
    origins: np.ndarray,
    days: int | None = None,
    observed: np.ndarray | None = None,
) -> np.ndarray:
    """Per origin index, the mean absolute one-day change of ``values`` over the ``days``
    days up to it (every day before it when None); 1 where nothing moved, so that nothing
    divides by zero. Without ``observed``, carried days count as no change; with it, only
    changes between two observed days count, and a window with none takes the mean of all
    the observed changes before it."""
    seen = np.ones(len(values), dtype=bool) if observed is None else np.asarray(observed, bool)
    both = np.concatenate([[False], seen[1:] & seen[:-1]])
    changes = np.where(both, np.abs(np.diff(values, prepend=values[0])), 0.0)
    total, count = np.cumsum(changes), np.cumsum(both)
    origins = np.asarray(origins, dtype=int)
    first = np.zeros_like(origins) if days is None else np.maximum(origins - days, 0)
    window = (total[origins] - total[first]) / np.maximum(count[origins] - count[first], 1)
    ever = total[origins] / np.maximum(count[origins], 1)
    scale = np.where(count[origins] > count[first], window, ever)
    return np.where(scale > 0, scale, 1.0)


def rmse(actual: Any, predicted: Any, axis: int | None = None) -> Any:
    return np.sqrt(np.nanmean(_errors(actual, predicted) ** 2, axis=axis))


def mae(actual: Any, predicted: Any, axis: int | None = None) -> Any:
    return np.nanmean(np.abs(_errors(actual, predicted)), axis=axis)


def mape(actual: Any, predicted: Any, axis: int | None = None) -> Any:
    relative = _errors(actual, predicted) / np.asarray(actual, dtype=float)
    return np.nanmean(np.abs(relative), axis=axis) * 100


def scores(actual: Any, predicted: Any) -> dict[str, float]:
    """RMSE, MAE and MAPE over every observed actual."""
    if np.isnan(np.asarray(actual, dtype=float)).all():
        raise ValueError("no forecasts to score")
    return {
        "rmse": float(rmse(actual, predicted)),
        "mae": float(mae(actual, predicted)),
        "mape": float(mape(actual, predicted)),
    }
