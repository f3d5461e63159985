"""The Ogrine rates API contract: what a fetch answers, and the raw frame of an answer.

The envelope is ``{"status": 200, "sort": ..., "limit": ..., "count": N, "rates": [...]}``
with rows ``{"id", "datetime", "rateTenth", "rate"}``. An answer fails, with an
:class:`UpstreamError` that names the cause, when its body is not JSON or its envelope has
no list of rates (naming the key path); fetching it over HTTP is ``client.py``. Rows are
never judged here: a row of the wrong shape is kept with nulls and its original JSON, for
cleaning to reject and quarantine.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import msgspec
import polars as pl

from ogrine_assets.settings import FETCH_DEADLINE_SECONDS, FETCH_MAX_BYTES

RAW_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "id": pl.Int64(),
    "datetime": pl.String(),
    "rateTenth": pl.Int64(),
    "rate": pl.Float64(),
    "raw_row": pl.String(),
}


class UpstreamError(RuntimeError):
    """The upstream could not be reached or answered something outside the contract."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter, honouring Retry-After."""

    attempts: int = 4
    base_seconds: float = 1.0
    max_seconds: float = 30.0

    def delay(self, retry: int, retry_after: float | None, draw: Callable[[], float]) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_seconds)
        return draw() * min(self.max_seconds, self.base_seconds * 2**retry)


@dataclass(frozen=True)
class Fetched:
    """The bytes the upstream answered, with what is needed to explain them."""

    url: str
    body: bytes
    content_type: str
    attempts: int


def snippet(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut at ``limit`` characters: what an error may quote."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


ERROR_SUMMARY_CHARS = 100  # of an error answer's words in a failure line
_TAG = re.compile(r"<[^>]*>")
_HTML_TITLE = re.compile(r"<(title|h1)[^>]*>(.*?)</\1", re.I | re.S)
_SAID_KEYS = ("title", "detail", "hydra:title", "hydra:description", "message", "error")


def summarise_error(body: bytes, limit: int = ERROR_SUMMARY_CHARS) -> str:
    """What an error answer says, in a few words, never the whole body.

    The upstream (Symfony) answers errors as ``{"status": 500, "detail": "..."}``, with the
    exception's ``class`` and whole ``trace`` added in debug mode; RFC 9457 problems carry a
    ``title`` too. Their title and detail are what a person needs; an HTML page says it in
    its title; anything else is quoted as a short snippet of its text. ``body`` may be only
    the start of the answer: the fields are found in JSON cut short as well.
    """
    text = body.decode("utf-8", "replace").strip()
    said = _json_error(text) if text.startswith("{") else None
    if said is None and text.startswith("<"):
        found = _HTML_TITLE.search(text)
        said = html.unescape(_TAG.sub(" ", found.group(2) if found else text))
    return snippet(said if said is not None else text, limit) or "an empty body"


def _json_error(text: str) -> str | None:
    """``title: detail`` of a JSON error (either alone when only one is there), read from
    the whole object, else from the start of one cut short."""
    fields: dict[str, str] = {}
    try:
        payload = _untyped.decode(text)
    except (msgspec.DecodeError, RecursionError):
        for key in _SAID_KEYS:
            found = re.search(rf'"{re.escape(key)}"\s*:\s*("(?:[^"\\]|\\.)*")', text)
            if found:
                with contextlib.suppress(msgspec.DecodeError):
                    fields[key] = _untyped.decode(found.group(1))
    else:
        if isinstance(payload, dict):
            fields = {key: value for key, value in payload.items() if isinstance(value, str)}
    said = [fields[key].strip() for key in _SAID_KEYS if fields.get(key, "").strip()][:2]
    if len(said) == 2 and said[1] in said[0]:
        said = said[:1]
    return ": ".join(said) if said else None


@dataclass(frozen=True)
class Limits:
    """What one fetch may cost, whatever the server does.

    ``deadline_seconds`` bounds the whole fetch, retries and waits included: a watchdog
    closes the connection when it passes, even in the middle of a header a server drips a
    byte at a time. The byte limits bound what is received and what it inflates to, checked
    while streaming, before anything is kept.
    """

    deadline_seconds: float = FETCH_DEADLINE_SECONDS
    max_received_bytes: int = FETCH_MAX_BYTES
    max_decoded_bytes: int = FETCH_MAX_BYTES


class _Row(msgspec.Struct, gc=False):
    id: int | None = None
    datetime: str | None = None
    rateTenth: int | None = None
    rate: float | None = None


class _Envelope(msgspec.Struct, gc=False):
    rates: list[_Row]


_typed = msgspec.json.Decoder(_Envelope)
_EXPECTED = {"id": int, "datetime": str, "rateTenth": int, "rate": float}
_untyped = msgspec.json.Decoder()


def parse_rates(
    body: bytes, *, content_type: str = "application/json", source: str = "upstream"
) -> pl.DataFrame:
    """The raw frame of an answer: one row per upstream row, in the order they came.

    A well-typed answer takes the fast path (msgspec straight into typed rows); any
    surprise takes the lenient path, which keeps every row, nulls the values of the wrong
    type and records the row's original JSON in ``raw_row``.
    """
    try:
        envelope = _typed.decode(body)
    except msgspec.ValidationError:
        return _parse_leniently(body, source)
    except msgspec.DecodeError as exc:
        raise UpstreamError(
            f"{source} answered HTTP 200 with {content_type or 'no content type'} that is not JSON "
            f'({exc}): "{summarise_error(body[:400])}"'
        ) from exc
    except RecursionError as exc:
        raise UpstreamError(f"{source} answered JSON nested too deeply to be rates") from exc
    rows = envelope.rates
    columns = {key: list(map(attrgetter(key), rows)) for key in _EXPECTED}
    frame = pl.DataFrame(columns, schema={key: RAW_SCHEMA[key] for key in _EXPECTED})
    return frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
        pl.all(),
        pl.lit(None, dtype=pl.String).alias("raw_row"),
    )


def check_envelope(payload: Any, source: str = "upstream") -> list[Any]:
    """The list of rows, or :class:`UpstreamError` naming the key path that breaks the contract."""
    if not isinstance(payload, dict):
        raise UpstreamError(f"{source}: $ should be an object, got {type(payload).__name__}")
    if "rates" not in payload:
        raise UpstreamError(f"{source}: $.rates is missing (keys: {sorted(payload)})")
    rates = payload["rates"]
    if not isinstance(rates, list):
        raise UpstreamError(f"{source}: $.rates should be a list, got {type(rates).__name__}")
    return rates


def _lenient(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return None
    expected = _EXPECTED[key]
    if expected is int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value if isinstance(value, int) and -(2**63) <= value < 2**63 else None
    if expected is float:
        return float(value) if isinstance(value, int | float) else None
    return value if isinstance(value, str) else None


def _parse_leniently(body: bytes, source: str) -> pl.DataFrame:
    try:
        payload = _untyped.decode(body)
    except RecursionError as exc:
        raise UpstreamError(f"{source} answered JSON nested too deeply to be rates") from exc
    rates = check_envelope(payload, source)
    columns: dict[str, list[Any]] = {name: [] for name in RAW_SCHEMA}
    for index, row in enumerate(rates):
        values = (
            {key: _lenient(key, row.get(key)) for key in _EXPECTED} if isinstance(row, dict) else {}
        )
        clean = isinstance(row, dict) and all(
            values[key] is not None or row.get(key) is None for key in _EXPECTED
        )
        columns["row"].append(index)
        for key in _EXPECTED:
            columns[key].append(values.get(key))
        columns["raw_row"].append(None if clean else msgspec.json.encode(row).decode())
    return pl.DataFrame(columns, schema=RAW_SCHEMA)
