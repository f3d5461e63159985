"""The methods a training chooses from, per series, by the backtest: the pipeline chooses.

Every candidate is a *procedure*: how to get a linear one-step model from the history up to
a day. The linear ones fit feature sets of the recent path (with and without a weekday
pattern and a linear trend, and with a yearly cycle once two years of history exist) by
least squares, or all features with a ridge penalty. The naive family are linear models
too, with their coefficients fixed rather than fitted, so the registered version *is* the
method and forecasts the same way as any other (each procedure's scikit-learn estimator is
``estimators.py``):

- **naive** repeats the last rate (``lag_1`` with weight 1);
- **seasonal naive** repeats the rate of the same weekday a week before (``lag_7``);
- **drift** adds the mean daily change of the history to the last rate, day after day.

:func:`select` backtests every candidate on the same rolling origins and chooses with
nested evaluation: the winner is the best on the *older* half of the origins, and the
score it reports is measured on the *newer* half, where nothing was chosen. Ties go to the
simpler method (the earlier in the list).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from ogrine_assets.model.features import (
    MODEL_FEATURES,
    PATH_FEATURES,
    WEEKDAY_FEATURES,
    YEARLY_FEATURES,
    DailySeries,
)
from ogrine_assets.model.refits import expanding_least_squares, expanding_ridge

# How a procedure gets its weights: typed, so that mypy (strict equality) refuses a
# comparison with a kind that does not exist.
FittedFit = Literal["ols", "ridge"]
NaiveFit = Literal["naive", "seasonal_naive", "drift"]  # weights fixed, drift's intercept learnt
Fit = FittedFit | NaiveFit
FITTED_FITS: tuple[FittedFit, ...] = get_args(FittedFit)
NAIVE_FITS: tuple[NaiveFit, ...] = get_args(NaiveFit)
RIDGE_PENALTY = 1e-3  # per training row, on standardised features: a mild shrinkage
YEARLY_AFTER_DAYS = 730  # a yearly cycle is only learnt from two years or more


@dataclass(frozen=True)
class Procedure:
    """A named way to fit a one-step linear model: its features and how they get weights."""

    name: str
    fit: Fit
    features: tuple[str, ...]

    def fixed_weights(self, design: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
        """(coefficients, intercept) of a naive-family method for training rows ``design``
        (columns in the order of ``features``) and their ``target``: its own weights, only
        drift's intercept learnt (the mean daily change)."""
        if self.fit in ("naive", "seasonal_naive"):
            return np.ones(1), 0.0
        if self.fit == "drift":  # the last rate plus the mean daily change
            return np.ones(1), float(np.mean(target - design[:, 0])) if len(target) else 0.0
        raise ValueError(f"{self.fit!r} is not a naive-family method: its weights are fitted")

    def expanding_weights(
        self, design: np.ndarray, target: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The weights the procedure's estimator learns from each prefix ``design[:end]``,
        ``ends`` ascending: the coefficients (one row per end) and the intercepts. The
        backtest's refits, solved incrementally (``refits.py``)."""
        if self.fit == "ols":
            return expanding_least_squares(design, target, ends)
        if self.fit == "ridge":
            return expanding_ridge(design, target, ends, RIDGE_PENALTY)
        fitted = [self.fixed_weights(design[:end], target[:end]) for end in ends]
        return (
            np.array([coefficients for coefficients, _ in fitted]).reshape(len(fitted), -1),
            np.array([intercept for _, intercept in fitted]),
        )

    @property
    def naive_family(self) -> bool:
        """Its weights are its own (``fixed_weights``), not fitted."""
        return self.fit in NAIVE_FITS

    def describe(self) -> str:
        """The method in plain words, for the document, the page and MLflow."""
        return {
            "naive": "naive: repeats the last observed rate",
            "seasonal_naive": "seasonal naive: repeats the rate of the same weekday a week before",
            "drift": "drift: the last rate plus the mean daily change so far",
        }.get(self.fit, f"{self.name} ({', '.join(self.features)})")


NAIVE = Procedure("naive", "naive", ("lag_1",))
SEASONAL_NAIVE = Procedure("seasonal naive", "seasonal_naive", ("lag_7",))
DRIFT = Procedure("drift", "drift", ("lag_1",))
RECENT = ("lag_1", "mean_7", "change_7")


def candidates(series: DailySeries) -> list[Procedure]:
    """The candidates for ``series``, simplest first (ties go to the simpler)."""
    yearly = len(series) >= YEARLY_AFTER_DAYS
    found = [
        NAIVE,
        SEASONAL_NAIVE,
        DRIFT,
        Procedure("linear: recent path", "ols", RECENT),
        Procedure("linear: recent path, weekday", "ols", (*RECENT, *WEEKDAY_FEATURES)),
        Procedure("linear: recent path, weekday, trend", "ols", MODEL_FEATURES),
    ]
    if yearly:
        found.append(
            Procedure(
                "linear: recent path, weekday, yearly cycle",
                "ols",
                (*RECENT, *WEEKDAY_FEATURES, *YEARLY_FEATURES),
            )
        )
    every = (*PATH_FEATURES, *WEEKDAY_FEATURES, *(YEARLY_FEATURES if yearly else ()))
    found.append(Procedure("ridge: every feature", "ridge", every))
    return found


def procedure_of(method: str | None, features: Sequence[str], fit: str | None = None) -> Procedure:
    """The procedure a registered version was made by, from its ``method`` and ``fit`` tags
    and its signature's features. A version without a fit this code knows (registered
    before the fit was recorded, or by a newer release) says it by its method's name, as
    before; those trained before the choice existed were least squares."""
    naive_family = (NAIVE, SEASONAL_NAIVE, DRIFT)
    for kind in FITTED_FITS:
        if fit == kind:
            return Procedure(method or "linear", kind, tuple(features))
    for known in naive_family:
        if fit == known.fit:
            return known
    # No fit this code knows: by the method's name, as before the fit was recorded.
    for known in naive_family:
        if method == known.name:
            return known
    inferred: FittedFit = "ridge" if method and method.startswith("ridge") else "ols"
    return Procedure(method or "linear", inferred, tuple(features))
