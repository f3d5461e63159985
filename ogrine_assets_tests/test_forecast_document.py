"""The forecast document's one definition: built, encoded, decoded and checked."""

import datetime as dt
import json

import pytest

from ogrine_assets.forecast_document import (
    HISTORY_DAYS,
    SCHEMA_VERSION,
    InvalidDocument,
    ModelInfo,
    build_forecast_document,
    decode,
    encode,
)
from ogrine_assets_tests.support import document_bytes

START = dt.date(2024, 1, 1)
MODEL = ModelInfo(name="m", version="3", run_id="r", alias="champion", method="naive: repeats")


def test_document_shape() -> None:
    history = [(START + dt.timedelta(days=i), 7000 + i) for i in range(120)]
    last = history[-1][0]
    document = build_forecast_document(
        model=MODEL,
        generated_at=dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dagster_run_id="d",
        data_source="test",
        synthetic=False,
        history=history,
        predictions=[(last + dt.timedelta(days=i), 700.04 + i) for i in range(1, 8)],
    )
    written = json.loads(encode(document))
    assert written["schema_version"] == SCHEMA_VERSION
    assert written["generated_at"] == "2024-05-01T06:00:00Z"  # 08:00 at +02:00, in UTC
    assert written["model"] == {
        "name": "m",
        "version": "3",
        "run_id": "r",
        "alias": "champion",
        "method": "naive: repeats",
    }
    assert written["data"]["last_observed_date"] == last.isoformat()
    assert len(written["history"]) == HISTORY_DAYS
    assert written["history"][-1] == {"date": last.isoformat(), "rate_tenth": 7119, "rate": 711.9}
    assert written["forecast"][0] == {
        "date": "2024-04-30",
        "datetime": "2024-04-30T00:00:00+00:00",
        "horizon_days": 1,
        "prediction_rate_tenth": 7010,
        "prediction_rate": 701.0,
        "interval_80": None,
        "interval_95": None,
    }
    assert written["quality"] is None and written["live_accuracy"] == []
    assert decode(encode(document)) == document


def test_levels_are_percents_from_the_source_to_the_file() -> None:
    document = decode(document_bytes(beats_naive=True))
    assert document.quality is not None
    assert document.quality.interval_coverage == {80: 0.81, 95: 0.94}
    first = document.forecast[0]
    assert first.interval(80) == first.interval_80 == (696.0, 706.0)
    assert first.interval(95) == (692.0, 710.0)
    written = json.loads(document_bytes(beats_naive=True))
    assert written["quality"]["interval_coverage"] == {"80": 0.81, "95": 0.94}


def _bare(history: list[tuple[dt.date, int]], predictions: list[tuple[dt.date, float]]) -> None:
    """Build a document with nothing but ``history`` and ``predictions``."""
    build_forecast_document(
        model=MODEL,
        generated_at=dt.datetime.now(dt.UTC),
        dagster_run_id="",
        data_source="",
        synthetic=True,
        history=history,
        predictions=predictions,
    )


def test_no_history_is_refused() -> None:
    with pytest.raises(InvalidDocument, match="no observed rate"):
        _bare([], [])


def test_what_is_built_is_what_the_service_takes() -> None:
    """A document that breaks a rule cannot even be built, so it is never published."""
    history = [(START, 7000)]
    with pytest.raises(InvalidDocument, match="consecutive"):
        _bare(history, [(START + dt.timedelta(days=2), 700.0)])
    week = [(START + dt.timedelta(days=step), 700.0) for step in range(1, 8)]
    with pytest.raises(InvalidDocument, match="non-positive"):
        _bare(history, [*week[:6], (week[6][0], -3.0)])
    # The dates the service refuses are refused here too (one rule on both sides).
    with pytest.raises(InvalidDocument, match="the forecast has 8 days, not 7"):
        _bare(history, [*week, (START + dt.timedelta(days=8), 700.0)])
    far = dt.date(9000, 1, 1)
    with pytest.raises(InvalidDocument, match="outside 2000-01-01"):
        _bare([(far, 7000)], [(far + dt.timedelta(days=step), 700.0) for step in range(1, 8)])


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{", "not a forecast document"),
        (b'{"schema_version": 2}', "schema_version 2 is not 1"),
        (b'{"schema_version": 1}', "not a forecast document"),
    ],
)
def test_decode_names_what_is_wrong(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidDocument, match=reason):
        decode(raw)
