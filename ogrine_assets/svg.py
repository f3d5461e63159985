"""Charts drawn as SVG text: no plotting library, no font, nothing fetched from elsewhere.

The service's page (``service/chart.py``) and the backtest figure a training logs to MLflow
(``model/plots.py``) both draw with these. Standard library only: the service imports it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def nice_step(low: float, high: float, count: int = 5) -> float:
    """The round step (1, 2, 2.5 or 5 x 10^n) that cuts ``low``..``high`` in about
    ``count - 1`` parts."""
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values between ``low`` and ``high`` (steps of 1, 2, 2.5, 5 x 10^n)."""
    step = nice_step(low, high, count)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) // step) + 1)]


def covering_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round, evenly spaced values, the first at or below ``low`` and the
    last at or above ``high``: an axis from the first to the last shows every value in
    between against a label (at least two, even when ``low == high``)."""
    step = nice_step(low, high, count)
    start = math.floor(low / step + 1e-9)
    stop = max(math.ceil(high / step - 1e-9), start + 1)
    decimals = max(0, -math.floor(math.log10(step))) + 1  # more than the step needs
    return [round(i * step, decimals) for i in range(start, stop + 1)]


@dataclass(frozen=True)
class Frame:
    """Maps data (x from 0 to ``span``, y from ``low`` to ``high``) into a plot area."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    span: float
    low: float
    high: float

    def x(self, value: float) -> float:
        return self.left + value / max(self.span, 1e-9) * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        return self.top + (self.high - value) / (self.high - self.low) * (
            self.height - self.top - self.bottom
        )

    def points(self, xs: Sequence[float], ys: Sequence[float]) -> str:
        """``x,y`` pairs for a polyline; pairs with a NaN are left out."""
        return " ".join(
            f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in zip(xs, ys, strict=True) if b == b
        )


def padded_range(values: Sequence[float], share: float = 0.08) -> tuple[float, float]:
    """The values' range, widened by ``share`` of itself on each side (1 at least)."""
    known = [v for v in values if v == v]
    low, high = min(known), max(known)
    pad = max((high - low) * share, 1.0)
    return low - pad, high + pad
