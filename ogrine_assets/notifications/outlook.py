"""The week a published forecast foresees, in numbers: what a notification says and what
``min_move_percent`` is held to. No words here, so the code location loads no Babel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ogrine_assets.forecast_document import ForecastDocument

Direction = Literal["up", "down", "steady"]


@dataclass(frozen=True)
class Outlook:
    """The week a forecast foresees: from the last observed rate to the forecast's last day."""

    document: ForecastDocument

    @property
    def last_rate(self) -> float:
        return self.document.history[-1].rate

    @property
    def change(self) -> float:
        """Day 7's forecast over the last observed rate, less one: 0.034 is 3.4 % up."""
        return self.document.forecast[-1].prediction_rate / self.last_rate - 1

    @property
    def moved_percent(self) -> float:
        """How far the week moves, either way, in percent: what ``min_move_percent`` is to."""
        return abs(self.change) * 100

    @property
    def direction(self) -> Direction:
        """Steady when the change shows as 0.0 %, so the words never contradict the number."""
        if round(self.moved_percent, 1) == 0:
            return "steady"
        return "up" if self.change > 0 else "down"

    def moves_at_least(self, min_move_percent: float) -> bool:
        return self.moved_percent >= min_move_percent
