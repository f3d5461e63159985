import datetime as dt

import numpy as np
import pytest

from ogrine_assets.model.features import (
    CATALOGUE,
    MODEL_FEATURES,
    WINDOW,
    daily_series,
    feature_frame,
    training_examples,
)


def test_daily_series_carries_the_last_rate_over_gaps() -> None:
    series = daily_series(
        [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 5)], [10.0, 11.0, 14.0]
    )
    assert series.values.tolist() == [10.0, 11.0, 11.0, 11.0, 14.0]
    assert series.filled_days == 2
    assert series.last_date == dt.date(2024, 1, 5)
    assert series.index_of(dt.date(2024, 1, 3)) == 2


def test_daily_series_refuses_unsorted_or_empty() -> None:
    with pytest.raises(ValueError, match="ascending"):
        daily_series([dt.date(2024, 1, 2), dt.date(2024, 1, 1)], [1.0, 2.0])
    with pytest.raises(ValueError, match="no observations"):
        daily_series([], [])


def test_feature_frame_values() -> None:
    window = np.arange(1.0, WINDOW + 1)  # 1 … 28, the last value is the day before the target
    frame = feature_frame(
        window[None, :], np.array(["2024-01-06"], dtype="datetime64[D]")
    )  # a Saturday
    assert list(frame.columns) == list(CATALOGUE)
    assert set(MODEL_FEATURES) <= set(CATALOGUE)
    first = frame.iloc[0]
    assert first["lag_1"] == 28.0
    assert first["lag_7"] == 22.0
    assert first["mean_7"] == pytest.approx(np.mean(np.arange(22, 29)))
    assert first["mean_28"] == pytest.approx(14.5)
    assert (first["lag_2"], first["change_1"], first["change_7"]) == (27.0, 1.0, 7.0)
    assert first["trend"] == pytest.approx(24.0137, abs=1e-3)  # 2024-01-06, in years since 2000
    assert first["dow_sat"] == 1.0
    assert first[[name for name in CATALOGUE if name.startswith("dow_")]].sum() == 1.0


def test_monday_is_the_weekday_baseline() -> None:
    frame = feature_frame(
        np.ones((1, WINDOW)), np.array(["2024-01-01"], dtype="datetime64[D]")
    )  # Monday
    assert frame.filter(like="dow_").to_numpy().sum() == 0


def test_training_examples_never_look_at_their_target() -> None:
    values = np.arange(100, dtype=float)
    series = daily_series([dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(100)], values)
    features, target = training_examples(series, end=60)
    assert len(target) == 60 - WINDOW
    assert target[0] == WINDOW and target[-1] == 59
    assert (features["lag_1"].to_numpy() == target - 1).all()
    assert (features["lag_7"].to_numpy() == target - 7).all()


def test_carried_days_feed_features_but_are_never_targets() -> None:
    start = dt.date(2024, 1, 1)
    days = [start + dt.timedelta(days=i) for i in range(60) if i not in (40, 41, 42)]
    series = daily_series(days, [float(i) for i in range(len(days))])
    assert series.filled_days == 3 and not series.observed[40:43].any()
    features, target = training_examples(series)
    assert len(target) == 60 - WINDOW - 3
    assert 39.0 in target and target.tolist().count(39.0) == 1  # day 43 carries no copy of 39
    assert features["lag_1"].tolist()[43 - WINDOW - 3] == 39.0  # day 43 sees day 39 carried
