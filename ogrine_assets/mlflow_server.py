"""MLflow's tracking server as one process: ``python -m ogrine_assets.mlflow_server [options]``.

``mlflow server`` checks its options, prepares the stores, builds a uvicorn command line and
environment, and runs that command as a child process that it then waits on. The child
imports all of MLflow a second time (~4.5 CPU-seconds here), and the waiting parent holds
the first copy in memory (~270 MiB resident) to do nothing. Here MLflow's own CLI runs with
the same options, and only its last step changes: this process serves, with uvicorn's own
command-line entry point given that command line and environment, instead of starting a
child. One process and one import of MLflow; the server is ready in about half the time.

This replaces ``mlflow.server._exec_cmd``, a private name: MLflow is pinned exactly, and the
stack's tests start the UI through this module, so a release that moved it fails there.
Job execution must be off (``ogrine up`` turns it off): its runner would be started after
the spawn, which now returns only when the server has stopped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

UVICORN = ("-m", "uvicorn")


def _serve_here(
    command: Sequence[str], extra_env: Mapping[str, str] | None = None, **_: Any
) -> NoReturn:
    """Run ``python -m uvicorn <options>`` (MLflow's command) in this process, with the
    environment MLflow meant for it; uvicorn's entry point exits when the server stops."""
    from uvicorn.main import main as uvicorn_main

    if tuple(command[1:3]) != UVICORN:
        raise RuntimeError(f"MLflow built a server command this module does not know: {command}")
    os.environ.update(extra_env or {})
    uvicorn_main.main(args=list(command[3:]), prog_name="uvicorn")


def main() -> None:
    from ogrine_assets.left_unloaded import leave_unloaded

    leave_unloaded()  # pandas would load pyarrow (~35 MiB), which MLflow uses only for HDFS
    # uvicorn first: MLflow's server module decides at import whether it runs inside a server
    # (it looks for uvicorn among the loaded modules) and only then adds its request-security
    # checks to the Flask app, as it does in the child ``mlflow server`` starts.
    import uvicorn  # noqa: F401

    # isort: split
    import mlflow.server
    from mlflow.cli import server

    mlflow.server._exec_cmd = _serve_here  # type: ignore[assignment]
    server.main(prog_name="mlflow server")


if __name__ == "__main__":
    main()
