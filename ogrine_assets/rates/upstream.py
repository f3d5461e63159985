"""The Ogrine rates API contract: fetching the bytes, and turning them into a raw frame.

The envelope is ``{"status": 200, "sort": ..., "limit": ..., "count": N, "rates": [...]}``
with rows ``{"id", "datetime", "rateTenth", "rate"}``. A fetch fails, with an
:class:`UpstreamError` that names the cause, on any non-200 answer (after bounded retries
for the transient ones), on a body that is not JSON, and on an envelope without a list of
rates (naming the key path). Rows are never judged here: a row of the wrong shape is kept
with nulls and its original JSON, for cleaning to reject and quarantine.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import os
import random
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import httpx
import msgspec
import polars as pl

from ogrine_assets.settings import FETCH_DEADLINE_SECONDS, FETCH_MAX_BYTES

USER_AGENT = "ogrine_assets/0.1 (Ogrine rate forecaster)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

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


def _snippet(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def retry_after_seconds(
    response: httpx.Response, now: Callable[[], float] = time.time
) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp() - now()


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


ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}  # asked for, and accepted


@functools.lru_cache(maxsize=4)
def _verifying_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """httpx's own verifying TLS context, which reads ``SSL_CERT_FILE`` or ``SSL_CERT_DIR``
    when set (passed here so that a changed one makes a new context), else certifi's
    bundle. Reading a bundle takes ~20 ms: once per bundle and process, not per fetch."""
    return httpx.create_ssl_context()


def fetch_rates(
    api_url: str,
    *,
    connect_timeout: float = 10.0,
    read_timeout: float = 30.0,
    retry: RetryPolicy = RetryPolicy(),
    limits: Limits = Limits(),
    sleep: Callable[[float], None] = time.sleep,
    draw: Callable[[], float] = random.random,
    clock: Callable[[], float] = time.monotonic,
    transport: httpx.BaseTransport | None = None,
) -> Fetched:
    """GET every rate in ascending order; retry connection errors, timeouts, 429 and 5xx."""
    deadline = clock() + limits.deadline_seconds
    headers = {
        "Accept": "application/json",
        "Accept-Encoding": ", ".join(ENCODINGS),
        "User-Agent": USER_AGENT,
    }
    problem = ""
    tls = _verifying_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with httpx.Client(headers=headers, transport=transport, verify=tls) as client:
        watchdog = threading.Timer(limits.deadline_seconds, client.close)
        watchdog.daemon = True
        watchdog.start()
        try:
            return _attempts(
                client, api_url, (connect_timeout, read_timeout), retry, limits, deadline,
                sleep, draw, clock,
            )  # fmt: skip
        except (httpx.TransportError, RuntimeError) as exc:
            if clock() < deadline:  # not the watchdog's doing
                raise UpstreamError(f"{api_url} could not be read ({exc})") from exc
            problem = f"{type(exc).__name__} when the deadline closed the connection"
        finally:
            watchdog.cancel()
    raise UpstreamError(
        f"{api_url} gave no complete answer within the deadline of {limits.deadline_seconds:g} s"
        + (f"; last: {problem}" if problem else "")
    )


def _attempts(
    client: httpx.Client,
    api_url: str,
    timeouts: tuple[float, float],
    retry: RetryPolicy,
    limits: Limits,
    deadline: float,
    sleep: Callable[[float], None],
    draw: Callable[[], float],
    clock: Callable[[], float],
) -> Fetched:
    problem = ""
    for attempt in range(1, retry.attempts + 1):
        remaining = deadline - clock()
        if remaining <= 0:
            break
        connect_timeout, read_timeout = timeouts
        timeout = httpx.Timeout(
            min(read_timeout, remaining), connect=min(connect_timeout, remaining)
        )
        retry_after = None
        try:
            with client.stream(
                "GET", api_url, params={"sort": "ASC", "limit": 0}, timeout=timeout
            ) as response:
                if response.status_code == 200:
                    return Fetched(
                        url=str(response.url),
                        body=_receive(response, limits, deadline, clock),
                        content_type=response.headers.get("content-type", ""),
                        attempts=attempt,
                    )
                snippet = _receive(response, limits, deadline, clock, keep=400)
                problem = f"HTTP {response.status_code}: {_snippet(_text(snippet))!r}"
                if response.status_code not in RETRY_STATUSES:
                    raise UpstreamError(f"{api_url} answered {problem}")
                retry_after = retry_after_seconds(response)
        except httpx.TimeoutException as exc:
            problem = f"no answer within the timeout ({type(exc).__name__})"
        except httpx.TransportError as exc:
            if clock() >= deadline:
                raise  # the watchdog closed it: the caller says so
            problem = f"could not reach it ({type(exc).__name__}: {exc})"
        if attempt < retry.attempts:
            sleep(min(retry.delay(attempt - 1, retry_after, draw), max(deadline - clock(), 0)))
    else:
        raise UpstreamError(f"{api_url} failed {retry.attempts} times; last: {problem}")
    raise UpstreamError(
        f"{api_url} gave no complete answer within the deadline of {limits.deadline_seconds:g} s"
        + (f"; last: {problem}" if problem else "")
    )


def _receive(
    response: httpx.Response,
    limits: Limits,
    deadline: float,
    clock: Callable[[], float],
    keep: int | None = None,
) -> bytes:
    """The decoded body, within the limits; only its first ``keep`` bytes when given."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in (*ENCODINGS, "identity", ""):
        raise UpstreamError(f"{response.url} answered in {encoding!r}, an encoding not asked for")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_received_bytes:
        raise UpstreamError(
            _too_large(response, "announced", int(declared), limits.max_received_bytes)
        )
    wbits = ENCODINGS.get(encoding)
    inflate = zlib.decompressobj(wbits) if wbits is not None else None
    received = 0
    parts: list[bytes] = []
    decoded = 0
    for chunk in response.iter_raw():
        received += len(chunk)
        if received > limits.max_received_bytes:
            raise UpstreamError(_too_large(response, "sent", received, limits.max_received_bytes))
        if clock() > deadline:
            raise UpstreamError(
                f"{response.url} gave no complete answer within the deadline of "
                f"{limits.deadline_seconds:g} s ({received:,} bytes received)"
            )
        pending = chunk
        while pending:
            if inflate is None or wbits is None:
                piece, pending = pending, b""
            else:
                try:
                    piece = inflate.decompress(pending, limits.max_decoded_bytes - decoded + 1)
                except zlib.error as exc:
                    if encoding == "deflate" and wbits > 0 and decoded == 0:
                        # Some servers send "deflate" raw, without its zlib wrapper.
                        wbits = -zlib.MAX_WBITS
                        inflate = zlib.decompressobj(wbits)
                        continue
                    raise UpstreamError(
                        f"{response.url} sent a body that is not valid {encoding}: {exc}"
                    ) from exc
                pending = inflate.unconsumed_tail
                if inflate.eof and inflate.unused_data:  # another gzip member follows
                    pending = inflate.unused_data
                    inflate = zlib.decompressobj(wbits)
            decoded += len(piece)
            if decoded > limits.max_decoded_bytes:
                raise UpstreamError(
                    _too_large(response, "inflated to", decoded, limits.max_decoded_bytes)
                )
            parts.append(piece)
        if keep is not None and decoded >= keep:
            return b"".join(parts)[:keep]
    if inflate is not None and not inflate.eof and keep is None:
        raise UpstreamError(f"{response.url} sent a {encoding} body that is cut short")
    return b"".join(parts)


def _too_large(response: httpx.Response, what: str, size: int, limit: int) -> str:
    return (
        f"{response.url} {what} more than the limit of {limit:,} bytes ({size:,}): nothing was kept"
    )


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


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
            f"({exc}): {_snippet(body[:400].decode('utf-8', 'replace'))!r}"
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
