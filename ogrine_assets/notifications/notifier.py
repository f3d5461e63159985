"""One publication told to every subscriber: who is sent what, who is not and why, and the
records kept of it.

For each subscriber, in the order configured:

- a webhook gone (it answered 404 or 401) under this version of subscribers.toml is not
  tried again: "not tried: gone";
- a week that moves less than its ``min_move_percent`` sends nothing: "not sent: moved …";
- words it was sent last time, exactly, are not sent again (a second run on the same data,
  the promotion's and the refresh's publications on the same morning): "not sent: unchanged";
- the others are posted at once, within one deadline (``delivery.py``).

Then the records are written (``records.py``). Nothing here raises for a webhook, nor
names a URL: the :class:`Round` says, in rows and one-line warnings, what happened.
The notifier is a plain object, not a Dagster ``ConfigurableResource``: a resource's
fields are its config, which Dagster shows in its UI and keeps in each run's snapshot, and
``notify_url`` is a secret.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ogrine_assets.forecast_document import ForecastDocument
from ogrine_assets.language import Language
from ogrine_assets.notifications.delivery import Delivery, RetryPolicy, deliver_all
from ogrine_assets.notifications.outlook import Outlook
from ogrine_assets.notifications.records import (
    Record,
    gone_mark,
    read_records,
    write_records,
)
from ogrine_assets.notifications.subscribers import Subscriber, Subscription, subscription
from ogrine_assets.settings import Settings

TROUBLE = ("gone", "failed", "timed out")  # outcomes worth a warning


@dataclass(frozen=True)
class Row:
    """What became of one subscriber in one publication (no URL: ``webhook`` is redacted)."""

    subscriber: str
    webhook: str
    language: Language
    min_move_percent: float
    outcome: str
    status: int | None = None
    attempts: int = 0
    detail: str = ""

    def as_metadata(self) -> dict[str, Any]:
        return {
            "subscriber": self.subscriber,
            "webhook": self.webhook,
            "language": self.language,
            "min_move_percent": self.min_move_percent,
            "status": "" if self.status is None else str(self.status),
            "outcome": self.outcome,
            "attempts": self.attempts,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Round:
    """One publication's notifications: a row per subscriber, and one-line warnings."""

    rows: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(row.outcome == outcome for row in self.rows)


def _row(subscriber: Subscriber, outcome: str, delivery: Delivery | None = None) -> Row:
    return Row(
        subscriber=subscriber.label,
        webhook=subscriber.webhook,
        language=subscriber.language,
        min_move_percent=subscriber.min_move_percent,
        outcome=outcome,
        status=delivery.status if delivery else None,
        attempts=delivery.attempts if delivery else 0,
        detail=delivery.detail if delivery else "",
    )


def _recorded(
    before: Record | None,
    subscriber: Subscriber,
    delivery: Delivery,
    at: str,
    message: str,
    mark: str,
) -> Record:
    delivered = delivery.outcome == "delivered"
    return Record(
        webhook=subscriber.webhook,
        name=subscriber.name,
        language=subscriber.language,
        last_status=delivery.status,
        last_outcome=delivery.outcome,
        last_attempt=at,
        last_success=at if delivered else (before.last_success if before else None),
        last_message=message if delivered else (before.last_message if before else None),
        gone_mark=mark if delivery.outcome == "gone" else None,
    )


@dataclass(frozen=True)
class Notifier:
    """Tells subscribers of a published forecast; made from the settings (``from_settings``)."""

    subscribers_file: Path
    records_file: Path
    page_url: str
    default_language: Language
    notify_language: Language
    deadline_seconds: float
    notify_url: str | None = field(default=None, repr=False)  # a secret: never shown
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> Notifier:
        return cls(
            subscribers_file=settings.subscribers_file,
            records_file=settings.notification_records_file,
            page_url=settings.page_url,
            default_language=settings.language,
            notify_language=settings.notify_language,
            deadline_seconds=settings.notify_deadline_seconds,
            notify_url=settings.notify_url,
        )

    def subscription(self) -> Subscription:
        return subscription(
            self.subscribers_file, self.default_language, self.notify_url, self.notify_language
        )

    def records(self) -> tuple[dict[str, Record], str | None]:
        return read_records(self.records_file)

    def notify(
        self, document: ForecastDocument, now: dt.datetime, subscribed: Subscription | None = None
    ) -> Round:
        """Tell every subscriber of ``document`` (just published) as the rules say;
        ``subscribed``: the subscription already read (``subscription()``), else read here."""
        from ogrine_assets.notifications.message import compose, digest  # Babel: for the step

        if subscribed is None:
            subscribed = self.subscription()
        warnings = [subscribed.problem] if subscribed.problem else []
        if not subscribed.subscribers:
            return Round(warnings=warnings)
        records, unreadable = self.records()
        warnings += [unreadable] if unreadable else []
        outlook = Outlook(document)
        rows: dict[str, Row] = {}
        posts: dict[str, tuple[str, dict[str, Any]]] = {}
        digests: dict[str, str] = {}  # of the words composed for a subscriber, to record
        for subscriber in subscribed.subscribers:
            record = records.get(subscriber.key)
            if record and record.gone_under(gone_mark(subscribed.fingerprint, subscriber.url)):
                rows[subscriber.key] = _row(subscriber, "not tried: gone")
                continue
            if not outlook.moves_at_least(subscriber.min_move_percent):
                moved = f"{outlook.moved_percent:.2f}% < {subscriber.min_move_percent:g}%"
                rows[subscriber.key] = _row(subscriber, f"not sent: moved {moved}")
                continue
            payload = compose(document, subscriber.language, self.page_url)
            digests[subscriber.key] = digest(payload)
            if record and record.last_message == digests[subscriber.key]:
                rows[subscriber.key] = _row(subscriber, "not sent: unchanged")
            else:
                posts[subscriber.key] = (subscriber.url, payload)
        deliveries = deliver_all(posts, self.deadline_seconds, self.retry)
        at = now.astimezone(dt.UTC).isoformat(timespec="seconds")
        for subscriber in subscribed.subscribers:
            delivery = deliveries.get(subscriber.key)
            if delivery is None:
                continue
            rows[subscriber.key] = _row(subscriber, delivery.outcome, delivery)
            records[subscriber.key] = _recorded(
                records.get(subscriber.key),
                subscriber,
                delivery,
                at,
                digests[subscriber.key],
                gone_mark(subscribed.fingerprint, subscriber.url),
            )
            if delivery.outcome in TROUBLE:
                warnings.append(
                    f"Notification to {subscriber.described} {delivery.outcome}: {delivery.detail}"
                )
        warnings += self._keep(records, subscribed.subscribers)
        ordered = [rows[s.key] for s in subscribed.subscribers]
        return Round(rows=ordered, warnings=warnings)

    def _keep(self, records: dict[str, Record], subscribers: Sequence[Subscriber]) -> list[str]:
        """Write the records of the subscribers there are now; a warning if it cannot be."""
        current = {s.key for s in subscribers}
        try:
            write_records(self.records_file, {k: r for k, r in records.items() if k in current})
        except OSError as exc:
            return [f"Notification records not written to {self.records_file}: {exc.strerror}"]
        return []
