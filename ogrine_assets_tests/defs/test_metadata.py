"""Dagster metadata tables: scores to meaningful digits, data at its own precision."""

import datetime as dt

import polars as pl

from ogrine_assets.defs.common.metadata import frame_table, pairs_table, table


def test_scores_show_meaningful_digits_however_small_or_large() -> None:
    shown = pairs_table({"intercept": 1234.5678, "trend": 3.21987e-5, "lag_1": 0.912345})
    assert [record.data["value"] for record in shown.value.records] == [1235.0, 3.22e-5, 0.9123]
    assert [column.type for column in shown.value.schema.columns] == ["string", "float"]


def test_data_columns_keep_their_precision_and_dates_read_as_text() -> None:
    rows = pl.DataFrame(
        {"date": [dt.date(2026, 12, 7)], "prediction_rate": [1337.4], "mae": [15.41234]}
    )
    shown = frame_table(rows, as_is={"prediction_rate"}).value.records[0].data
    assert shown == {"date": "2026-12-07", "prediction_rate": 1337.4, "mae": 15.41}
    assert table([{"prediction_rate": 1337.4}]).value.records[0].data["prediction_rate"] == 1337.0
