import datetime as dt

import polars as pl
import pytest

from ogrine_assets.model.splitting import split_by_time


def dates_frame(days: list[int]) -> pl.DataFrame:
    start = dt.date(2024, 1, 1)
    return pl.DataFrame(
        {"date": [start + dt.timedelta(days=d) for d in days], "rate": [1.0] * len(days)}
    )


def test_newest_30_calendar_days_are_the_test_set() -> None:
    train, test = split_by_time(dates_frame(list(range(100))))
    assert test.height == 30
    assert train["date"].max() < test["date"].min()
    assert test["date"].max() == dt.date(2024, 1, 1) + dt.timedelta(days=99)


def test_gaps_do_not_move_the_cut() -> None:
    days = [d for d in range(100) if d not in range(80, 90)]  # ten days missing in the window
    train, test = split_by_time(dates_frame(days))
    assert test["date"].min() == dt.date(2024, 1, 1) + dt.timedelta(days=70)
    assert test.height == 20 and train.height == 70


def test_too_little_data_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="test window"):
        split_by_time(dates_frame(list(range(10))))
    with pytest.raises(ValueError, match="empty"):
        split_by_time(dates_frame([]))
