"""notification: the forecast this run published, told to each subscriber's webhook.

Downstream of ``forecast``, in the serving group, so every job that publishes (``ogrine
materialize``, ``ogrine refresh``, the schedules, the sensor's promotion runs) notifies
too, once the document is in place. It tells only of a document this very run published
(the document names its run): materialized alone, it has nothing new to tell. It never
fails: a bad subscribers file, a slow, failing or gone webhook is a warning of one line
and a row in the ``deliveries`` table, and the published forecast is not touched.
The rules are ``ogrine_assets/notifications``'; docs/notifications.md is the user's side.
"""

import traceback
from pathlib import Path
from typing import Any

import dagster as dg

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.metadata import table
from ogrine_assets.defs.serving import GROUP
from ogrine_assets.defs.serving.forecast import forecast
from ogrine_assets.defs.serving.forecast_store import ForecastStore
from ogrine_assets.forecast_document import InvalidDocument, decode
from ogrine_assets.names import DELIVERED_METADATA, NOT_DELIVERED_METADATA, SUBSCRIBERS_METADATA
from ogrine_assets.notifications.notifier import TROUBLE, Notifier, Round
from ogrine_assets.notifications.outlook import Outlook
from ogrine_assets.notifications.secrecy import scrub

KEPT = "the forecast stays published"


def _metadata(notifier: Notifier, told: Round, outlook: Outlook | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        SUBSCRIBERS_METADATA: len(told.rows),
        DELIVERED_METADATA: told.count("delivered"),
        NOT_DELIVERED_METADATA: sum(told.count(outcome) for outcome in TROUBLE),
        "deadline_seconds": notifier.deadline_seconds,
        "subscribers_file": dg.MetadataValue.path(str(notifier.subscribers_file)),
        "records": dg.MetadataValue.path(str(notifier.records_file)),
    }
    if outlook is not None:
        last_day = outlook.document.forecast[-1].date
        metadata["outlook"] = f"{outlook.direction} {outlook.change:+.2%} by {last_day}"
    if told.rows:
        rows = [row.as_metadata() for row in told.rows]
        metadata["deliveries"] = table(rows, limit=len(rows))
    return metadata


@dg.asset(
    group_name=GROUP,
    kinds={"discord"},
    deps=[forecast],
    description="Tells each subscriber (subscribers.toml, OGRINE_NOTIFY_URL) of the forecast "
    "this run published, in its language, through its Discord-compatible webhook. A slow, "
    "failing or gone webhook never fails the run nor changes the forecast: each delivery's "
    "outcome is in the deliveries table. See docs/notifications.md.",
)
def notification(
    context: dg.AssetExecutionContext,
    notifier: dg.ResourceParam[Notifier],
    forecast_store: ForecastStore,
    clock: Clock,
) -> dg.MaterializeResult:
    try:
        document = decode(Path(forecast_store.path).read_bytes())
    except (OSError, InvalidDocument) as exc:
        context.log.warning(f"No notification sent: the published forecast cannot be read ({exc})")
        return dg.MaterializeResult(metadata=_metadata(notifier, Round(), None))
    if document.dagster_run_id != context.run.run_id:
        context.log.info(
            f"No notification sent: this run published no forecast (the one published is "
            f"run {document.dagster_run_id}'s, told when it was published)"
        )
        return dg.MaterializeResult(metadata=_metadata(notifier, Round(), None))
    subscribed = notifier.subscription()  # never raises: a bad file is its ``problem``
    secrets = [s.url for s in subscribed.subscribers]
    try:
        told = notifier.notify(document, clock.now(), subscribed)
    except Exception as exc:  # a notification never fails the run that published
        context.log.debug(scrub(traceback.format_exc(), secrets))
        said = scrub(f"{type(exc).__name__}: {exc}", secrets)
        context.log.warning(f"No notification sent: {said}; {KEPT}")
        return dg.MaterializeResult(metadata=_metadata(notifier, Round(), Outlook(document)))
    for warning in told.warnings:
        context.log.warning(f"{warning}; {KEPT}")
    if told.rows:
        context.log.info(
            f"Notifications: {told.count('delivered')} delivered of {len(told.rows)} subscribers"
        )
    return dg.MaterializeResult(metadata=_metadata(notifier, told, Outlook(document)))
