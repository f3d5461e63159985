"""Faults in what the upstream says, and in what the home holds, for the soak to inject.

Each looks valid at first sight, which is what makes it dangerous:

- ``outlier``: one day, a recent one or the newest, at 7 times its rate (inside the
  plausible range), from then on: the upstream's history keeps a bad row once it has one;
- ``duplicates``: for one answer, a few recent days sent twice, the copy at twice the rate;
- ``gap``: the upstream's scraper down for three weeks from today: those days are never
  served, ever;
- ``clock_ahead``: one run whose clock (and the upstream answering "as of today") is a year
  ahead; the runs after it are back at the right time;
- ``damaged_dagster``: one of Dagster's SQLite files overwritten; the run must name it and
  the way out, which the soak then takes, as an operator would.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from ogrine_assets.local.stores import DAGSTER_DATABASES, way_out
from ogrine_assets.simulation.upstream import Payload

SPIKE_FACTOR = 7
GAP_DAYS = 21
CLOCK_AHEAD = dt.timedelta(days=358)


class FaultyPayload:
    """The upstream's answer as of a day, with the data faults injected so far."""

    def __init__(self, payload: Payload) -> None:
        self.payload = payload
        self.spikes: set[str] = set()  # ISO dates served at SPIKE_FACTOR times their rate
        self.missing: set[str] = set()  # ISO dates never served
        self.doubled = 0  # conflicting copies of the newest days, for the next answer only

    def __call__(self, today: dt.date) -> dict[str, Any]:
        envelope = dict(self.payload(today))
        rows = []
        for row in envelope["rates"]:
            day = str(row["datetime"])[:10]
            if day in self.missing:
                continue
            if day in self.spikes:
                tenth = row["rateTenth"] * SPIKE_FACTOR
                row = {**row, "rateTenth": tenth, "rate": tenth / 10}
            rows.append(row)
        copies = [
            {**row, "id": row["id"] + 10**6, "rateTenth": 2 * tenth, "rate": tenth / 5}
            for row in rows[len(rows) - self.doubled :]
            for tenth in [row["rateTenth"]]
        ]
        self.doubled = 0
        envelope["rates"] = rows + copies
        envelope["count"] = len(envelope["rates"])
        return envelope

    def inject(self, fault: str, today: dt.date, rng: random.Random) -> None:
        """Start ``fault`` (``outlier``, ``duplicates`` or ``gap``) as of ``today``."""
        if fault == "outlier":
            self.spike(today, rng)
        elif fault == "duplicates":
            self.duplicate(rng)
        elif fault == "gap":
            self.gap(today)
        else:
            raise ValueError(f"not a data fault: {fault}")

    def spike(self, today: dt.date, rng: random.Random) -> dt.date:
        """A day among the last 30 before ``today`` (the newest one, a third of the time)."""
        back = 1 if rng.random() < 1 / 3 else rng.randint(2, 30)
        day = today - dt.timedelta(days=back)
        self.spikes.add(day.isoformat())
        return day

    def gap(self, today: dt.date) -> None:
        self.missing |= {(today + dt.timedelta(days=d)).isoformat() for d in range(GAP_DAYS)}

    def duplicate(self, rng: random.Random) -> None:
        self.doubled = rng.randint(3, 12)


def damage_dagster_storage(dagster_home: Path, rng: random.Random) -> Path | None:
    """Overwrite one of Dagster's SQLite files that exists; which one, or None."""
    present = [dagster_home / rel for rel in DAGSTER_DATABASES if (dagster_home / rel).exists()]
    if not present:
        return None
    damaged = rng.choice(present)
    damaged.write_bytes(b"this is not a database " * 200)
    return damaged


def took_the_way_out(damaged: Path, said: str) -> list[str]:
    """A damaged Dagster store must be named with the way out, which the soak then takes
    (as an operator would); what went wrong otherwise."""
    if way_out(damaged) not in said:
        return [f"the damaged {damaged} was not named with the way out: {said[-300:]}"]
    damaged.rename(damaged.with_name(damaged.name + ".damaged"))
    return []
