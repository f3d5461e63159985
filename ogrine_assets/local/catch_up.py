"""What the stack asks of Dagster once it answers: the refresh a stopped stack missed, and
the runs whose process died while it runs.

Both go through the webserver's GraphQL API (Dagster's documented API, what its UI and
Python client use), from ``ogrine up``'s own small process: standard library only.

**Catch-up.** The daily refresh schedule (``defs/automation/schedules.py``) ticks only
while Dagster's daemon runs. Dagster's scheduler catches up, by itself, the last tick it
missed while down, but only for a schedule it had already evaluated before that tick: not
on a home whose stack never ran then (made by ``ogrine materialize``, say). So, once Dagster
answers, the stack asks the schedule for its last tick before now (``OGRINE_NOW``, or the
time) and, when the published forecast is older than that tick, Dagster's scheduler will
not run it, and no refresh is queued or running, launches one run of the schedule's job
(tagged ``ogrine/catch-up``): one refresh, however many ticks were missed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ogrine_assets.local.parts import LOCATION_NAME
from ogrine_assets.local.processes import abandonment, process_alive
from ogrine_assets.local.readiness import DIRECT
from ogrine_assets.names import IN_PROGRESS_STATUSES, PROCESS_TAG, REFRESH_SCHEDULE
from ogrine_assets.settings import instant

CATCH_UP_TAG = "ogrine/catch-up"
REPOSITORY = "__repository__"  # the name Dagster gives a code location's one Definitions
WAITING = ["QUEUED", "NOT_STARTED", "STARTING", "STARTED"]


class DagsterApiError(RuntimeError):
    """Dagster's GraphQL API did not answer as documented; the message says how."""


def graphql(port: int, query: str, **variables: object) -> dict:
    """The ``data`` of a GraphQL query to the webserver on ``port``."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with DIRECT.open(request, timeout=30) as answer:
            body = json.loads(answer.read())
    except (OSError, ValueError) as exc:
        raise DagsterApiError(f"Dagster's GraphQL API did not answer: {exc}") from exc
    if not isinstance(body, dict) or body.get("errors") or not isinstance(body.get("data"), dict):
        raise DagsterApiError(f"Dagster's GraphQL API answered {str(body)[:300]}")
    return body["data"]


SCHEDULE = """query($selector: ScheduleSelector!, $clock: Float!, $real: Float!) {
  scheduleOrError(scheduleSelector: $selector) { __typename
    ... on Schedule { pipelineName
      scheduleState { status ticks(limit: 1) { timestamp }
        typeSpecificData { ... on ScheduleData { startTimestamp } } }
      clock: potentialTickTimestamps(startTimestamp: $clock, lowerLimit: 1, upperLimit: 1)
      real: potentialTickTimestamps(startTimestamp: $real, lowerLimit: 1, upperLimit: 1) }
    ... on PythonError { message } } }"""
RUNS = """query($filter: RunsFilter!) { runsOrError(filter: $filter) { __typename
  ... on Runs { results { runId jobName updateTime tags { key value } } }
  ... on PythonError { message } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""


def published_at(forecast_path: Path) -> dt.datetime | None:
    """When the published forecast was made (its ``generated_at``), None without one."""
    try:
        return instant(json.loads(forecast_path.read_bytes())["generated_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def last_tick(ticks: list[float], now: float) -> float | None:
    past = [tick for tick in ticks if tick <= now]
    return max(past) if past else None


def catch_up(
    port: int,
    forecast_path: Path,
    now: dt.datetime,
    real_now: Callable[[], float] = time.time,
) -> str | None:
    """Launch the refresh the schedule missed, if it did; the line saying so, or None."""
    published = published_at(forecast_path)
    if published is None:
        return None  # nothing to refresh yet: `ogrine materialize` publishes the first
    selector = {
        "repositoryLocationName": LOCATION_NAME,
        "repositoryName": REPOSITORY,
        "scheduleName": REFRESH_SCHEDULE,
    }
    real = real_now()
    found = graphql(port, SCHEDULE, selector=selector, clock=now.timestamp(), real=real)
    schedule = found["scheduleOrError"]
    if schedule.get("__typename") != "Schedule":
        raise DagsterApiError(f"{REFRESH_SCHEDULE}: {schedule.get('message', schedule)}")
    state = schedule["scheduleState"]
    due = last_tick(schedule["clock"], now.timestamp())
    if state["status"] != "RUNNING" or due is None or published.timestamp() >= due:
        return None
    if dagster_catches_up(state, last_tick(schedule["real"], real)):
        return None
    job = schedule["pipelineName"]
    waiting = graphql(port, RUNS, filter={"pipelineName": job, "statuses": WAITING})
    if waiting["runsOrError"].get("results"):
        return None  # one is queued or running already: it refreshes
    missed = dt.datetime.fromtimestamp(due, dt.UTC).isoformat(timespec="minutes")
    params = {
        "selector": {
            "repositoryLocationName": LOCATION_NAME,
            "repositoryName": REPOSITORY,
            "jobName": job,
        },
        "executionMetadata": {"tags": [{"key": CATCH_UP_TAG, "value": missed}]},
    }
    launched = graphql(port, LAUNCH, params=params)["launchRun"]
    if launched.get("__typename") != "LaunchRunSuccess":
        raise DagsterApiError(f"launching {job}: {launched.get('message', launched)}")
    run_id = launched["run"]["runId"]
    made = published.isoformat(timespec="minutes")
    return (
        f"ogrine up: the refresh of {missed} was missed (the forecast is from {made}); "
        f"run {run_id[:8]} {job} catches up"
    )


def dagster_catches_up(state: dict, real_tick: float | None) -> bool:
    """Whether Dagster's scheduler runs (or ran) the last real tick itself: it ticked then,
    or it had evaluated the schedule before that tick (it then catches the tick up when its
    daemon starts). A schedule it never evaluated has no start; it starts now."""
    if real_tick is None:
        return False
    ticks = state.get("ticks") or []
    started = (state.get("typeSpecificData") or {}).get("startTimestamp")
    ticked = bool(ticks) and ticks[0]["timestamp"] >= real_tick
    return ticked or (started is not None and started < real_tick)


def dead_runs(
    port: int,
    alive: Callable[[str], bool | None] = process_alive,
    now: Callable[[], float] = time.time,
) -> list[str]:
    """The runs Dagster shows in progress that recovery would fail (the ids): their recorded
    process is gone, or they never recorded one and have not changed for a long while."""
    found = graphql(port, RUNS, filter={"statuses": list(IN_PROGRESS_STATUSES)})["runsOrError"]
    return [run["runId"] for run in found.get("results") or [] if abandoned(run, alive, now)]


def abandoned(run: dict, alive: Callable[[str], bool | None], now: Callable[[], float]) -> bool:
    """Recovery's rule (``fail_abandoned_runs``), on a run as the API shows it."""
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    process = tags.get(PROCESS_TAG)
    return abandonment(run["runId"], process, run.get("updateTime"), alive, now) is not None
