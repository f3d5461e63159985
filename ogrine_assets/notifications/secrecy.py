"""Webhook URLs are secrets: how one is shown, and how it is kept out of every text.

A Discord webhook URL carries its token in its path: whoever reads it can post as the
webhook. So the URL itself goes nowhere but into the request: logs, Dagster metadata,
records, exceptions and ``ogrine subscribers`` show :func:`redacted` (the scheme, the host
and the path's last characters, enough to tell two webhooks apart). What a library may say
about a request (httpx names the URL in its log lines and in some exceptions) is passed
through :func:`scrub` first, or its log records are rewritten by :func:`redacting_http_logs`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

VISIBLE_TAIL = 4  # characters of the path shown: "https://discord.com/…/Xy12"
# A path shorter than this shows no tail: its last 4 characters would be too much of it.
SHORTEST_PATH_WITH_TAIL = 16
# The loggers of the HTTP stack that may name a request's URL (httpx logs each request at
# INFO; httpcore's trace names hosts and requests at DEBUG).
HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)
# A path segment this long is a token (a Discord one has 68 characters): scrubbed alone too.
TOKEN_MIN_CHARS = 8


def redacted(url: str) -> str:
    """``url`` as it may be shown: ``"https://discord.com/…/Xy12"``. Never its query, its
    user or password, nor more than the path's last ``VISIBLE_TAIL`` characters."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port
    except ValueError:
        return "(a URL that cannot be read)"
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if port is not None:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    tail = f"/{path[-VISIBLE_TAIL:]}" if len(path) >= SHORTEST_PATH_WITH_TAIL else ""
    return f"{parts.scheme}://{host}/…{tail}"


def _secret_parts(url: str) -> list[str]:
    """The pieces of ``url`` a text may hold on their own: the URL whole, without its query,
    its path (with and without the query), and its long path segments (the token)."""
    parts = urlsplit(url)
    with_query = f"{parts.path}?{parts.query}" if parts.query else parts.path
    pieces = {url, url.split("?", 1)[0], with_query, parts.path}
    pieces |= {segment for segment in parts.path.split("/") if len(segment) >= TOKEN_MIN_CHARS}
    return sorted((piece for piece in pieces if len(piece) > 1), key=len, reverse=True)


def scrub(text: str, urls: Iterable[str]) -> str:
    """``text`` with every one of ``urls`` (whole, or its path, or its token alone) replaced
    by its redacted form: what an exception's or a library's words may say."""
    for url in urls:
        shown = redacted(url)
        for piece in _secret_parts(url):
            text = text.replace(piece, shown)
    return text


class _Redacting(logging.Filter):
    """Rewrites a log record's message with the webhook URLs scrubbed from it."""

    def __init__(self, urls: Iterable[str]) -> None:
        super().__init__()
        self.urls = list(urls)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message, self.urls)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:  # a handler formats it once, from here
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info), self.urls)
        return True


@contextlib.contextmanager
def redacting_http_logs(urls: Iterable[str]) -> Iterator[None]:
    """While the block runs, whatever the HTTP stack logs names none of ``urls``, whichever
    handler (Dagster's, a test's, the root's) receives it."""
    redacting = _Redacting(urls)
    loggers = [logging.getLogger(name) for name in HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(redacting)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redacting)
