"""The embedded default source: a deterministic synthetic Ogrine rate series.

It stands in for the upstream API when ``OGRINE_API_URL`` is unset, so the whole system
runs offline. It behaves like the upstream: one row per UTC day from 2019-03-24 (the first
day of the real series) to yesterday, in the same JSON envelope. The value for a date is
a function of the date alone (each day's randomness is seeded by its ordinal), so a date
never changes value between runs and new rows appear as days pass.

The dynamics are built to look like the real market and to give a forecaster something
to learn: a log-price that drifts and slowly reverts to a moving anchor (hundreds of
kamas), a weekly rhythm (dearer at the weekend), occasional level shifts (game updates,
promotions), and day-to-day noise.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Any

FIRST_DATE = dt.date(2019, 3, 24)
SEED = 20190324
BASE_RATE = 520.0  # kamas per ogrine on the first day
WEEKLY_SHAPE = (-0.010, -0.012, -0.006, 0.000, 0.006, 0.013, 0.009)  # Monday..Sunday, log
SHIFT_PROBABILITY = 1 / 120  # about three level shifts a year
MIN_RATE, MAX_RATE = 150.0, 2500.0


# A new generator per day is most of a series' cost (~35 ms, ~3 ms with the draws kept): a
# process that runs the graph again and again (tests, soak, replay) keeps ~45 years of days.
@functools.lru_cache(maxsize=1 << 14)
def _day_draws(ordinal: int, seed: int) -> tuple[float, float, float, float]:
    import numpy as np  # here: the code location reads SEED, and must not load NumPy for it

    rng = np.random.default_rng([seed, ordinal])
    walk, noise, shift_size = rng.standard_normal(3)
    return float(walk), float(noise), float(rng.random()), float(shift_size)


def synthetic_rate_tenths(until: dt.date, seed: int = SEED) -> list[tuple[dt.date, int]]:
    """Every (date, rate in tenths of kamas) from FIRST_DATE through ``until`` inclusive;
    another ``seed`` draws another market with the same dynamics."""
    rows: list[tuple[dt.date, int]] = []
    level = math.log(BASE_RATE)  # slow component: drift, reversion and shifts
    anchor = level
    day = FIRST_DATE
    while day <= until:
        walk, noise, shift_draw, shift_size = _day_draws(day.toordinal(), seed)
        anchor += 0.00025  # long-run inflation of kamas
        level += 0.035 * (anchor - level) + 0.006 * walk
        if shift_draw < SHIFT_PROBABILITY:  # a lasting shift: the anchor moves too
            level += 0.07 * shift_size
            anchor += 0.05 * shift_size
        log_rate = level + WEEKLY_SHAPE[day.weekday()] + 0.004 * noise
        rate = min(max(math.exp(log_rate), MIN_RATE), MAX_RATE)
        rows.append((day, round(rate * 10)))
        day += dt.timedelta(days=1)
    return rows


def _rate_as_upstream_prints_it(rate_tenth: int) -> int | float:
    # The real server divides by ten and prints 715, not 715.0, when the rate is whole.
    return rate_tenth // 10 if rate_tenth % 10 == 0 else rate_tenth / 10


def synthetic_payload(
    today: dt.date, *, sort: str = "ASC", limit: int = 0, seed: int = SEED
) -> dict[str, Any]:
    """The upstream envelope for every day before ``today`` (UTC), like ``GET /ogrineRates``."""
    series = synthetic_rate_tenths(today - dt.timedelta(days=1), seed)
    rates = [
        {
            "id": index + 1,
            "datetime": f"{day.isoformat()}T00:00:00+00:00",
            "rateTenth": tenth,
            "rate": _rate_as_upstream_prints_it(tenth),
        }
        for index, (day, tenth) in enumerate(series)
    ]
    if sort.upper() == "DESC":
        rates.reverse()
    if limit:
        rates = rates[:limit]
    return {
        "status": 200,
        "sort": sort.upper(),
        "limit": limit or None,
        "count": len(rates),
        "rates": rates,
    }
