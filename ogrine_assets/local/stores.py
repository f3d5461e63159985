"""The home's stores made whole: its folders, Dagster's ``dagster.yaml`` and the MLflow store.

Under the home's lock (``lock.py``), :func:`prepare` makes what a run needs exist, each piece
so that being killed at any instant leaves either nothing or a whole piece: the folders, a
minimal ``dagster.yaml``, and the local MLflow store, built aside and renamed into place. A
store damaged otherwise (the MLflow store, or one of Dagster's SQLite files) stops the run
before it starts, in one line naming the file and the way out.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import time
from pathlib import Path

from ogrine_assets.local.files import PARTIAL_SUFFIX, fsync_folder, write_atomically
from ogrine_assets.settings import Settings

DAGSTER_YAML = """\
# Written by ogrine_assets; edit freely: once edited, it is never rewritten.
# Local instance: Dagster's SQLite storage in this folder. See docker/dagster.yaml for Postgres.
telemetry:
  enabled: false
# One run at a time: runs of one home share its stores (see docs/pipeline.md).
run_queue:
  max_concurrent_runs: 1
# Runs that never start, or hang, are failed instead of staying in progress for good.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_runtime_seconds: 7200
"""
# What earlier versions wrote, word for word: such a home is brought up to date. Kept as
# written then, never derived from DAGSTER_YAML, which changes.
EARLIER_DAGSTER_YAMLS = (
    """\
# Written by ogrine_assets on first use; edit freely, it is not overwritten.
# Local instance: SQLite storage in this folder. See docker/dagster.yaml for Postgres.
telemetry:
  enabled: false
""",
    """\
# Written by ogrine_assets on first use; edit freely, it is not overwritten.
# Local instance: SQLite storage in this folder. See docker/dagster.yaml for Postgres.
telemetry:
  enabled: false
# One run at a time: runs of one home share its stores (see docs/pipeline.md).
run_queue:
  max_concurrent_runs: 1
# Runs that never start, or hang, are failed instead of staying in progress for good.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_runtime_seconds: 7200
""",
)
# ...and the one that selected a storage class of this project's (since removed), which
# named its own folder: recognised for any folder, it is rewritten too.
EARLIER_POOLED_STORAGE_YAML = (
    """\
# Written by ogrine_assets; edit freely: once edited, it is never rewritten.
# Local instance: SQLite storage in this folder. See docker/dagster.yaml for Postgres.
telemetry:
  enabled: false
# One run at a time: runs of one home share its stores (see docs/pipeline.md).
run_queue:
  max_concurrent_runs: 1
# Runs that never start, or hang, are failed instead of staying in progress for good.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_runtime_seconds: 7200
# Dagster's SQLite storage, its connections kept open (ogrine_assets/dagster_storage.py).
storage:
  custom:
    module: ogrine_assets.dagster_storage
    class: PooledSqliteStorage
    config:
      base_dir: """,
    "\n",
)


class StoreDamaged(RuntimeError):
    """A local store (MLflow's, or a file of Dagster's) cannot be used; the message names
    the file and says how to recover."""

    EXIT_STATUS = 3  # of ``python -m ogrine_assets.local.stores`` when it says so


def _written_by_us(text: str) -> bool:
    """Whether ``text`` is a ``dagster.yaml`` an earlier version of this code wrote."""
    head, tail = EARLIER_POOLED_STORAGE_YAML
    folder = text[len(head) : len(text) - len(tail)]
    pooled = text.startswith(head) and text.endswith(tail) and "\n" not in folder
    return pooled or text in EARLIER_DAGSTER_YAMLS


def ensure_dagster_home(settings: Settings) -> Path:
    """The Dagster instance folder with its ``dagster.yaml`` (Dagster's SQLite storage in the
    folder, telemetry off, one run at a time): what every Dagster command, ``dg`` included,
    must find in ``DAGSTER_HOME`` so that it works on this instance and reports nothing.

    The file is written when missing, and again when an earlier version of this code wrote
    it; never once a user has edited it."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    path = settings.dagster_home / "dagster.yaml"
    try:
        current: str | None = path.read_text()
    except FileNotFoundError:
        current = None
    if current is None or _written_by_us(current):
        write_atomically(path, DAGSTER_YAML.encode())
    return settings.dagster_home


def prepare(settings: Settings) -> None:
    """Make the home ready for a run: folders, ``dagster.yaml`` and the MLflow store."""
    for folder in (
        settings.home,
        settings.storage_dir,
        settings.archive_dir,
        settings.forecast_path.parent,
    ):
        folder.mkdir(parents=True, exist_ok=True)
    ensure_dagster_home(settings)
    check_dagster_storage(settings.dagster_home)
    if settings.uses_local_mlflow_store:
        database = settings.local_mlflow_db
        for leftover in database.parent.glob(f".{database.name}.*{PARTIAL_SUFFIX}*"):
            leftover.unlink(missing_ok=True)  # a creation that was killed, and its journal
        ensure_mlflow_store(database, settings.mlflow_artifact_root)


def ensure_mlflow_store(database: Path, artifact_root: str | None) -> None:
    """A usable SQLite MLflow store at ``database``, created whole or not at all.

    MLflow creates its tables in place, by dozens of migrations; a process stopped half-way
    leaves a store every later run trips on. Here MLflow's store makes them (its migrations,
    then its default experiment) in a file beside it, which is renamed into place only
    once complete.
    """
    if database.exists():
        problem = store_damage(database)
        if problem:
            raise StoreDamaged(
                f"{way_out(database)} (the MLflow store: {problem}; an earlier process "
                "stopped while creating or upgrading it; a new store starts, without the runs "
                "and models it held)"
            )
        return
    database.parent.mkdir(parents=True, exist_ok=True)
    temporary = database.with_name(f".{database.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    temporary.unlink(missing_ok=True)
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(f"sqlite:///{temporary}", artifact_root)
    store.engine.dispose()
    with open(temporary, "rb") as created:
        os.fsync(created.fileno())
    os.replace(temporary, database)
    fsync_folder(database.parent)


# Dagster's SQLite storage under DAGSTER_HOME (its default, which dagster.yaml keeps), and
# what moving each aside loses.
DAGSTER_DATABASES = {
    Path("history", "runs.db"): "the history of its runs",
    Path("history", "runs", "index.db"): "the index of its runs' events (past materializations)",
    Path("schedules", "schedules.db"): "the schedules' and the sensor's state and ticks",
}


def check_dagster_storage(dagster_home: Path) -> None:
    """Raise :class:`StoreDamaged` naming the first of Dagster's SQLite files that is not a
    readable database (overwritten, truncated), with the way out; Dagster itself would fail
    every run with "file is not a database", naming none."""
    for relative, held in DAGSTER_DATABASES.items():
        database = dagster_home / relative
        if not database.exists():
            continue  # Dagster creates it when it first needs it
        problem = _unreadable(database)
        if problem:
            raise StoreDamaged(
                f"{way_out(database)} (Dagster's store: {problem}; a new one starts, without "
                f"{held})"
            )


def way_out(database: Path) -> str:
    """What a damaged store's failure line says first, the path once: the failure line keeps
    200 characters (the soak takes this way out, as an operator would)."""
    return f"{database} is damaged: rename it {database.name}.damaged and run again"


def _unreadable(database: Path) -> str:
    """Why ``database`` is not a readable SQLite database, or "" (a busy one is readable:
    another process writes it)."""
    found = _tables_or_damage(database, busy_is_readable=True)
    return found if isinstance(found, str) else ""


def _tables_or_damage(database: Path, *, busy_is_readable: bool) -> set[str] | str:
    """The database's tables, or why it is not a readable SQLite database; any other
    problem (a lock, unless ``busy_is_readable``; a permission) is raised as it is, since
    moving the database aside would not mend it."""
    try:
        return _tables(database)
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            return f"not a readable SQLite database: {exc}"
        if busy_is_readable and ("locked" in str(exc) or "busy" in str(exc)):
            return set()
        raise


def _tables(database: Path) -> set[str]:
    """Opened for writing on purpose: a journal left by a killed writer is rolled back."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=rw", uri=True)) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master")}


def store_damage(database: Path) -> str:
    """What makes an existing SQLite MLflow store unusable, or "" when nothing does.

    Only a store whose content is wrong is "damaged"; a lock or a permission problem is
    raised as it is, since moving the store aside would not mend it.
    """
    tables = _tables_or_damage(database, busy_is_readable=False)
    if isinstance(tables, str):
        return tables
    leftovers = sorted(name for name in tables if name.startswith("_alembic_tmp_"))
    if leftovers:
        return f"an interrupted migration left {', '.join(leftovers)}"
    if "alembic_version" not in tables or "experiments" not in tables:
        return "its tables were never completed"
    return ""


def heal_run_queue(settings: Settings) -> list[str]:
    """Fail the Dagster runs in progress whose process is gone, as every run's recovery does
    (``defs/common/recovery.py``); what was done, a sentence each. One such run keeps the
    queue's only slot (``max_concurrent_runs: 1``): no queued run would ever start."""
    import dagster as dg

    from ogrine_assets.defs.common.recovery import fail_abandoned_runs
    from ogrine_assets.local.processes import process_alive

    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        return fail_abandoned_runs(instance, None, process_alive, time.time)


def main(argv: list[str]) -> int:
    """``python -m ogrine_assets.local.stores [--heal]``: prepare the home the environment
    names, in a process of its own (``ogrine up`` does, so as not to keep MLflow or Dagster
    loaded), and with ``--heal``, fail the runs whose process is gone, printing what was
    done, a line each. A failure is one line."""
    settings = Settings.from_env()
    try:
        prepare(settings)
        if "--heal" in argv:
            for note in heal_run_queue(settings):
                print(note, flush=True)
    except StoreDamaged as damaged:
        print(damaged, file=sys.stderr)
        return StoreDamaged.EXIT_STATUS
    except OSError as exc:
        print(f"{exc.strerror or exc} ({exc.filename or 'the home'})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
