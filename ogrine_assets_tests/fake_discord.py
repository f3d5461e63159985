"""A real HTTP server on 127.0.0.1 that answers webhook posts as Discord's endpoint does.

Each webhook (``/api/webhooks/<id>/<token>``, a token as long as Discord's) has the answers a
test queues for it, one per post (the last one repeats): 204 No Content, 429 with Discord's
``retry_after`` body and ``Retry-After`` header, 404 "Unknown Webhook" (deleted), 401
"Invalid Webhook Token", a 5xx, or no answer until the test is over. As Discord does, it
answers 400 to a body that is not JSON or whose content is empty or over 2,000 characters,
and 404 to a webhook it does not know. Every post is kept (its JSON body, its headers, when
it came) for the test to read; answers that hang wait on an event released at teardown,
so no test waits on a clock.
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from ogrine_assets_tests.net import LocalServer, free_port

Answer = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Post:
    path: str
    body: Any
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived


def _json(handler: BaseHTTPRequestHandler, status: int, payload: Any, **headers: str) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def no_content() -> Answer:
    """Delivered: what Discord answers a post without ``?wait=true``."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(204)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def rate_limited(retry_after: float, header_seconds: int | None = None) -> Answer:
    """Discord's 429: ``retry_after`` in the body; the header rounds it up to whole seconds
    (or says ``header_seconds``, for a test that tells which of the two was honoured)."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        _json(
            handler,
            429,
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            Retry_After=str(math.ceil(retry_after) if header_seconds is None else header_seconds),
            X_RateLimit_Scope="user",
        )

    return answer


def unknown_webhook() -> Answer:
    """A deleted webhook."""
    return lambda handler: _json(handler, 404, {"message": "Unknown Webhook", "code": 10015})


def invalid_token() -> Answer:
    return lambda handler: _json(handler, 401, {"message": "Invalid Webhook Token", "code": 50027})


def server_error(status: int = 502) -> Answer:
    """What Discord's front answers when Discord is down: an HTML page."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        body = f"<html><body><h1>{status} Bad Gateway</h1></body></html>".encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


@dataclass
class FakeDiscord(LocalServer):
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)

    def __post_init__(self) -> None:
        discord = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                discord.posts.append(Post(self.path, body, dict(self.headers), time.monotonic()))
                queued = discord.answers.get(self.path)
                if queued is None:
                    return unknown_webhook()(self)
                content = body.get("content") if isinstance(body, dict) else None
                if not isinstance(content, str) or not content:
                    return _json(self, 400, {"message": "Cannot send an empty message"})
                if len(content) > 2000:
                    return _json(self, 400, {"content": ["Must be 2000 or fewer in length."]})
                answer = queued.pop(0) if len(queued) > 1 else queued[0]
                answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.serve(Handler, poll_seconds=0.05)

    def webhook(self, *answers: Answer) -> str:
        """A new webhook's URL, answering ``answers`` in turn (204 when none is given)."""
        path = f"/api/webhooks/{secrets.randbelow(10**18):018d}/{secrets.token_urlsafe(51)}"
        self.answers[path] = list(answers) or [no_content()]
        return self.base + path

    def hang(self) -> Answer:
        """No answer at all, until the test is over."""

        def answer(handler: BaseHTTPRequestHandler) -> None:
            self.release.wait(120)

        return answer

    def received(self, url: str) -> list[Post]:
        """The posts made to ``url``, in order."""
        path = url.removeprefix(self.base)
        return [post for post in self.posts if post.path == path]


def dead_url() -> str:
    """A webhook URL on a port nobody listens on."""
    token = secrets.token_urlsafe(51)
    return f"http://127.0.0.1:{free_port()}/api/webhooks/{secrets.randbelow(10**18):018d}/{token}"


@contextlib.contextmanager
def running_discord() -> Iterator[FakeDiscord]:
    discord = FakeDiscord().start()
    try:
        yield discord
    finally:
        discord.stop()
