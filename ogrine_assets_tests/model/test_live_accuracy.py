import datetime as dt

import polars as pl
import pytest

from ogrine_assets.forecast_document import (
    DataInfo,
    ForecastDocument,
    ForecastPoint,
    HistoryPoint,
    ModelInfo,
    Quality,
)
from ogrine_assets.model.live_accuracy import by_horizon, match_actuals, published_points


def document(origin: str, generated_at: str, base: float, version: str = "1") -> ForecastDocument:
    day = dt.date.fromisoformat(origin)
    return ForecastDocument(
        schema_version=1,
        generated_at=dt.datetime.fromisoformat(generated_at),
        model=ModelInfo(name="m", version=version, run_id="r", alias="champion"),
        dagster_run_id="d",
        data=DataInfo(source="s", synthetic=False, first_observed_date=day, last_observed_date=day),
        history=[HistoryPoint(date=day, rate_tenth=1000, rate=100.0)],
        quality=Quality(
            backtest_origins=10,
            backtest_mae=2.0,
            naive_mae=3.0,
            seasonal_naive_mae=3.0,
            beats_naive=True,
            interval_coverage={80: 0.8, 95: 0.95},
            backtest_mae_by_horizon=[1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0],
        ),
        forecast=[
            ForecastPoint(
                date=day + dt.timedelta(days=h),
                datetime="",
                horizon_days=h,
                prediction_rate_tenth=round((base + h) * 10),
                prediction_rate=base + h,
                interval_80=(base + h - 1, base + h + 1),
                interval_95=(base + h - 3, base + h + 3),
            )
            for h in range(1, 8)
        ],
    )


def test_forecasts_are_matched_to_the_actuals_that_arrived() -> None:
    documents = [
        document("2024-01-10", "2024-01-11T01:00:00+00:00", 100.0),
        document("2024-01-10", "2024-01-11T02:00:00+00:00", 200.0, version="2"),  # re-published
        document("2024-01-12", "2024-01-13T01:00:00+00:00", 300.0),
    ]
    actuals = pl.DataFrame(
        {
            "date": [dt.date(2024, 1, 11) + dt.timedelta(days=i) for i in range(4)],
            "rate": [201.5, 202.0, 301.0, 305.0],
        }
    )
    matched = match_actuals(published_points(documents), actuals)
    rows = matched.select(
        "origin", "date", "horizon_days", "model_version", "predicted", "actual", "error"
    )
    assert rows.rows() == [
        (dt.date(2024, 1, 10), dt.date(2024, 1, 11), 1, "2", 201.0, 201.5, 0.5),
        (dt.date(2024, 1, 10), dt.date(2024, 1, 12), 2, "2", 202.0, 202.0, 0.0),
        (dt.date(2024, 1, 10), dt.date(2024, 1, 13), 3, "2", 203.0, 301.0, 98.0),
        (dt.date(2024, 1, 10), dt.date(2024, 1, 14), 4, "2", 204.0, 305.0, 101.0),
        (dt.date(2024, 1, 12), dt.date(2024, 1, 13), 1, "1", 301.0, 301.0, 0.0),
        (dt.date(2024, 1, 12), dt.date(2024, 1, 14), 2, "1", 302.0, 305.0, 3.0),
    ]
    assert matched["in_80"].to_list() == [True, True, False, False, True, False]
    assert matched["in_95"].to_list() == [True, True, False, False, True, True]
    summary = by_horizon(matched)
    assert summary["forecasts"].to_list() == [2, 2, 1, 1]
    assert summary["live_mae"].to_list() == pytest.approx([0.25, 1.5, 98.0, 101.0])
    assert summary["backtest_mae"].to_list() == [1.0, 1.5, 2.0, 2.5]  # per horizon day


def test_nothing_published_yet() -> None:
    matched = match_actuals(
        published_points([]), pl.DataFrame({"date": [dt.date(2024, 1, 1)], "rate": [1.0]})
    )
    assert matched.is_empty() and by_horizon(matched).is_empty()
