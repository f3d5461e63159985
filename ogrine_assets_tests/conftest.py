"""Shared fixtures: a temporary OGRINE_HOME, and the whole graph materialized once per
run for the tests that only read its result. Helpers live in ``support.py``.

This file loads only light modules: pytest-xdist's controller loads it too, before it
starts the workers, and runs no test (the fixtures import ``support.py`` when first used).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ogrine_assets.local.processes import collect_rarely, freeze_what_is_loaded

if TYPE_CHECKING:
    from ogrine_assets.settings import Settings
    from ogrine_assets_tests.support import Deployment

# Each test process imports Dagster, MLflow, pandas and polars (~400k objects that
# live as long as it does), and the collector would walk them again and again. It runs
# rarely here, and what collection loaded is frozen out of its reach (pytest_collection_finish),
# as every run process freezes what it loaded (ogrine_assets/local/processes.py). It is not
# stopped while loading, as in a run process: pytest-xdist's controller collects no tests,
# so nothing would start it again there.
collect_rarely()

RAM_DISK = Path("/dev/shm")
TESTS = Path(__file__).parent

# The files that keep one worker longest, longest first (seconds of one worker, measured
# with ``--durations`` on the 2-core machine). pytest-xdist hands out whole files
# (``--dist=loadfile``) in the order collection gives them (``--no-loadscope-reorder``), a
# worker's next file once it has two tests or fewer left, so these start first and the
# short files fill in after them; left to itself, xdist starts the files with the most
# tests first, and the few long ones ran last, on one worker, with the others done. A file
# not named here runs after these: only the wall time suffers.
LONGEST_FIRST = (
    "test_cli.py",  # 70 s: the documented commands, four `ogrine materialize` among them
    "local/test_stack.py",  # 55 s and more: `ogrine up` again and again, one killed
    "simulation/test_soak.py",  # 45 s
    "test_materialize.py",  # 40 s
    "simulation/test_replay.py",  # 38 s, `ogrine replay` included
    "test_materialize_killed.py",  # 38 s
    "local/test_mlflow_ui.py",  # 27 s: `mlflow server` and Chromium on MLflow's UI
    "defs/test_executor.py",  # 28 s
    "defs/test_gate.py",  # 21 s alone: four runs
    "local/test_stores.py",  # 24 s, waiting mostly
    "defs/test_notification.py",  # 20 s: a materialize and a refresh, webhooks answering
    "deploy/test_runtime_install.py",  # 16 s, in CI
    "deploy/test_postgres.py",  # 12 s, in CI
    "defs/test_forecast_quality.py",  # 12 s
    "service/test_page_browser.py",  # 10 s: both languages at both widths in Chromium
    "defs/test_clock.py",  # 12 s alone: two runs on disk
    "deploy/test_docker_files.py",  # 10 s
    "defs/test_recovery.py",  # 10 s
    "defs/test_ingestion_faults.py",  # 9 s
    "defs/test_pipeline.py",  # 9 s, with the shared materialization when it makes it
    "defs/test_model_registry.py",  # 8 s
    "defs/test_promotion.py",  # 8 s
)
RAM_DISK_FREE_BYTES = 2**30  # the whole suite writes well under 100 MiB


def pytest_configure(config: pytest.Config) -> None:
    """LONGEST_FIRST names files that exist (checked here, where the controller and a run
    without workers both stop on it); temporary homes on a RAM file system where the
    machine has a roomy one.

    Every run commits to SQLite a few hundred times (Dagster's event log alone, ~240 times a
    run), and each commit waits for the disk: ~1 ms here, against ~0.03 ms in RAM, which
    made about a fifth of the suite's time. No test here is about surviving a power cut (a
    killed process loses nothing the page cache holds); the full-disk tests mount their own
    small file systems. ``--basetemp`` or ``PYTEST_DEBUG_TEMPROOT`` set by hand still win.
    """
    if gone := [name for name in LONGEST_FIRST if not (TESTS / name).is_file()]:
        raise pytest.UsageError(f"conftest.py's LONGEST_FIRST names files that are gone: {gone}")
    if config.option.basetemp or "PYTEST_DEBUG_TEMPROOT" in os.environ:
        return
    try:
        stats = os.statvfs(RAM_DISK)
    except OSError:
        return
    if os.access(RAM_DISK, os.W_OK) and stats.f_bavail * stats.f_frsize >= RAM_DISK_FREE_BYTES:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(RAM_DISK)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """One worker more than the cores this process may use (``-n auto``; at most four, by
    ``--maxprocesses`` in pyproject.toml).

    Much of the suite waits: on ``ogrine`` processes and servers to be ready, on a lock, on a
    slow upstream's deadline. With one worker per core those waits left the cores idle: on
    2 cores, 3 workers took 180 and 189 s where 2 took 221 and 223 s, run in turn.
    ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides when set.
    """
    if "PYTEST_XDIST_AUTO_NUM_WORKERS" in os.environ:
        return None
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return (len(usable) if usable else os.cpu_count() or 1) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of LONGEST_FIRST first, in its order; the rest as collected after them."""
    rank = {TESTS / name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path, len(rank)))


def pytest_collection_finish(session: pytest.Session) -> None:
    freeze_what_is_loaded()


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure() -> None:
    """Collect the young generations, then freeze everything, before pytest's last two
    full collections and the interpreter's own at exit.

    Those look for exceptions raised in finalizers of garbage left in cycles, and walked
    every object a worker still held after hundreds of in-process runs: ~6 s at the end of
    each worker, which the controller waited on. What the last tests and the session's
    fixtures left in the young generations is still collected here, and pytest reports
    what its finalizers raise; cycles already in the oldest generation are not, and their
    finalizers no longer run at the very end.
    """
    gc.collect(1)
    freeze_what_is_loaded()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    from ogrine_assets_tests.support import make_settings

    return make_settings(tmp_path / "ogrine_home")


@pytest.fixture(scope="session")
def materialized(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Deployment]:
    """Trained, promoted and published once on the synthetic default, at FIXED_NOW.

    Once per run, not once per pytest-xdist worker: the first worker to need it makes it
    while the others wait on a lock, then each opens the same home (a training and a
    promotion, ~3 s, that every worker used to repeat). A making that did not finish (a
    failed job, an error, an interrupt) is marked failed, and every other worker fails at
    once instead of training again on top of it.

    Read only: a test that changes the state (a second training, a new day) builds its own
    ``deployment`` so that no test depends on another's order.
    """
    from ogrine_assets_tests.support import deployment

    run_root = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # pytest-xdist's name for a run without workers
        run_root = run_root.parent  # this run's, above each worker's own (popen-gwN)
    folder = run_root / "materialized"
    folder.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        with (folder / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (folder / "failed").exists():
                pytest.fail("making the shared materialization failed in another worker")
            shared = stack.enter_context(deployment(folder / "home", on_disk=True))
            if not (folder / "made").exists():
                failures: list[str] = ["it stopped before it finished"]
                try:
                    failures = [
                        event.message or event.event_type_value
                        for job in ("training_job", "promotion_job")
                        for event in shared.run(job).all_events
                        if event.is_failure
                    ]
                finally:
                    (folder / ("failed" if failures else "made")).touch()
                assert not failures, f"the shared materialization failed: {failures}"
        yield shared
