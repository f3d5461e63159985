"""Who is told of each publication: ``$OGRINE_HOME/subscribers.toml``, and ``OGRINE_NOTIFY_URL``.

The file is a list of ``[[subscriber]]`` tables (docs/notifications.md)::

    [[subscriber]]
    name = "guild-fr"                      # optional: how lists and logs name it
    url = "https://discord.com/api/webhooks/…"
    language = "fr"                        # "en" or "fr"; default OGRINE_LANGUAGE
    min_move_percent = 2.5                 # >= 0; 0 (the default): every publication

It is read with the standard library's TOML reader and checked whole: a file that is not
TOML, a key it does not know, a URL that is not http(s), a language or a threshold it cannot
take, or one URL twice, is a :class:`SubscribersError` whose one line names the file, the
entry and the problem (never the URL: it is a secret), and none of its entries is notified.
``OGRINE_NOTIFY_URL`` (with ``OGRINE_NOTIFY_LANGUAGE``) is one more subscriber, with no
threshold, that needs no file, and is notified whatever the file's state.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ogrine_assets.language import LANGUAGES, Language, language
from ogrine_assets.notifications.secrecy import redacted

KEYS = ("name", "url", "language", "min_move_percent")
FROM_FILE = "subscribers.toml"
FROM_SETTING = "OGRINE_NOTIFY_URL"


class SubscribersError(ValueError):
    """subscribers.toml cannot be used; the message is one line naming it and the problem."""


@dataclass(frozen=True)
class Subscriber:
    """One webhook, and what it is sent: the language, and the least move worth a message."""

    url: str = field(repr=False)  # a secret: shown only as ``webhook``
    language: Language
    min_move_percent: float = 0.0
    name: str = ""
    source: str = FROM_FILE

    @property
    def webhook(self) -> str:
        """The URL as it may be shown."""
        return redacted(self.url)

    @property
    def label(self) -> str:
        """How lists and log lines name it: its name, else its redacted URL."""
        return self.name or self.webhook

    @property
    def described(self) -> str:
        """How a log line names it: ``"guild-fr (https://discord.com/…/Xy12)"``."""
        return f"{self.name} ({self.webhook})" if self.name else self.webhook

    @property
    def key(self) -> str:
        """Its records' key: a digest of the URL, which cannot be turned back into it."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Subscription:
    """Everyone to tell, and the file's fingerprint (a digest of its bytes; of nothing when
    it is absent) that a gone webhook's mark is tied to; ``problem`` when the file is bad."""

    subscribers: list[Subscriber]
    fingerprint: str
    problem: str | None = None


def _entry(table: Any, number: int, path: Path, default_language: Language) -> Subscriber:
    where = f"{path}: subscriber {number}"
    if not isinstance(table, dict):
        raise SubscribersError(f"{where} is not a table; write each as [[subscriber]]")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise SubscribersError(
            f"{where} has an unknown key {unknown[0]!r} (known: {', '.join(KEYS)})"
        )
    url = table.get("url")
    if url is None:
        raise SubscribersError(f"{where} has no url")
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        host = parts.hostname if parts else None
    except ValueError:  # a broken address: "http://[::1/hook"
        parts = host = None
    if parts is None or parts.scheme not in {"http", "https"} or not host:
        raise SubscribersError(f"{where}'s url is not an http:// or https:// URL")
    name = table.get("name", "")
    if not isinstance(name, str):
        raise SubscribersError(f"{where}'s name is not a string")
    said = table.get("language", default_language)
    try:
        if not isinstance(said, str):
            raise ValueError(said)
        lang = language(said)
    except ValueError:
        raise SubscribersError(
            f"{where}'s language {said!r} is not one of {', '.join(LANGUAGES)}"
        ) from None
    move = table.get("min_move_percent", 0.0)
    if isinstance(move, bool) or not isinstance(move, int | float) or not math.isfinite(move):
        raise SubscribersError(f"{where}'s min_move_percent {move!r} is not a number")
    if move < 0:
        raise SubscribersError(f"{where}'s min_move_percent {move!r} is below 0")
    return Subscriber(url=url, language=lang, min_move_percent=float(move), name=name.strip())


def _content(path: Path) -> bytes:
    """The file's bytes; none when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise SubscribersError(f"{path} cannot be read ({exc.strerror})") from None


def _parsed(content: bytes, path: Path, default_language: Language) -> list[Subscriber]:
    try:
        document = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise SubscribersError(f"{path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SubscribersError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(document) - {"subscriber"})
    if unknown:
        raise SubscribersError(
            f"{path} has an unknown key {unknown[0]!r}: write each webhook as a "
            "[[subscriber]] table"
        )
    tables = document.get("subscriber", [])
    if not isinstance(tables, list):
        raise SubscribersError(f"{path}: write each webhook as a [[subscriber]] table")
    subscribers = [
        _entry(table, number, path, default_language)
        for number, table in enumerate(tables, start=1)
    ]
    seen: dict[str, int] = {}
    for number, subscriber in enumerate(subscribers, start=1):
        if subscriber.url in seen:
            raise SubscribersError(
                f"{path}: subscribers {seen[subscriber.url]} and {number} have the same url"
            )
        seen[subscriber.url] = number
    return subscribers


def subscription(
    path: Path,
    default_language: Language,
    notify_url: str | None = None,
    notify_language: Language | None = None,
) -> Subscription:
    """The file's subscribers (none when it is bad: ``problem`` says why), then
    ``notify_url``'s unless the file lists that URL already."""
    problem, content, subscribers = None, b"", []
    try:
        content = _content(path)
        subscribers = _parsed(content, path, default_language)
    except SubscribersError as exc:
        problem = str(exc)
    if notify_url and notify_url not in {s.url for s in subscribers}:
        subscribers.append(
            Subscriber(
                url=notify_url,
                language=notify_language or default_language,
                source=FROM_SETTING,
            )
        )
    return Subscription(subscribers, hashlib.sha256(content).hexdigest(), problem)
