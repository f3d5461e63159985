"""A webhook URL is shown only redacted, and scrubbed from whatever text or log names it."""

import logging

import httpx
import pytest

from ogrine_assets.notifications.secrecy import redacted, redacting_http_logs, scrub

TOKEN = "k3Jx9_Qw-ZpL0aVb7TnRy2EuCo5dMh1FsGi8Pl4XqWe6Rt0YuIoPaSdFgHjKlZxCvBnM2Xy12"
DISCORD = f"https://discord.com/api/webhooks/123456789012345678/{TOKEN}"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (DISCORD, "https://discord.com/…/Xy12"),
        (DISCORD + "?thread_id=42&wait=true", "https://discord.com/…/Xy12"),
        (
            "https://user:pass@hooks.example:8443/a/very/long/secret/path/",
            "https://hooks.example:8443/…/path",
        ),
        ("http://[::1]:9000/api/webhooks/1/" + TOKEN, "http://[::1]:9000/…/Xy12"),
        ("https://example.com/short", "https://example.com/…"),  # its tail would be a third of it
        ("https://example.com", "https://example.com/…"),
    ],
)
def test_a_url_is_shown_by_its_scheme_host_and_last_four_characters(url: str, shown: str) -> None:
    assert redacted(url) == shown
    assert "pass" not in redacted(url) and "thread_id" not in redacted(url)


def test_scrub_replaces_the_url_its_path_and_its_token_alone() -> None:
    text = f"POST {DISCORD} failed; path /api/webhooks/123456789012345678/{TOKEN}; token {TOKEN}"
    cleaned = scrub(text, [DISCORD])
    assert TOKEN not in cleaned and "123456789012345678" not in cleaned
    assert cleaned.count("https://discord.com/…/Xy12") == 3


def test_http_logs_name_no_webhook_while_redacting(caplog: pytest.LogCaptureFixture) -> None:
    """httpx logs every request with its URL at INFO: with the filter on, whatever handler
    receives the record (here pytest's, on the root logger) sees the redacted form."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(204)

    caplog.set_level(logging.DEBUG)
    with (
        redacting_http_logs([DISCORD]),
        httpx.Client(transport=httpx.MockTransport(answer)) as client,
    ):
        client.post(DISCORD, json={"content": "hi"})
        logging.getLogger("httpx").warning("failed", exc_info=ValueError(f"at {DISCORD}"))
    said = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "HTTP Request: POST https://discord.com/…/Xy12" in said  # the line is still there
    assert TOKEN not in said
    # Once the block is left, the filter is gone: nothing else is rewritten.
    caplog.clear()
    logging.getLogger("httpx").info("plain %s", DISCORD)
    assert TOKEN in caplog.text
