"""The parts of ``ogrine up``: the commands that start them, and the environment they share.

Each part is a documented command of its library, installed in this environment: Dagster's
code server, webserver and daemon (what ``dagster dev`` starts, without ``dagster dev``'s own
process sitting between them and the stack), MLflow's ``mlflow server``, and the forecast
service.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from ogrine_assets.settings import Settings

LOCATION_NAME = "ogrine_assets"


def installed_command(name: str) -> str:
    """A console script of this environment (the venv's ``bin``, beside this Python), else
    the one on PATH: Dagster's and MLflow's parts run through their documented commands."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name) or name


def code_server_command(code_socket: Path) -> list[str]:
    """Dagster's code server for the project, on a Unix socket: the webserver and the daemon
    share it, and "Reload" in the UI restarts the code inside it."""
    return [
        installed_command("dagster"),
        "code-server",
        "start",
        "--socket",
        str(code_socket),
        "-m",
        "ogrine_assets.definitions",
        "--location-name",
        LOCATION_NAME,
    ]


def workspace_yaml(code_socket: Path) -> str:
    """The workspace of the webserver and the daemon: the code server, under a fixed location
    name (schedules' and sensors' state is keyed by it, so it must not change between starts)."""
    return (
        "load_from:\n"
        "  - grpc_server:\n"
        f"      socket: {json.dumps(str(code_socket))}\n"
        f"      location_name: {LOCATION_NAME}\n"
    )


Parts = dict[str, list[str]]  # a short name (its log file, its terminal lines) -> command


def dagster_commands(workspace: Path, dagster_port: int) -> Parts:
    """The webserver and the daemon on the code server's workspace: what ``dagster dev``
    starts, without ``dagster dev``'s own process (~120 MiB) sitting between them and this one."""
    webserver = [
        installed_command("dagster-webserver"),
        "-w",
        str(workspace),
        "-h",
        "127.0.0.1",
        "-p",
        str(dagster_port),
    ]
    return {
        "webserver": webserver,
        "daemon": [installed_command("dagster-daemon"), "run", "-w", str(workspace)],
    }


def service_commands(settings: Settings, mlflow_port: int, service_port: int) -> Parts:
    """The MLflow UI (``mlflow server``, for a local store; a tracking server configured
    elsewhere is used as it is) and the forecast service."""
    mlflow = [
        installed_command("mlflow"),
        "server",
        "--backend-store-uri",
        settings.mlflow_tracking_uri,
        "--host",
        "127.0.0.1",
        "--port",
        str(mlflow_port),
        "--workers",
        "1",
    ]
    if settings.mlflow_artifact_root:
        mlflow += ["--default-artifact-root", settings.mlflow_artifact_root]
    service = [sys.executable, "-m", "ogrine_assets.cli", "serve", "--port", str(service_port)]
    return (
        {"mlflow": mlflow, "service": service}
        if settings.uses_local_mlflow_store
        else {"service": service}
    )


def stack_environment(settings: Settings, mlflow_port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(settings.dagster_home),
        # MLflow's server would start seven job-queue workers (~1.4 GiB) for GenAI jobs this
        # project never submits; they also outlived the server when it was stopped.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",  # bars are for terminals, not logs
    }
    if settings.uses_local_mlflow_store:  # Dagster's links to MLflow follow --mlflow-port
        env.setdefault("OGRINE_MLFLOW_UI_URL", f"http://127.0.0.1:{mlflow_port}")
    return env
