"""The executor of every run Dagster launches: in process, entered through the home.

Runs launched by the daemon or the UI each run in a process of their own; two at once
would race on the stores of one home (MLflow's SQLite store, the published document) and
judge versions twice. Each run therefore enters the home as ``ogrine materialize`` does
(``run_entry.py``: the lock, waited for; the home made ready; what a killed run left
repaired) before its first step, and holds it to its end. ``execute_in_process``, the
CLI's way, does not use a job's executor: the CLI enters the home itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg

from ogrine_assets.defs.common.recovery import process_tag
from ogrine_assets.defs.common.run_entry import entered_home
from ogrine_assets.settings import Settings


class HomeLockedExecutor(dg.Executor):
    """Dagster's in-process executor, run inside the home."""

    def __init__(self, inner: dg.Executor, settings: Settings) -> None:
        self._inner = inner
        self._settings = settings

    @property
    def retries(self) -> Any:
        return self._inner.retries

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[Any]:
        run = plan_context.dagster_run
        instance = plan_context.instance
        # Said before waiting, so the next holder knows this process is alive, not abandoned.
        instance.add_run_tags(run.run_id, process_tag(run.run_id))
        with entered_home(
            self._settings,
            f"run {run.run_id} ({run.job_name})",
            wait_seconds=self._settings.lock_wait_seconds,
            instance=instance,
            current_run_id=run.run_id,
        ) as entered:
            if entered.waited_seconds >= 1:
                plan_context.log.info(f"Waited {entered.waited_seconds:.0f} s for the home's lock.")
            for note in entered.recovered:
                plan_context.log.warning(f"Recovered: {note}")
            yield from self._inner.execute(plan_context, execution_plan)


def home_locked_executor(settings: Settings) -> dg.ExecutorDefinition:
    @dg.executor(
        name="in_process_under_home_lock",
        config_schema=dg.in_process_executor.config_schema.as_field(),
    )
    def executor(init_context: dg.InitExecutorContext) -> dg.Executor:
        create_in_process = dg.in_process_executor.executor_creation_fn
        if create_in_process is None:
            raise RuntimeError("Dagster's in-process executor has no creation function")
        return HomeLockedExecutor(create_in_process(init_context), settings)

    return executor
