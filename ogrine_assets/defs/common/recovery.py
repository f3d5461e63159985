"""Bring a home back to its invariants after a process died in the middle of a run.

Run at the start of every run, under the home's lock, so nothing else is writing. A run
killed at any instant leaves at most: Dagster runs still marked in progress, MLflow runs
still marked RUNNING, temporary files, and the ``champion`` alias one step behind the
published document (the document is written first; the alias follows it). Each is found
and closed here, and said in one line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.common.training_log import TrainingLog
from ogrine_assets.forecast_document import InvalidDocument, decode
from ogrine_assets.local.files import sweep_partial_files
from ogrine_assets.local.processes import abandonment, process_alive, process_identity
from ogrine_assets.names import (
    BROKEN_TAG,
    DECISION_TAG,
    IN_PROGRESS_STATUSES,
    PROCESS_TAG,
    PROMOTED,
)
from ogrine_assets.settings import Settings


def process_tag(run_id: str) -> dict[str, str]:
    return {PROCESS_TAG: f"{run_id}@{process_identity()}"}


IN_PROGRESS = [dg.DagsterRunStatus(status) for status in IN_PROGRESS_STATUSES]


def recover(
    settings: Settings,
    instance: dg.DagsterInstance,
    training_log: TrainingLog,
    registry: ModelRegistry,
    *,
    current_run_id: str | None = None,
    alive: Callable[[str], bool | None] = process_alive,
    now: Callable[[], float] = time.time,
) -> list[str]:
    """Close what dead processes left open; returns what was done, a sentence each."""
    notes = [
        f"removed {path.name}, left by a write that was stopped"
        for path in sweep_partial_files(settings)
    ]
    notes += fail_abandoned_runs(instance, current_run_id, alive, now)
    notes += close_abandoned_mlflow_runs(instance, training_log)
    notes += align_alias_with_document(registry, settings.forecast_path)
    return notes


MARKED_FAILED = "marked failed: "  # how recovery's note of such a run begins


def left_in_progress(run_id: str, job: str, reason: str) -> str:
    """What is said of a run marked failed because its process is gone: in the run's own
    failure, and after ``MARKED_FAILED`` in recovery's note, which ``ogrine up`` shows as
    that run's failure line (``local/console.py`` reads it back; its test takes both from
    here)."""
    return f"run {run_id} ({job}) was left in progress: {reason}"


def fail_abandoned_runs(
    instance: dg.DagsterInstance,
    current_run_id: str | None,
    alive: Callable[[str], bool | None],
    now: Callable[[], float],
) -> list[str]:
    """Mark failed the Dagster runs in progress whose process is gone."""
    notes = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        if run.run_id == current_run_id:
            continue
        updated = record.update_timestamp.timestamp()
        reason = abandonment(run.run_id, run.tags.get(PROCESS_TAG), updated, alive, now)
        if reason is None:
            continue
        message = left_in_progress(run.run_id, run.job_name, reason)
        instance.report_run_failed(run, f"{message}. Marked failed by the next run.")
        notes.append(MARKED_FAILED + message)
    return notes


def close_abandoned_mlflow_runs(
    instance: dg.DagsterInstance, training_log: TrainingLog
) -> list[str]:
    """End as KILLED the MLflow runs still RUNNING whose Dagster run is over (or unknown)."""
    notes = []
    for run_id, dagster_run_id in training_log.unfinished_runs().items():
        dagster_run = instance.get_run_by_id(dagster_run_id) if dagster_run_id else None
        if dagster_run is not None and dagster_run.status in IN_PROGRESS:
            continue
        training_log.close_run(run_id, "KILLED")
        over = "is over" if dagster_run is not None else "is unknown"
        notes.append(f"ended MLflow run {run_id} as KILLED: its Dagster run {over}")
    return notes


def align_alias_with_document(registry: ModelRegistry, forecast_path: Path) -> list[str]:
    """Move the alias to the version the published document names, when a run was stopped
    between publishing it and moving the alias."""
    try:
        document = decode(forecast_path.read_bytes())
    except (OSError, InvalidDocument):
        return []
    published = document.model.version
    aliased = registry.champion()
    if aliased is not None and aliased.version == published:
        return []
    tags = registry.decisions().get(published, {})
    if tags.get(DECISION_TAG) != PROMOTED or BROKEN_TAG in tags:
        return []
    registry.set_champion(published)
    return [f"moved the '{registry.champion_alias}' alias to v{published}, the published one"]
