"""Choosing the method for a series: every candidate backtested, chosen on older origins,
scored on newer ones (nested evaluation), so the score reported is not the one chosen by;
any other method is chosen over repeating the last rate only when its gain is clearly more
than noise.

The procedures are ``model/candidates.py``; the backtest is ``model/backtest.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np

from ogrine_assets.model.backtest import NAIVE, SEASONAL_NAIVE, Backtest, run_backtest
from ogrine_assets.model.candidates import NAIVE as NAIVE_PROCEDURE
from ogrine_assets.model.candidates import Procedure, candidates
from ogrine_assets.model.features import DailySeries
from ogrine_assets.model.metrics import mae
from ogrine_assets.names import MODEL_METHOD


@dataclass(frozen=True)
class Selection:
    """Every candidate's backtest, which one won, and its score where it was not chosen."""

    procedures: tuple[Procedure, ...]
    backtest: Backtest  # forecasts by candidate name, plus the naive baselines
    selected_on: int  # origins the choice was made on (the older half)
    winner: Procedure

    def mae_on(self, method: str, newer: bool) -> float:
        """``method``'s MAE on the newer origins (``newer``) or on the older ones."""
        half = slice(self.selected_on, None) if newer else slice(None, self.selected_on)
        actual = self.backtest.actual[half]
        return float(np.nanmean(mae(actual, self.backtest.forecasts[method][half], axis=0)))

    @property
    def nested_mae(self) -> float:
        """The winner's MAE on the origins it was not chosen on."""
        return self.mae_on(self.winner.name, newer=True)

    @property
    def nested_naive_mae(self) -> float:
        return self.mae_on(NAIVE, newer=True)

    def chosen(self) -> Backtest:
        """The winner's backtest (as ``MODEL_METHOD``) beside the baselines, on the same
        origins: what training keeps, scores and draws its bands from."""
        whole = self.backtest
        return replace(
            whole,
            forecasts={
                MODEL_METHOD: whole.forecasts[self.winner.name],
                NAIVE: whole.forecasts[NAIVE],
                SEASONAL_NAIVE: whole.forecasts[SEASONAL_NAIVE],
            },
        )

    def table(self) -> list[dict[str, str | float | bool]]:
        """One row per candidate: its MAE where the choice was made, and where it was not."""
        return [
            {
                "method": procedure.name,
                "features": ", ".join(procedure.features),
                "selection_mae": round(self.mae_on(procedure.name, newer=False), 4),
                "held_out_mae": round(self.mae_on(procedure.name, newer=True), 4),
                "chosen": procedure == self.winner,
            }
            for procedure in self.procedures
        ]


# The false-positive rate allowed when choosing another method over the naive forecast:
# any other method must earn its place, or repeating the last rate wins. The best of k
# alternatives is tested against a Bonferroni margin (5 % shared among the k), since the
# best of several looks better than it is: 2.69 standard errors for the usual 7.
FALSE_CHOICE_RATE = 0.05


def margin(alternatives: int) -> float:
    """Standard errors the best alternative's gain must exceed (two-sided Bonferroni)."""
    return NormalDist().inv_cdf(1 - FALSE_CHOICE_RATE / (2 * max(alternatives, 1)))


def select(series: DailySeries, origins: np.ndarray | None = None) -> Selection:
    """Backtest every candidate for ``series`` on the same origins and choose on the older
    half: the lowest MAE, provided its gain over the naive forecast (repeat the last rate)
    is more than ``margin`` standard errors; otherwise the naive forecast.
    The error is that of weekly means of the per-origin gain: neighbouring origins share six
    of their seven target days, so single origins are far from independent. Ties go to the
    simpler, earlier candidate."""
    procedures = tuple(candidates(series))
    backtest = run_backtest(series, {p.name: p for p in procedures}, origins)
    half = len(backtest.origins) // 2
    per_origin = {p.name: per_origin_mae(backtest, p.name)[:half] for p in procedures}
    scores = np.round([float(np.nanmean(per_origin[p.name])) for p in procedures], 9)
    best = procedures[int(np.argmin(scores))]
    if best != NAIVE_PROCEDURE and not clearly_better(
        per_origin[NAIVE_PROCEDURE.name] - per_origin[best.name],
        backtest.horizon,
        margin(len(procedures) - 1),
    ):
        best = NAIVE_PROCEDURE
    return Selection(procedures=procedures, backtest=backtest, selected_on=half, winner=best)


def per_origin_mae(backtest: Backtest, method: str) -> np.ndarray:
    """``method``'s mean absolute error over the horizon, one value per origin."""
    return np.nanmean(np.abs(backtest.errors(method)), axis=1)


def clearly_better(gain: np.ndarray, week: int, standard_errors: float) -> bool:
    """Whether the mean of ``gain`` (per origin, positive: better than naive) exceeds
    ``standard_errors`` standard errors, computed from non-overlapping blocks."""
    gain = gain[~np.isnan(gain)]
    blocks = np.array([gain[i : i + week].mean() for i in range(0, len(gain) - week + 1, week)])
    if len(blocks) < 2:
        return False
    error = blocks.std(ddof=1) / np.sqrt(len(blocks))
    return bool(blocks.mean() > standard_errors * error)
