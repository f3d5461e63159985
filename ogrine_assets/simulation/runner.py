"""How a simulated step runs: ``ogrine materialize`` or ``ogrine refresh`` at the step's instant.

In this process by default: the same ``run_job`` the command calls, without paying a fresh
interpreter's start-up (imports, building the definitions, connecting) at every step, which
is most of a short run. As a real ``ogrine`` process only where a process is the point: one
to kill at a random instant, or two to race for the home.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ogrine_assets.settings import Settings, environment_without_ours
from ogrine_assets.simulation.calendar import Step

if TYPE_CHECKING:
    import dagster as dg

OGRINE = str(Path(sys.executable).parent / "ogrine")


def environment(home: Path, upstream_url: str, **settings: str) -> dict[str, str]:
    """This process's environment without any ``OGRINE_``, ``DAGSTER_`` or ``MLFLOW_``
    setting of the user's, pointed at ``home`` and the simulated upstream; plus
    ``settings`` (``OGRINE_*`` names)."""
    return (
        environment_without_ours()
        | {"OGRINE_HOME": str(home), "OGRINE_API_URL": upstream_url}
        | settings
    )


def at(step: Step, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with the clock set to the step's instant."""
    return {**environ, "OGRINE_NOW": step.at.isoformat()}


def command(step: Step) -> list[str]:
    """The step as an ``ogrine`` command line, for a real process."""
    return [OGRINE, step.command]


def run_here(
    step: Step,
    environ: Mapping[str, str],
    by: str = "ogrine",
    instance: dg.DagsterInstance | None = None,
) -> tuple[int, str]:
    """Run the step in this process, as its command would; its exit status and everything
    it printed. ``by`` names the caller in the home's lock (who holds it, if asked);
    ``instance``, the Dagster instance to run on (else the home's own). This
    process's environment is left as it was found (``run_job`` sets ``DAGSTER_HOME`` and
    MLflow's settings for the run), and what ``run_job`` froze is thawed: this process
    goes on (``local/processes.py``)."""
    from ogrine_assets.local.processes import thaw
    from ogrine_assets.materialize import REFRESH, TRAIN_AND_PUBLISH, run_job

    settings = Settings.from_env(at(step, environ))
    job = TRAIN_AND_PUBLISH if step.command == "materialize" else REFRESH
    said = io.StringIO()
    before = dict(os.environ)
    try:
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            command = f"{by} {step.command}"
            status = run_job(settings, job, command, verbose=False, instance=instance)
    finally:
        thaw()
        os.environ.clear()
        os.environ.update(before)
    return status, said.getvalue()
