"""A version's backtest scores: written on it at training, read back wherever it is judged.

Training tags each registered version with its backtest MAE against the naive baselines;
the ``champion_beats_naive`` check and the published document's ``quality`` read those
same tags back through :class:`BacktestSummary`, so the names are spelled once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ogrine_assets.forecast_document import Quality

if TYPE_CHECKING:  # the tags are read where NumPy is not loaded (the code location's checks)
    from ogrine_assets.model.backtest import Backtest
    from ogrine_assets.model.intervals import IntervalRecord


@dataclass(frozen=True)
class BacktestSummary:
    """Backtest MAE (kamas) of a model and of the naive baselines on the same origins."""

    model_mae: float
    naive_mae: float
    seasonal_naive_mae: float
    origins: int | None = None  # unknown on the oldest versions

    @property
    def beats_naive(self) -> bool:
        return self.model_mae < self.naive_mae

    @classmethod
    def of(cls, backtest: Backtest, method: str) -> BacktestSummary:
        from ogrine_assets.model.backtest import NAIVE, SEASONAL_NAIVE

        return cls(
            model_mae=backtest.overall(method)["mae"],
            naive_mae=backtest.overall(NAIVE)["mae"],
            seasonal_naive_mae=backtest.overall(SEASONAL_NAIVE)["mae"],
            origins=len(backtest.origins),
        )

    def as_tags(self) -> dict[str, str]:
        tags = {
            "backtest_mae": f"{self.model_mae:.4f}",
            "backtest_naive_mae": f"{self.naive_mae:.4f}",
            "backtest_seasonal_naive_mae": f"{self.seasonal_naive_mae:.4f}",
        }
        if self.origins is not None:
            tags["backtest_origins"] = str(self.origins)
        return tags

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> BacktestSummary | None:
        """The summary a version's tags record; None for a version trained before the backtest."""
        try:
            return cls(
                model_mae=float(tags["backtest_mae"]),
                naive_mae=float(tags["backtest_naive_mae"]),
                seasonal_naive_mae=float(tags["backtest_seasonal_naive_mae"]),
                origins=int(tags["backtest_origins"]) if "backtest_origins" in tags else None,
            )
        except (KeyError, ValueError):
            return None


def document_quality(summary: BacktestSummary, record: IntervalRecord) -> Quality:
    """The ``quality`` section of a forecast document, from a version's scores and bands."""
    return Quality(
        backtest_origins=summary.origins if summary.origins is not None else record.origins,
        backtest_mae=summary.model_mae,
        naive_mae=summary.naive_mae,
        seasonal_naive_mae=summary.seasonal_naive_mae,
        beats_naive=summary.beats_naive,
        interval_coverage=dict(record.held_out_coverage),
        backtest_mae_by_horizon=record.mae_by_horizon,
    )
