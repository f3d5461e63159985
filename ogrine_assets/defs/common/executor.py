"""The executor of every run Dagster launches: in process, under the home's lock.

Runs launched by the daemon or the UI each run in a process of their own; two at once
would race on the stores of one home (MLflow's SQLite store, the published document) and
judge versions twice. Each run therefore waits for the home's lock (``home.HomeLock``)
before its first step, holds it to its end, and first repairs what an earlier run that was
killed may have left (``recovery.recover``). The CLI takes the same lock itself:
``execute_in_process`` does not use a job's executor.

Every run launcher but Dagster's in-memory one (for its own tests) starts a process for
the run, which ends with it: the executor tunes that process's garbage collector as
``ogrine materialize`` does its own (``collector.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg

from ogrine_assets.collector import collect_rarely, freeze_what_is_loaded
from ogrine_assets.defs.common.model_registry import ModelRegistry
from ogrine_assets.defs.common.recovery import process_tag, recover
from ogrine_assets.home import HomeLock, prepare
from ogrine_assets.settings import Settings


class HomeLockedExecutor(dg.Executor):
    """Dagster's in-process executor, run under the home's lock."""

    def __init__(self, inner: dg.Executor, settings: Settings, registry: ModelRegistry) -> None:
        self._inner = inner
        self._settings = settings
        self._registry = registry

    @property
    def retries(self) -> Any:
        return self._inner.retries

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[Any]:
        collect_rarely()
        run = plan_context.dagster_run
        instance = plan_context.instance
        # Said before waiting, so the next holder knows this process is alive, not abandoned.
        instance.add_run_tags(run.run_id, process_tag(run.run_id))
        lock = HomeLock(self._settings.home)
        waited = lock.acquire(
            f"run {run.run_id} ({run.job_name})", wait_seconds=self._settings.lock_wait_seconds
        )
        try:
            if waited >= 1:
                plan_context.log.info(f"Waited {waited:.0f} s for the home's lock.")
            prepare(self._settings)
            for note in recover(
                self._settings, instance, self._registry, current_run_id=run.run_id
            ):
                plan_context.log.warning(f"Recovered: {note}")
            freeze_what_is_loaded()
            yield from self._inner.execute(plan_context, execution_plan)
        finally:
            lock.release()


def home_locked_executor(settings: Settings, registry: ModelRegistry) -> dg.ExecutorDefinition:
    @dg.executor(
        name="in_process_under_home_lock",
        config_schema=dg.in_process_executor.config_schema.as_field(),
    )
    def executor(init_context: dg.InitExecutorContext) -> dg.Executor:
        create_in_process = dg.in_process_executor.executor_creation_fn
        if create_in_process is None:
            raise RuntimeError("Dagster's in-process executor has no creation function")
        return HomeLockedExecutor(create_in_process(init_context), settings, registry)

    return executor
