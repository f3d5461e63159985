"""Fetching the rates over HTTP from a real server on 127.0.0.1 that misbehaves: retries,
timeouts, limits and one-line causes."""

import gzip
import json
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import certifi
import httpx
import polars as pl
import pytest

from ogrine_assets.rates import client as client_module
from ogrine_assets.rates.client import fetch_rates, retry_after_seconds
from ogrine_assets.rates.upstream import Limits, RetryPolicy, UpstreamError, parse_rates
from ogrine_assets_tests.fake_upstream import FakeUpstream, envelope
from ogrine_assets_tests.net import free_port

FAST = RetryPolicy(attempts=3, base_seconds=0.0, max_seconds=0.0)


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


def test_fetches_every_rate_ascending_as_json(upstream: FakeUpstream) -> None:
    fetched = fetch_rates(upstream.url, retry=FAST)
    frame = parse_rates(fetched.body)
    assert fetched.attempts == 1 and fetched.content_type == "application/json"
    assert frame.height == json.loads(fetched.body)["count"] > 2000
    assert frame.schema == pl.Schema(
        {
            "row": pl.Int64,
            "id": pl.Int64,
            "datetime": pl.String,
            "rateTenth": pl.Int64,
            "rate": pl.Float64,
            "raw_row": pl.String,
        }
    )
    (request,) = upstream.requests
    assert request["query"] == {"sort": ["ASC"], "limit": ["0"]}
    assert request["headers"]["Accept"] == "application/json"
    assert request["headers"]["User-Agent"].startswith("ogrine_assets/")


def test_503_then_recovery_is_retried(upstream: FakeUpstream) -> None:
    ok = upstream.answers[0]
    upstream.answer_with(upstream.raw(503, b"busy", "text/plain"), upstream.raw(500, b"oops"), ok)
    waits: list[float] = []
    fetched = fetch_rates(
        upstream.url,
        retry=RetryPolicy(attempts=3, base_seconds=1.0),
        sleep=waits.append,
        draw=lambda: 0.5,
    )
    assert fetched.attempts == 3 and len(upstream.requests) == 3
    assert waits == [0.5, 1.0]  # exponential backoff with (drawn) jitter


def test_429_honoursretry_after_seconds(upstream: FakeUpstream) -> None:
    ok = upstream.answers[0]
    upstream.answer_with(upstream.raw(429, b"slow down", "text/plain", Retry_After="7"), ok)
    waits: list[float] = []
    fetch_rates(upstream.url, retry=RetryPolicy(attempts=2, max_seconds=30), sleep=waits.append)
    assert waits == [7.0]


def testretry_after_seconds_as_a_date_and_capped() -> None:
    response = httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after_seconds(response, now=lambda: 1445412470.0) == pytest.approx(10.0)
    assert RetryPolicy(max_seconds=5).delay(0, 3600.0, lambda: 1.0) == 5.0


def test_persistent_5xx_fails_after_bounded_attempts(upstream: FakeUpstream) -> None:
    upstream.answer_with(upstream.raw(502, b"<html>Bad Gateway</html>", "text/html"))
    with pytest.raises(UpstreamError, match=r'failed 3 times; last: HTTP 502 "Bad Gateway"$'):
        fetch_rates(upstream.url, retry=FAST, sleep=lambda _: None)
    assert len(upstream.requests) == 3


def test_404_html_is_not_retried_and_names_status_and_body(upstream: FakeUpstream) -> None:
    upstream.answer_with(upstream.raw(404, b"<html><h1>Not Found</h1></html>", "text/html"))
    with pytest.raises(UpstreamError, match=r"HTTP 404.*Not Found") as refused:
        fetch_rates(upstream.url, retry=FAST)
    assert len(upstream.requests) == 1
    # Said once, as the upstream's error: not wrapped again in "could not be read".
    assert str(refused.value).count(upstream.url) == 1
    assert "could not be read" not in str(refused.value)


def test_an_error_answer_is_said_by_its_title_and_detail_never_dumped(
    upstream: FakeUpstream,
) -> None:
    """The upstream's JSON error (``status`` and ``detail``; ``class`` and the whole ``trace``
    in debug mode, here longer than what is read of an error answer) said in a few words."""
    trace = [
        {"file": "/srv/app/vendor/doctrine/dbal/src/Connection.php", "line": line, "args": []}
        for line in range(400)
    ]
    detail = "An exception occurred in the driver: SQLSTATE[HY000] [2002] Connection refused"
    body = {"status": 500, "detail": detail, "class": "Doctrine\\DBAL\\Exception", "trace": trace}
    assert len(json.dumps(body)) > client_module.ERROR_BODY_BYTES  # read only in part
    upstream.answer_with(upstream.json(body, status=500))
    with pytest.raises(UpstreamError) as failed:
        fetch_rates(upstream.url, retry=FAST, sleep=lambda _: None)
    assert str(failed.value) == f'{upstream.url} failed 3 times; last: HTTP 500 "{detail}"'
    problem = {"type": "about:blank", "title": "Service Unavailable", "detail": "Back at 3"}
    upstream.answer_with(upstream.json(problem, status=404))
    with pytest.raises(UpstreamError) as failed:
        fetch_rates(upstream.url, retry=FAST)
    assert str(failed.value).endswith('answered HTTP 404 "Service Unavailable: Back at 3"')


def test_slower_than_the_timeout_is_a_clear_error(upstream: FakeUpstream) -> None:
    upstream.answer_with(upstream.hang())
    with pytest.raises(
        UpstreamError, match=r"failed 2 times; last: no answer within the timeout \(ReadTimeout\)"
    ):
        fetch_rates(
            upstream.url,
            read_timeout=0.2,
            retry=RetryPolicy(attempts=2, base_seconds=0),
            sleep=lambda _: None,
        )


def test_unreachable_server_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/ogrineRates"  # nothing listens there
    with pytest.raises(UpstreamError, match=r"could not reach it \(ConnectError"):
        fetch_rates(url, retry=FAST, sleep=lambda _: None)


# Limits: whatever the server does, a fetch ends, bounded in time and memory, with a
# one-line cause, and nothing of a refused answer is kept.


def test_a_server_that_drips_bytes_cannot_hold_the_fetch_past_its_deadline(
    upstream: FakeUpstream,
) -> None:
    upstream.answer_with(upstream.drip(json.dumps(envelope([])).encode() * 100, 0.05))
    began = time.monotonic()
    with pytest.raises(UpstreamError, match=r"no complete answer within the deadline of 0.5 s"):
        fetch_rates(upstream.url, read_timeout=1.0, retry=FAST, limits=Limits(deadline_seconds=0.5))
    assert time.monotonic() - began < 0.5 + 1.0 + 1.0  # the deadline, one read timeout, slack


def test_a_server_that_drips_its_headers_cannot_hold_the_fetch_past_its_deadline(
    upstream: FakeUpstream,
) -> None:
    upstream.answer_with(upstream.drip_headers(0.1))  # every byte well within the read timeout
    began = time.monotonic()
    with pytest.raises(UpstreamError, match=r"no complete answer within the deadline of 0.5 s"):
        fetch_rates(upstream.url, read_timeout=5.0, retry=FAST, limits=Limits(deadline_seconds=0.5))
    assert time.monotonic() - began < 0.5 + 1.0  # the watchdog, not the read timeout


def test_a_server_that_accepts_and_never_answers_fails_the_fetch_by_its_deadline() -> None:
    """A real socket on 127.0.0.1 that takes the connection (the kernel's backlog) and never
    reads nor answers; timeouts far longer than the deadline. The fetch runs in a thread
    waited on for a bounded time, so a fetch that ignores its deadline fails this test
    instead of hanging it (closing the socket then ends that fetch too)."""
    outcome: list[BaseException | None] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/ogrineRates"

        def fetch() -> None:
            try:
                fetch_rates(
                    url,
                    connect_timeout=30.0,
                    read_timeout=30.0,
                    retry=RetryPolicy(attempts=4, base_seconds=0.0),
                    limits=Limits(deadline_seconds=0.5),
                )
            except BaseException as exc:
                outcome.append(exc)
            else:
                outcome.append(None)

        began = time.monotonic()
        worker = threading.Thread(target=fetch, daemon=True)
        worker.start()
        worker.join(timeout=10.0)
        waited = time.monotonic() - began
    assert not worker.is_alive(), "the fetch was still waiting 10 s into a 0.5 s deadline"
    (failed,) = outcome
    assert isinstance(failed, UpstreamError), failed
    assert "no complete answer within the deadline of 0.5 s" in str(failed)
    assert waited < 5.0  # the deadline and some slack for a busy machine, not the 30 s timeouts


def test_a_compression_bomb_is_refused_while_inflating(upstream: FakeUpstream) -> None:
    bomb = gzip.compress(b" " * (200 * 2**20), compresslevel=9)  # 200 MiB of blanks
    assert len(bomb) < 2**20
    upstream.answer_with(upstream.encoded(bomb))
    with pytest.raises(UpstreamError, match=r"inflated to more than the limit of 1,048,576 bytes"):
        fetch_rates(upstream.url, retry=FAST, limits=Limits(max_decoded_bytes=2**20))


def test_too_many_bytes_are_refused_announced_or_not(upstream: FakeUpstream) -> None:
    big = json.dumps(envelope([])).encode() + b" " * 2**20
    upstream.answer_with(upstream.raw(200, big))
    with pytest.raises(UpstreamError, match=r"announced more than the limit of 1,024 bytes"):
        fetch_rates(upstream.url, retry=FAST, limits=Limits(max_received_bytes=1024))
    upstream.answer_with(upstream.encoded(gzip.compress(big)))  # a few KiB that inflate to 1 MiB
    with pytest.raises(UpstreamError, match=r"inflated to more than the limit of 1,024 bytes"):
        fetch_rates(upstream.url, retry=FAST, limits=Limits(max_decoded_bytes=1024))


@pytest.mark.parametrize(
    ("body", "encoding", "cause"),
    [
        (b"\x1f\x8bnot gzip at all", "gzip", "not valid gzip"),
        # mtime=0: the test's id holds the bytes, and every xdist worker must collect the same
        (gzip.compress(b'{"rates": []}', mtime=0)[:-12], "gzip", "gzip body that is cut short"),
        (zlib.compress(b"x")[:-2] + b"\xff\xff", "deflate", "not valid deflate"),
        (b'{"rates": []}', "br", "an encoding not asked for"),
    ],
    ids=["not gzip", "gzip cut short", "not deflate", "brotli"],
)
def test_a_body_that_cannot_be_decoded_is_one_line(
    upstream: FakeUpstream, body: bytes, encoding: str, cause: str
) -> None:
    upstream.answer_with(upstream.encoded(body, encoding))
    with pytest.raises(UpstreamError, match=cause) as raised:
        fetch_rates(upstream.url, retry=FAST)
    assert "\n" not in str(raised.value)


def test_gzip_answers_are_asked_for_and_read(upstream: FakeUpstream) -> None:
    payload = json.dumps(envelope([{"id": 1}])).encode()
    upstream.answer_with(upstream.encoded(gzip.compress(payload)))
    assert fetch_rates(upstream.url, retry=FAST).body == payload
    assert upstream.requests[0]["headers"]["Accept-Encoding"] == "gzip, deflate"
    half = len(payload) // 2  # a gzip body of two members is one body
    members = gzip.compress(payload[:half]) + gzip.compress(payload[half:])
    upstream.answer_with(upstream.encoded(members))
    assert fetch_rates(upstream.url, retry=FAST).body == payload
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)  # "deflate" sent without its zlib wrapper
    upstream.answer_with(upstream.encoded(raw.compress(payload) + raw.flush(), "deflate"))
    assert fetch_rates(upstream.url, retry=FAST).body == payload


def test_the_tls_context_is_made_once_per_certificate_bundle(
    upstream: FakeUpstream, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    made: list[ssl.SSLContext] = []
    making = httpx.create_ssl_context
    monkeypatch.setattr(httpx, "create_ssl_context", lambda: made.append(making()) or made[-1])
    client_module._verifying_context.cache_clear()
    for _ in range(3):
        assert fetch_rates(upstream.url).url.startswith(upstream.url)
    assert len(made) == 1 and made[0].verify_mode == ssl.CERT_REQUIRED
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # another bundle: read, then kept
    fetch_rates(upstream.url)
    fetch_rates(upstream.url)
    assert len(made) == 2
