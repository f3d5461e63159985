"""A long gap in the rates: the week after it is scored honestly and the bands keep their
shape (a 60-day gap once gave a 95 % band five times the 80 % one, and a NumPy warning)."""

import datetime as dt
import warnings

import numpy as np

from ogrine_assets.model.features import daily_series
from ogrine_assets.model.spans import TEST_DAYS
from ogrine_assets.model.training import train
from ogrine_assets.rates.synthetic import synthetic_rate_tenths


def test_a_sixty_day_gap_keeps_the_bands_in_proportion_and_says_nothing_raw() -> None:
    rows = synthetic_rate_tenths(dt.date(2026, 11, 25))
    rows = rows[:-70] + rows[-10:]  # 60 days missing, ending ten days ago
    series = daily_series([day for day, _ in rows], [tenth / 10 for _, tenth in rows])
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
