"""The MLflow run of a Dagster run: dagster-mlflow's ``mlflow_tracking``, made safe to use.

dagster-mlflow ties the MLflow run to the Dagster run (its tags name the Dagster run, a
re-executed step finds the same MLflow run). Around it this module does three things:

- the experiment is created by the training log first, so its artifacts live under
  ``OGRINE_HOME`` (MLflow would otherwise pick ``./mlruns``);
- an MLflow run still open at teardown is closed as FAILED: the in-process executor starts
  every resource when a run starts, so an MLflow run exists even when the fetch then fails,
  and MLflow's active run is process-global (it would leak into the next run);
- dagster-mlflow is marked beta and calls Dagster APIs that are deprecated; neither is ours
  to fix, so their warnings are silenced around those calls only (``quiet.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import dagster as dg

from ogrine_assets.defs.common.quiet import library_warnings_silenced


@dg.resource(
    required_resource_keys={"training_log"},
    description="dagster-mlflow's mlflow_tracking: one MLflow run per Dagster run, in the "
    "training log's experiment and store; closed as FAILED if left open.",
)
def mlflow_tracking_run(context: dg.InitResourceContext) -> Iterator[Any]:
    import mlflow  # here, not with the module: only training steps need it

    with library_warnings_silenced():
        from dagster_mlflow import mlflow_tracking

    training_log = context.resources.training_log
    training_log.experiment_id()  # created with its artifacts where the training log says
    config = {
        "experiment_name": training_log.experiment_name,
        "mlflow_tracking_uri": training_log.store.tracking_uri,
    }
    with library_warnings_silenced():
        start = cast(Callable[[dg.InitResourceContext], Iterator[Any]], mlflow_tracking.resource_fn)
        lifecycle = start(context.replace_config(config))
        tracking = next(lifecycle)
    try:
        yield tracking
    finally:
        with library_warnings_silenced():
            next(lifecycle, None)  # dagster-mlflow's own cleanup (FAILED on an error)
        if mlflow.active_run() is not None:
            mlflow.end_run(status="FAILED")
