"""The forecast document: the one JSON file the pipeline publishes and the service serves.

It is defined once, here, as msgspec structs. The ``forecast`` asset builds it, the forecast
store publishes and archives it, live accuracy reads the archived ones back and the service
serves it, all through these types and :func:`decode`'s rules, so no part can drift from
another. Only msgspec and the standard library: the service imports this module without
the pipeline's stack. ``SCHEMA_VERSION`` changes whenever a field's meaning does.

Interval levels are whole percents (80, 95) from the backtest that makes them to the page
that draws them; JSON object keys are strings, so they read "80" and "95" in the file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence

import msgspec

SCHEMA_VERSION = 1
HISTORY_DAYS = 90
# The interval levels, in percent. Fixed by the schema: each has its own field below
# (interval_80, coverage_80, ...); another level means another SCHEMA_VERSION.
INTERVAL_LEVELS = (80, 95)


class ModelInfo(msgspec.Struct, frozen=True):
    """The registered model version that made the numbers, and the alias it was found by."""

    name: str
    version: str
    run_id: str
    alias: str
    # How it forecasts, in plain words: the method training chose (model/candidates.py),
    # e.g. "naive: repeats the last observed rate". Empty in documents made before.
    method: str = ""


class DataInfo(msgspec.Struct, frozen=True):
    source: str
    synthetic: bool
    first_observed_date: dt.date
    last_observed_date: dt.date


class HistoryPoint(msgspec.Struct, frozen=True):
    date: dt.date
    rate_tenth: int
    rate: float


class ForecastPoint(msgspec.Struct, frozen=True):
    """One forecast day; ``datetime`` is midnight UTC, as the old project's API printed it."""

    date: dt.date
    datetime: str
    horizon_days: int
    prediction_rate_tenth: int
    prediction_rate: float
    interval_80: tuple[float, float] | None = None
    interval_95: tuple[float, float] | None = None

    def interval(self, level: int) -> tuple[float, float] | None:
        """The band of ``level`` percent (one of ``INTERVAL_LEVELS``), when known."""
        if level not in INTERVAL_LEVELS:
            raise ValueError(f"no {level}% band in schema {SCHEMA_VERSION}")
        return self.interval_80 if level == 80 else self.interval_95


class Quality(msgspec.Struct, frozen=True):
    """The champion's rolling-origin backtest against the naive baselines, in kamas."""

    backtest_origins: int
    backtest_mae: float
    naive_mae: float
    seasonal_naive_mae: float
    beats_naive: bool
    interval_coverage: dict[int, float]  # held-out coverage per level (percent)
    backtest_mae_by_horizon: list[float] | None = None


class LiveAccuracy(msgspec.Struct, frozen=True):
    """How the forecasts published so far did, for one horizon day."""

    horizon_days: int
    forecasts: int
    live_mae: float | None
    backtest_mae: float | None
    coverage_80: float | None
    coverage_95: float | None


class ForecastDocument(msgspec.Struct, frozen=True):
    schema_version: int
    generated_at: dt.datetime
    model: ModelInfo
    dagster_run_id: str
    data: DataInfo
    history: list[HistoryPoint]
    forecast: list[ForecastPoint]
    quality: Quality | None = None
    live_accuracy: list[LiveAccuracy] = []

    def bands(self) -> dict[int, list[tuple[dt.date, float, float]]]:
        """Each level's band (day, low, high), when every forecast day has one; the wider
        level first (a chart draws it under)."""
        found: dict[int, list[tuple[dt.date, float, float]]] = {}
        for level in sorted(INTERVAL_LEVELS, reverse=True):
            intervals = [(point.date, point.interval(level)) for point in self.forecast]
            if all(interval for _, interval in intervals):
                found[level] = [(day, *interval) for day, interval in intervals if interval]
        return found


class InvalidDocument(ValueError):
    """The document exists but cannot be trusted; the message says why."""


def publishable(rate: float) -> bool:
    """Whether a predicted rate (kamas) can be published: finite, and positive once rounded
    to the tenths the document keeps. Promotion and the forecast judge forecasts by it."""
    return math.isfinite(rate) and round(rate * 10) > 0


class _Versioned(msgspec.Struct):
    schema_version: int


def build_forecast_document(
    *,
    model: ModelInfo,
    generated_at: dt.datetime,
    dagster_run_id: str,
    data_source: str,
    synthetic: bool,
    history: Sequence[tuple[dt.date, int]],
    predictions: Sequence[tuple[dt.date, float]],
    bands: Mapping[int, tuple[Sequence[float], Sequence[float]]] | None = None,
    quality: Quality | None = None,
    live_accuracy: Sequence[LiveAccuracy] = (),
) -> ForecastDocument:
    """Provenance, the last ``HISTORY_DAYS`` observed rates (in tenths) and the predictions.

    ``bands`` maps a level (percent) to per-horizon (lower, upper) offsets from the
    prediction. The result passes :func:`check`: what the pipeline builds, the service takes.
    """
    if not history:
        raise InvalidDocument("the history has no observed rate")
    bands = bands or {}

    def band(level: int, step: int, rate: float) -> tuple[float, float] | None:
        if level not in bands:
            return None
        lower, upper = bands[level]
        return round(rate + lower[step - 1], 1), round(rate + upper[step - 1], 1)

    points = []
    for step, (day, rate) in enumerate(predictions, start=1):
        tenth = round(rate * 10)
        points.append(
            ForecastPoint(
                date=day,
                datetime=f"{day.isoformat()}T00:00:00+00:00",
                horizon_days=step,
                prediction_rate_tenth=tenth,
                prediction_rate=tenth / 10,
                interval_80=band(80, step, rate),
                interval_95=band(95, step, rate),
            )
        )
    document = ForecastDocument(
        schema_version=SCHEMA_VERSION,
        generated_at=generated_at.astimezone(dt.UTC).replace(microsecond=0),
        model=model,
        dagster_run_id=dagster_run_id,
        data=DataInfo(
            source=data_source,
            synthetic=synthetic,
            first_observed_date=history[0][0],
            last_observed_date=history[-1][0],
        ),
        history=[
            HistoryPoint(date=day, rate_tenth=tenth, rate=tenth / 10)
            for day, tenth in history[-HISTORY_DAYS:]
        ],
        forecast=points,
        quality=quality,
        live_accuracy=list(live_accuracy),
    )
    check(document)
    return document


FORECAST_DAYS = 7  # what /seven-days-forecast promises its clients
# The dates of a rate: the Ogrine market is younger than 2000, and a date past 2199 is a
# clock or a file gone wrong, not a forecast.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
# The history holds the last 90 observed days; with the upstream's gaps they may span more
# than 90 days, never ten years. The service's chart costs time in proportion to it.
MAX_HISTORY_SPAN_DAYS = 3660


def check(document: ForecastDocument) -> None:
    """The rules a typed document must also meet to be published or served:
    :class:`InvalidDocument` if not. One set of rules on both sides, so the pipeline never
    publishes a document the service would refuse."""
    if document.schema_version != SCHEMA_VERSION:
        raise InvalidDocument(f"schema_version {document.schema_version} is not {SCHEMA_VERSION}")
    if not document.forecast:
        raise InvalidDocument("the forecast has no points")
    if not document.history:
        raise InvalidDocument("the history has no observed rate")
    if document.quality and not set(INTERVAL_LEVELS) <= set(document.quality.interval_coverage):
        raise InvalidDocument("quality.interval_coverage needs the 80 and 95 levels")
    _check_dates(document)
    if not all(publishable(point.prediction_rate) for point in document.forecast):
        raise InvalidDocument("the forecast has a non-positive rate")


def _check_dates(document: ForecastDocument) -> None:
    """The dates a forecast of rates can have. A document running to the year 9999 once
    held every request of the service for 5 s while its chart was drawn."""
    days = [point.date for point in document.history]
    last = document.data.last_observed_date
    try:
        expected = [last + dt.timedelta(days=step) for step in range(1, len(document.forecast) + 1)]
    except OverflowError:
        raise InvalidDocument(f"its dates run past {dt.date.max}") from None
    if [point.date for point in document.forecast] != expected:
        raise InvalidDocument(
            "forecast dates are not the consecutive days after the last observation"
        )
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        raise InvalidDocument("the history dates are not in ascending order")
    if days[-1] != last:
        raise InvalidDocument(f"the history ends {days[-1]}, not on last_observed_date {last}")
    if len(document.forecast) != FORECAST_DAYS:
        raise InvalidDocument(
            f"the forecast has {len(document.forecast)} days, not {FORECAST_DAYS}"
        )
    first, final = days[0], document.forecast[-1].date
    if first < EARLIEST_DATE or final > LATEST_DATE:
        raise InvalidDocument(
            f"its dates run from {first} to {final}, outside {EARLIEST_DATE}…{LATEST_DATE}"
        )
    if (last - first).days > MAX_HISTORY_SPAN_DAYS:
        raise InvalidDocument(
            f"the history spans {(last - first).days} days, more than {MAX_HISTORY_SPAN_DAYS}"
        )
    made = document.generated_at
    if made.tzinfo is None:
        raise InvalidDocument("generated_at names no time zone")
    if last > made.astimezone(dt.UTC).date():
        raise InvalidDocument(
            f"its data ends {last}, after the day it was made ({made.date()}): "
            "a clock was wrong when it was made"
        )


def encode(document: ForecastDocument) -> bytes:
    """The file's bytes: indented for people who open it, newline-terminated."""
    return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"


def decode(raw: bytes) -> ForecastDocument:
    """A document from its bytes, typed and checked; :class:`InvalidDocument` names the fault."""
    try:
        version = msgspec.json.decode(raw, type=_Versioned).schema_version
    except msgspec.DecodeError as exc:
        raise InvalidDocument(f"not a forecast document: {exc}") from exc
    if version != SCHEMA_VERSION:
        raise InvalidDocument(f"schema_version {version} is not {SCHEMA_VERSION}")
    try:
        document = msgspec.json.decode(raw, type=ForecastDocument)
    except msgspec.DecodeError as exc:
        raise InvalidDocument(f"not a forecast document: {exc}") from exc
    check(document)
    return document
