"""How every run enters the home: take its lock, make it ready, repair it, then run.

One path for both ways a run starts. ``ogrine materialize`` and ``ogrine refresh`` run a
job in their own process (``materialize.py``); runs Dagster launches (the daemon's
schedules and sensor, the UI's Materialize button, ``dagster job execute``) run in a
worker process through the project's executor (``executor.py``). Each enters through
:func:`entered_home`: the home's lock (waiting for it, or refused at once), the home made
ready (``local/stores.py``), the Dagster instance opened on it if the caller has none, and
what a killed run left repaired (``recovery.py``), before the first step.

Both kinds of process exist for one run and end with it: the collector is off while they
load (from ``ogrine``'s first heavy import, or from a launched worker's entry here, after
Dagster has loaded the code location), then what is loaded when the steps begin is frozen
out of its reach and it runs rarely (``local/processes.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg

from ogrine_assets.defs.common.mlflow_resources import (
    mlflow_store_for,
    model_registry_for,
    training_log_for,
)
from ogrine_assets.defs.common.recovery import recover
from ogrine_assets.local.lock import HomeLock
from ogrine_assets.local.processes import (
    collect_rarely,
    freeze_what_is_loaded,
    load_without_collecting,
)
from ogrine_assets.local.stores import prepare
from ogrine_assets.settings import Settings


@dataclass(frozen=True)
class Entered:
    """A run inside the home: its instance, how long it waited, what was repaired."""

    instance: dg.DagsterInstance
    waited_seconds: float
    recovered: list[str]


@contextlib.contextmanager
def entered_home(
    settings: Settings,
    holder: str,
    *,
    wait_seconds: float = 0.0,
    instance: dg.DagsterInstance | None = None,
    current_run_id: str | None = None,
) -> Iterator[Entered]:
    """The home, held for the block by ``holder`` ("ogrine materialize", "run <id>").

    Raises ``LockHeld`` naming the holder when the lock is not free within
    ``wait_seconds``. ``instance`` is the run's own (a launched run's); without one, the
    home's instance is opened once the home is ready, and closed after the block.
    """
    load_without_collecting()
    with contextlib.ExitStack() as opened:  # undone in reverse order, however the block ends
        opened.callback(collect_rarely)  # even if entering fails before the freeze below
        # Before MLflow: a launched run's worker has loaded Dagster already, not MLflow yet.
        from ogrine_assets.model.estimators import import_the_model_format

        import_the_model_format()
        lock = HomeLock(settings.home)
        waited = lock.acquire(holder, wait_seconds=wait_seconds)
        opened.callback(lock.release)
        prepare(settings)
        if instance is None:
            instance = opened.enter_context(dg.DagsterInstance.get())
        store = mlflow_store_for(settings)
        notes = recover(
            settings,
            instance,
            training_log_for(settings, store),
            model_registry_for(settings, store),
            current_run_id=current_run_id,
        )
        freeze_what_is_loaded()
        yield Entered(instance, waited, notes)
