import datetime as dt

import pytest

from ogrine_assets.rates.outliers import MIN_PAIRS, suspect_days
from ogrine_assets.rates.synthetic import synthetic_rate_tenths
from ogrine_assets_tests.real_series import SERIES

SYNTHETIC = synthetic_rate_tenths(dt.date(2026, 11, 25))
DATES = [day for day, _ in SYNTHETIC]
TENTHS = [tenth for _, tenth in SYNTHETIC]


def with_days(changes: dict[int, float]) -> list[int]:
    """The synthetic series with the days at these indexes (negative from the end) scaled."""
    tenths = list(TENTHS)
    for index, factor in changes.items():
        tenths[index] = round(tenths[index] * factor)
    return tenths


@pytest.mark.parametrize("name", sorted(SERIES))
def test_no_day_of_a_real_series_is_suspect(name: str) -> None:
    dates, values = SERIES[name]()
    assert suspect_days(dates, [round(value * 10) for value in values]) == {}


def test_no_day_of_the_synthetic_series_is_suspect() -> None:
    assert suspect_days(DATES, TENTHS) == {}


def test_an_isolated_spike_inside_the_range_is_flagged_for_one_or_two_days() -> None:
    last = len(TENTHS) - 1
    one = suspect_days(DATES, with_days({-30: 7}))
    assert list(one) == [last - 29]
    assert one[last - 29].startswith("a spike of +") and "did not last" in one[last - 29]
    assert list(suspect_days(DATES, with_days({-30: 0.2, -29: 0.2}))) == [last - 29, last - 28]


def test_a_jump_on_the_newest_day_waits_for_a_later_day() -> None:
    last = len(TENTHS) - 1
    held = suspect_days(DATES, with_days({-1: 7}))
    assert list(held) == [last] and "on the newest day" in held[last]
    # The next day it stays there: a level shift, accepted; it comes back: a spike.
    assert suspect_days(DATES, with_days({-1: 7, -2: 7})) == {}
    assert list(suspect_days(DATES, with_days({-2: 7}))) == [last - 1]


def test_a_day_back_to_normal_after_a_spike_is_not_suspect() -> None:
    flagged = suspect_days(DATES, with_days({-2: 7}))
    assert len(TENTHS) - 1 not in flagged


def test_small_moves_of_a_flat_series_are_not_spikes() -> None:
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(60)]
    flat = [10000] * 60
    flat[30] = 10400  # +4 %: a series that never moves makes no 4 % move wild
    assert suspect_days(days, flat) == {}
    flat[30] = 13000
    assert list(suspect_days(days, flat)) == [30]


def test_too_short_a_series_flags_nothing() -> None:
    tenths = with_days({-2: 7})[-MIN_PAIRS:]
    assert suspect_days(DATES[-MIN_PAIRS:], tenths) == {}
