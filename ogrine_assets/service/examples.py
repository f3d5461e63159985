"""Fixed, realistic example answers for the OpenAPI document (``/schema``).

Litestar would otherwise make examples up at random (negative rates, strings of random
letters), different at every start. These are built once from one plausible document, so
they follow its rules (consecutive days, rates in tenths) and never change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from ogrine_assets.forecast_document import (
    LiveAccuracy,
    ModelInfo,
    Quality,
    build_forecast_document,
)
from ogrine_assets.service.source import NOT_PUBLISHED

_LAST_OBSERVED = dt.date(2026, 11, 25)
_HISTORY = [13319, 13342, 13335, 13361, 13348, 13357, 13366]  # tenths of a kama, oldest first
_PREDICTIONS = [1337.4, 1338.1, 1339.0, 1339.6, 1340.3, 1340.9, 1341.5]
_HALF_80 = [15.0, 19.2, 22.6, 25.1, 27.3, 29.4, 31.2]
_HALF_95 = [22.9, 29.3, 34.5, 38.3, 41.7, 44.9, 47.6]

DOCUMENT = build_forecast_document(
    model=ModelInfo(
        name="ogrine-rate-forecaster",
        version="2",
        run_id="0c4f6e2b9a3d4f7e8b1a5c6d7e8f9a0b",
        alias="champion",
        method="linear: recent path, weekday, trend (lag_1, mean_7, change_7, trend, dow_tue, "
        "dow_wed, dow_thu, dow_fri, dow_sat, dow_sun)",
    ),
    generated_at=dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC),
    dagster_run_id="5b2f7c1e-3a9d-4e8b-9f6a-1c2d3e4f5a6b",
    data_source="https://api.example.org/ogrine/rates",
    synthetic=False,
    history=[
        (_LAST_OBSERVED - dt.timedelta(days=len(_HISTORY) - 1 - i), tenth)
        for i, tenth in enumerate(_HISTORY)
    ],
    predictions=[
        (_LAST_OBSERVED + dt.timedelta(days=step), rate)
        for step, rate in enumerate(_PREDICTIONS, start=1)
    ],
    bands={
        80: ([-h for h in _HALF_80], _HALF_80),
        95: ([-h for h in _HALF_95], _HALF_95),
    },
    quality=Quality(
        backtest_origins=182,
        backtest_mae=15.41,
        naive_mae=19.91,
        seasonal_naive_mae=20.8,
        beats_naive=True,
        interval_coverage={80: 0.8226, 95: 0.9388},
        backtest_mae_by_horizon=[9.43, 11.99, 14.47, 16.01, 17.33, 18.68, 19.97],
    ),
    live_accuracy=[
        LiveAccuracy(
            horizon_days=1,
            forecasts=4,
            live_mae=12.1,
            backtest_mae=9.43,
            coverage_80=0.75,
            coverage_95=1.0,
        )
    ],
)


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


SEVEN_DAYS: list[dict[str, Any]] = [
    {
        "datetime": point.datetime,
        "prediction_rateTenth": point.prediction_rate_tenth,
        "prediction_rate": point.prediction_rate,
    }
    for point in DOCUMENT.forecast
]

FORECAST: dict[str, Any] = {
    "model": _plain(DOCUMENT.model),
    "generated_at": _plain(DOCUMENT.generated_at),
    "dagster_run_id": DOCUMENT.dagster_run_id,
    "data": _plain(DOCUMENT.data),
    "staleness": {"data_age_days": 1, "status": "fresh", "stale": False, "stale_after_days": 3},
    "forecast": _plain(DOCUMENT.forecast),
    "quality": _plain(DOCUMENT.quality),
    "live_accuracy": _plain(DOCUMENT.live_accuracy),
}

HISTORY: list[dict[str, Any]] = _plain(DOCUMENT.history[-3:])

HEALTH_READY: dict[str, Any] = {
    "status": "ready",
    "model_version": DOCUMENT.model.version,
    "generated_at": _plain(DOCUMENT.generated_at),
    "last_observed_date": _plain(DOCUMENT.data.last_observed_date),
    "data_age_days": 1,
}

HEALTH_STALE: dict[str, Any] = {
    "status": "stale",
    "warning": f"the newest data ({DOCUMENT.data.last_observed_date}) is 9 days old, stale after 3",
    "model_version": DOCUMENT.model.version,
    "generated_at": _plain(DOCUMENT.generated_at),
    "last_observed_date": _plain(DOCUMENT.data.last_observed_date),
    "data_age_days": 9,
}

HEALTH_UNAVAILABLE: dict[str, Any] = {
    "status": "unavailable",
    "reason": f"{NOT_PUBLISHED} at /home/ogrine/.ogrine/forecast/forecast.json",
}

UNAVAILABLE: dict[str, Any] = {"status_code": 503, "detail": NOT_PUBLISHED}
