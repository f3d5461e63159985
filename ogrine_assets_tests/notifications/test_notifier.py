"""One publication told to every subscriber, against a real Discord-like server: the gone
rule, min_move_percent, the same words never twice, the records, a bad file."""

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ogrine_assets.forecast_document import ForecastDocument, decode
from ogrine_assets.notifications.delivery import RetryPolicy
from ogrine_assets.notifications.notifier import Notifier
from ogrine_assets.notifications.records import read_records
from ogrine_assets_tests.fake_discord import (
    FakeDiscord,
    no_content,
    running_discord,
    server_error,
    unknown_webhook,
)
from ogrine_assets_tests.support import document_bytes

NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=1)


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    with running_discord() as server:
        yield server


def notifier(home: Path, notify_url: str | None = None) -> Notifier:
    return Notifier(
        subscribers_file=home / "subscribers.toml",
        records_file=home / "notifications.json",
        page_url="http://127.0.0.1:8080/",
        default_language="en",
        notify_language="fr",
        deadline_seconds=5.0,
        notify_url=notify_url,
        retry=RetryPolicy(base_seconds=0.02, max_seconds=0.05),
    )


def subscribe(home: Path, *entries: dict[str, object]) -> None:
    tables = []
    for entry in entries:
        lines = [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
        tables.append("[[subscriber]]\n" + "\n".join(lines))
    (home / "subscribers.toml").write_text("\n\n".join(tables) + "\n")


def document(base: float = 1234.5) -> ForecastDocument:
    return decode(document_bytes(base=base, beats_naive=True))  # moves 7 kamas up


def test_a_gone_webhook_is_not_tried_again_until_the_file_changes(
    tmp_path: Path, discord: FakeDiscord
) -> None:
    deleted = discord.webhook(unknown_webhook(), no_content())
    subscribe(tmp_path, {"name": "old-guild", "url": deleted})
    told = notifier(tmp_path).notify(document(), NOW)
    (row,) = told.rows
    assert (row.subscriber, row.outcome, row.status) == ("old-guild", "gone", 404)
    assert told.warnings == [
        f"Notification to old-guild ({row.webhook}) gone: HTTP 404 Unknown Webhook"
    ]
    again = notifier(tmp_path).notify(document(base=1300.0), LATER)
    assert [r.outcome for r in again.rows] == ["not tried: gone"] and again.warnings == []
    assert len(discord.received(deleted)) == 1
    # The file changes (a comment is enough): it is tried again, and now delivered.
    with (tmp_path / "subscribers.toml").open("a") as file:
        file.write("# the webhook was made again\n")
    retried = notifier(tmp_path).notify(document(base=1300.0), LATER)
    assert [r.outcome for r in retried.rows] == ["delivered"]
    records, _ = read_records(tmp_path / "notifications.json")
    (record,) = records.values()
    assert record.gone_mark is None and record.last_success == LATER.isoformat()


def test_min_move_percent_decides_who_is_told(tmp_path: Path, discord: FakeDiscord) -> None:
    every, half, five = (discord.webhook(no_content()) for _ in range(3))
    subscribe(
        tmp_path,
        {"url": every},
        {"url": half, "min_move_percent": 0.5},
        {"url": five, "min_move_percent": 5},
    )
    told = notifier(tmp_path).notify(document(), NOW)  # the week moves 0.57 %
    assert [r.outcome for r in told.rows] == [
        "delivered",
        "delivered",
        "not sent: moved 0.57% < 5%",
    ]
    assert [len(discord.received(url)) for url in (every, half, five)] == [1, 1, 0]


def test_the_same_words_are_not_sent_twice_but_a_failure_is_tried_again(
    tmp_path: Path, discord: FakeDiscord
) -> None:
    good = discord.webhook(no_content())
    flaky = discord.webhook(server_error(502))
    subscribe(tmp_path, {"url": good, "language": "fr"}, {"url": flaky})
    first = notifier(tmp_path).notify(document(), NOW)
    assert [r.outcome for r in first.rows] == ["delivered", "failed"]
    assert first.warnings[0].endswith("failed: HTTP 502 Bad Gateway, 4 times")
    second = notifier(tmp_path).notify(document(), LATER)  # a second run on the same data
    assert [r.outcome for r in second.rows] == ["not sent: unchanged", "failed"]
    assert len(discord.received(good)) == 1 and len(discord.received(flaky)) == 8
    moved = notifier(tmp_path).notify(document(base=1240.0), LATER)  # a new day's forecast
    assert moved.rows[0].outcome == "delivered"


def test_each_delivery_is_recorded_without_its_url(tmp_path: Path, discord: FakeDiscord) -> None:
    good = discord.webhook(no_content())
    down = discord.webhook(no_content(), server_error(503))
    subscribe(tmp_path, {"name": "guild", "url": good, "language": "fr"}, {"url": down})
    notifier(tmp_path).notify(document(), NOW)
    notifier(tmp_path).notify(document(base=1300.0), LATER)
    records, problem = read_records(tmp_path / "notifications.json")
    assert problem is None
    guild, other = (records[k] for k in sorted(records, key=lambda k: records[k].name != "guild"))
    assert (guild.name, guild.language, guild.last_status, guild.last_outcome) == (
        "guild",
        "fr",
        204,
        "delivered",
    )
    assert guild.last_attempt == guild.last_success == LATER.isoformat()
    assert (other.last_status, other.last_outcome) == (503, "failed")
    assert (other.last_attempt, other.last_success) == (LATER.isoformat(), NOW.isoformat())
    written = (tmp_path / "notifications.json").read_text()
    for url in (good, down):
        assert url.rsplit("/", 1)[1] not in written
    # A subscriber taken out of the file is taken out of the records.
    subscribe(tmp_path, {"name": "guild", "url": good, "language": "fr"})
    notifier(tmp_path).notify(document(base=1310.0), LATER)
    assert [r.name for r in read_records(tmp_path / "notifications.json")[0].values()] == ["guild"]


def test_a_bad_file_is_one_warning_and_the_setting_is_still_told(
    tmp_path: Path, discord: FakeDiscord
) -> None:
    listed, setting = discord.webhook(no_content()), discord.webhook(no_content())
    (tmp_path / "subscribers.toml").write_text(f'[[subscriber]]\nurl = "{listed}"\nlang = "fr"\n')
    told = notifier(tmp_path, notify_url=setting).notify(document(), NOW)
    assert told.warnings == [
        f"{tmp_path / 'subscribers.toml'}: subscriber 1 has an unknown key 'lang' "
        "(known: name, url, language, min_move_percent)"
    ]
    assert [(r.language, r.outcome) for r in told.rows] == [("fr", "delivered")]
    assert discord.received(listed) == [] and len(discord.received(setting)) == 1


def test_no_subscriber_sends_nothing_and_writes_nothing(tmp_path: Path) -> None:
    told = notifier(tmp_path).notify(document(), NOW)
    assert told.rows == [] and told.warnings == []
    assert not (tmp_path / "notifications.json").exists()


def test_unreadable_records_start_afresh_with_a_warning(
    tmp_path: Path, discord: FakeDiscord
) -> None:
    url = discord.webhook(no_content())
    subscribe(tmp_path, {"url": url})
    (tmp_path / "notifications.json").write_text("{not json")
    told = notifier(tmp_path).notify(document(), NOW)
    assert [r.outcome for r in told.rows] == ["delivered"]
    (warning,) = told.warnings
    assert warning.startswith(f"{tmp_path / 'notifications.json'} could not be read (")
    assert warning.endswith("; its records start afresh")
    assert read_records(tmp_path / "notifications.json")[1] is None
