"""A long gap in the rates: the week after it is scored honestly and the bands keep their
shape (a 60-day gap once gave a 95 % band five times the 80 % one, and a NumPy warning)."""

import datetime as dt
import warnings

import numpy as np
import polars as pl
import pytest

from ogrine_assets.model import splitting
from ogrine_assets.model.spans import TEST_DAYS
from ogrine_assets.model.training import train
from ogrine_assets.rates.synthetic import synthetic_rate_tenths
from ogrine_assets_tests.synthetic_series import UNTIL, series_of


def test_a_sixty_day_gap_keeps_the_bands_in_proportion_and_says_nothing_raw() -> None:
    rows = synthetic_rate_tenths(UNTIL)
    rows = rows[:-70] + rows[-10:]  # 60 days missing, ending ten days ago
    series = series_of(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Mean of empty slice" reached the terminal
        trained = train(series, series.last_date - dt.timedelta(days=TEST_DAYS - 1))
    bands = trained.intervals.offsets(series.values, series.observed)
    level = series.values[-1]
    for day in range(7):
        width_80 = bands[80][1][day] - bands[80][0][day]
        width_95 = bands[95][1][day] - bands[95][0][day]
        assert width_80 < width_95 < 2.5 * width_80, (day, width_80, width_95)
        assert level + bands[95][0][day] > 0.9 * level
    assert np.isfinite(trained.summary.model_mae)


def test_a_gap_over_the_start_of_the_test_window_still_leaves_it_to_score_on() -> None:
    rows = synthetic_rate_tenths(UNTIL)
    rows = rows[:-30] + rows[-4:]  # 26 days missing: the window's first observed day is late
    series = series_of(rows)
    frame = pl.DataFrame({"date": [day for day, _ in rows]})
    _, test_set = splitting.split_by_time(frame)
    start = splitting.test_window_start(test_set["date"].max())
    assert test_set["date"].min() > start + dt.timedelta(days=7)  # a week or less after it
    trained = train(series, start)  # what ogrine_model trains from
    assert trained.holdout.origins > 0
    with pytest.raises(ValueError, match="shorter than 7 days"):  # what it trained from before
        train(series, test_set["date"].min())
