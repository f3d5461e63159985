import numpy as np
import pytest

from ogrine_assets.model.metrics import mae, mape, rmse, scores


def test_known_values() -> None:
    actual, predicted = np.array([100.0, 200.0]), np.array([110.0, 180.0])
    assert mae(actual, predicted) == 15.0
    assert rmse(actual, predicted) == pytest.approx(np.sqrt((100 + 400) / 2))
    assert mape(actual, predicted) == pytest.approx(10.0)
    assert scores(actual, actual) == {"rmse": 0.0, "mae": 0.0, "mape": 0.0}


def test_nothing_to_score_is_an_error() -> None:
    with pytest.raises(ValueError):
        scores(np.array([]), np.array([]))
