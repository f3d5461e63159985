import datetime as dt

import numpy as np

from ogrine_assets.rates.synthetic import (
    FIRST_DATE,
    SEED,
    synthetic_payload,
    synthetic_rate_tenths,
)
from ogrine_assets.rates.upstream import check_envelope


def test_one_row_per_day_from_first_date_to_yesterday() -> None:
    payload = synthetic_payload(dt.date(2026, 11, 26))
    check_envelope(payload)
    days = [row["datetime"][:10] for row in payload["rates"]]
    assert days[0] == FIRST_DATE.isoformat()
    assert days[-1] == "2026-11-25"
    assert len(days) == len(set(days)) == (dt.date(2026, 11, 25) - FIRST_DATE).days + 1
    assert payload["count"] == len(days)
    assert all(row["datetime"].endswith("T00:00:00+00:00") for row in payload["rates"])


def test_same_value_for_same_date_as_days_pass() -> None:
    earlier = dict(synthetic_rate_tenths(dt.date(2024, 1, 31)))
    later = dict(synthetic_rate_tenths(dt.date(2026, 6, 30)))
    assert all(later[day] == tenth for day, tenth in earlier.items())
    assert len(later) > len(earlier)  # new rows appear as days pass


def test_plausible_dynamics() -> None:
    series = synthetic_rate_tenths(dt.date(2026, 11, 25))
    tenths = np.array([tenth for _, tenth in series])
    assert tenths.min() >= 1_000 and tenths.max() <= 25_000  # hundreds of kamas
    assert abs(np.median(np.diff(np.log(tenths)))) < 0.01  # day to day it moves a little
    weekday_mean = {
        weekday: np.mean([np.log(t) for d, t in series if d.weekday() == weekday])
        for weekday in range(7)
    }
    assert weekday_mean[5] > weekday_mean[1]  # weekends dearer than Tuesdays


def test_rate_printed_like_upstream() -> None:
    for row in synthetic_payload(dt.date(2020, 1, 1))["rates"]:
        assert row["rate"] * 10 == row["rateTenth"]
        if row["rateTenth"] % 10 == 0:
            assert isinstance(row["rate"], int)


def test_sort_and_limit_like_upstream() -> None:
    payload = synthetic_payload(dt.date(2020, 1, 1), sort="DESC", limit=3)
    assert payload["count"] == 3
    assert [row["datetime"][:10] for row in payload["rates"]] == [
        "2019-12-31",
        "2019-12-30",
        "2019-12-29",
    ]


def test_another_seed_draws_another_market_from_the_same_first_day() -> None:
    default = synthetic_rate_tenths(dt.date(2019, 6, 30))
    assert synthetic_rate_tenths(dt.date(2019, 6, 30), seed=SEED) == default
    other = synthetic_rate_tenths(dt.date(2019, 6, 30), seed=SEED + 1)
    assert [day for day, _ in other] == [day for day, _ in default]
    assert [tenth for _, tenth in other] != [tenth for _, tenth in default]
