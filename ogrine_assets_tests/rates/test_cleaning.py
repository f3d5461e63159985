import datetime as dt

import polars as pl

from ogrine_assets.rates.cleaning import clean_rates, gap_summary
from ogrine_assets.rates.upstream import payload_to_frame


def frame(*rows: dict) -> pl.DataFrame:
    return payload_to_frame({"rates": list(rows)})


def row(row_id: int, when: str, tenth: object) -> dict:
    return {"id": row_id, "datetime": when, "rateTenth": tenth, "rate": None}


def test_sorts_and_keeps_the_last_observation_of_a_day() -> None:
    result = clean_rates(
        frame(
            row(3, "2024-01-02T00:00:00+00:00", 7010),
            row(1, "2024-01-01T00:00:00+00:00", 7000),
            row(2, "2024-01-01T18:00:00+00:00", 7005),  # a re-scrape the same UTC day
        )
    )
    assert result.clean["date"].to_list() == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    assert result.clean["rate_tenth"].to_list() == [7005, 7010]
    assert result.clean["rate"].to_list() == [700.5, 701.0]
    assert result.duplicates_merged == 1
    assert result.rejected.is_empty()


def test_other_offsets_fall_on_their_utc_day() -> None:
    result = clean_rates(frame(row(1, "2024-01-01T23:30:00-02:00", 7000)))
    assert result.clean["date"].to_list() == [dt.date(2024, 1, 2)]


def test_rejects_bad_rows_with_a_reason_each() -> None:
    result = clean_rates(
        frame(
            row(1, "2024-01-01T00:00:00+00:00", 7000),
            row(2, "yesterday", 7000),
            row(3, "2024-01-03T00:00:00+00:00", None),
            row(4, "2024-01-04T00:00:00+00:00", -5),
            row(5, "2024-01-05T00:00:00+00:00", 10_000_000),
        )
    )
    assert result.clean.height == 1
    reasons = dict(
        zip(result.rejected["id"].to_list(), result.rejected["reason"].to_list(), strict=True)
    )
    assert set(reasons) == {2, 3, 4, 5}
    assert "datetime" in reasons[2]
    assert "missing" in reasons[3]
    assert "outside" in reasons[4] and "outside" in reasons[5]


def test_gap_summary_counts_missing_days() -> None:
    dates = pl.Series(
        [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 5), dt.date(2024, 1, 7)]
    )
    assert gap_summary(dates) == (3, 2)
    assert gap_summary(dates.head(1)) == (0, 0)
