"""The bands a forecast publishes: their widths in kamas, against numbers worked out by hand."""

import numpy as np
import pytest

from ogrine_assets.model.backtest import NAIVE, run_backtest
from ogrine_assets.model.intervals import (
    SCALE_DAYS,
    Band,
    IntervalRecord,
    coverage,
    local_scale,
    residual_quantiles,
    scaled_interval_record,
)
from ogrine_assets_tests.model.test_backtest import trend_and_rhythm


def record(scale_days: int) -> IntervalRecord:
    return IntervalRecord(
        method="drift",
        origins=60,
        bands={80: Band(lower=[-1.0, -2.0], upper=[0.5, 3.0]), 95: Band([-2.0, -4.0], [1.0, 6.0])},
        held_out_coverage={80: 0.8, 95: 0.95},
        mae_by_horizon=[1.0, 2.0],
        scale_days=scale_days,
    )


# Rates up to the forecast's origin. The last week moves 4, 3, 8, 1, 8, 6 and 6 kamas a day:
# a mean absolute daily change of 36 / 7 kamas. The two moves before it (10 and 60 kamas)
# are older than the week and must not count.
RATES = np.array([650.0, 640.0, 700.0, 704.0, 701.0, 709.0, 708.0, 700.0, 706.0, 712.0])
WEEK_SCALE = 36 / 7


def test_scaled_bands_are_their_multiples_of_the_last_weeks_mean_daily_change() -> None:
    offsets = record(scale_days=7).offsets(RATES)
    lower, upper = offsets[80]
    assert lower == pytest.approx([-1.0 * WEEK_SCALE, -2.0 * WEEK_SCALE])
    assert upper == pytest.approx([0.5 * WEEK_SCALE, 3.0 * WEEK_SCALE])
    widths = {level: np.subtract(up, low) for level, (low, up) in offsets.items()}
    assert widths[80] == pytest.approx([1.5 * 36 / 7, 5.0 * 36 / 7])  # ~7.7 and ~25.7 kamas
    assert widths[95] == pytest.approx([3.0 * 36 / 7, 10.0 * 36 / 7])


def test_the_scale_is_taken_over_the_records_own_number_of_days() -> None:
    lower, upper = record(scale_days=3).offsets(RATES)[80]  # the last 3 moves: 8, 6 and 6
    assert lower == pytest.approx([-1.0 * 20 / 3, -2.0 * 20 / 3])
    assert upper == pytest.approx([0.5 * 20 / 3, 3.0 * 20 / 3])


def test_unscaled_bands_are_kamas_as_stored_and_scaled_ones_need_the_rates() -> None:
    assert record(scale_days=0).offsets() == {
        80: ([-1.0, -2.0], [0.5, 3.0]),
        95: ([-2.0, -4.0], [1.0, 6.0]),
    }
    with pytest.raises(ValueError, match="need the rates"):
        record(scale_days=7).offsets()


def test_the_conformal_order_statistics_of_nine_residuals() -> None:
    """Nine residuals 1..9 at one horizon: the 80 % band leaves 10 % each side, so its upper
    offset is the ceil(10 * 0.9) = 9th smallest and its lower the floor(10 * 0.1) = 1st."""
    residuals = np.arange(1.0, 10.0)[:, None]
    (lower,), (upper,) = residual_quantiles(residuals, [80])[80]
    assert (lower, upper) == (1.0, 9.0)
    (lower,), (upper,) = residual_quantiles(np.arange(1.0, 20.0)[:, None], [80])[80]
    assert (lower, upper) == (2.0, 18.0)  # 19 residuals: the 2nd and the ceil(18) = 18th


def test_the_order_statistics_where_the_conformal_rank_is_not_the_plain_one() -> None:
    """28 residuals 1..28: (n + 1) * 0.1 = 2.9, so the 80 % band runs from the 2nd smallest
    to the ceil(29 * 0.9) = 27th (a plain 10-90 % quantile would interpolate 3.7 and 25.3)."""
    (lower,), (upper,) = residual_quantiles(np.arange(1.0, 29.0)[:, None], [80])[80]
    assert (lower, upper) == (2.0, 27.0)


def test_a_horizon_with_one_residual_or_none() -> None:
    """One known residual is the whole band; a horizon with none has no band (NaN)."""
    residuals = np.array([[np.nan, np.nan], [-3.0, np.nan], [np.nan, np.nan]])
    lower, upper = residual_quantiles(residuals, [80])[80]
    assert (lower[0], upper[0]) == (-3.0, -3.0)
    assert np.isnan(lower[1]) and np.isnan(upper[1])


def test_a_training_stores_its_bands_in_multiples_of_the_local_scale() -> None:
    """What a training stores: the conformal bands of the residuals divided by the local
    scale at their origins, marked as scaled (a record marked unscaled would be published
    as kamas, ~7 times too narrow), with the held-out coverage of the older half's bands
    on the newer half."""
    series = trend_and_rhythm(400, 1.0)
    backtest = run_backtest(series, {})
    record = scaled_interval_record(backtest, NAIVE, series.values, series.observed)
    scaled = backtest.errors(NAIVE) / local_scale(series.values, backtest.origins)[:, None]
    assert (record.method, record.origins, record.scale_days) == (
        NAIVE,
        len(backtest.origins),
        SCALE_DAYS,
    )
    for level, (lower, upper) in residual_quantiles(scaled).items():
        assert record.bands[level].lower == pytest.approx(lower, abs=1e-4)
        assert record.bands[level].upper == pytest.approx(upper, abs=1e-4)
    half = len(scaled) // 2
    held_out = coverage(scaled[half:], residual_quantiles(scaled[:half]))
    assert record.held_out_coverage == pytest.approx(held_out, abs=1e-4)
    assert record.mae_by_horizon == pytest.approx(backtest.per_horizon(NAIVE)["mae"], abs=1e-4)
