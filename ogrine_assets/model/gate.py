"""The last word before a forecast reaches a player: is it plausible for this series?

Whatever the data and whatever the model, a published forecast must look like something
this market could do. The measure is the series' own history of moves: for each horizon
``h`` (1 to 7 days), the largest absolute log change between two observed days ``h`` apart.
A point or a band edge may lie at most ``ENVELOPE_FACTOR`` times that move (never less than
``MIN_MOVE``) from the last observed rate, and nothing may be at or below zero. The
envelope is anchored at the last observed rate, so when the data itself moved far and
stayed there (``rates/outliers.py`` decides that), the forecast may follow it; what it may
not do is invent a move far beyond any the series has made.

Why the largest move and a factor of 3: on the synthetic series, trained and forecast on
twenty dates two years apart, the widest published 95 % band reached 1.7 times the largest
move (in a restless week the bands widen, as they should), and 4.2 times the 99th
percentile, so a quantile would refuse honest forecasts. The forecasts this gate exists
for were 15 to 40 times past it: a band from -1602 to 4907 kamas around 1370, a forecast
five times the level.

The rule is a pure function shared by the ``forecast`` asset (nothing implausible is
published; the last good forecast stays) and promotion (a candidate whose own forecast
fails it is not promoted).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np

from ogrine_assets.model.features import DailySeries
from ogrine_assets.model.spans import HORIZON

ENVELOPE_FACTOR = 3.0
MIN_MOVE = math.log(1.05)  # a series that never moved may still move 5 %

Bands = Mapping[int, tuple[Sequence[float], Sequence[float]]]


def envelope(series: DailySeries, horizon: int = HORIZON) -> list[float]:
    """Per horizon day, the largest plausible log move from the last observed rate."""
    logs = np.log(np.asarray(series.values, dtype=float))
    seen = np.asarray(series.observed, dtype=bool)
    limits = []
    for step in range(1, horizon + 1):
        both = seen[step:] & seen[:-step]
        moves = np.abs(logs[step:] - logs[:-step])[both]
        largest = float(moves.max()) if moves.size else 0.0
        limits.append(max(ENVELOPE_FACTOR * largest, MIN_MOVE))
    return limits


def implausible(
    series: DailySeries,
    predictions: Sequence[tuple[dt.date, float]],
    bands: Bands | None = None,
) -> list[str]:
    """Why a forecast from the last day of ``series`` is not plausible, one phrase per
    problem (empty: it passes). ``bands`` are offsets from each prediction, per level."""
    last = float(series.values[-1])
    limits = envelope(series, len(predictions))
    problems = []
    for step, (day, rate) in enumerate(predictions):
        edges = [("forecast", rate)]
        for level, (lower, upper) in sorted((bands or {}).items()):
            name = f"{level}% band"
            edges += [(name, rate + lower[step]), (name, rate + upper[step])]
        low, high = last * math.exp(-limits[step]), last * math.exp(limits[step])
        for what, value in edges:
            if not math.isfinite(value) or value <= 0:
                problems.append(f"{day}: {what} {value:.0f}, not above zero")
                break
            if not low <= value <= high:
                problems.append(f"{day}: {what} {value:.0f} outside [{low:.0f}, {high:.0f}]")
                break
    return problems
