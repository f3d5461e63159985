"""The notification asset in the real graph, run as `ogrine materialize` and `ogrine refresh`
run it, against a real Discord-like server on 127.0.0.1: every subscriber told in its
language, and no webhook (rate-limited, failing, deleted, revoked, slow, dead) fails the run,
holds it past the deadline, changes the published forecast, or shows its URL in a log.

The messages received in French and in English are saved for people to read:
``$OGRINE_TEST_ARTIFACTS`` (default ``test-artifacts/``) ``notification-fr.json``, ``-en.json``.
"""

import json
import logging
import os
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import dagster as dg
import msgspec
import pytest

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.serving.forecast_store import ForecastStore
from ogrine_assets.defs.serving.notification import notification
from ogrine_assets.forecast_document import ForecastDocument, decode, encode
from ogrine_assets.notifications.message import Outlook
from ogrine_assets.notifications.notifier import Notifier
from ogrine_assets.notifications.secrecy import redacted
from ogrine_assets.settings import Settings
from ogrine_assets.simulation.calendar import Step
from ogrine_assets.simulation.runner import run_here
from ogrine_assets_tests.fake_discord import (
    Answer,
    FakeDiscord,
    dead_url,
    invalid_token,
    no_content,
    rate_limited,
    running_discord,
    server_error,
    unknown_webhook,
)
from ogrine_assets_tests.support import (
    FIXED_NOW,
    document_bytes,
    home_instance,
    make_settings,
    ogrine_env,
)

pytestmark = pytest.mark.integration

ARTIFACTS = Path(
    os.environ.get("OGRINE_TEST_ARTIFACTS")
    or Path(__file__).resolve().parents[2] / "test-artifacts"
)
DEADLINE = 2.0  # OGRINE_NOTIFY_DEADLINE_SECONDS of these runs
# What the notification step may take beyond its deadline: reading the document, the
# subscribers and the records, writing the records, and Dagster's own step bookkeeping.
STEP_OVERHEAD = 1.5
PAGE = "https://ogrine.example/forecast"


def seeing(document: Path, seen: list[bytes]) -> Answer:
    """204, once it has read the published document as it is when the message arrives."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        seen.append(document.read_bytes())
        no_content()(handler)

    return answer


def subscribe(home: Path, *entries: str) -> None:
    (home / "subscribers.toml").write_text("\n".join(f"[[subscriber]]\n{e}\n" for e in entries))


def run_id(said: str) -> str:
    return said.splitlines()[0].split(" run ", 1)[1].split(",", 1)[0]


def without_run_id(document: ForecastDocument) -> bytes:
    return encode(msgspec.structs.replace(document, dagster_run_id="-"))


def deliveries(instance: dg.DagsterInstance, run: str) -> list[dict[str, object]]:
    (entry,) = instance.all_logs(run, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)[-1:]
    materialization = entry.asset_materialization
    assert materialization is not None
    assert materialization.asset_key == dg.AssetKey("notification")
    table = materialization.metadata["deliveries"].value
    return [dict(record.data) for record in table.records]


def step_seconds(instance: dg.DagsterInstance, run: str, step: str) -> float:
    for entry in instance.all_logs(run, of_type=dg.DagsterEventType.STEP_SUCCESS):
        if entry.step_key == step and entry.dagster_event is not None:
            return entry.dagster_event.event_specific_data.duration_ms / 1000
    raise AssertionError(f"no {step} step succeeded in run {run}")


def first_publication(home: Path, discord: FakeDiscord) -> tuple[str, str, dict[str, str]]:
    """`ogrine materialize` with webhooks that deliver, one after a 429 and one after a 502,
    and one whose threshold the week does not reach; its run id, output and the URLs."""
    forecast = home / "forecast" / "forecast.json"
    seen: list[bytes] = []
    urls = {
        "fr": discord.webhook(seeing(forecast, seen)),
        "en": discord.webhook(no_content()),
        "limited": discord.webhook(rate_limited(0.2), no_content()),
        "flaky": discord.webhook(server_error(502), no_content()),
        "calm": discord.webhook(no_content()),
    }
    subscribe(
        home,
        f'name = "guild-fr"\nurl = "{urls["fr"]}"\nlanguage = "fr"',
        f'name = "guild-en"\nurl = "{urls["en"]}"\nlanguage = "en"',
        f'url = "{urls["limited"]}"',
        f'url = "{urls["flaky"]}"',
        f'name = "calm"\nurl = "{urls["calm"]}"\nmin_move_percent = 50',
    )
    env = ogrine_env(home, OGRINE_NOTIFY_DEADLINE_SECONDS=str(DEADLINE), OGRINE_PAGE_URL=PAGE)
    status, said = run_here(Step(FIXED_NOW, "materialize"), env)
    assert status == 0, said
    # The document was published before the first message left, and is still the same.
    assert seen == [forecast.read_bytes()]
    return run_id(said), said, urls


def test_every_webhook_behaviour_leaves_the_forecast_published_and_the_run_on_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every Python log line of both runs, httpx's included
    home = tmp_path / "home"
    settings = make_settings(home)
    forecast = settings.forecast_path
    with running_discord() as discord:
        first_run, first_said, told = first_publication(home, discord)
        published = decode(forecast.read_bytes())
        counts = {name: len(discord.received(url)) for name, url in told.items()}
        assert counts == {"fr": 1, "en": 1, "limited": 2, "flaky": 2, "calm": 0}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for lang in ("fr", "en"):
            (message,) = discord.received(told[lang])
            text = json.dumps(message.body, ensure_ascii=False, indent=2) + "\n"
            (ARTIFACTS / f"notification-{lang}.json").write_text(text, encoding="utf-8")
        french = discord.received(told["fr"])[0].body["content"]
        english = discord.received(told["en"])[0].body["content"]
        version = f"{published.model.name} v{published.model.version}"
        assert f"Modèle\N{NO-BREAK SPACE}: {version}" in french
        assert f"Model: {version}" in english
        assert "⚠️ Données synthétiques" in french and "⚠️ Synthetic data" in english
        assert french.endswith(f"{PAGE}?lang=fr") and english.endswith(f"{PAGE}?lang=en")

        # The second publication: a deleted webhook, a revoked one, a slow one, a dead one,
        # and one that works, all at once.
        seen: list[bytes] = []
        gone = {
            "deleted": discord.webhook(unknown_webhook(), no_content()),
            "revoked": discord.webhook(invalid_token(), no_content()),
            "slow": discord.webhook(discord.hang()),
            "dead": dead_url(),
            "works": discord.webhook(seeing(forecast, seen)),
        }
        subscribe(home, *(f'name = "{name}"\nurl = "{url}"' for name, url in gone.items()))
        env = ogrine_env(home, OGRINE_NOTIFY_DEADLINE_SECONDS=str(DEADLINE), OGRINE_PAGE_URL=PAGE)
        status, second_said = run_here(Step(FIXED_NOW, "refresh"), env)
        assert status == 0, second_said
        second_run = run_id(second_said)
        assert len(discord.received(gone["deleted"])) == len(discord.received(gone["revoked"])) == 1
        assert seen == [forecast.read_bytes()]

    # The forecast is the same document, byte for byte but for the run that made it.
    refreshed = decode(forecast.read_bytes())
    assert refreshed.dagster_run_id == second_run and published.dagster_run_id == first_run
    assert without_run_id(refreshed) == without_run_id(published)

    with home_instance(settings) as instance:
        first = {row["subscriber"]: row["outcome"] for row in deliveries(instance, first_run)}
        moved = Outlook(published).moved_percent
        assert first == {
            "guild-fr": "delivered",
            "guild-en": "delivered",
            redacted(told["limited"]): "delivered",
            redacted(told["flaky"]): "delivered",
            "calm": f"not sent: moved {moved:.2f}% < 50%",
        }
        second = {row["subscriber"]: row["outcome"] for row in deliveries(instance, second_run)}
        assert second == {
            "deleted": "gone",
            "revoked": "gone",
            "slow": "timed out",
            "dead": "failed",
            "works": "delivered",
        }
        # The slow webhook held the notification step to the deadline, and no longer.
        assert step_seconds(instance, second_run, "notification") >= DEADLINE
        assert step_seconds(instance, second_run, "notification") < DEADLINE + STEP_OVERHEAD
        events = [str(entry) for run in (first_run, second_run) for entry in instance.all_logs(run)]

    # The summary says it; one warning line each, naming the subscriber, the outcome and
    # the kept forecast.
    assert "Notified   4 of 5 subscribers" in first_said.splitlines()
    assert "Notified   1 of 5 subscribers; 4 not delivered (the warnings above say why)" in (
        second_said.splitlines()
    )
    warnings = [line for line in second_said.splitlines() if "warning: Notification to" in line]
    assert len(warnings) == 4
    assert any("deleted (http://" in w and "gone: HTTP 404 Unknown Webhook" in w for w in warnings)
    assert all(w.endswith("the forecast stays published") for w in warnings)

    # No webhook URL in any log: the runs' output, their run logs, Dagster's event log,
    # Python's log records, the records file.
    run_logs = "".join(path.read_text() for path in settings.log_dir.glob("*.log"))
    assert len(list(settings.log_dir.glob("*.log"))) == 2
    everything = "\n".join(
        [
            first_said,
            second_said,
            run_logs,
            *events,
            caplog.text,
            settings.notification_records_file.read_text(),
        ]
    )
    assert "HTTP Request: POST http://127.0.0.1:" in caplog.text  # httpx's lines were there
    for url in [*told.values(), *gone.values()]:
        token = url.rsplit("/", 1)[1]
        assert token not in everything and url not in everything


def test_materialized_alone_it_tells_nothing_of_a_document_another_run_published(
    tmp_path: Path,
) -> None:
    """And the notifier's OGRINE_NOTIFY_URL is nowhere in what Dagster keeps of the run: not
    in the job's snapshot (where a ConfigurableResource's fields would be), not in its logs."""
    with running_discord() as discord, dg.DagsterInstance.ephemeral() as instance:
        url, setting = discord.webhook(no_content()), discord.webhook(no_content())
        settings = Settings.from_env({"OGRINE_HOME": str(tmp_path), "OGRINE_NOTIFY_URL": setting})
        settings.forecast_path.parent.mkdir(parents=True)
        settings.forecast_path.write_bytes(document_bytes())  # published by run "run-1"
        subscribe(tmp_path, f'url = "{url}"')
        result = dg.materialize(
            [notification],
            instance=instance,
            resources={
                "notifier": Notifier.from_settings(settings),
                "forecast_store": ForecastStore(
                    path=str(settings.forecast_path), archive_dir=str(tmp_path / "archive")
                ),
                "clock": Clock(fixed_now=FIXED_NOW.isoformat()),
            },
        )
        assert result.success and discord.received(url) == discord.received(setting) == []
        logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.job_snapshot_id is not None
        kept = dg.serialize_value(instance.get_job_snapshot(run.job_snapshot_id))
        kept += "".join(str(entry) for entry in instance.all_logs(result.run_id))
    assert "notifier" in kept and setting.rsplit("/", 1)[1] not in kept
    (materialization,) = result.asset_materializations_for_node("notification")
    assert materialization.metadata["subscribers"].value == 0
    assert (
        "No notification sent: this run published no forecast (the one published is run "
        "run-1's, told when it was published)"
    ) in logged
