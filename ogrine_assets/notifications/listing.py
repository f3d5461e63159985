"""``ogrine subscribers``: each subscriber and its last delivery, as the records keep them.

A table of text, one line per subscriber (redacted URLs only), under two lines that say
where the subscribers and the records are read from; a subscribers.toml that cannot be used
is said in one line, and the listing goes on with OGRINE_NOTIFY_URL's subscriber if any.
"""

from __future__ import annotations

from collections.abc import Sequence

from ogrine_assets.notifications.notifier import Notifier
from ogrine_assets.notifications.records import gone_mark
from ogrine_assets.notifications.subscribers import FROM_SETTING

COLUMNS = (
    "name",
    "webhook",
    "language",
    "min move",
    "last status",
    "last attempt",
    "last success",
    "gone",
)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def subscriber_lines(notifier: Notifier) -> tuple[list[str], str | None]:
    """The listing's lines, and the file's problem when it cannot be used."""
    subscribed = notifier.subscription()
    records, unreadable = notifier.records()
    lines = [
        f"Subscribers: {notifier.subscribers_file}"
        + ("" if notifier.subscribers_file.exists() else " (absent)")
        + (f", and {FROM_SETTING}" if notifier.notify_url else ""),
        f"Records:     {notifier.records_file}"
        + ("" if notifier.records_file.exists() else " (none yet)"),
    ]
    if unreadable:
        lines.append(unreadable)
    if not subscribed.subscribers:
        lines.append(
            f"No subscribers: add [[subscriber]] tables to {notifier.subscribers_file.name} "
            f"or set {FROM_SETTING} (docs/notifications.md)."
        )
        return lines, subscribed.problem
    rows = [COLUMNS]
    for subscriber in subscribed.subscribers:
        record = records.get(subscriber.key)
        gone = record is not None and record.gone_under(
            gone_mark(subscribed.fingerprint, subscriber.url)
        )
        status = "-"
        if record is not None and record.last_outcome:
            code = "" if record.last_status is None else f"{record.last_status} "
            status = f"{code}{record.last_outcome}"
        name = subscriber.name or (
            f"({FROM_SETTING})" if subscriber.source == FROM_SETTING else "-"
        )
        rows.append(
            (
                name,
                subscriber.webhook,
                subscriber.language,
                f"{subscriber.min_move_percent:g} %",
                status,
                (record.last_attempt if record else None) or "-",
                (record.last_success if record else None) or "-",
                "yes" if gone else "no",
            )
        )
    return [*lines, "", *_table(rows)], subscribed.problem
