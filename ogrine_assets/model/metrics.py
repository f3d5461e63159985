"""Forecast error metrics, in kamas (RMSE, MAE) and percent (MAPE)."""

from __future__ import annotations

import numpy as np


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(predicted)) ** 2)))


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(predicted))))


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    actual = np.asarray(actual, dtype=float)
    return float(np.mean(np.abs((actual - np.asarray(predicted)) / actual)) * 100)


def scores(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    if np.size(actual) == 0:
        raise ValueError("no forecasts to score")
    return {
        "rmse": rmse(actual, predicted),
        "mae": mae(actual, predicted),
        "mape": mape(actual, predicted),
    }
