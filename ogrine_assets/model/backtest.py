"""Rolling-origin backtest: how the training procedure would have forecast, day after day.

At each origin (every day of the last ``BACKTEST_DAYS`` whose 7 following days are known)
a model is refitted on the data up to that origin only, then forecasts the next 7 days the
way production does (``forecasting.forecast_paths``). A registered model cannot be scored
honestly on days it was trained on, so what is compared, candidate against champion, is the
*procedure* (its feature set, refitted at each origin) on the same origins. Next to them sit
the naive forecast (the last value) and the seasonal-naive forecast (the same weekday a week
before), which any model must beat to be worth serving.

The errors per horizon give the prediction intervals (``intervals.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from ogrine_assets.model.candidates import Procedure
from ogrine_assets.model.features import DailySeries, all_examples
from ogrine_assets.model.forecasting import actual_paths, forecast_paths, naive_paths
from ogrine_assets.model.metrics import mae, mape, mean_daily_change, rmse
from ogrine_assets.model.spans import BACKTEST_DAYS, HORIZON, MIN_TRAINING_DAYS, WINDOW

if TYPE_CHECKING:
    import pandas as pd

NAIVE, SEASONAL_NAIVE = "naive", "seasonal_naive"


def backtest_origins(
    series: DailySeries, days: int = BACKTEST_DAYS, horizon: int = HORIZON
) -> np.ndarray:
    """The last ``days`` origins whose whole forecast is observed, oldest first."""
    last = len(series) - 1 - horizon
    first = max(last - days + 1, WINDOW + MIN_TRAINING_DAYS - 1)
    if last <= first:  # fewer than two origins
        raise ValueError(f"{len(series)} days are too few for a backtest")
    return np.arange(first, last + 1)


def seasonal_naive_paths(
    series: DailySeries, origins: np.ndarray, horizon: int = HORIZON
) -> np.ndarray:
    """The rate on the same weekday one week before each target (known at the origin)."""
    if horizon > 7:
        raise ValueError("the seasonal-naive forecast looks back one week: horizon <= 7")
    steps = np.arange(1, horizon + 1)
    return series.values[np.asarray(origins)[:, None] + steps[None, :] - 7]


Spec = Procedure | Sequence[str]  # a procedure, or a feature set fitted by least squares


def as_procedure(spec: Spec) -> Procedure:
    return spec if isinstance(spec, Procedure) else Procedure("linear", "ols", tuple(spec))


def refit_paths(
    series: DailySeries,
    spec: Spec,
    origins: np.ndarray,
    horizon: int = HORIZON,
    examples: tuple[pd.DataFrame, np.ndarray] | None = None,
) -> np.ndarray:
    """Refit the procedure at each origin, then forecast ``horizon`` days.

    Training rows are computed once for the whole series (a row only uses days before its
    target; ``examples`` passes them in when several procedures share them), and an origin
    trains on the rows whose target is at or before it: no origin ever sees a later day.
    """
    procedure = as_procedure(spec)
    names = list(procedure.features)
    frame, target = examples if examples is not None else all_examples(series)
    design = frame[names].to_numpy()
    observed = series.observed[WINDOW:]
    # An origin trains on the observed targets WINDOW..origin: a prefix of the observed rows.
    ends = np.cumsum(observed)[np.asarray(origins) - WINDOW]
    coefficients, intercepts = procedure.expanding_weights(design[observed], target[observed], ends)

    def predict(features: pd.DataFrame) -> np.ndarray:
        return (features[names].to_numpy() * coefficients).sum(axis=1) + intercepts

    return forecast_paths(predict, series, origins, horizon)


@dataclass(frozen=True)
class Backtest:
    """Forecasts of several methods on the same origins, and what the actuals were."""

    origins: np.ndarray
    actual: np.ndarray  # (origins, horizon)
    scale: np.ndarray  # (origins,)
    first_origin: dt.date
    forecasts: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        return self.actual.shape[1]

    def window(self) -> str:
        """The origins compared, in words a decision's reason can carry."""
        return f"{len(self.origins)} origins x {self.horizon} days from {self.first_origin}"

    def errors(self, method: str) -> np.ndarray:
        """Residuals, actual minus forecast, shape (origins, horizon); NaN on carried days."""
        return self.actual - self.forecasts[method]

    def per_horizon(self, method: str) -> dict[str, np.ndarray]:
        forecast = self.forecasts[method]
        return {
            "mae": mae(self.actual, forecast, axis=0),
            "rmse": rmse(self.actual, forecast, axis=0),
            "mape": mape(self.actual, forecast, axis=0),
            "mase": np.nanmean(np.abs(self.errors(method)) / self.scale[:, None], axis=0),
        }

    def overall(self, method: str) -> dict[str, float]:
        """Each metric averaged over every origin and horizon day."""
        return {name: float(values.mean()) for name, values in self.per_horizon(method).items()}

    def mae_by_horizon(self) -> list[dict[str, float | int]]:
        """MAE per horizon day, one column per method: the table a reviewer reads first."""
        per = {method: self.per_horizon(method)["mae"] for method in self.forecasts}
        return [
            {
                "horizon": step + 1,
                **{f"{method}_mae": float(mae[step]) for method, mae in per.items()},
            }
            for step in range(self.horizon)
        ]

    def table(self) -> list[dict[str, float | int | str]]:
        """One row per method and horizon day (and an 'all' row per method)."""
        rows: list[dict[str, float | int | str]] = []
        for method in self.forecasts:
            per_horizon = self.per_horizon(method)
            for step in range(self.horizon):
                rows.append(
                    {
                        "method": method,
                        "horizon": step + 1,
                        **{k: float(v[step]) for k, v in per_horizon.items()},
                    }
                )
            rows.append({"method": method, "horizon": "all", **self.overall(method)})
        return rows


def run_backtest(
    series: DailySeries,
    specs: Mapping[str, Spec],
    origins: np.ndarray | None = None,
    horizon: int = HORIZON,
) -> Backtest:
    """Backtest each named procedure, plus the naive and seasonal-naive forecasts.

    A procedure named twice (a candidate that is the champion's own method and features,
    the usual weekly retraining) is refitted once: the same procedure on the same origins
    gives the same forecasts.

    BLAS runs single-threaded here: hundreds of tiny least-squares problems gain nothing
    from a second thread, and lose seconds waiting for one when the other core is busy.
    """
    origins = backtest_origins(series, horizon=horizon) if origins is None else origins
    examples = all_examples(series)
    refitted: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
    forecasts = {}
    with threadpool_limits(limits=1, user_api="blas"):
        for name, spec in specs.items():
            procedure = as_procedure(spec)
            fitted = (procedure.fit, procedure.features)  # the name does not change a fit
            if fitted not in refitted:
                refitted[fitted] = refit_paths(series, procedure, origins, horizon, examples)
            forecasts[name] = refitted[fitted]
    forecasts[NAIVE] = naive_paths(series, origins, horizon)
    forecasts[SEASONAL_NAIVE] = seasonal_naive_paths(series, origins, horizon)
    return Backtest(
        origins=origins,
        actual=actual_paths(series, origins, horizon),
        # MASE's denominator per origin: the mean one-day change of the data up to it
        # (carried days count as no change, which only makes the scale a little smaller).
        scale=mean_daily_change(series.values, origins),
        first_origin=series.start + dt.timedelta(days=int(origins[0])),
        forecasts=forecasts,
    )
