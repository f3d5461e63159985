import datetime as dt
import json

import pytest

from ogrine_assets.publication import HISTORY_DAYS, SCHEMA_VERSION, build_forecast_document, encode


def test_document_shape() -> None:
    start = dt.date(2024, 1, 1)
    history = [(start + dt.timedelta(days=i), 7000 + i) for i in range(120)]
    last = history[-1][0]
    document = build_forecast_document(
        model={"name": "m", "version": "3", "run_id": "r", "alias": "champion"},
        generated_at=dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dagster_run_id="d",
        data_source="test",
        synthetic=False,
        history=history,
        predictions=[(last + dt.timedelta(days=i), 700.04 + i) for i in range(1, 8)],
    )
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["generated_at"] == "2024-05-01T06:00:00+00:00"
    assert document["data"]["last_observed_date"] == last.isoformat()
    assert len(document["history"]) == HISTORY_DAYS
    assert document["history"][-1] == {"date": last.isoformat(), "rate_tenth": 7119, "rate": 711.9}
    first = document["forecast"][0]
    assert first == {
        "date": "2024-04-30",
        "datetime": "2024-04-30T00:00:00+00:00",
        "horizon_days": 1,
        "prediction_rate_tenth": 7010,
        "prediction_rate": 701.0,
    }
    assert json.loads(encode(document)) == document


def test_no_history_is_refused() -> None:
    with pytest.raises(ValueError):
        build_forecast_document(
            model={}, generated_at=dt.datetime.now(dt.UTC), dagster_run_id="", data_source="",
            synthetic=True, history=[], predictions=[],
        )  # fmt: skip
