import datetime as dt
import json

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from ogrine_assets.rates.cleaning import CONFLICT, clean_rates, gap_summary
from ogrine_assets.rates.columns import MAX_RATE_TENTH, MIN_RATE_TENTH
from ogrine_assets.rates.schema import validate
from ogrine_assets.rates.upstream import parse_rates
from ogrine_assets_tests.fake_upstream import envelope

TODAY = dt.date(2024, 2, 1)


def frame(*rows: object) -> pl.DataFrame:
    return parse_rates(json.dumps(envelope(list(rows))).encode())


def row(row_id: int, when: str | None, tenth: object, rate: object = None) -> dict:
    return {"id": row_id, "datetime": when, "rateTenth": tenth, "rate": rate}


def test_sorts_and_keeps_the_last_observation_of_a_day() -> None:
    result = clean_rates(
        frame(
            row(3, "2024-01-02T00:00:00+00:00", 7010),
            row(1, "2024-01-01T00:00:00+00:00", 7000),
            row(2, "2024-01-01T18:00:00+00:00", 7005),  # a re-scrape the same UTC day
        ),
        TODAY,
    )
    assert result.clean["date"].to_list() == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    assert result.clean["rate_tenth"].to_list() == [7005, 7010]
    assert result.clean["rate"].to_list() == [700.5, 701.0]
    assert (result.same_day_merged, result.out_of_order, result.non_midnight) == (1, 1, 1)
    assert result.rejected.is_empty()


def test_exact_duplicates_are_merged() -> None:
    same = row(1, "2024-01-01T00:00:00+00:00", 7000, 700)
    result = clean_rates(frame(same, same, same), TODAY)
    assert result.clean.height == 1 and result.same_day_merged == 2


def test_conflicting_rows_for_one_instant_are_quarantined_whatever_their_order() -> None:
    day = "2024-01-0{}T00:00:00+00:00"
    rows = [row(i, day.format(i), 7000 + i) for i in range(1, 6)]
    doubled = [row(10 + i, day.format(i), 2 * (7000 + i)) for i in (2, 3)]  # 2x, same instant
    for answer in (rows + doubled, doubled + rows):
        result = clean_rates(frame(*answer), TODAY)
        assert result.clean["rate_tenth"].to_list() == [7001, 7004, 7005]
        assert result.rejected["reason"].to_list() == [CONFLICT] * 4
        assert sorted(result.rejected["id"].to_list()) == [2, 3, 12, 13]
        assert result.reasons() == {CONFLICT: 4}


def test_a_row_dated_after_today_is_rejected_and_today_is_kept() -> None:
    result = clean_rates(
        frame(
            row(1, "2024-01-31T00:00:00+00:00", 7000),
            row(2, "2024-02-01T00:00:00+00:00", 7001),  # TODAY
            row(3, "2024-02-02T00:00:00+00:00", 7002),  # tomorrow
            row(4, "2024-02-01T23:30:00-01:00", 7003),  # today there, tomorrow in UTC
        ),
        TODAY,
    )
    assert result.clean["date"].to_list() == [dt.date(2024, 1, 31), TODAY]
    assert result.reasons() == {"date in the future": 2}


def test_other_offsets_fall_on_their_utc_day() -> None:
    result = clean_rates(
        frame(row(1, "2024-01-01T23:30:00-02:00", 7000), row(2, "2024-01-03T00:00:00Z", 7001)),
        TODAY,
    )
    assert result.clean["date"].to_list() == [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    assert result.non_utc_offset == 1  # "Z" is UTC


def test_rejects_bad_rows_with_a_reason_each() -> None:
    result = clean_rates(
        frame(
            row(1, "2024-01-01T00:00:00+00:00", 7000, 700),
            row(2, "yesterday", 7000),
            row(3, "2024-01-03T00:00:00+00:00", None),
            row(4, "2024-01-04T00:00:00+00:00", -5),
            row(5, "2024-01-05T00:00:00+00:00", 10_000_000),
            row(6, "2024-01-06T00:00:00+00:00", 7000, 800.0),
            row(7, "2024-01-07T00:00:00+00:00", "7000"),
            row(8, "2024-03-01T00:00:00+00:00", 7000),
            row(9, "2024-01-09", 7000),
            ["not", "an", "object"],
            row(11, "2024-01-11T00:00:00+00:00", 7000, "seven hundred"),
            row(12, "2024-01-12T00:00:00+00:00", 0),  # zero is not a rate, whatever the range
        ),
        TODAY,
    )
    assert result.clean["rate_tenth"].to_list() == [7000]
    reasons = dict(
        zip(result.rejected["row"].to_list(), result.rejected["reason"].to_list(), strict=True)
    )
    assert reasons == {
        1: "datetime missing or not ISO 8601 with an offset",
        2: "rateTenth missing or not an integer",
        3: "rateTenth not positive",
        4: f"rateTenth outside the plausible range [{MIN_RATE_TENTH}, {MAX_RATE_TENTH}]",
        5: "rate disagrees with rateTenth / 10",
        6: "rateTenth missing or not an integer",
        7: "date in the future",
        8: "datetime missing or not ISO 8601 with an offset",
        9: "row is not an object",
        10: "rate is not a number",
        11: "rateTenth not positive",
    }
    assert (
        json.loads(result.rejected.filter(pl.col("row") == 6)["raw_row"][0])["rateTenth"] == "7000"
    )
    assert result.reasons()["rateTenth missing or not an integer"] == 2


def test_gap_summary_counts_missing_days() -> None:
    dates = pl.Series(
        [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 5), dt.date(2024, 1, 7)]
    )
    assert gap_summary(dates) == (3, 2)
    assert gap_summary(dates.head(1)) == (0, 0)


# Property-based: whatever the upstream sends, cleaning keeps its promises.
offsets = st.sampled_from(["+00:00", "Z", "-02:00", "+05:30", "+14:00", ""])
datetimes = st.one_of(
    st.builds(
        lambda day, seconds, offset: (
            f"{day.isoformat()}T{dt.timedelta(seconds=seconds)!s:0>8}{offset}"[:25]
        ),
        st.dates(dt.date(2023, 12, 1), dt.date(2024, 2, 10)),
        st.integers(0, 86_399),
        offsets,
    ),
    st.sampled_from(["garbage", "", "2024-13-01T00:00:00+00:00"]),
    st.none(),
)
tenths = st.one_of(
    st.integers(-1000, 200_000),
    st.none(),
    st.just("7000"),
    st.floats(allow_nan=False, allow_infinity=False),
)


def upstream_row(row_id: int, when: str | None, tenth: object, exact_rate: bool) -> dict:
    rate = tenth / 10 if exact_rate and isinstance(tenth, int) else (tenth if exact_rate else None)
    return {"id": row_id, "datetime": when, "rateTenth": tenth, "rate": rate}


rows = st.builds(upstream_row, st.integers(0, 10_000), datetimes, tenths, st.booleans())


@settings(max_examples=150, deadline=None)
@given(st.lists(rows, max_size=60))
def test_cleaning_properties(upstream_rows: list[dict]) -> None:
    raw = frame(*upstream_rows)
    result = clean_rates(raw, TODAY)
    clean = result.clean
    # Every input row is kept, merged into a kept row of its day, or reported.
    assert clean.height + result.same_day_merged + result.rejected_count == raw.height
    assert result.rejected["reason"].null_count() == 0
    # Sorted, one row per day, nothing outside the rules: the schema agrees.
    assert clean["date"].is_sorted() and clean["date"].n_unique() == clean.height
    assert clean["rate_tenth"].is_between(MIN_RATE_TENTH, MAX_RATE_TENTH).all()
    assert (clean["date"] <= TODAY).all()
    if clean.height:
        validate(clean)
