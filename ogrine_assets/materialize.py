"""``ogrine materialize`` and ``ogrine refresh``: jobs run in this process, under the home's lock.

The runs are recorded in the Dagster instance in ``DAGSTER_HOME``, the one the UI reads.
Before the first job, this process takes the home's lock (or says at once who holds it),
makes the home ready and repairs what a killed run may have left. While the jobs run it
prints each asset as it lands and each warning in one line (as the run records them, not
by polling); a failure ends with one line
naming the step (or "startup") and the cause in plain words. Tracebacks stay in the
Dagster run log (``--verbose`` prints those of failures outside a run).
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import sys
import time
import traceback
import uuid
from pathlib import Path

import dagster as dg
from dagster import EventLogEntry

from ogrine_assets.definitions import build_definitions
from ogrine_assets.defs.common.definitions import model_registry_for
from ogrine_assets.defs.common.recovery import process_tag, recover
from ogrine_assets.failures import cause_of, cause_of_exception
from ogrine_assets.home import HomeLock, LockHeld, prepare
from ogrine_assets.settings import Settings

# Nothing on the console from Dagster's own logger: this module prints what matters.
SILENT_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

TRAIN_AND_PUBLISH = "train_and_publish_job"
REFRESH = "forecast_refresh_job"


class JobFailed(Exception):
    """A job's run failed; the message is its one-line summary."""


def run_job(settings: Settings, job_name: str, command: str, *, verbose: bool) -> int:
    """Run ``job_name`` under the home's lock; 0 when it succeeds, else 1.

    The process is short-lived and allocates hundreds of thousands of long-lived objects
    (the imports): the garbage collector runs rarely, and what is loaded before the run is
    frozen out of its reach.
    """
    gc.set_threshold(20_000, 20, 20)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # this module says what matters
    for noisy in ("mlflow", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    lock = HomeLock(settings.home)
    phase = "startup"
    try:
        try:
            lock.acquire(command)
        except LockHeld as exc:
            print(f"{command} FAILED at startup: {exc}; wait for it, or stop it.", file=sys.stderr)
            return 1
        prepare(settings)
        defs = build_definitions(settings)
        with dg.DagsterInstance.get() as instance:
            for note in recover(settings, instance, model_registry_for(settings)):
                print(f"  recovered: {note}", flush=True)
            gc.freeze()
            phase = job_name
            _run(defs, instance, job_name)
    except JobFailed as failed:
        print(f"{command} FAILED {failed}", file=sys.stderr)
        return 1
    except Exception as exc:
        if verbose:
            traceback.print_exc()
        cause = _with_disk(cause_of_exception(exc), settings.home)
        print(f"{command} FAILED at {phase}: {cause}", file=sys.stderr)
        return 1
    finally:
        lock.release()
    print(f"Forecast published to {settings.forecast_path}")
    return 0


def _with_disk(cause: str, home: Path) -> str:
    """Name a full disk when it is the likely cause: SQLite says "disk I/O error" when it
    cannot write its journal, which is what a full disk looks like to it."""
    if not any(said in cause for said in ("disk I/O error", "database or disk is full")):
        return cause
    try:
        free = shutil.disk_usage(home).free
    except OSError:
        return cause
    return f"no space left on the disk holding {home} ({cause})" if free < 2**20 else cause


def _run(defs: dg.Definitions, instance: dg.DagsterInstance, job_name: str) -> None:
    job = defs.resolve_job_def(job_name)
    run_id = str(uuid.uuid4())
    print(f"{job_name}: run {run_id}", flush=True)
    instance.add_event_listener(run_id, _progress)
    result = job.execute_in_process(
        instance=instance,
        run_id=run_id,
        raise_on_error=False,
        run_config=SILENT_CONSOLE,
        tags=process_tag(run_id),
    )
    if not result.success:
        raise JobFailed(
            f"{_where_and_why(result)}. Nothing that needs it ran; run {run_id} in the Dagster "
            "UI has the log."
        )


def _where_and_why(result: dg.ExecuteInProcessResult) -> str:
    """``at <step>: <cause>`` of a failed run: its failed step, else its failed blocking
    check, else the run's own failure (resources, storage: "startup")."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            return f"at {event.step_key}: {cause_of(error) if error else 'unknown error'}"
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.blocking:
            said = evaluation.description or ", ".join(
                f"{key} {entry.value}" for key, entry in evaluation.metadata.items()
            )
            return f"at {evaluation.check_name}: the blocking check failed ({said})"
    for event in result.all_events:
        if event.is_run_failure:
            error = getattr(event.event_specific_data, "error", None)
            return f"at startup: {cause_of(error) if error else event.message}"
    return "at an unknown step"


def _level(level: str | int) -> int:
    return level if isinstance(level, int) else logging.getLevelName(level)


def _progress(entry: EventLogEntry) -> None:
    """Each asset as it lands, each warning of the run: one line each, as the run records
    them. Progress is a courtesy: it never fails the run."""
    try:
        stamp = time.strftime("%H:%M:%S", time.localtime(entry.timestamp))
        materialization = entry.asset_materialization
        if materialization is not None:
            key = materialization.asset_key.to_user_string()
            print(f"  {stamp}  materialized {key}", flush=True)
        elif entry.dagster_event is None and _level(entry.level) >= logging.WARNING:
            first = (entry.user_message or "").strip().splitlines()[:1]
            print(f"  {stamp}  warning: {''.join(first)}", flush=True)
    except Exception:  # a line not printed is the worst a failure here may do
        pass
