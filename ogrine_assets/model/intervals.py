"""Prediction intervals from backtest residuals, and the record a forecast draws them from.

Per horizon day, the central quantiles of the backtest's residuals (actual minus forecast)
give the bands: the 10-90 % quantiles the 80 % band, and so on (split-conformal: out of
sample, from the chosen method's own errors, with the conformal order statistics so that a
band holds at least its level; :func:`residual_quantiles`). Each residual is first divided by the
series' *local scale* at its origin, the mean absolute daily change over the week before
(:func:`local_scale`), and a forecast multiplies the bands by the scale at its own origin:
bands widen when the market turns restless and narrow when it calms, instead of carrying
the volatility of the backtest's half-year into every season. How well they hold is
measured honestly, on origins they were not fitted on (:func:`held_out_coverage`).

:class:`IntervalRecord` is what a training run stores as its ``backtest/intervals.json``
artifact and what the ``forecast`` asset reads back; levels are whole percents throughout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import msgspec
import numpy as np

from ogrine_assets.forecast_document import INTERVAL_LEVELS
from ogrine_assets.model.backtest import Backtest
from ogrine_assets.model.metrics import mean_daily_change
from ogrine_assets.model.spans import WINDOW

Bands = Mapping[int, tuple[np.ndarray, np.ndarray]]
SCALE_DAYS = 7  # the local scale: mean absolute daily change over the last week


def local_scale(
    values: np.ndarray,
    origins: np.ndarray,
    days: int = SCALE_DAYS,
    observed: np.ndarray | None = None,
) -> np.ndarray:
    """Per origin index, the mean absolute one-day change over the ``days`` days up to it.

    With ``observed``, only changes between two observed days count: a day carried over a
    gap did not stand still, it was not seen, and counting it as no change shrank the
    scale after a gap to nearly nothing, so that the residuals measured in it, and the
    bands made from them, blew up. A week with no observed change takes the mean of all
    the observed changes before it.
    """
    return mean_daily_change(values, origins, days, observed)


def residual_quantiles(residuals: np.ndarray, levels: Sequence[int] = INTERVAL_LEVELS) -> Bands:
    """Per horizon, the central ``level`` percent of the residuals: (lower, upper) offsets.

    The split-conformal order statistics, not the sample quantiles: of ``n`` known
    residuals, the upper offset is the ceil((n + 1)(1 - tail))-th smallest and the lower the
    floor((n + 1) tail)-th, each tail holding half of what the band leaves out. A new
    residual exchangeable with these falls beyond either with probability at most ``tail``,
    so the band holds at least ``level`` percent; the plain quantiles hold a little less
    with a few dozen residuals (the gap closes as ``n`` grows). Too few residuals for a
    level's order statistic give the most extreme one.
    """
    residuals = np.asarray(residuals, dtype=float)
    bands = {}
    for level in levels:
        tail = (1 - level / 100) / 2
        lower, upper = np.full(residuals.shape[1], np.nan), np.full(residuals.shape[1], np.nan)
        for step in range(residuals.shape[1]):
            known = np.sort(residuals[:, step][~np.isnan(residuals[:, step])])
            n = len(known)
            if n == 0:
                continue
            upper[step] = known[min(math.ceil((n + 1) * (1 - tail) - 1e-9), n) - 1]
            lower[step] = known[max(math.floor((n + 1) * tail + 1e-9), 1) - 1]
        bands[level] = (lower, upper)
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
    """Offsets from the prediction, one per horizon day: kamas, or multiples of the local
    scale when the record says ``scale_days``."""

    lower: list[float]
    upper: list[float]


class IntervalRecord(msgspec.Struct, frozen=True):
    """What a forecast needs to draw its bands, and how well they held."""

    method: str
    origins: int
    bands: dict[int, Band]
    held_out_coverage: dict[int, float]
    mae_by_horizon: list[float]
    # 0: the bands are kamas (versions trained before scaling); else they are multiples of
    # the mean absolute daily change over this many days before the forecast's origin.
    scale_days: int = 0

    def offsets(
        self, values: np.ndarray | None = None, observed: np.ndarray | None = None
    ) -> dict[int, tuple[list[float], list[float]]]:
        """The bands in kamas for a forecast from the last of ``values`` (the rates up to
        its origin, with which of them were ``observed``; needed when the bands are
        scaled)."""
        factor = 1.0
        if self.scale_days:
            if values is None:
                raise ValueError("scaled bands need the rates up to the forecast's origin")
            origin = np.array([len(values) - 1])
            factor = float(local_scale(values, origin, self.scale_days, observed)[0])
        return {
            level: ([v * factor for v in band.lower], [v * factor for v in band.upper])
            for level, band in self.bands.items()
        }

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


def interval_record(
    backtest: Backtest, method: str, scale: np.ndarray | None = None, scale_days: int = 0
) -> IntervalRecord:
    """The bands of ``method`` from all its residuals, with their held-out coverage; with
    ``scale`` (per origin, ``local_scale``), in multiples of it."""
    residuals = backtest.errors(method)
    if scale is not None:
        residuals = residuals / scale[:, None]
    return IntervalRecord(
        method=method,
        origins=len(backtest.origins),
        bands={
            level: Band(lower=lower.round(4).tolist(), upper=upper.round(4).tolist())
            for level, (lower, upper) in residual_quantiles(residuals).items()
        },
        held_out_coverage={
            level: round(value, 4) for level, value in held_out_coverage(residuals).items()
        },
        mae_by_horizon=backtest.per_horizon(method)["mae"].round(4).tolist(),
        scale_days=scale_days if scale is not None else 0,
    )


LONG_GAP_DAYS = 7  # more missing days in a row than a week: a gap, not a weekend


def _after_long_gap(observed: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """Per origin, whether the ``WINDOW`` days up to it hold a run of more than
    ``LONG_GAP_DAYS`` missing days."""
    run = np.zeros(len(observed), dtype=int)  # missing days in a row, ending at each day
    for day in np.flatnonzero(~observed):
        run[day] = run[day - 1] + 1 if day else 1
    long_ends = np.cumsum(run > LONG_GAP_DAYS)
    origins = np.asarray(origins, dtype=int)
    before = np.where(origins >= WINDOW, long_ends[np.maximum(origins - WINDOW, 0)], 0)
    return long_ends[origins] - before > 0


def scaled_interval_record(
    backtest: Backtest, method: str, values: np.ndarray, observed: np.ndarray
) -> IntervalRecord:
    """``interval_record`` in multiples of the local scale of ``values`` (the series the
    backtest ran on, ``observed`` where not carried) at each origin: the bands a training
    stores."""
    scale = local_scale(values, backtest.origins, SCALE_DAYS, observed)
    # An origin whose window reaches into a long gap forecast from rates carried for weeks:
    # its error is the gap's, not the method's, and a handful of them made the 95 % band
    # five times the 80 %. They stay in the backtest's scores; the bands leave them out.
    # Short gaps (a market's weekends and holidays) are the series' own shape: kept.
    from_gap = _after_long_gap(np.asarray(observed, dtype=bool), backtest.origins)
    return interval_record(backtest, method, np.where(from_gap, np.nan, scale), SCALE_DAYS)
