"""The current time, as a resource: fixed in tests so nothing depends on today's date."""

from __future__ import annotations

import datetime as dt

import dagster as dg
from pydantic import Field

from ogrine_assets.settings import current_time


class Clock(dg.ConfigurableResource):
    """The current time; ``fixed_now`` (``OGRINE_NOW``) pins it for tests and demos."""

    fixed_now: str | None = Field(
        default=None,
        description="ISO 8601 instant to use as 'now' (UTC if naive); unset: real time.",
    )

    def now(self) -> dt.datetime:
        return current_time(self.fixed_now)

    def today(self) -> dt.date:
        return self.now().astimezone(dt.UTC).date()
