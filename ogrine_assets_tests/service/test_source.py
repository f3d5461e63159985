"""The loader refuses documents whose dates no forecast of rates can have, before deriving
anything from them, and keeps serving the last good one."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ogrine_assets.forecast_document import ForecastDocument
from ogrine_assets.service.source import MAX_DOCUMENT_BYTES, ForecastSource
from ogrine_assets_tests.service.test_app import publish
from ogrine_assets_tests.support import document_bytes


def moved(document: dict[str, Any], last: dt.date, generated_at: dt.datetime | None = None) -> None:
    """The forecast (and the data's last day) moved to follow ``last``; the history stays."""
    document["data"]["last_observed_date"] = last.isoformat()
    for step, point in enumerate(document["forecast"], start=1):
        day = last + dt.timedelta(days=step)
        point["date"], point["datetime"] = day.isoformat(), f"{day}T00:00:00+00:00"
    if generated_at:
        document["generated_at"] = generated_at.isoformat()


def year_9999(document: dict[str, Any]) -> None:
    """Finding 11: history in 2026, forecast in 9999; deriving its page took 5 s."""
    moved(document, dt.date(9999, 12, 24))


def all_in_9999(document: dict[str, Any]) -> None:
    """Every date in 9999, one after the other: consistent, and no date of a rate."""
    last = dt.date(9999, 12, 24)
    for back, point in enumerate(reversed(document["history"])):
        point["date"] = (last - dt.timedelta(days=back)).isoformat()
    moved(document, last, dt.datetime(9999, 12, 25, 2, tzinfo=dt.UTC))


def last_day_of_9999(document: dict[str, Any]) -> None:
    """No day follows it: the contract's check itself overflows."""
    document["data"]["last_observed_date"] = "9999-12-31"


def shuffled_history(document: dict[str, Any]) -> None:
    document["history"][3], document["history"][4] = document["history"][4], document["history"][3]


def history_from_2001(document: dict[str, Any]) -> None:
    document["history"][0]["date"] = "2001-01-01"  # ascending still, but 26 years wide


def data_after_it_was_made(document: dict[str, Any]) -> None:
    document["generated_at"] = "2026-11-20T02:00:00Z"  # before its own last observed day


def eight_days(document: dict[str, Any]) -> None:
    extra = dict(document["forecast"][-1])
    extra.update(date="2026-12-03", datetime="2026-12-03T00:00:00+00:00", horizon_days=8)
    document["forecast"].append(extra)


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (year_9999, "the history ends 2026-11-25, not on last_observed_date 9999-12-24"),
        (all_in_9999, "outside 2000-01-01"),
        (last_day_of_9999, "its dates run past 9999-12-31"),
        (shuffled_history, "history dates are not in ascending order"),
        (history_from_2001, "the history spans 9459 days, more than 3660"),
        (data_after_it_was_made, "its data ends 2026-11-25, after the day it was made"),
        (eight_days, "the forecast has 8 days, not 7"),
    ],
)
def test_implausible_dates_are_refused_and_the_last_good_forecast_kept(
    document_path: Path, spoil: Any, said: str
) -> None:
    derived: list[ForecastDocument] = []
    source = ForecastSource(document_path, derived.append)
    publish(document_path, document_bytes(version="3"))
    assert source.current() is not None
    bad = json.loads(document_bytes(version="4"))
    spoil(bad)
    publish(document_path, json.dumps(bad).encode())
    served = source.current()
    assert served is not None and served.document.model.version == "3"
    assert said in (source.problem or "") and "still serving model v3" in (source.problem or "")
    assert said in (source.public_problem or "")
    assert [d.model.version for d in derived] == ["3"]  # nothing derived from the bad one


def test_a_document_larger_than_any_forecast_is_not_read(document_path: Path) -> None:
    read: list[Path] = []

    def reading(path: Path) -> bytes:
        read.append(path)
        return path.read_bytes()

    source = ForecastSource(document_path, lambda document: None, read=reading)
    with document_path.open("wb") as file:
        file.truncate(MAX_DOCUMENT_BYTES + 1)  # sparse: no disk spent
    assert source.current() is None
    assert read == [] and "bytes, more than" in (source.problem or "")
    publish(document_path, document_bytes())
    assert source.current() is not None
