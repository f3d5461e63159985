"""The backtest's fast refits stand for the scikit-learn estimators: on every prefix they are
asked for, their weights and forecasts are the estimator's, fitted on that prefix anew.

Held on every series the tests have (the synthetic default and the three real series of
``real_series.py``), for every candidate of each, and on the cases that break a naive
incremental solution (a feature never observed, collinear features, rates that grow tenfold).
"""

import datetime as dt
from collections.abc import Sequence

import msgspec
import numpy as np
import pandas as pd
import pytest

from ogrine_assets.model.backtest import backtest_origins
from ogrine_assets.model.candidates import Procedure, candidates
from ogrine_assets.model.estimators import fit_estimator, linear_weights
from ogrine_assets.model.features import (
    MODEL_FEATURES,
    PATH_FEATURES,
    WINDOW,
    DailySeries,
    series_from_frame,
    training_examples,
)
from ogrine_assets.model.refits import expanding_least_squares, expanding_ridge, least_squares
from ogrine_assets.rates.cleaning import clean_rates
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.rates.upstream import parse_rates
from ogrine_assets_tests.real_series import SERIES, series

OLS = "ols"


def _synthetic_series() -> DailySeries:
    body = msgspec.json.encode(synthetic_payload(dt.date(2026, 11, 26)))
    return series_from_frame(clean_rates(parse_rates(body)).clean)


def _estimator_weights(
    fit: str, design: np.ndarray, target: np.ndarray, end: int
) -> tuple[np.ndarray, float]:
    """The weights the candidate's scikit-learn estimator learns from ``design[:end]``."""
    names = tuple(f"x{column}" for column in range(design.shape[1]))
    frame = pd.DataFrame(design[:end], columns=list(names))
    return linear_weights(fit_estimator(Procedure(fit, fit, names), frame, target[:end]))


def _assert_same_model(
    ours: tuple[np.ndarray, float], theirs: tuple[np.ndarray, float], week: np.ndarray, end: int
) -> None:
    """The same forecasts on the week after the prefix, to 1e-12 of the rate (~1e-9 kamas on
    rates of ~900, up to ~9000), and the same weights where they are unique."""
    (coefficients, intercept), (expected, expected_intercept) = ours, theirs
    np.testing.assert_allclose(
        week @ coefficients + intercept,
        week @ expected + expected_intercept,
        rtol=1e-12,
        atol=1e-9,
        err_msg=f"end {end}",
    )


def test_least_squares_is_scikit_learns_linear_regression() -> None:
    rng = np.random.default_rng(0)
    design = rng.normal(size=(300, 5)) * 100
    target = design @ rng.normal(size=5) + 7 + rng.normal(size=300)
    coefficients, intercept = least_squares(design, target)
    expected, expected_intercept = _estimator_weights(OLS, design, target, len(target))
    np.testing.assert_allclose(coefficients, expected, rtol=1e-8)
    assert intercept == pytest.approx(expected_intercept)


def _real_features(features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic default's training rows: ``features``' columns, and the targets."""
    examples, target = training_examples(_synthetic_series())
    return examples[list(features)].to_numpy(), target


@pytest.mark.parametrize("case", ["the real features", "a column of zeros", "collinear"])
def test_the_growing_factorisation_fits_every_prefix_as_the_estimator_does(case: str) -> None:
    design, target = _real_features(MODEL_FEATURES)
    if case == "a column of zeros":  # a weekday never observed (markets shut on Sundays)
        design[:, -1] = 0.0
    if case == "collinear":  # change_1 is lag_1 - lag_2: no unique least-squares solution
        design = np.column_stack([design, design[:, 0] - 2 * design[:, 1]])
    ends = np.array([3, 40, 40, 41, 300, *range(len(target) - 60, len(target) + 1, 3)])
    coefficients, intercepts = expanding_least_squares(design, target, ends)
    for got, got_intercept, end in zip(coefficients, intercepts, ends, strict=True):
        expected = _estimator_weights(OLS, design, target, end)
        _assert_same_model((got, got_intercept), expected, design[end - 1 : end + 6], end)
    with pytest.raises(ValueError, match="ascending"):
        expanding_least_squares(design, target, ends[::-1])


@pytest.mark.parametrize("case", ["the real features", "a column of zeros", "a distant first year"])
def test_running_sums_fit_every_prefix_as_the_ridge_estimator_does(case: str) -> None:
    ridge_candidate = candidates(_synthetic_series())[-1]  # every feature, the yearly too
    assert ridge_candidate.fit == "ridge"
    design, target = _real_features(ridge_candidate.features)
    if case == "a column of zeros":  # a weekday never observed (markets shut on Sundays)
        design[:, -1] = 0.0
    if case == "a distant first year":  # rates that end ten times as high as they began
        growth = np.linspace(0.0, 9.0, len(target))
        design[:, : len(PATH_FEATURES)] *= 1 + growth[:, None]
        target = target * (1 + growth)
    # From a single row, where no feature has a spread yet, to the backtest's 182 origins.
    ends = np.array([1, 2, 3, 14, 40, 40, 41, 300, *range(len(target) - 182, len(target) + 1)])
    coefficients, intercepts = ridge_candidate.expanding_weights(design, target, ends)
    for got, got_intercept, end in zip(coefficients, intercepts, ends, strict=True):
        expected = _estimator_weights("ridge", design, target, end)
        np.testing.assert_allclose(got, expected[0], rtol=0, atol=1e-8, err_msg=f"end {end}")
        _assert_same_model((got, got_intercept), expected, design[end - 1 : end + 6], end)
    with pytest.raises(ValueError, match="ascending"):
        expanding_ridge(design, target, ends[::-1], 1e-3)
    for outside in ([0, 5], [5, len(target) + 1]):
        with pytest.raises(ValueError, match="a row at least"):
            expanding_ridge(design, target, np.array(outside), 1e-3)


EVERY_SERIES = {
    "synthetic": _synthetic_series,
    **{name: lambda n=name: series(n) for name in SERIES},
}


@pytest.mark.parametrize("name", list(EVERY_SERIES))
def test_on_every_series_every_candidates_refits_are_its_estimators_fits(name: str) -> None:
    """At the backtest's first, middle and last origins and a few between, each candidate's
    refit is the model its estimator learns from the same observed rows."""
    daily = EVERY_SERIES[name]()
    examples, target = training_examples(daily)
    origins = backtest_origins(daily)
    observed = daily.observed[WINDOW:]
    # An origin trains on the observed targets WINDOW..origin (backtest.refit_paths).
    all_ends = np.cumsum(observed)[origins - WINDOW]
    ends = all_ends[np.unique(np.linspace(0, len(all_ends) - 1, 7).round().astype(int))]
    for procedure in candidates(daily):
        design = examples[list(procedure.features)].to_numpy()
        coefficients, intercepts = procedure.expanding_weights(design, target, ends)
        for got, got_intercept, end in zip(coefficients, intercepts, ends, strict=True):
            fitted = fit_estimator(procedure, examples.iloc[:end], target[:end])
            week = design[end - 1 : end + 6]
            _assert_same_model((got, got_intercept), linear_weights(fitted), week, end)
