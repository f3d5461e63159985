"""Training: the method chosen for the series, fitted three times, and everything a reviewer
needs to judge it.

:func:`train` chooses the method by the backtest (``model/selection.py``: every candidate on
the same rolling origins, chosen on the older ones, scored on the newer ones), fits it on the
train set and scores it on the held-out test window, keeps its backtest (the per-horizon
errors, the promotion score and the interval bands), then fits it on everything: the model
that is registered and forecasts from the newest day. What it returns is plain data; the
``ogrine_model`` asset hands it to the model registry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ogrine_assets.model.backtest import Backtest
from ogrine_assets.model.candidates import Procedure
from ogrine_assets.model.estimators import (
    Estimator,
    describe,
    fit_estimator,
    linear_weights,
    predictor,
)
from ogrine_assets.model.evaluation import WindowScores, score_on_window
from ogrine_assets.model.features import DailySeries, training_examples
from ogrine_assets.model.intervals import IntervalRecord, scaled_interval_record
from ogrine_assets.model.plots import backtest_svg
from ogrine_assets.model.quality import BacktestSummary
from ogrine_assets.model.selection import Selection, select
from ogrine_assets.model.spans import HORIZON, TEST_DAYS, WINDOW
from ogrine_assets.names import BACKTEST_ARTIFACTS, INTERVALS_ARTIFACT, MODEL_METHOD

if TYPE_CHECKING:
    import pandas as pd


def fit_procedure(
    series: DailySeries, procedure: Procedure, train_end: int | None = None
) -> Estimator:
    """``procedure``'s estimator fitted on every target day before index ``train_end`` (all
    days when None)."""
    examples, target = training_examples(series, end=train_end)
    return fit_estimator(procedure, examples, target)


@dataclass(frozen=True)
class TrainedModel:
    """The refitted regressor, and the scores and bands of the procedure that made it."""

    series: DailySeries
    procedure: Procedure
    selection: Selection
    model: Estimator  # scikit-learn's, fitted on all the data
    examples: pd.DataFrame  # the feature rows the model learned from
    test_start: dt.date
    holdout: WindowScores
    backtest: Backtest
    intervals: IntervalRecord
    summary: BacktestSummary

    @property
    def features(self) -> tuple[str, ...]:
        return self.procedure.features

    def sample(self, rows: int = 5) -> pd.DataFrame:
        """Real feature rows: the model's signature and input example come from them."""
        return self.examples[list(self.features)].head(rows)

    def params(self) -> dict[str, str | int]:
        return {
            "method": self.procedure.name,
            "estimator": describe(self.model),
            "features": ",".join(self.features),
            "candidates": len(self.selection.procedures),
            "window_days": WINDOW,
            "horizon_days": HORIZON,
            "test_days": TEST_DAYS,
            "backtest_origins": len(self.backtest.origins),
            "backtest_first_origin": str(self.backtest.first_origin),
            "data_first_date": str(self.series.start),
            "data_last_date": str(self.series.last_date),
            "test_first_date": str(self.test_start),
            "training_examples": len(self.examples),
            "filled_days": self.series.filled_days,
        }

    def backtest_metrics(self) -> dict[str, float]:
        """Every method's overall backtest scores, and the bands' held-out coverage."""
        metrics = {}
        for method in self.backtest.forecasts:
            prefix = _metric_prefix(method)
            overall = self.backtest.overall(method)
            metrics.update({f"{prefix}_{name}": value for name, value in overall.items()})
        for level, value in self.intervals.held_out_coverage.items():
            metrics[f"interval_coverage_{level}"] = value
        metrics["selection_nested_mae"] = self.selection.nested_mae
        metrics["selection_nested_naive_mae"] = self.selection.nested_naive_mae
        return metrics

    def mae_by_horizon(self) -> dict[str, list[float]]:
        """Per method, the MAE at each horizon day: a stepped metric, step = days ahead."""
        return {
            f"{_metric_prefix(method)}_mae_by_horizon": [
                float(mae) for mae in self.backtest.per_horizon(method)["mae"]
            ]
            for method in self.backtest.forecasts
        }

    def coefficients(self) -> dict[str, float]:
        """The model's weights in its features' units, the intercept first (unrounded: the
        table that shows them rounds each to meaningful digits)."""
        coefficients, intercept = linear_weights(self.model)
        weights = (float(c) for c in coefficients)
        return {"intercept": intercept, **dict(zip(self.features, weights, strict=True))}

    def artifacts(self) -> dict[str, bytes]:
        """The backtest's files, by path in the run: tables, bands and a figure."""
        folder = BACKTEST_ARTIFACTS
        return {
            f"{folder}/scores.csv": pl.DataFrame(self.backtest.table()).write_csv().encode(),
            f"{folder}/candidates.csv": pl.DataFrame(self.selection.table()).write_csv().encode(),
            INTERVALS_ARTIFACT: self.intervals.to_json(),
            f"{folder}/forecasts_vs_actuals.svg": backtest_svg(
                self.series, self.backtest, MODEL_METHOD
            ),
        }


def _metric_prefix(method: str) -> str:
    return "backtest" if method == MODEL_METHOD else f"backtest_{method}"


def train(series: DailySeries, test_start: dt.date) -> TrainedModel:
    """Choose the method, score it on the test window from ``test_start``, keep its backtest,
    then fit it on all the data."""
    selection = select(series)
    procedure = selection.winner
    holdout = score_on_window(
        predictor(fit_procedure(series, procedure, series.index_of(test_start))),
        series,
        test_start,
    )
    backtest = selection.chosen()
    examples, _ = training_examples(series)
    return TrainedModel(
        series=series,
        procedure=procedure,
        selection=selection,
        model=fit_procedure(series, procedure),
        examples=examples,
        test_start=test_start,
        holdout=holdout,
        backtest=backtest,
        intervals=scaled_interval_record(backtest, MODEL_METHOD, series.values, series.observed),
        summary=BacktestSummary.of(backtest, MODEL_METHOD),
    )
