"""The HTTP client against a real HTTP server on 127.0.0.1 that speaks the upstream contract."""

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import polars as pl
import pytest

from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.rates.upstream import UpstreamError, fetch_payload, payload_to_frame

Responder = Callable[[BaseHTTPRequestHandler], None]


class FakeUpstream:
    """A loopback server whose answer each test chooses; it records what it was asked."""

    def __init__(self) -> None:
        self.respond: Responder = self.json_answer(synthetic_payload(dt.date(2026, 11, 26)))
        self.requests: list[dict[str, object]] = []
        self.release = threading.Event()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                upstream.requests.append(
                    {"path": url.path, "query": parse_qs(url.query), "headers": dict(self.headers)}
                )
                upstream.respond(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/ogrineRates"

    @staticmethod
    def answer(status: int, body: bytes, content_type: str) -> Responder:
        def respond(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        return respond

    @classmethod
    def json_answer(cls, payload: object, status: int = 200) -> Responder:
        return cls.answer(status, json.dumps(payload).encode(), "application/json")

    def hang(self) -> Responder:
        def respond(handler: BaseHTTPRequestHandler) -> None:
            self.release.wait(30)  # never answers before the client's timeout

        return respond


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream()
    fake.thread.start()
    yield fake
    fake.release.set()
    fake.server.shutdown()
    fake.server.server_close()


def test_fetches_every_rate_ascending_as_json(upstream: FakeUpstream) -> None:
    payload = fetch_payload(upstream.url)
    frame = payload_to_frame(payload)
    assert frame.height == payload["count"] > 2000
    assert frame.schema == pl.Schema(
        {"id": pl.Int64, "datetime": pl.String, "rateTenth": pl.Int64, "rate": pl.Float64}
    )
    (request,) = upstream.requests
    assert request["query"] == {"sort": ["ASC"], "limit": ["0"]}
    assert request["headers"]["Accept"] == "application/json"
    assert request["headers"]["User-Agent"].startswith("ogrine_assets/")


def test_404_html_names_status_and_body(upstream: FakeUpstream) -> None:
    upstream.respond = upstream.answer(404, b"<html><h1>Not Found</h1></html>", "text/html")
    with pytest.raises(UpstreamError, match=r"HTTP 404.*Not Found"):
        fetch_payload(upstream.url)


def test_html_with_status_200_is_a_failed_fetch(upstream: FakeUpstream) -> None:
    upstream.respond = upstream.answer(200, b"<html>maintenance</html>", "text/html")
    with pytest.raises(UpstreamError, match=r"200 with text/html that is not JSON.*maintenance"):
        fetch_payload(upstream.url)


def test_bad_envelope_names_the_key_path(upstream: FakeUpstream) -> None:
    upstream.respond = upstream.json_answer({"status": 200, "rates": {"id": 1}})
    with pytest.raises(UpstreamError, match=r"payload\.rates: expected a list"):
        fetch_payload(upstream.url)


def test_timeout_is_a_clear_error(upstream: FakeUpstream) -> None:
    upstream.respond = upstream.hang()
    with pytest.raises(UpstreamError, match=r"did not answer within 0\.2 s"):
        fetch_payload(upstream.url, timeout_seconds=0.2)


def test_unreachable_server_is_a_clear_error(upstream: FakeUpstream) -> None:
    url = upstream.url
    upstream.server.server_close()  # nothing listens on the port any more
    with pytest.raises(UpstreamError, match="could not reach"):
        fetch_payload(url, timeout_seconds=2)


def test_wrong_types_become_nulls_for_cleaning_to_reject() -> None:
    frame = payload_to_frame(
        {
            "rates": [
                {
                    "id": 1,
                    "datetime": "2024-01-01T00:00:00+00:00",
                    "rateTenth": "7158",
                    "rate": 715.8,
                },
                {"id": 2, "datetime": None, "rateTenth": 7000.0, "rate": 700},
                {"id": True, "datetime": "2024-01-03T00:00:00+00:00", "rate": "x"},
            ]
        }
    )
    assert frame["rateTenth"].to_list() == [None, 7000, None]
    assert frame["id"].to_list() == [1, 2, None]
    assert frame["rate"].to_list() == [715.8, 700.0, None]
