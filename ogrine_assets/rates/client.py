"""Fetching the Ogrine rates API over HTTP (httpx): bounded in time, size and retries.

``fetch_rates`` GETs every rate; it fails with an :class:`UpstreamError` that names the
cause on any non-200 answer (after bounded retries for the transient ones: connection
errors, timeouts, 429 and 5xx, honouring Retry-After), and when the deadline or the byte
limits of :class:`Limits` are passed. What the answer means is ``upstream.py``'s.
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

import httpx

from ogrine_assets.rates.upstream import (
    Fetched,
    Limits,
    RetryPolicy,
    UpstreamError,
    summarise_error,
)

USER_AGENT = "ogrine_assets/0.1 (Ogrine rate forecaster)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Of an error answer, what is read to say what it means (its title or detail): a debug
# page's whole trace is not, and the start of a JSON object is read as well as a whole one.
ERROR_BODY_BYTES = 16 * 1024


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
                client,
                api_url,
                (connect_timeout, read_timeout),
                retry,
                limits,
                deadline,
                sleep,
                draw,
                clock,
            )
        except UpstreamError:
            raise  # it names the URL and the cause already
        except (httpx.TransportError, RuntimeError) as exc:  # httpx's, on a closed client too
            if clock() < deadline:  # not the watchdog's doing
                raise UpstreamError(f"{api_url} could not be read ({exc})") from exc
            problem = f"{type(exc).__name__} when the deadline closed the connection"
        finally:
            watchdog.cancel()
    raise _out_of_time(api_url, limits, f"; last: {problem}" if problem else "")


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
                start = _receive(response, limits, deadline, clock, keep=ERROR_BODY_BYTES)
                problem = f'HTTP {response.status_code} "{summarise_error(start)}"'
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
    raise _out_of_time(api_url, limits, f"; last: {problem}" if problem else "")


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
            raise _out_of_time(str(response.url), limits, f" ({received:,} bytes received)")
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


def _out_of_time(url: str, limits: Limits, detail: str) -> UpstreamError:
    return UpstreamError(
        f"{url} gave no complete answer within the deadline of {limits.deadline_seconds:g} s"
        + detail
    )


def _too_large(response: httpx.Response, what: str, size: int, limit: int) -> str:
    return (
        f"{response.url} {what} more than the limit of {limit:,} bytes ({size:,}): nothing was kept"
    )
