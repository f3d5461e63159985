"""The ``ogrine`` command: materialize the graph once, or run the local stack.

``ogrine materialize`` runs ``training_job`` then ``promotion_job`` in this process against
the Dagster instance in DAGSTER_HOME, the one the UI reads, so its runs show there.
``ogrine up`` starts ``dagster dev`` (webserver and daemon: schedule and sensor running),
the MLflow UI and the forecast service on 127.0.0.1, and stops them all on Ctrl-C.
``ogrine serve`` runs the forecast service alone.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ogrine_assets.settings import Settings, ensure_local_state

if TYPE_CHECKING:  # the service's command must not import Dagster
    import dagster as dg

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _print_progress(instance: dg.DagsterInstance, run_id: str, done: threading.Event) -> None:
    """Print each asset as its materialization lands in the event log."""
    from dagster import DagsterEventType

    cursor = None
    while True:
        finished = done.is_set()
        connection = instance.get_records_for_run(
            run_id, cursor=cursor, of_type={DagsterEventType.ASSET_MATERIALIZATION}
        )
        cursor = connection.cursor
        for record in connection.records:
            materialization = record.event_log_entry.asset_materialization
            if materialization is not None:
                stamp = time.strftime("%H:%M:%S", time.localtime(record.event_log_entry.timestamp))
                print(
                    f"  {stamp}  materialized {materialization.asset_key.to_user_string()}",
                    flush=True,
                )
        if finished:
            return
        done.wait(0.2)


def _run_job(defs: dg.Definitions, instance: dg.DagsterInstance, job_name: str) -> bool:
    import uuid

    job = defs.resolve_job_def(job_name)
    run_id = str(uuid.uuid4())
    print(f"{job_name}: run {run_id}", flush=True)
    done = threading.Event()
    printer = threading.Thread(target=_print_progress, args=(instance, run_id, done), daemon=True)
    printer.start()
    try:
        result = job.execute_in_process(
            instance=instance, run_id=run_id, raise_on_error=False, run_config=QUIET_LOGS
        )
    finally:
        done.set()
        printer.join()
    if result.success:
        return True
    print(f"{job_name} FAILED (run {run_id}):", file=sys.stderr)
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            message = error.message.strip() if error else "unknown error"
            print(f"  step {event.step_key}: {message}", file=sys.stderr)
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            print(f"  check {evaluation.check_name} failed", file=sys.stderr)
    return False


def materialize(settings: Settings) -> int:
    ensure_local_state(settings)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import dagster as dg

    from ogrine_assets.definitions import build_definitions

    defs = build_definitions(settings)
    with dg.DagsterInstance.get() as instance:
        for job_name in ("training_job", "promotion_job"):
            if not _run_job(defs, instance, job_name):
                print(
                    "Nothing after the failed step ran; the published forecast is as it was.",
                    file=sys.stderr,
                )
                return 1
    print(f"Forecast published to {settings.forecast_path}")
    return 0


def _stack_commands(
    settings: Settings, dagster_port: int, mlflow_port: int, service_port: int
) -> list[list[str]]:
    workspace = Path.cwd() / "workspace.yaml"
    target = ["-w", str(workspace)] if workspace.exists() else ["-m", "ogrine_assets.definitions"]
    dagster = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        *target,
        "-h",
        "127.0.0.1",
        "-p",
        str(dagster_port),
    ]
    mlflow = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", settings.mlflow_tracking_uri,
        "--host", "127.0.0.1", "--port", str(mlflow_port), "--workers", "1",
    ]  # fmt: skip
    if settings.mlflow_artifact_root:
        mlflow += ["--default-artifact-root", settings.mlflow_artifact_root]
    service = [sys.executable, "-m", "ogrine_assets.cli", "serve", "--port", str(service_port)]
    # A tracking server configured elsewhere is used as it is; only a local store gets a UI here.
    return [dagster, mlflow, service] if settings.uses_local_mlflow_store else [dagster, service]


def _default_sigint() -> None:
    # A shell that starts a job in the background makes it ignore SIGINT, and children
    # inherit that; the stack must still stop on Ctrl-C, so children get the default back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def up(settings: Settings, dagster_port: int, mlflow_port: int, service_port: int) -> int:
    ensure_local_state(settings)
    env = {**os.environ, "DAGSTER_HOME": str(settings.dagster_home)}
    if settings.uses_local_mlflow_store:  # Dagster's links to MLflow follow --mlflow-port
        env.setdefault("OGRINE_MLFLOW_UI_URL", f"http://127.0.0.1:{mlflow_port}")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    # Each child leads its own process group, so stopping one stops its helpers too.
    commands = _stack_commands(settings, dagster_port, mlflow_port, service_port)
    processes = [
        subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_default_sigint)
        for command in commands
    ]
    print(f"Dagster UI  http://127.0.0.1:{dagster_port}")
    mlflow_ui = f"http://127.0.0.1:{mlflow_port}" if settings.uses_local_mlflow_store else None
    print(f"MLflow UI   {mlflow_ui or settings.mlflow_tracking_uri}")
    print(f"Forecast    http://127.0.0.1:{service_port}  (JSON: /seven-days-forecast, /forecast)")
    print(f"Document    {settings.forecast_path}")
    print("Ctrl-C stops everything.", flush=True)
    while not stopping.is_set() and all(p.poll() is None for p in processes):
        stopping.wait(0.5)
    died = [(c, p) for c, p in zip(commands, processes, strict=True) if p.poll() is not None]
    for command, process in died:
        print(f"{' '.join(command[1:4])} exited with {process.returncode}", file=sys.stderr)
    print("Stopping…", flush=True)
    forced = _stop(processes)
    return 1 if died or forced else 0


def _stop(processes: Sequence[subprocess.Popen[bytes]], grace_seconds: float = 20) -> bool:
    """SIGINT every group (a graceful stop), SIGKILL what is left; True if any needed it."""
    for process in processes:
        _signal_group(process, signal.SIGINT)
    deadline = time.monotonic() + grace_seconds
    forced = False
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            forced = True
        _signal_group(process, signal.SIGKILL)  # helpers left behind by a stopped leader
        process.wait()
    return forced


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def serve(host: str, port: int) -> int:
    """The forecast service under uvicorn; it imports nothing of the pipeline's stack."""
    import uvicorn

    uvicorn.run(
        "ogrine_assets.service.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_level="info",
        access_log=False,
    )
    return 0


def show_paths(settings: Settings) -> int:
    for name in (
        "home",
        "dagster_home",
        "mlflow_tracking_uri",
        "mlflow_artifact_root",
        "storage_dir",
        "forecast_path",
    ):
        print(f"{name}={getattr(settings, name)}")
    print(f"api_url={settings.api_url or '(unset: embedded synthetic source)'}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ogrine", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("materialize", help="train, promote and publish the forecast once")
    stack = commands.add_parser("up", help="Dagster, MLflow and the service on 127.0.0.1")
    stack.add_argument("--dagster-port", type=int, default=3000)
    stack.add_argument("--mlflow-port", type=int, default=5000)
    stack.add_argument("--service-port", type=int, default=8080)
    service = commands.add_parser("serve", help="the forecast service (JSON and the chart page)")
    service.add_argument("--host", default="127.0.0.1")
    service.add_argument("--port", type=int, default=8080)
    paths = commands.add_parser("paths", help="print where everything lives")
    only = paths.add_mutually_exclusive_group()
    only.add_argument("--forecast", action="store_true", help="only the forecast document path")
    only.add_argument(
        "--dagster-home",
        action="store_true",
        help="only the Dagster instance folder (export it as DAGSTER_HOME for Dagster's CLI)",
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "materialize":
        return materialize(settings)
    if args.command == "up":
        return up(settings, args.dagster_port, args.mlflow_port, args.service_port)
    if args.command == "serve":
        return serve(args.host, args.port)
    if args.forecast:
        print(settings.forecast_path)
        return 0
    if args.dagster_home:
        print(settings.dagster_home)
        return 0
    return show_paths(settings)


if __name__ == "__main__":
    sys.exit(main())
