"""Fitting the rate regression on a training range of the daily series."""

from __future__ import annotations

from sklearn.linear_model import LinearRegression

from ogrine_assets.model.features import DailySeries, training_examples


def fit_regression(series: DailySeries, train_end: int) -> LinearRegression:
    """Fit on every target day before index ``train_end`` (the first test day)."""
    features, target = training_examples(series, end=train_end)
    return LinearRegression().fit(features, target)
