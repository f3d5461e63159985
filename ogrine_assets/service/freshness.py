"""How current the served forecast is, judged against the service's clock at each request.

A forecast is made from data up to a day. It is ``fresh`` while that day is at most
``stale_after_days`` before the service's today (UTC, ``OGRINE_FRESHNESS_MAX_AGE_DAYS``),
``stale`` after. A document dated after the service's now (its data's last day after today,
or made later than now) cannot be current either: one of two clocks is wrong, the one that
stamped the document or the service's, and that is said as ``clock_problem``, never as
fresh. The document is derived once, but its age is not: it changes with the day, not with
the file, so the JSON, ``/health`` and the page all ask here.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from ogrine_assets.forecast_document import ForecastDocument

# Two hosts' clocks differ a little: a forecast made this much after the service's now is
# still taken as made now.
CLOCK_SKEW = dt.timedelta(minutes=5)

Status = Literal["fresh", "stale", "clock_problem"]


class Staleness(msgspec.Struct, frozen=True):
    """What ``/forecast`` says of the forecast's age (and the key of the page's cache)."""

    data_age_days: int  # the service's today (UTC) minus the data's last day; < 0: future
    status: Status
    stale: bool  # anything but fresh: clients that read only this never take it as current
    stale_after_days: int


def judge(document: ForecastDocument, now: dt.datetime, stale_after_days: int) -> Staleness:
    """The forecast's age against ``now``, the service's clock."""
    today = now.astimezone(dt.UTC).date()
    age = (today - document.data.last_observed_date).days
    status: Status
    if age < 0 or document.generated_at > now + CLOCK_SKEW:
        status = "clock_problem"
    elif age > stale_after_days:
        status = "stale"
    else:
        status = "fresh"
    return Staleness(age, status, status != "fresh", stale_after_days)


def warning(document: ForecastDocument, staleness: Staleness) -> str | None:
    """The age in one plain sentence when it is not fresh (``/health``'s ``warning``)."""
    last = document.data.last_observed_date
    if staleness.status == "stale":
        return (
            f"the newest data ({last}) is {staleness.data_age_days} days old, "
            f"stale after {staleness.stale_after_days}"
        )
    if staleness.status == "clock_problem":
        today = last + dt.timedelta(days=staleness.data_age_days)
        made = document.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"the forecast (made {made}, data up to {last}) is dated after this server's "
            f"clock (today {today}): one of the two clocks is wrong"
        )
    return None
