"""Posting to a real Discord-like server on 127.0.0.1: delivered, retried, gone, cut off."""

import logging
import time
from collections.abc import Iterator

import pytest

from ogrine_assets.notifications.delivery import RetryPolicy, deliver_all
from ogrine_assets_tests.fake_discord import (
    FakeDiscord,
    dead_url,
    invalid_token,
    no_content,
    rate_limited,
    running_discord,
    server_error,
    unknown_webhook,
)

BODY = {"content": "**Ogrine rate: up 0.6%**"}
QUICK = RetryPolicy(attempts=4, base_seconds=0.05, max_seconds=0.2)


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    with running_discord() as server:
        yield server


def test_a_204_is_delivered_with_one_post_of_the_json(discord: FakeDiscord) -> None:
    url = discord.webhook(no_content())
    (delivery,) = deliver_all({"a": (url, BODY)}, 5.0).values()
    assert (delivery.outcome, delivery.status, delivery.attempts) == ("delivered", 204, 1)
    (post,) = discord.received(url)
    assert post.body == BODY and post.headers["Content-Type"] == "application/json"
    assert post.headers["User-Agent"].startswith("ogrine_assets ")


def test_429_waits_the_retry_after_discord_gives_then_delivers(discord: FakeDiscord) -> None:
    url = discord.webhook(rate_limited(0.3, header_seconds=5), no_content())
    (delivery,) = deliver_all({"a": (url, BODY)}, 5.0).values()
    assert (delivery.outcome, delivery.attempts) == ("delivered", 2)
    first, second = discord.received(url)
    assert 0.3 <= second.at - first.at < 5  # the body's retry_after, before the header's


def test_5xx_is_retried_with_backoff_a_bounded_number_of_times(discord: FakeDiscord) -> None:
    recovers = discord.webhook(server_error(502), server_error(503), no_content())
    down = discord.webhook(server_error(500))
    deliveries = deliver_all({"recovers": (recovers, BODY), "down": (down, BODY)}, 5.0, QUICK)
    assert (deliveries["recovers"].outcome, deliveries["recovers"].attempts) == ("delivered", 3)
    first, second, third = discord.received(recovers)
    assert second.at - first.at >= 0.05 and third.at - second.at >= 0.1  # doubling
    failed = deliveries["down"]
    assert (failed.outcome, failed.status, failed.attempts) == ("failed", 500, 4)
    assert failed.detail == "HTTP 500 Internal Server Error, 4 times"
    assert len(discord.received(down)) == QUICK.attempts


def test_404_and_401_are_gone_and_not_retried(discord: FakeDiscord) -> None:
    deleted = discord.webhook(unknown_webhook(), no_content())
    revoked = discord.webhook(invalid_token(), no_content())
    deliveries = deliver_all({"404": (deleted, BODY), "401": (revoked, BODY)}, 5.0, QUICK)
    assert deliveries["404"].outcome == deliveries["401"].outcome == "gone"
    assert deliveries["404"].detail == "HTTP 404 Unknown Webhook"
    assert deliveries["401"].detail == "HTTP 401 Invalid Webhook Token"
    assert len(discord.received(deleted)) == len(discord.received(revoked)) == 1


def test_a_refused_message_fails_at_once(discord: FakeDiscord) -> None:
    url = discord.webhook(no_content())
    (delivery,) = deliver_all({"a": (url, {"content": ""})}, 5.0, QUICK).values()
    assert (delivery.outcome, delivery.status, delivery.attempts) == ("failed", 400, 1)
    assert delivery.detail == "HTTP 400 Cannot send an empty message"


def test_a_dead_server_fails_without_raising_or_naming_its_url() -> None:
    url = dead_url()
    (delivery,) = deliver_all({"a": (url, BODY)}, 5.0, QUICK).values()
    assert (delivery.outcome, delivery.status, delivery.attempts) == ("failed", None, 4)
    assert delivery.detail.startswith("no answer (ConnectError: ")
    assert url.rsplit("/", 1)[1] not in delivery.detail


def test_a_slow_webhook_is_cut_off_at_the_deadline_and_holds_no_other(
    discord: FakeDiscord,
) -> None:
    slow = discord.webhook(discord.hang())
    quick = discord.webhook(no_content())
    deadline = 1.0
    started = time.monotonic()
    deliveries = deliver_all({"slow": (slow, BODY), "quick": (quick, BODY)}, deadline, QUICK)
    took = time.monotonic() - started
    assert deadline <= took < deadline + 2  # the deadline ended it, not the 120 s hang
    assert deliveries["quick"].outcome == "delivered"
    assert discord.received(quick)[0].at - started < deadline  # not after the slow one
    cut = deliveries["slow"]
    assert (cut.outcome, cut.status, cut.attempts) == ("timed out", None, 1)
    assert cut.detail == "no delivery within the 1 s deadline"


def test_a_retry_after_past_the_deadline_is_not_waited_for(discord: FakeDiscord) -> None:
    url = discord.webhook(rate_limited(30.0), no_content())
    started = time.monotonic()
    (delivery,) = deliver_all({"a": (url, BODY)}, 5.0, QUICK).values()
    assert time.monotonic() - started < 4  # not waited until the 5 s deadline
    assert (delivery.outcome, delivery.status, delivery.attempts) == ("failed", 429, 1)
    assert delivery.detail == (
        "HTTP 429 You are being rate limited.; a retry in 30 s would pass the deadline"
    )


def test_no_log_line_names_a_webhook(
    discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    urls = [
        discord.webhook(no_content()),
        discord.webhook(rate_limited(0.05), no_content()),
        discord.webhook(unknown_webhook()),
        discord.webhook(server_error(502)),
        dead_url(),
    ]
    deliver_all({str(i): (url, BODY) for i, url in enumerate(urls)}, 3.0, QUICK)
    logged = caplog.text
    assert "HTTP Request: POST http://127.0.0.1:" in logged  # httpx did log each request
    for url in urls:
        assert url.rsplit("/", 1)[1] not in logged
