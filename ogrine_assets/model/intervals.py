"""Prediction intervals from backtest residuals, and the record a forecast draws them from.

Per horizon day, the central quantiles of the backtest's residuals (actual minus forecast)
give the bands: the 10-90 % quantiles the 80 % band, and so on. How well they hold is
measured honestly, on origins they were not fitted on (:func:`held_out_coverage`).

:class:`IntervalRecord` is what a training run stores as its ``backtest/intervals.json``
artifact and what the ``forecast`` asset reads back; levels are whole percents throughout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec
import numpy as np

from ogrine_assets.forecast_document import INTERVAL_LEVELS
from ogrine_assets.model.backtest import Backtest

Bands = Mapping[int, tuple[np.ndarray, np.ndarray]]


def residual_quantiles(residuals: np.ndarray, levels: Sequence[int] = INTERVAL_LEVELS) -> Bands:
    """Per horizon, the central ``level`` percent of the residuals: (lower, upper) offsets."""
    bands = {}
    for level in levels:
        tail = (1 - level / 100) / 2
        bands[level] = (
            np.nanquantile(residuals, tail, axis=0),
            np.nanquantile(residuals, 1 - tail, axis=0),
        )
    return bands


def coverage(residuals: np.ndarray, bands: Bands) -> dict[int, float]:
    """The share of known residuals that fall inside each band."""
    known = ~np.isnan(residuals)
    return {
        level: float(((residuals >= lower) & (residuals <= upper))[known].mean())
        for level, (lower, upper) in bands.items()
    }


def held_out_coverage(
    residuals: np.ndarray, levels: Sequence[int] = INTERVAL_LEVELS
) -> dict[int, float]:
    """Coverage of bands fitted on the older half of the origins, measured on the newer half.

    Measuring bands on the residuals they came from would always look right; this is the
    honest number.
    """
    half = len(residuals) // 2
    if half == 0:
        raise ValueError("held-out coverage needs at least two origins")
    return coverage(residuals[half:], residual_quantiles(residuals[:half], levels))


class Band(msgspec.Struct, frozen=True):
    """Offsets from the prediction, one per horizon day (kamas)."""

    lower: list[float]
    upper: list[float]


class IntervalRecord(msgspec.Struct, frozen=True):
    """What a forecast needs to draw its bands, and how well they held."""

    method: str
    origins: int
    bands: dict[int, Band]
    held_out_coverage: dict[int, float]
    mae_by_horizon: list[float]

    def offsets(self) -> dict[int, tuple[list[float], list[float]]]:
        return {level: (band.lower, band.upper) for level, band in self.bands.items()}

    def to_json(self) -> bytes:
        return msgspec.json.format(msgspec.json.encode(self), indent=2)

    @classmethod
    def from_json(cls, raw: bytes) -> IntervalRecord:
        """Read a stored record; versions trained before levels were percents keyed them
        "0.8" and "0.95", and are read as 80 and 95."""
        try:
            return msgspec.json.decode(raw, type=cls)
        except msgspec.ValidationError:
            legacy = msgspec.json.decode(raw, type=_FractionKeyedRecord)
        return cls(
            method=legacy.method,
            origins=legacy.origins,
            bands={_percent(key): band for key, band in legacy.bands.items()},
            held_out_coverage={_percent(k): v for k, v in legacy.held_out_coverage.items()},
            mae_by_horizon=legacy.mae_by_horizon,
        )


class _FractionKeyedRecord(msgspec.Struct):
    method: str
    origins: int
    bands: dict[str, Band]
    held_out_coverage: dict[str, float]
    mae_by_horizon: list[float]


def _percent(fraction: str) -> int:
    return round(float(fraction) * 100)


def interval_record(backtest: Backtest, method: str) -> IntervalRecord:
    """The bands of ``method`` from all its residuals, with their held-out coverage."""
    residuals = backtest.errors(method)
    return IntervalRecord(
        method=method,
        origins=len(backtest.origins),
        bands={
            level: Band(lower=lower.round(3).tolist(), upper=upper.round(3).tolist())
            for level, (lower, upper) in residual_quantiles(residuals).items()
        },
        held_out_coverage={
            level: round(value, 4) for level, value in held_out_coverage(residuals).items()
        },
        mae_by_horizon=backtest.per_horizon(method)["mae"].round(4).tolist(),
    )
