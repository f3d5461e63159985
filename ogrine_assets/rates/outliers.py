"""Days whose rate the series itself contradicts: isolated spikes, and an unconfirmed jump.

A rate inside the plausible range can still be wrong: a single day at seven times the level
trained a model that published a forecast five times off. Such a day is told from a real
move by what follows it, so the rule is about the shape of the series, in its own units:

- the *typical daily move* is the robust spread of the series' log changes from one day to
  the next (1.4826 times their median absolute deviation: the standard deviation for normal
  moves, unmoved by the outliers it is meant to find);
- a **spike** is a run of at most ``MAX_SPIKE_DAYS`` days that all leave the day before by
  more than ``SPIKE_MOVES`` typical moves, in the same direction, after which the series
  comes back to within that distance of where it was: it did not last, so it was not the
  market. (A Hampel filter on the daily changes, in effect: a change far beyond their
  median absolute deviation, undone at once.)
- the **newest day** has no later day to say whether its jump lasts; a jump of more than
  ``SPIKE_MOVES`` typical moves is held back until a later day confirms it (the series stays
  there: a level shift, accepted from then on) or refutes it (it was a spike).

The distance grows with the square root of the days between two observations across a gap,
as a random walk's would, and is never below ``MIN_MOVE`` (a series that barely moves
must not turn every small change into an outlier). On the real series the tests carry
(gold, temperature, deaths) and the synthetic one, no day is flagged: their largest
returning moves are under 4 typical moves, their largest lasting ones under 12.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

SPIKE_MOVES = 8.0  # typical daily moves: twice the largest returning move of the real series
MAX_SPIKE_DAYS = 2
MIN_MOVE = math.log(1.05)  # 5 %: the smallest move ever called a spike
MIN_PAIRS = 28  # consecutive days needed to know the typical move


def typical_move(days: np.ndarray, log_rates: np.ndarray) -> float | None:
    """1.4826 times the median absolute deviation of day-to-day log changes (consecutive
    days only), or None with fewer than ``MIN_PAIRS`` of them."""
    consecutive = np.diff(days) == 1
    changes = np.diff(log_rates)[consecutive]
    if changes.size < MIN_PAIRS:
        return None
    return float(1.4826 * np.median(np.abs(changes - np.median(changes))))


def suspect_days(dates: Sequence[dt.date], rate_tenths: Sequence[int]) -> dict[int, str]:
    """Index -> why, for each day of an ascending daily series the rule above flags."""
    days = np.array([day.toordinal() for day in dates], dtype=np.int64)
    logs = np.log(np.asarray(rate_tenths, dtype=float))
    spread = typical_move(days, logs)
    if spread is None:
        return {}
    limit = max(SPIKE_MOVES * spread, MIN_MOVE)

    def beyond(a: int, b: int) -> float:
        """The signed move from day ``a`` to day ``b`` in limits (past 1: too far)."""
        return (logs[b] - logs[a]) / (limit * math.sqrt(days[b] - days[a]))

    flagged: dict[int, str] = {}
    last = len(logs) - 1
    pre = 0  # the newest day before ``start`` not flagged: where the series was
    for start in range(1, last + 1):
        if start in flagged:
            continue
        for run in range(1, MAX_SPIKE_DAYS + 1):
            end = start + run  # the first day after the run
            away = [beyond(pre, day) for day in range(start, min(end, last + 1))]
            if not all(abs(move) > 1 for move in away) or len({m > 0 for m in away}) > 1:
                break
            change = f"{math.expm1(logs[start] - logs[pre]):+.0%}"
            if end > last:
                if run == 1:
                    flagged[start] = (
                        f"a jump of {change} on the newest day, held until a later day confirms it"
                    )
                break
            if abs(beyond(pre, end)) <= 1 and all(
                abs(beyond(day, end)) > 1 for day in range(start, end)
            ):
                for day in range(start, end):
                    flagged[day] = f"a spike of {change} for {run} day(s) that did not last"
                break
        if start not in flagged:
            pre = start
    return flagged
