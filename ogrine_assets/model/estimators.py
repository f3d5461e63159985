"""The forecasters as scikit-learn estimators: what is fitted, registered, promoted and served.

Every candidate (``candidates.py``) becomes one kind of object, a fitted scikit-learn
regressor from the feature frame of a target day to that day's rate:

- **least squares**: ``LinearRegression`` on the candidate's features;
- **ridge**: a ``Pipeline`` of ``StandardScaler`` and ``Ridge``, the penalty
  ``RIDGE_PENALTY`` per training row (so it weighs the same on any history);
- **the naive family**: a ``LinearRegression`` whose weights are the method's own, set
  rather than fitted (naive: 1 x ``lag_1``; seasonal naive: 1 x ``lag_7``; drift: 1 x
  ``lag_1`` plus the mean daily change of the history). scikit-learn has no estimator for
  "this column plus a constant", and these are the documented attributes of a fitted
  ``LinearRegression``, so a naive version loads, predicts and reads like any other.

Each is fitted on a pandas frame, so it knows its columns by name (``feature_names_in_``),
and MLflow's scikit-learn flavour logs it with ``skops``: safe to load, no pickle.
scikit-learn (and SciPy under it) is imported with this module, which the processes that
train or forecast import (every run, on entering the home): loading the code location
does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ogrine_assets.model.candidates import RIDGE_PENALTY, Procedure

if TYPE_CHECKING:
    import pandas as pd

    from ogrine_assets.model.forecasting import Predictor

Estimator = Any  # a fitted scikit-learn regressor (scikit-learn ships no type information)


def fit_estimator(procedure: Procedure, examples: pd.DataFrame, target: np.ndarray) -> Estimator:
    """``procedure``'s estimator fitted on the training rows ``examples`` (a feature frame;
    only the procedure's columns are used) and their ``target``."""
    frame = examples[list(procedure.features)]
    if procedure.naive_family:
        coefficients, intercept = procedure.fixed_weights(frame.to_numpy(dtype=float), target)
        return fixed_linear(procedure.features, coefficients, intercept)
    if procedure.fit == "ridge":
        ridge = Ridge(alpha=RIDGE_PENALTY * len(target))
        return Pipeline([("scale", StandardScaler()), ("ridge", ridge)]).fit(frame, target)
    return LinearRegression().fit(frame, target)


def fixed_linear(
    features: Sequence[str], coefficients: np.ndarray, intercept: float
) -> LinearRegression:
    """A ``LinearRegression`` with the given weights on the named ``features``: fitted in
    every way scikit-learn checks (its fitted attributes are set), without a fit."""
    model = LinearRegression()
    model.coef_ = np.asarray(coefficients, dtype=float)
    model.intercept_ = float(intercept)
    model.n_features_in_ = len(features)
    model.feature_names_in_ = np.asarray(features, dtype=object)
    return model


def linear_weights(estimator: Estimator) -> tuple[np.ndarray, float]:
    """(coefficients, intercept) of a fitted estimator of ``fit_estimator``'s, in the units
    of its features: what the model does, whatever steps it takes to do it."""
    if isinstance(estimator, Pipeline):
        scaler, ridge = estimator.named_steps["scale"], estimator.named_steps["ridge"]
        coefficients = ridge.coef_ / scaler.scale_
        return coefficients, float(ridge.intercept_ - scaler.mean_ @ coefficients)
    return np.asarray(estimator.coef_, dtype=float), float(estimator.intercept_)


def feature_names(estimator: Estimator) -> tuple[str, ...]:
    return tuple(str(name) for name in estimator.feature_names_in_)


def predictor(estimator: Estimator) -> Predictor:
    """The estimator as a forecaster's one-step predictor: any feature frame in (it may hold
    more columns), the estimator's own columns passed on."""
    columns = list(feature_names(estimator))

    def predict(features: pd.DataFrame) -> np.ndarray:
        return np.asarray(estimator.predict(features[columns]), dtype=float)

    return predict


def import_the_model_format() -> None:
    """Import skops, the format MLflow saves these estimators in, before Dagster and MLflow.

    Its first import looks every NumPy and SciPy ufunc up in every module loaded so far, so
    it costs several times as much once Dagster's and MLflow's thousands of modules are in
    (docs/libraries.md). A process that will train or forecast calls this first, as
    ``ogrine materialize`` and ``ogrine refresh`` do.
    """
    import skops.io  # noqa: F401  (imported for its one-time set-up, here, early)


def describe(estimator: Estimator) -> str:
    """The estimator as scikit-learn prints it, on one line."""
    return " ".join(str(estimator).split())
