import datetime as dt

import numpy as np
import pytest

from ogrine_assets.model.backtest import (
    NAIVE,
    SEASONAL_NAIVE,
    backtest_origins,
    refit_paths,
    run_backtest,
    seasonal_naive_paths,
)
from ogrine_assets.model.features import MODEL_FEATURES, DailySeries
from ogrine_assets.model.intervals import held_out_coverage, interval_record

START = dt.date(2022, 1, 3)  # a Monday


def trend_and_rhythm(days: int, noise: float, seed: int = 1) -> DailySeries:
    t = np.arange(days)
    weekly = np.array([-6.0, -8.0, -4.0, 0.0, 4.0, 9.0, 5.0])[t % 7]
    rng = np.random.default_rng(seed)
    return DailySeries(start=START, values=600 + 0.3 * t + weekly + rng.normal(0, noise, days))


def random_walk(days: int, seed: int = 2) -> DailySeries:
    rng = np.random.default_rng(seed)
    return DailySeries(start=START, values=700 + np.cumsum(rng.normal(0, 5, days)))


def test_origins_cover_half_a_year_and_keep_the_horizon_inside_the_data() -> None:
    series = trend_and_rhythm(400, 1.0)
    origins = backtest_origins(series)
    assert len(origins) == 182
    assert origins[-1] == len(series) - 1 - 7
    assert np.all(np.diff(origins) == 1)
    with pytest.raises(ValueError, match="too few"):
        backtest_origins(trend_and_rhythm(60, 1.0))


def test_an_origin_never_sees_data_after_itself() -> None:
    series = trend_and_rhythm(300, 1.0)
    origins = backtest_origins(series, days=40)
    before = refit_paths(series, MODEL_FEATURES, origins)
    cut = origins[15]
    changed = series.values.copy()
    changed[cut + 1 :] *= 3  # a wildly different future: any leak would show
    after = refit_paths(DailySeries(START, changed), MODEL_FEATURES, origins)
    np.testing.assert_allclose(after[:16], before[:16])
    assert not np.allclose(after[16:], before[16:])


def test_seasonal_naive_repeats_last_weeks_weekday() -> None:
    series = DailySeries(START, np.arange(50, dtype=float))
    paths = seasonal_naive_paths(series, np.array([20]))
    assert paths.tolist() == [[14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0]]


def test_on_random_walks_the_naive_forecast_wins() -> None:
    """On a random walk nothing beats the last value but luck: over ten walks the
    regression loses on average and on most of them (its features fit noise)."""
    ratios, naive_mase = [], []
    for seed in range(10):
        backtest = run_backtest(random_walk(1500, seed), {"model": MODEL_FEATURES})
        ratios.append(backtest.overall("model")["mae"] / backtest.overall(NAIVE)["mae"])
        naive_mase.append(backtest.per_horizon(NAIVE)["mase"][0])
    # MASE scales by the in-sample one-day change: naive one day ahead is about 1.
    assert np.mean(naive_mase) == pytest.approx(1.0, abs=0.1)
    assert np.mean(ratios) > 1.0
    assert sum(ratio > 1.0 for ratio in ratios) >= 6


def test_on_trend_and_weekly_rhythm_the_regression_wins() -> None:
    backtest = run_backtest(trend_and_rhythm(1000, 2.0), {"model": MODEL_FEATURES})
    model = backtest.overall("model")["mae"]
    assert model < backtest.overall(NAIVE)["mae"]
    assert model < backtest.overall(SEASONAL_NAIVE)["mae"]
    rows = backtest.table()
    assert {row["method"] for row in rows} == {"model", NAIVE, SEASONAL_NAIVE}
    assert len(rows) == 3 * 8  # 7 horizon days and "all", per method


def test_interval_coverage_is_near_nominal_on_known_noise() -> None:
    series = trend_and_rhythm(1400, 5.0, seed=11)
    backtest = run_backtest(series, {"model": MODEL_FEATURES}, backtest_origins(series, days=600))
    coverage = held_out_coverage(backtest.errors("model"))
    assert coverage[80] == pytest.approx(0.8, abs=0.06)
    assert coverage[95] == pytest.approx(0.95, abs=0.04)
    record = interval_record(backtest, "model")
    lower, upper = record.bands[80].lower, record.bands[80].upper
    assert len(lower) == len(upper) == 7
    assert all(lo < 0 < hi for lo, hi in zip(lower, upper, strict=True))
    # With noise of 5 kamas the 80% band of a one-day forecast is about +/-1.28 sigma.
    assert upper[0] - lower[0] == pytest.approx(2 * 1.2816 * 5.0, rel=0.25)


def test_carried_days_are_not_scored() -> None:
    series = trend_and_rhythm(400, 1.0)
    observed = np.ones(400, dtype=bool)
    observed[380:385] = False  # a five-day gap, carried over
    values = series.values.copy()
    values[380:385] = values[379]
    gapped = DailySeries(START, values, observed)
    backtest = run_backtest(gapped, {"model": MODEL_FEATURES}, backtest_origins(gapped, days=30))
    assert np.isnan(backtest.actual).sum() > 0
    assert not np.isnan(backtest.per_horizon(NAIVE)["mae"]).any()
    # Were carried days scored, repeating the last value would be exactly right on them.
    scored_naive = np.abs(backtest.errors(NAIVE))
    assert np.nanmin(scored_naive) > 0


def test_a_procedure_named_twice_is_refitted_once_with_the_same_forecasts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ogrine_assets.model import backtest
    from ogrine_assets.model.candidates import Procedure

    series = trend_and_rhythm(300, 1.0)
    origins = backtest_origins(series, days=30)
    refits = []
    real = backtest.refit_paths

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        refits.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(backtest, "refit_paths", counted)
    candidate = Procedure("linear: recent path, weekday, trend", "ols", MODEL_FEATURES)
    champion = Procedure("linear", "ols", MODEL_FEATURES)  # named before methods were
    both = run_backtest(series, {"candidate": candidate, "champion": champion}, origins)
    assert len(refits) == 1
    np.testing.assert_array_equal(both.forecasts["candidate"], both.forecasts["champion"])
    alone = run_backtest(series, {"candidate": candidate}, origins)
    np.testing.assert_array_equal(both.forecasts["candidate"], alone.forecasts["candidate"])
    run_backtest(series, {"ols": MODEL_FEATURES, "ridge": Procedure("r", "ridge", MODEL_FEATURES)})
    assert len(refits) == 4  # a different fit of the same features is its own refit
