import datetime as dt
from collections.abc import Sequence

import msgspec
import numpy as np
import pytest

from ogrine_assets.model.candidates import candidates
from ogrine_assets.model.features import (
    MODEL_FEATURES,
    PATH_FEATURES,
    DailySeries,
    series_from_frame,
    training_examples,
)
from ogrine_assets.model.linear import (
    LinearModel,
    expanding_least_squares,
    expanding_ridge,
    least_squares,
    ridge,
)
from ogrine_assets.rates.cleaning import clean_rates
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.rates.upstream import parse_rates


def _synthetic_series() -> DailySeries:
    body = msgspec.json.encode(synthetic_payload(dt.date(2026, 11, 26)))
    return series_from_frame(clean_rates(parse_rates(body)).clean)


def _real_features(features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic default's training rows: ``features``' columns, and the targets."""
    examples, target = training_examples(_synthetic_series())
    return examples[list(features)].to_numpy(), target


def test_least_squares_is_scikit_learns_linear_regression_on_the_real_features() -> None:
    from sklearn.linear_model import LinearRegression  # ~1 s: only the worker running this

    design, target = _real_features(MODEL_FEATURES)
    coefficients, intercept = least_squares(design, target)
    reference = LinearRegression().fit(design, target)
    np.testing.assert_allclose(coefficients, reference.coef_, rtol=1e-9)
    np.testing.assert_allclose(
        design @ coefficients + intercept, reference.predict(design), rtol=1e-12, atol=1e-8
    )


def test_a_model_is_plain_json_and_reads_back_exactly() -> None:
    model = LinearModel(features=("lag_1", "mean_7"), coefficients=(0.5, 0.25), intercept=3.0)
    text = model.to_json().decode()
    assert '"features": [' in text and '"coefficients": [' in text and '"intercept": 3.0' in text
    assert LinearModel.from_json(model.to_json()) == model


def _prefix_fits(design: np.ndarray, target: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Each prefix solved anew by ``least_squares``: predictions at the prefix's last row."""
    fits = [least_squares(design[:end], target[:end]) for end in ends]
    return np.array([design[end - 1] @ c + i for (c, i), end in zip(fits, ends, strict=True)])


@pytest.mark.parametrize("case", ["the real features", "a column of zeros", "collinear"])
def test_the_growing_factorisation_fits_every_prefix_as_a_fit_of_its_own(case: str) -> None:
    design, target = _real_features(MODEL_FEATURES)
    if case == "a column of zeros":  # a weekday never observed (markets shut on Sundays)
        design[:, -1] = 0.0
    if case == "collinear":  # change_1 is lag_1 - lag_2: no unique least-squares solution
        design = np.column_stack([design, design[:, 0] - 2 * design[:, 1]])
    ends = np.array([3, 40, 40, 41, 300, *range(len(target) - 60, len(target) + 1, 3)])
    coefficients, intercepts = expanding_least_squares(design, target, ends)
    ours = np.einsum("ij,ij->i", design[ends - 1], coefficients) + intercepts
    # Within 1e-9 kamas of solving each prefix anew, on rates of ~900 kamas.
    np.testing.assert_allclose(ours, _prefix_fits(design, target, ends), rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="ascending"):
        expanding_least_squares(design, target, ends[::-1])


@pytest.mark.parametrize("case", ["the real features", "a column of zeros", "a distant first year"])
def test_running_sums_fit_every_prefix_as_ridge_does_anew(case: str) -> None:
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
    coefficients, intercepts = expanding_ridge(design, target, ends)
    for (expected, expected_intercept), got, got_intercept, end in zip(
        (ridge(design[:end], target[:end]) for end in ends),
        coefficients,
        intercepts,
        ends,
        strict=True,
    ):
        # The same weights, and the same forecasts on the week the backtest forecasts from
        # that prefix: to 1e-12 of the rate (~1e-9 kamas on rates of ~900, up to ~9000).
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8, err_msg=f"end {end}")
        week = design[end - 1 : end + 6]
        np.testing.assert_allclose(
            week @ got + got_intercept, week @ expected + expected_intercept, rtol=1e-12, atol=0
        )
    with pytest.raises(ValueError, match="ascending"):
        expanding_ridge(design, target, ends[::-1])
    for outside in ([0, 5], [5, len(target) + 1]):
        with pytest.raises(ValueError, match="a row at least"):
            expanding_ridge(design, target, np.array(outside))
