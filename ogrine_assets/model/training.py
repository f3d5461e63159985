"""Fitting the rate regression on the daily series."""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.linear_model import LinearRegression

from ogrine_assets.model.features import MODEL_FEATURES, DailySeries, training_examples
from ogrine_assets.model.forecasting import Predictor


def fit_regression(
    series: DailySeries, train_end: int | None = None, features: Sequence[str] = MODEL_FEATURES
) -> LinearRegression:
    """Fit on every target day before index ``train_end`` (all days when None)."""
    examples, target = training_examples(series, end=train_end)
    return LinearRegression().fit(examples[list(features)], target)


def as_predictor(model: LinearRegression, features: Sequence[str] = MODEL_FEATURES) -> Predictor:
    """A function from a catalogue feature frame to predictions, using ``features``."""
    names = list(features)
    return lambda frame: model.predict(frame[names])
