"""A real HTTP server on 127.0.0.1 that speaks the Ogrine rates contract and can misbehave.

Each test queues the answers it wants (one per request; the last one repeats) and reads
back what was asked. Answers that hang wait on an event the fixture releases at teardown,
so no test waits on a clock to pass or fail.
"""

import datetime as dt
import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.simulation.upstream import STOP_POLL_SECONDS
from ogrine_assets_tests.net import LocalServer

Responder = Callable[[BaseHTTPRequestHandler], None]


def envelope(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"status": 200, "sort": "ASC", "limit": None, "count": len(rows), "rates": rows}


def good_rows(today: dt.date = dt.date(2026, 11, 26)) -> list[dict[str, Any]]:
    return synthetic_payload(today)["rates"]


class FakeUpstream(LocalServer):
    def __init__(self) -> None:
        self.answers: list[Responder] = [self.json(envelope(good_rows()))]
        self.requests: list[dict[str, Any]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                url = urlparse(self.path)
                upstream.requests.append(
                    {"path": url.path, "query": parse_qs(url.query), "headers": dict(self.headers)}
                )
                answer = (
                    upstream.answers.pop(0) if len(upstream.answers) > 1 else upstream.answers[0]
                )
                answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.serve(Handler, STOP_POLL_SECONDS)

    @property
    def url(self) -> str:
        return f"{self.base}/ogrineRates"

    def answer_with(self, *answers: Responder) -> None:
        self.answers = list(answers)

    @staticmethod
    def raw(
        status: int, body: bytes, content_type: str = "application/json", **headers: str
    ) -> Responder:
        def respond(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                handler.send_header(name.replace("_", "-"), value)
            handler.end_headers()
            handler.wfile.write(body)

        return respond

    @classmethod
    def json(cls, payload: Any, status: int = 200, **headers: str) -> Responder:
        return cls.raw(status, json.dumps(payload).encode(), "application/json", **headers)

    @classmethod
    def rows(cls, rows: list[Any]) -> Responder:
        return cls.json(envelope(rows))

    @classmethod
    def encoded(cls, body: bytes, encoding: str = "gzip") -> Responder:
        """``body`` sent as it is, announced as ``encoding`` (compress it first, or not)."""
        return cls.raw(200, body, "application/json", Content_Encoding=encoding)

    def drip(self, body: bytes, every_seconds: float) -> Responder:
        """Announce ``body``, then send it one byte at a time, until the test is over."""

        def respond(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            for byte in body:
                if self.release.wait(every_seconds):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()

        return respond

    def drip_headers(self, every_seconds: float) -> Responder:
        """A status line, then headers one byte at a time, without end, until the test is over."""

        def respond(handler: BaseHTTPRequestHandler) -> None:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
            handler.wfile.flush()
            while not self.release.wait(every_seconds):
                try:
                    handler.wfile.write(b"X")
                    handler.wfile.flush()
                except OSError:
                    return

        return respond

    def hang(self) -> Responder:
        def respond(handler: BaseHTTPRequestHandler) -> None:
            self.release.wait(60)  # answers nothing until the test is over

        return respond
