import datetime as dt

import msgspec
import numpy as np
from sklearn.linear_model import LinearRegression

from ogrine_assets.model.features import MODEL_FEATURES, series_from_frame, training_examples
from ogrine_assets.model.linear import LinearModel, fit_linear
from ogrine_assets.rates.cleaning import clean_rates
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.rates.upstream import parse_rates


def test_the_fit_is_scikit_learns_linear_regression_on_the_real_features() -> None:
    body = msgspec.json.encode(synthetic_payload(dt.date(2026, 11, 26)))
    series = series_from_frame(clean_rates(parse_rates(body)).clean)
    examples, target = training_examples(series)
    ours = fit_linear(examples, target, MODEL_FEATURES)
    reference = LinearRegression().fit(examples[list(MODEL_FEATURES)], target)
    np.testing.assert_allclose(ours.coefficients, reference.coef_, rtol=1e-9)
    np.testing.assert_allclose(
        ours.predict(examples),
        reference.predict(examples[list(MODEL_FEATURES)]),
        rtol=1e-12,
        atol=1e-8,
    )


def test_a_model_is_plain_json_and_reads_back_exactly() -> None:
    model = LinearModel(features=("lag_1", "mean_7"), coefficients=(0.5, 0.25), intercept=3.0)
    text = model.to_json().decode()
    assert '"features": [' in text and '"coefficients": [' in text and '"intercept": 3.0' in text
    assert LinearModel.from_json(model.to_json()) == model
