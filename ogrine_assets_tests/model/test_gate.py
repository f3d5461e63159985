import datetime as dt

import numpy as np

from ogrine_assets.model.estimators import predictor
from ogrine_assets.model.features import daily_series
from ogrine_assets.model.forecasting import next_days
from ogrine_assets.model.gate import envelope, implausible
from ogrine_assets.model.spans import TEST_DAYS
from ogrine_assets.model.training import train
from ogrine_assets.rates.synthetic import synthetic_rate_tenths
from ogrine_assets_tests.synthetic_series import UNTIL, series_of

ROWS = synthetic_rate_tenths(UNTIL)
SERIES = series_of(ROWS)
LAST = float(SERIES.values[-1])
DAYS = [SERIES.last_date + dt.timedelta(days=step) for step in range(1, 8)]


def flat(rate: float) -> list[tuple[dt.date, float]]:
    return [(day, rate) for day in DAYS]


def test_what_training_publishes_passes_the_gate() -> None:
    trained = train(SERIES, SERIES.last_date - dt.timedelta(days=TEST_DAYS - 1))
    predictions = next_days(predictor(trained.model), SERIES)
    bands = trained.intervals.offsets(SERIES.values, SERIES.observed)
    assert implausible(SERIES, predictions, bands) == []


def test_a_band_below_zero_or_a_forecast_five_times_the_level_fails_it() -> None:
    # The forecast a single 7x day once published: day 1's 80 % band [-1602, 4907].
    wide = {80: ([-1602 - LAST] * 7, [4907 - LAST] * 7)}
    problems = implausible(SERIES, flat(LAST), wide)
    assert len(problems) == 7 and problems[0].startswith(f"{DAYS[0]}: 80% band -1602, not above")
    (first, *_) = implausible(SERIES, flat(5 * LAST))
    low, high = (LAST * np.exp(-envelope(SERIES)[0]), LAST * np.exp(envelope(SERIES)[0]))
    assert first == f"{DAYS[0]}: forecast {5 * LAST:.0f} outside [{low:.0f}, {high:.0f}]"


def test_the_envelope_widens_with_the_horizon_and_follows_a_move_that_stayed() -> None:
    limits = envelope(SERIES)
    assert 0.05 < limits[0] < limits[-1] < 1.5  # the largest moves grow with the days
    # The data moved to 3x and stayed there: a forecast there is plausible.
    moved = daily_series(
        [day for day, _ in ROWS], [tenth / 10 for _, tenth in ROWS[:-5]] + [3 * LAST] * 5
    )
    assert implausible(moved, flat(3 * LAST)) == []
    assert implausible(SERIES, flat(3 * LAST)) != []  # where it did not, it is not


def test_each_edge_is_judged_the_forecast_and_both_ends_of_every_band() -> None:
    narrow = {80: ([-1.0] * 7, [1.0] * 7), 95: ([-2.0] * 7, [2.0] * 7)}
    assert implausible(SERIES, flat(LAST), narrow) == []
    # A wild forecast with narrow bands around it: the forecast itself is judged.
    assert implausible(SERIES, flat(5 * LAST), narrow)[0].startswith(f"{DAYS[0]}: forecast ")
    # Only the upper end of the 95 % band wild, or only its lower end at exactly zero.
    up = {80: narrow[80], 95: ([-2.0] * 7, [4 * LAST] * 7)}
    assert implausible(SERIES, flat(LAST), up)[0].startswith(f"{DAYS[0]}: 95% band ")
    zero = {80: narrow[80], 95: ([-LAST] * 7, [2.0] * 7)}
    assert implausible(SERIES, flat(LAST), zero)[0] == f"{DAYS[0]}: 95% band 0, not above zero"
