"""What of the stack's output reaches the terminal: lines as the parts really print them."""

import pytest

from ogrine_assets.defs.common.recovery import MARKED_FAILED, left_in_progress
from ogrine_assets.local.console import console_line, healed_line

RUN = "6a9c64bd-1f7e-4c1e-9a54-8f2d5b0c9e11"
DAGSTER = "\x1b[32m2026-11-27 14:24:19 +0000\x1b[0m - dagster - \x1b[34m{level}\x1b[0m - {message}"


def dagster(level: str, message: str) -> str:
    return DAGSTER.format(level=level, message=message)


@pytest.mark.parametrize(
    "line",
    [
        dagster("DEBUG", f"training_job - {RUN} - 4242 - raw_rates - STEP_START - Started."),
        dagster("INFO", "Checking for new runs for sensor: model_promotion_sensor"),
        "INFO:     Uvicorn running on http://127.0.0.1:8080 (Press CTRL+C to quit)",
        "2026/11/27 14:04:18 INFO:     Started server process [1493]",
        "/x/mlflow/server/fastapi_app.py:23: StarletteDeprecationWarning: wsgi is deprecated",
        "/x/ogrine_assets/defs/training/sets.py:31: BetaWarning: Parameter `data_version` ...",
        "  from starlette.middleware.wsgi import WSGIResponder, build_environ",
        "Registry store URI not provided. Using backend store URI.",
        "Traceback (most recent call last):",
    ],
)
def test_chatter_stays_in_the_log_files(line: str) -> None:
    assert console_line("code-server", line) is None


def test_a_run_started_and_finished_is_one_line_each() -> None:
    prefix = f"training_job - {RUN} - 4242"
    started = dagster("DEBUG", f"{prefix} - RUN_START - Started execution of run.")
    failed = dagster("ERROR", f"{prefix} - RUN_FAILURE - Steps failed: ['raw_rates'].")
    assert console_line("code-server", started, 0).endswith("  run 6a9c64bd training_job started")
    assert console_line("code-server", failed, 0).endswith(
        "  run 6a9c64bd training_job FAILED: Steps failed: ['raw_rates']."
    )


def test_warnings_and_errors_reach_the_terminal_naming_their_run_or_part() -> None:
    warned = dagster("WARNING", f"training_job - {RUN} - raw_rates - Rates are SYNTHETIC.")
    assert console_line("code-server", warned, 0).endswith(
        "  run 6a9c64bd raw_rates WARNING: Rates are SYNTHETIC."
    )
    daemon = dagster("ERROR", "Caught error in SensorDaemon: the code server is unreachable")
    assert console_line("daemon", daemon, 0).endswith(
        "  daemon ERROR: Caught error in SensorDaemon: the code server is unreachable"
    )
    for part, line in [
        ("service", "WARNING:  Invalid HTTP request received."),
        ("mlflow", "2026/11/27 14:04:18 WARNING mlflow.server: disk almost full"),
        ("mlflow", "ERROR:    Exception in ASGI application"),
    ]:
        shown = console_line(part, line, 0)
        assert shown is not None and shown.endswith(f"  {part}: {line}")


def test_a_run_failed_because_its_process_is_gone_reads_as_a_failed_run() -> None:
    gone = left_in_progress(RUN, "forecast_refresh_job", "its process (4242) is gone")
    note = MARKED_FAILED + gone  # as recovery notes it
    assert healed_line(note, now=0).split("  ", 1)[1] == (
        "run 6a9c64bd forecast_refresh_job FAILED: its process (4242) is gone"
    )
    assert healed_line("ended MLflow run abc as KILLED", now=0).endswith(
        "  recovered: ended MLflow run abc as KILLED"
    )
