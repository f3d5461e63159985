"""MLflow's tracking server as one process: ``python -m ogrine_assets.mlflow_server [options]``.

``mlflow server`` checks its options, prepares the stores, builds a uvicorn command and runs
it as a child process that it then waits on. That waiting parent holds all of MLflow in
memory (~270 MiB resident) to do nothing. Here MLflow's own CLI runs with the same options,
and only its last step changes: the process *becomes* the uvicorn server (``exec``) instead
of starting it as a child. One process, same server, same pid for ``ogrine up`` to stop.

This replaces ``mlflow.server._exec_cmd``, a private name: MLflow is pinned exactly, and
the stack's tests start the UI through this module, so a release that moved it fails there.
Job execution must be off (``ogrine up`` turns it off): its runner would be started after
the spawn, which no longer returns.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn


def _become(
    command: Sequence[str], extra_env: Mapping[str, str] | None = None, **_: Any
) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(command[0], list(command), {**os.environ, **(extra_env or {})})


def main() -> None:
    import mlflow.server
    from mlflow.cli import server

    mlflow.server._exec_cmd = _become  # type: ignore[assignment]
    server.main(prog_name="mlflow server")


if __name__ == "__main__":
    main()
