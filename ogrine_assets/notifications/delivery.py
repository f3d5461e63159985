"""Posting messages the way Discord's webhooks take them, every one within one deadline.

Each message is ``POST``\\ ed as JSON; 2xx (Discord answers 204) is delivered. 429 is
retried after the ``retry_after`` Discord gives (seconds, in the JSON body, else the
``Retry-After`` header), and 5xx or no answer at all (a refused connection, a reset) after a
backoff of 0.5, 1, then 2 s: four attempts at most. 404 (a deleted webhook) and 401 (a bad
token) mean the webhook is gone: not retried. Any other answer fails at once.

All the messages of one publication are posted at the same time, and share one deadline:
when it passes, those still waiting (a slow server, a long ``retry_after``) are cut off and
said to have timed out; a retry whose wait would end past it is not made. So a publication's
notifications never take longer than the deadline, whatever the webhooks do.

What is said of a failure is one line that never names the URL (``secrecy.py``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ogrine_assets.notifications.secrecy import redacting_http_logs, scrub

if TYPE_CHECKING:  # httpx is imported by the step that posts: not by the code location
    import httpx

USER_AGENT = "ogrine_assets (Ogrine rate forecaster; notifications)"
GONE_STATUSES = frozenset({401, 404})
BODY_BYTES = 16 * 1024  # of an answer, what is read to know what it says
Outcome = Literal["delivered", "gone", "failed", "timed out"]


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``attempts`` posts; between them ``base_seconds`` doubling, up to ``max_seconds``
    (a 429's ``retry_after`` instead, when given)."""

    attempts: int = 4
    base_seconds: float = 0.5
    max_seconds: float = 4.0

    def backoff(self, retry: int) -> float:
        return min(self.max_seconds, self.base_seconds * 2**retry)


@dataclass(frozen=True)
class Delivery:
    """How one message went: the outcome, the last HTTP status (None: no answer), the posts
    made, and, unless delivered, why, in a few words without the URL."""

    outcome: Outcome
    status: int | None
    attempts: int
    detail: str = ""


@dataclass
class _Progress:
    """What a delivery has done so far: what is said of it if the deadline cuts it off."""

    attempts: int = 0
    status: int | None = None
    problem: str = ""


def _said(body: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(body)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _retry_after(answer: Mapping[str, Any], headers: httpx.Headers) -> float | None:
    """Discord's wait before the next post, in seconds: the body's, else the header's."""
    for value in (answer.get("retry_after"), headers.get("retry-after")):
        try:
            seconds = float(value) if value is not None else None
        except (TypeError, ValueError):
            continue
        if seconds is not None and seconds >= 0:
            return seconds
    return None


async def _read_start(response: httpx.Response) -> bytes:
    received = b""
    async for chunk in response.aiter_raw():
        received += chunk
        if len(received) >= BODY_BYTES:
            break
    return received[:BODY_BYTES]


async def _deliver(
    client: httpx.AsyncClient,
    url: str,
    payload: Mapping[str, Any],
    policy: RetryPolicy,
    progress: _Progress,
    deadline: float,
) -> Delivery:
    import httpx

    loop = asyncio.get_running_loop()
    for attempt in range(1, policy.attempts + 1):
        progress.attempts = attempt
        wait = policy.backoff(attempt - 1)
        try:
            async with client.stream("POST", url, json=payload) as response:
                progress.status = response.status_code
                answer = _said(await _read_start(response))
        except httpx.HTTPError as exc:
            progress.status = None
            progress.problem = f"no answer ({type(exc).__name__}: {scrub(str(exc), [url])})"
        else:
            status = response.status_code
            if 200 <= status < 300:
                return Delivery("delivered", status, attempt)
            message = str(answer.get("message") or response.reason_phrase)
            progress.problem = scrub(f"HTTP {status} {message}", [url])
            if status in GONE_STATUSES:
                return Delivery("gone", status, attempt, progress.problem)
            if status != 429 and status < 500:
                return Delivery("failed", status, attempt, progress.problem)
            asked = _retry_after(answer, response.headers)
            wait = wait if asked is None else asked
        if attempt == policy.attempts:
            break
        if loop.time() + wait >= deadline:
            return Delivery(
                "failed",
                progress.status,
                attempt,
                f"{progress.problem}; a retry in {wait:g} s would pass the deadline",
            )
        await asyncio.sleep(wait)
    return Delivery(
        "failed", progress.status, progress.attempts, f"{progress.problem}, {attempt} times"
    )


async def _deliver_all(
    posts: Mapping[str, tuple[str, Mapping[str, Any]]],
    deadline_seconds: float,
    policy: RetryPolicy,
) -> dict[str, Delivery]:
    import httpx

    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_seconds
    progress = {key: _Progress() for key in posts}
    headers = {"User-Agent": USER_AGENT}
    timeout = httpx.Timeout(deadline_seconds)
    async with httpx.AsyncClient(headers=headers, timeout=timeout) as client:
        tasks = {
            key: asyncio.create_task(
                _deliver(client, url, payload, policy, progress[key], deadline)
            )
            for key, (url, payload) in posts.items()
        }
        await asyncio.wait(tasks.values(), timeout=deadline_seconds)
        for task in tasks.values():
            task.cancel()  # those still waiting: the deadline has passed
        await asyncio.gather(*tasks.values(), return_exceptions=True)
    deliveries = {}
    for key, task in tasks.items():
        done = progress[key]
        if not task.cancelled() and task.exception() is None:
            deliveries[key] = task.result()
        elif task.cancelled():
            last = f"; last: {done.problem}" if done.problem else ""
            deliveries[key] = Delivery(
                "timed out",
                done.status,
                done.attempts,
                f"no delivery within the {deadline_seconds:g} s deadline{last}",
            )
        else:  # not expected: said in one line, without the URL
            error = task.exception()
            url = posts[key][0]
            said = scrub(f"{type(error).__name__}: {error}", [url])
            deliveries[key] = Delivery("failed", done.status, done.attempts, said)
    return deliveries


def deliver_all(
    posts: Mapping[str, tuple[str, Mapping[str, Any]]],
    deadline_seconds: float,
    policy: RetryPolicy = RetryPolicy(),
) -> dict[str, Delivery]:
    """Post each of ``posts`` (key: (URL, JSON body)) at once; how each went, by key, within
    ``deadline_seconds`` in all. Raises nothing about a webhook, and logs no URL."""
    if not posts:
        return {}
    with redacting_http_logs(url for url, _ in posts.values()):
        return asyncio.run(_deliver_all(posts, deadline_seconds, policy))
