"""The embedded synthetic rates as the model sees them: a daily series of rates in kamas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ogrine_assets.model.features import DailySeries, daily_series
from ogrine_assets.rates.synthetic import synthetic_rate_tenths

UNTIL = dt.date(2026, 11, 25)  # a fixed last day: the same series in every test


def series_of(rows: Sequence[tuple[dt.date, int]]) -> DailySeries:
    """The daily series of (day, rate in tenths) rows, as the synthetic source gives them."""
    return daily_series([day for day, _ in rows], [tenth / 10 for _, tenth in rows])


def synthetic_series(until: dt.date = UNTIL) -> DailySeries:
    return series_of(synthetic_rate_tenths(until))
