"""Training: the test window is scored by a model that never saw it."""

import datetime as dt

import pytest

from ogrine_assets.model.estimators import predictor
from ogrine_assets.model.evaluation import score_on_window
from ogrine_assets.model.features import DailySeries
from ogrine_assets.model.training import fit_procedure, train
from ogrine_assets_tests.model.test_backtest import trend_and_rhythm


def test_the_test_window_is_scored_by_a_model_fitted_before_it() -> None:
    """The holdout scores are those of the winner fitted on the days before the window (an
    independent fit on the series cut there), not of the final model, which saw the window."""
    series = trend_and_rhythm(500, 1.0)
    test_start = series.start + dt.timedelta(days=len(series.values) - 30)
    trained = train(series, test_start)
    assert trained.procedure.fit != "naive"  # a fitted method: what it saw matters
    cut = DailySeries(start=series.start, values=series.values[: series.index_of(test_start)])
    before = score_on_window(predictor(fit_procedure(cut, trained.procedure)), series, test_start)
    after = score_on_window(predictor(trained.model), series, test_start)
    assert trained.holdout.model == pytest.approx(before.model, rel=1e-9)
    assert trained.holdout.model != pytest.approx(after.model, rel=1e-9)  # the window matters
