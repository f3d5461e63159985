"""`ogrine subscribers`: each subscriber, its last delivery and whether it is gone, redacted."""

import datetime as dt
from pathlib import Path

import pytest

from ogrine_assets.cli import main
from ogrine_assets.forecast_document import decode
from ogrine_assets.notifications.notifier import Notifier
from ogrine_assets.settings import Settings
from ogrine_assets_tests.fake_discord import no_content, running_discord, unknown_webhook
from ogrine_assets_tests.support import document_bytes

NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


def test_the_listing_shows_each_subscribers_last_delivery_and_no_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OGRINE_HOME", str(tmp_path))
    assert main(["subscribers"]) == 0
    said = capsys.readouterr().out
    assert f"Subscribers: {tmp_path / 'subscribers.toml'} (absent)" in said
    assert "No subscribers: add [[subscriber]] tables to subscribers.toml or set " in said
    with running_discord() as discord:
        good, deleted, setting = (
            discord.webhook(no_content()),
            discord.webhook(unknown_webhook()),
            discord.webhook(no_content()),
        )
        (tmp_path / "subscribers.toml").write_text(
            f'[[subscriber]]\nname = "guild-fr"\nurl = "{good}"\nlanguage = "fr"\n'
            f'min_move_percent = 0.5\n\n[[subscriber]]\nurl = "{deleted}"\n'
        )
        monkeypatch.setenv("OGRINE_NOTIFY_URL", setting)
        Notifier.from_settings(Settings.from_env()).notify(decode(document_bytes()), NOW)
    assert main(["paths"]) == 0
    listed = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert listed["subscribers_file"] == str(tmp_path / "subscribers.toml")
    assert listed["notification_records_file"] == str(tmp_path / "notifications.json")
    assert main(["subscribers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Subscribers: {tmp_path / 'subscribers.toml'}, and OGRINE_NOTIFY_URL"
    assert lines[1] == f"Records:     {tmp_path / 'notifications.json'}"
    header, *rows = lines[3:]
    assert header.split() == [
        "name", "webhook", "language", "min", "move", "last", "status", "last", "attempt",
        "last", "success", "gone",
    ]  # fmt: skip
    at = NOW.isoformat()
    port = good.split("/")[2]
    shown = {url: f"http://{port}/…/{url[-4:]}" for url in (good, deleted, setting)}
    assert [row.split() for row in rows] == [
        ["guild-fr", shown[good], "fr", "0.5", "%", "204", "delivered", at, at, "no"],
        ["-", shown[deleted], "en", "0", "%", "404", "gone", at, "-", "yes"],
        ["(OGRINE_NOTIFY_URL)", shown[setting], "en", "0", "%", "204", "delivered", at, at, "no"],
    ]

    # A file that cannot be used: said in one line, exit status 1, the setting still listed.
    (tmp_path / "subscribers.toml").write_text('[[subscriber]]\nurl = "nowhere"\n')
    assert main(["subscribers"]) == 1
    out, err = capsys.readouterr()
    assert err == (
        f"ogrine subscribers: {tmp_path / 'subscribers.toml'}: subscriber 1's url is not an "
        "http:// or https:// URL\n"
    )
    assert "(OGRINE_NOTIFY_URL)" in out
    for url in (good, deleted, setting):
        assert url.rsplit("/", 1)[1] not in out + err
