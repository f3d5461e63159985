"""Choosing the method for a series: every candidate backtested, chosen on older origins,
scored on newer ones (nested evaluation), so the score reported is not the one chosen by;
any other method is chosen over repeating the last rate only when its gain is clearly more
than noise.

The procedures are ``model/candidates.py``; the backtest is ``model/backtest.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np
from scipy import stats  # loaded with scikit-learn already, where training runs

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
# best of several looks better than it is.
FALSE_CHOICE_RATE = 0.05


def margin(alternatives: int, blocks: int | None = None) -> float:
    """Standard errors the best alternative's gain must exceed (two-sided Bonferroni).

    With ``blocks``, the standard error is estimated from that many block means, and the
    ratio of a mean to it follows Student's t with ``blocks - 1`` degrees of freedom, not
    the normal: wider with as few blocks as a half of the backtest holds. Taking the
    normal's there would let a no-better method through more often than
    ``FALSE_CHOICE_RATE`` says (docs/model.md gives the figures).
    """
    tail = FALSE_CHOICE_RATE / (2 * max(alternatives, 1))
    if blocks is None:
        return NormalDist().inv_cdf(1 - tail)
    return float(stats.t.ppf(1 - tail, blocks - 1))


def select(
    series: DailySeries,
    origins: np.ndarray | None = None,
    procedures: Sequence[Procedure] | None = None,
) -> Selection:
    """Backtest every candidate for ``series`` (``procedures``, by default
    ``candidates(series)``, the naive forecast first) on the same origins and choose on the
    older half: the lowest MAE, provided

    - its gain over the naive forecast (repeat the last rate) there is more than ``margin``
      standard errors, the error that of weekly means of the per-origin gain (neighbouring
      origins share six of their seven target days, so single origins are far from
      independent), judged by Student's t since it is estimated from a dozen such means;
    - and it does not lose to the naive forecast on the newer half, where it was not
      chosen (a replication: a gain found on the older origins that is gone on the newer
      ones is a gain of the past, such as a trend that has ended, not one to ship; for a
      method no better than naive this halves the chance of choosing it again, while a
      real gain passes it almost always).

    Otherwise the naive forecast. Ties go to the simpler, earlier candidate. The newer half
    only vetoes, it never ranks; but since it can veto, the nested score reported for the
    winner is never above naive's there.
    """
    procedures = tuple(candidates(series) if procedures is None else procedures)
    backtest = run_backtest(series, {p.name: p for p in procedures}, origins)
    half = len(backtest.origins) // 2
    per_origin = {p.name: per_origin_mae(backtest, p.name)[:half] for p in procedures}
    scores = np.round([float(np.nanmean(per_origin[p.name])) for p in procedures], 9)
    best = procedures[int(np.argmin(scores))]
    if best != NAIVE_PROCEDURE and not clearly_better(
        per_origin[NAIVE_PROCEDURE.name] - per_origin[best.name],
        backtest.horizon,
        len(procedures) - 1,
    ):
        best = NAIVE_PROCEDURE
    chosen = Selection(procedures=procedures, backtest=backtest, selected_on=half, winner=best)
    if best != NAIVE_PROCEDURE and chosen.nested_mae > chosen.nested_naive_mae:
        chosen = replace(chosen, winner=NAIVE_PROCEDURE)
    return chosen


def per_origin_mae(backtest: Backtest, method: str) -> np.ndarray:
    """``method``'s mean absolute error over the horizon, one value per origin; NaN for an
    origin whose whole week fell in a gap (nothing to score it on), without NumPy's
    "Mean of empty slice" warning, which is no news here."""
    errors = np.abs(backtest.errors(method))
    known = (~np.isnan(errors)).sum(axis=1)
    total = np.nansum(errors, axis=1)
    return np.where(known > 0, total / np.maximum(known, 1), np.nan)


def clearly_better(gain: np.ndarray, week: int, alternatives: int) -> bool:
    """Whether the mean of ``gain`` (per origin, positive: better than naive) exceeds
    ``margin(alternatives)`` standard errors, computed from non-overlapping blocks of
    ``week`` origins (Student's t with one degree of freedom fewer than blocks)."""
    gain = gain[~np.isnan(gain)]
    blocks = np.array([gain[i : i + week].mean() for i in range(0, len(gain) - week + 1, week)])
    if len(blocks) < 2:
        return False
    error = blocks.std(ddof=1) / np.sqrt(len(blocks))
    return bool(blocks.mean() > margin(alternatives, len(blocks)) * error)
