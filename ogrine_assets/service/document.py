"""Reading the forecast document: typed, checked, reloaded when it changes, never lost.

Each request costs one ``stat``. The file is parsed again only when its identity (inode,
size, modification time) changes; the pipeline replaces it by rename, so a reader never
sees half a file from it. A document that does not parse or breaks the rules below is
logged once and ignored: the last good one keeps being served.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

logger = logging.getLogger("ogrine_assets.service")

SUPPORTED_SCHEMA_VERSION = 1


class ModelInfo(msgspec.Struct, frozen=True):
    name: str
    version: str
    run_id: str
    alias: str


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
    date: dt.date
    datetime: str
    horizon_days: int
    prediction_rate_tenth: int
    prediction_rate: float
    interval_80: tuple[float, float] | None = None
    interval_95: tuple[float, float] | None = None


class Quality(msgspec.Struct, frozen=True):
    """The champion's rolling-origin backtest, against the naive baselines."""

    backtest_origins: int
    backtest_mae: float
    naive_mae: float
    seasonal_naive_mae: float
    beats_naive: bool
    interval_coverage: dict[str, float]
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


class InvalidDocument(ValueError):
    """The document exists but cannot be trusted; the message says why."""


def parse_document(raw: bytes) -> ForecastDocument:
    try:
        document = msgspec.json.decode(raw, type=ForecastDocument)
    except msgspec.DecodeError as exc:
        raise InvalidDocument(f"not a forecast document: {exc}") from exc
    if document.schema_version != SUPPORTED_SCHEMA_VERSION:
        raise InvalidDocument(
            f"schema_version {document.schema_version} is not {SUPPORTED_SCHEMA_VERSION}"
        )
    if not document.forecast:
        raise InvalidDocument("the forecast has no points")
    if not document.history:
        raise InvalidDocument("the history has no observed rate")
    if document.quality and not {"80", "95"} <= set(document.quality.interval_coverage):
        raise InvalidDocument("quality.interval_coverage needs the 80 and 95 levels")
    expected = [
        document.data.last_observed_date + dt.timedelta(days=i + 1)
        for i in range(len(document.forecast))
    ]
    if [point.date for point in document.forecast] != expected:
        raise InvalidDocument(
            "forecast dates are not the consecutive days after the last observation"
        )
    if any(point.prediction_rate_tenth <= 0 for point in document.forecast):
        raise InvalidDocument("the forecast has a non-positive rate")
    return document


@dataclass(frozen=True)
class LoadedForecast:
    """A good document and what is derived from it once, not per request."""

    document: ForecastDocument
    derived: dict[str, Any]


Derive = Callable[[ForecastDocument], dict[str, Any]]


class ForecastSource:
    """The newest good forecast document at ``path``, checked on every call."""

    def __init__(self, path: Path, derive: Derive) -> None:
        self.path = path
        self._derive = derive
        self._identity: tuple[int, int, int] | None = None
        self._loaded: LoadedForecast | None = None
        self._problem: str | None = None

    def current(self) -> LoadedForecast | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            if self._loaded is None:
                self._problem = f"no forecast has been published yet at {self.path}"
            return self._loaded
        except OSError as exc:
            self._problem = f"cannot read {self.path}: {exc.strerror}"
            return self._loaded
        identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if identity != self._identity:
            self._identity = identity
            self._reload()
        return self._loaded

    @property
    def problem(self) -> str | None:
        """Why there is no good document (or why the newest file was not taken)."""
        return self._problem

    def _reload(self) -> None:
        try:
            document = parse_document(self.path.read_bytes())
            loaded = LoadedForecast(document=document, derived=self._derive(document))
        except Exception as exc:
            if not isinstance(exc, OSError | InvalidDocument):
                logger.exception("deriving the responses of %s failed", self.path)
            kept = (
                f"; still serving model v{self._loaded.document.model.version}"
                if self._loaded
                else ""
            )
            self._problem = f"{self.path} was not loaded: {exc}{kept}"
            logger.warning(self._problem)
            return
        self._loaded = loaded
        self._problem = None
        logger.info("loaded forecast by model v%s from %s", document.model.version, self.path)
