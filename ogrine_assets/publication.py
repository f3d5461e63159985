"""The forecast document: the one JSON file the pipeline publishes and the service reads.

Plain data and the standard library only, so the service can trust its shape without
importing anything heavy. ``SCHEMA_VERSION`` changes whenever a field's meaning does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

SCHEMA_VERSION = 1
HISTORY_DAYS = 90


def _midnight_utc(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00+00:00"


def build_forecast_document(
    *,
    model: dict[str, Any],
    generated_at: dt.datetime,
    dagster_run_id: str,
    data_source: str,
    synthetic: bool,
    history: Sequence[tuple[dt.date, int]],
    predictions: Sequence[tuple[dt.date, float]],
    bands: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    quality: Mapping[str, Any] | None = None,
    live_accuracy: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything a reader needs: provenance, the recent history and the daily predictions.

    ``bands`` maps a level ("80", "95") to per-horizon (lower, upper) offsets from the
    prediction, from the backtest's residuals; ``quality`` holds the champion's backtest
    scores against the naive baselines; ``live_accuracy`` the published forecasts' errors
    so far, per horizon day.
    """
    if not history:
        raise ValueError("a forecast needs at least one observed rate")
    last_observed = history[-1][0]
    points = []
    for step, (day, rate) in enumerate(predictions, start=1):
        tenth = round(rate * 10)
        point: dict[str, Any] = {
            "date": day.isoformat(),
            "datetime": _midnight_utc(day),
            "horizon_days": step,
            "prediction_rate_tenth": tenth,
            "prediction_rate": tenth / 10,
        }
        for level, (lower, upper) in (bands or {}).items():
            point[f"interval_{level}"] = [
                round(rate + lower[step - 1], 1),
                round(rate + upper[step - 1], 1),
            ]
        points.append(point)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "model": model,
        "dagster_run_id": dagster_run_id,
        "data": {
            "source": data_source,
            "synthetic": synthetic,
            "first_observed_date": history[0][0].isoformat(),
            "last_observed_date": last_observed.isoformat(),
        },
        "history": [
            {"date": day.isoformat(), "rate_tenth": tenth, "rate": tenth / 10}
            for day, tenth in history[-HISTORY_DAYS:]
        ],
        "forecast": points,
        "quality": dict(quality) if quality else None,
        "live_accuracy": [dict(row) for row in live_accuracy] if live_accuracy else [],
    }


def encode(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=False) + "\n").encode()
