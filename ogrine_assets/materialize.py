"""``ogrine materialize`` and ``ogrine refresh``: jobs run in this process, under the home's lock.

The runs are recorded in the Dagster instance in ``DAGSTER_HOME``, the one the UI reads.
Before the first job, this process enters the home as every run does (``run_entry.py``):
it takes the home's lock (or says at once who holds it), makes the home ready and repairs
what a killed run may have left. While the job runs it prints each step as it ends, with
its duration, and each warning in one line (as the run records them, not by polling); it
ends with a summary (the version registered or left unchanged, the promotion decision and
why, the days forecast and where they went) or, on a failure, with one line naming the
step (or "startup") and the cause in plain words.
Every event of the run, tracebacks included, goes to a plain-text run log under
``OGRINE_HOME/logs``, whose path is printed first and last.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import sys
import time
import traceback
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import dagster as dg
from dagster import DagsterEventType, EventLogEntry

from ogrine_assets.definitions import build_definitions
from ogrine_assets.defs.automation.jobs import forecast_refresh_job, train_and_publish_job
from ogrine_assets.defs.common.recovery import process_tag
from ogrine_assets.defs.common.run_entry import entered_home
from ogrine_assets.defs.serving.forecast import forecast as forecast_asset
from ogrine_assets.defs.serving.notification import notification
from ogrine_assets.defs.serving.promotion import champion_model
from ogrine_assets.defs.training.model import ogrine_model
from ogrine_assets.failures import cause_of, cause_of_exception, failure_line, in_words
from ogrine_assets.local.lock import LockHeld
from ogrine_assets.names import (
    ALREADY_DECIDED_METADATA,
    BACKTEST_MAE_METADATA,
    CANDIDATE_METADATA,
    DECISION_METADATA,
    DELIVERED_METADATA,
    FIRST_DAY_METADATA,
    LAST_DAY_METADATA,
    MODEL_VERSION_METADATA,
    NAIVE_MAE_METADATA,
    NOT_DELIVERED_METADATA,
    PATH_METADATA,
    REASON_METADATA,
    RETRAINED_METADATA,
    SUBSCRIBERS_METADATA,
)
from ogrine_assets.settings import Settings

# Nothing on the console from Dagster's own logger: this module prints what matters.
SILENT_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
RETRAIN = {"ops": {ogrine_model.op.name: {"config": {"retrain": True}}}}

TRAIN_AND_PUBLISH = train_and_publish_job.name
REFRESH = forecast_refresh_job.name


class JobFailed(Exception):
    """A job's run failed at ``step`` (an asset's step, a blocking check, or "startup"),
    for ``cause`` in plain words."""

    def __init__(self, step: str, cause: str) -> None:
        super().__init__(f"at {step}: {cause}")
        self.step = step
        self.cause = cause


def run_job(
    settings: Settings,
    job_name: str,
    command: str,
    *,
    verbose: bool,
    retrain: bool = False,
    instance: dg.DagsterInstance | None = None,
) -> int:
    """Run ``job_name`` inside the home (``run_entry.py``); 0 when it succeeds, else 1.

    ``instance`` is the Dagster instance to run on; without one, the home's own."""
    started = time.monotonic()
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # this module says what matters
    for noisy in ("mlflow", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    run_id = str(uuid.uuid4())
    log = RunLog(settings.log_dir / f"{job_name}-{run_id}.log")
    print(f"{job_name}: run {run_id}, log {log.path}", flush=True)
    phase = "startup"
    try:
        defs = build_definitions(settings)
        with entered_home(settings, command, instance=instance) as entered:
            for note in entered.recovered:
                log.write(f"recovered: {note}")
                print(f"  recovered: {note}", flush=True)
            phase = job_name
            landed = _run(defs, entered.instance, job_name, run_id, log, retrain=retrain)
    except LockHeld as exc:
        log.write(f"{command} refused: {exc}")
        print(f"{command} FAILED at startup: {exc}; wait for it, or stop it.", file=sys.stderr)
        return 1
    except JobFailed as failed:
        log.write(f"{command} FAILED {failed}")  # whole, as the line may shorten it
        line = failure_line(
            command, failed.step, failed.cause, then="Nothing that needs it ran", log=log.path
        )
        print(line, file=sys.stderr)
        return 1
    except Exception as exc:
        log.write(f"{command} failed at {phase}:\n{traceback.format_exc()}")
        if verbose:
            traceback.print_exc()
        cause = _with_disk(cause_of_exception(exc), settings.home)
        log.write(f"{command} FAILED at {phase}: {cause}")
        print(failure_line(command, phase, cause, log=log.path), file=sys.stderr)
        return 1
    finally:
        log.close()
    for line in summary(landed, settings.forecast_path):
        print(line)
    print(f"Done in {time.monotonic() - started:.1f} s.")
    return 0


class RunLog:
    """A run's events as plain text, tracebacks included: what the terminal leaves out.
    Writing it is a courtesy: a log that cannot be written never fails the run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: TextIO | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")
        except OSError:
            pass

    def write(self, text: str, at: float | None = None) -> None:
        if self._file is None:
            return
        stamp = dt.datetime.fromtimestamp(at or time.time(), dt.UTC).isoformat(timespec="seconds")
        try:
            self._file.write(f"{stamp} {text}\n")
            self._file.flush()
        except OSError:
            self._file = None

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None


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


Landed = dict[str, Mapping[str, Any]]  # asset key -> the metadata of its materialization
# Dagster's word for each step left out after a failure: the failure line says it once.
SKIPPED = "Dependencies for step"


def _run(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    job_name: str,
    run_id: str,
    log: RunLog,
    *,
    retrain: bool,
) -> Landed:
    job = defs.resolve_job_def(job_name)
    landed: Landed = {}
    steps: set[str] = set()  # the steps that made an asset
    instance.add_event_listener(run_id, lambda entry: _on_event(entry, log, landed, steps))
    result = job.execute_in_process(
        instance=instance,
        run_id=run_id,
        raise_on_error=False,
        run_config={**SILENT_CONSOLE, **(RETRAIN if retrain else {})},
        tags=process_tag(run_id),
    )
    if not result.success:
        raise JobFailed(*_where_and_why(result))
    return landed


def _where_and_why(result: dg.ExecuteInProcessResult) -> tuple[str, str]:
    """The step and the cause of a failed run: its failed step, else its failed blocking
    check, else the run's own failure (resources, storage: "startup")."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            return str(event.step_key), cause_of(error) if error else "unknown error"
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.blocking:
            said = evaluation.description or ", ".join(
                f"{key} {entry.value}" for key, entry in evaluation.metadata.items()
            )
            return evaluation.check_name, f"the blocking check failed ({said})"
    for event in result.all_events:
        if event.is_run_failure:
            error = getattr(event.event_specific_data, "error", None)
            said = cause_of(error) if error else in_words("", event.message or "unknown error")
            return "startup", said
    return "an unknown step", "unknown error"


def _level(level: str | int) -> int:
    return level if isinstance(level, int) else logging.getLevelName(level)


def _on_event(entry: EventLogEntry, log: RunLog, landed: Landed, steps: set[str]) -> None:
    """Every event to the run log; to the terminal, one line each: every step that made an
    asset, as it ends, with its duration; each warning and failed check. Never fails the run."""
    try:
        event = entry.dagster_event
        step = entry.step_key or "-"
        error = getattr(event.event_specific_data, "error", None) if event else None
        detail = f"\n{error.to_string()}" if error is not None else ""
        log.write(
            f"{logging.getLevelName(_level(entry.level))} {step} {entry.message}{detail}",
            entry.timestamp,
        )
        stamp = time.strftime("%H:%M:%S", time.localtime(entry.timestamp))
        if event is None:
            said = (entry.user_message or "").strip().splitlines()[:1]
            if _level(entry.level) >= logging.WARNING and not "".join(said).startswith(SKIPPED):
                print(f"  {stamp}  warning: {''.join(said)}", flush=True)
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = entry.asset_materialization
            if materialization is not None:
                landed[materialization.asset_key.to_user_string()] = {
                    key: value.value for key, value in materialization.metadata.items()
                }
                steps.add(step)
        elif isinstance(check := event.event_specific_data, dg.AssetCheckEvaluation):
            if not check.passed:
                print(f"  {stamp}  check {check.check_name} failed", flush=True)
        elif event.event_type == DagsterEventType.STEP_SUCCESS and step in steps:
            seconds = getattr(event.event_specific_data, "duration_ms", 0.0) / 1000
            print(f"  {stamp}  {step:<18} {seconds:5.2f} s", flush=True)
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            print(f"  {stamp}  {step:<18} FAILED", flush=True)
    except Exception:  # a line not printed is the worst a failure here may do
        pass


def summary(landed: Landed, forecast_path: Path) -> list[str]:
    """What the run did, in a few lines: the model, the promotion decision, the forecast, and
    who was told of it."""
    lines = []
    model = landed.get(ogrine_model.key.to_user_string())
    if model is not None:
        version = model.get(MODEL_VERSION_METADATA)
        if model.get(RETRAINED_METADATA) is False:
            lines.append(
                f"Model      unchanged since v{version}: same data, same training code "
                "(--retrain trains anyway)"
            )
        else:
            scores = ""
            if BACKTEST_MAE_METADATA in model and NAIVE_MAE_METADATA in model:
                scores = (
                    f" (backtest MAE {model[BACKTEST_MAE_METADATA]:.2f} kamas, "
                    f"naive {model[NAIVE_MAE_METADATA]:.2f})"
                )
            lines.append(f"Model      v{version} registered{scores}")
    promotion = landed.get(champion_model.key.to_user_string())
    if promotion is not None:
        candidate, decision = promotion.get(CANDIDATE_METADATA), promotion.get(DECISION_METADATA)
        if promotion.get(ALREADY_DECIDED_METADATA):
            lines.append(f"Promotion  nothing to judge: v{candidate} was {decision} before")
        else:
            reason = promotion.get(REASON_METADATA, "")
            lines.append(f"Promotion  v{candidate} {decision}: {reason}")
    forecast = landed.get(forecast_asset.key.to_user_string())
    if forecast is not None:
        first, last = forecast.get(FIRST_DAY_METADATA), forecast.get(LAST_DAY_METADATA)
        lines.append(
            f"Forecast   {first} to {last} by v{forecast.get(MODEL_VERSION_METADATA)}, "
            f"published to {forecast.get(PATH_METADATA, forecast_path)}"
        )
    told = landed.get(notification.key.to_user_string())
    if told is not None and told.get(SUBSCRIBERS_METADATA):
        failed = told.get(NOT_DELIVERED_METADATA)
        lines.append(
            f"Notified   {told.get(DELIVERED_METADATA)} of {told.get(SUBSCRIBERS_METADATA)} "
            "subscribers"
            + (f"; {failed} not delivered (the warnings above say why)" if failed else "")
        )
    return lines
