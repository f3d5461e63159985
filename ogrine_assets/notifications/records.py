"""What each webhook answered last, kept as the upstream rates API keeps its own webhooks'.

One small JSON file, ``$OGRINE_HOME/notifications.json``, written whole or not at all
(``local/files.py``), maps each subscriber's key (a digest of its URL) to its record: the
redacted URL and the name (for people reading it), the last HTTP status and outcome, the
instants of the last attempt and of the last success, a digest of the last message
delivered (a reader is not sent the same words twice in a row) and, once the webhook
answered 404 or 401, the mark that it is gone. The mark is a digest of subscribers.toml's
bytes and the URL: it holds until the file changes. Runs take the home's lock, so one
writer at a time; a file that cannot be read is started afresh, which costs at most a
message sent again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec

from ogrine_assets.local.files import write_atomically


class Record(msgspec.Struct, frozen=True, omit_defaults=True):
    """One subscriber's last delivery; instants are ISO 8601, UTC."""

    webhook: str
    name: str = ""
    language: str = ""
    last_status: int | None = None
    last_outcome: str = ""
    last_attempt: str | None = None
    last_success: str | None = None
    last_message: str | None = None
    gone_mark: str | None = None

    def gone_under(self, mark: str) -> bool:
        """Whether it answered gone while the subscribers' file was what ``mark`` says."""
        return self.gone_mark == mark


class Records(msgspec.Struct, frozen=True):
    subscribers: dict[str, Record] = {}


def gone_mark(fingerprint: str, url: str) -> str:
    """The mark a gone webhook keeps: its URL under this version of the file."""
    return hashlib.sha256(f"{fingerprint}\n{url}".encode()).hexdigest()[:24]


def read_records(path: Path) -> tuple[dict[str, Record], str | None]:
    """The records at ``path`` (none when absent) and, when they could not be read, why."""
    try:
        return dict(msgspec.json.decode(path.read_bytes(), type=Records).subscribers), None
    except FileNotFoundError:
        return {}, None
    except (OSError, msgspec.DecodeError) as exc:
        return {}, f"{path} could not be read ({exc}); its records start afresh"


def write_records(path: Path, records: dict[str, Record]) -> None:
    """Replace the file with ``records``, atomically; ``OSError`` when it cannot be written."""
    encoded = msgspec.json.encode(Records(subscribers=dict(sorted(records.items()))))
    write_atomically(path, msgspec.json.format(encoded, indent=2) + b"\n")
