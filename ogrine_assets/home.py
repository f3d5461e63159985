"""The local home on disk: its folders, its single-flight lock, its MLflow store, its leftovers.

Every run that changes the home holds ``pipeline.lock`` for its whole length: the CLI takes
it before running anything (and says at once who holds it when it cannot), runs launched by
Dagster's daemon wait for it (``defs/common/executor.py``). The lock is an ``flock`` on a file
under ``OGRINE_HOME``, so the kernel releases it when its process dies, however it dies.

Under the lock, :func:`prepare` makes what a run needs exist, each piece so that being
killed at any instant leaves either nothing or a whole piece: the folders, a minimal
``dagster.yaml``, and the local MLflow store, built aside and renamed into place.
:func:`sweep_partial_files` removes what killed writes left behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ogrine_assets.settings import Settings

LOCK_NAME = "pipeline.lock"
PARTIAL_SUFFIX = ".partial"  # what write_atomically and the IO manager name their temporaries

DAGSTER_YAML = """\
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
"""


class LockHeld(RuntimeError):
    """Another process holds the home's pipeline lock; the message names it."""


class StoreDamaged(RuntimeError):
    """The local MLflow store cannot be used; the message says how to recover."""


class HomeLock:
    """An exclusive, process-lifetime lock on a home (``flock``: released when the process
    ends, even by SIGKILL). Its file records who holds it, for the message of the next."""

    def __init__(self, home: Path) -> None:
        self.path = home / LOCK_NAME
        self._handle: int | None = None

    def acquire(
        self,
        holder: str,
        *,
        wait_seconds: float = 0.0,
        poll_seconds: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> float:
        """Take the lock, waiting up to ``wait_seconds``; returns the seconds waited.

        ``holder`` says who takes it ("ogrine materialize", "run <id>"); raises
        :class:`LockHeld` naming the current holder when the wait runs out.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        began = time.monotonic()
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - began
                if waited >= wait_seconds:
                    os.close(handle)
                    raise LockHeld(
                        f"another run holds {self.path} ({self.holder() or 'holder unknown'})"
                        + (f"; waited {waited:.0f} s" if wait_seconds else "")
                    ) from None
                sleep(min(poll_seconds, wait_seconds - waited))
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"PID {os.getpid()}: {holder}, since {since}\n".encode(), 0)
        self._handle = handle
        return time.monotonic() - began

    def release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)  # closing the descriptor releases the flock
            self._handle = None

    def holder(self) -> str:
        """Who took the lock last, as they wrote it (the lock itself is the kernel's)."""
        try:
            return self.path.read_text().strip()
        except OSError:
            return ""

    @contextlib.contextmanager
    def held(self, holder: str, *, wait_seconds: float = 0.0) -> Iterator[float]:
        waited = self.acquire(holder, wait_seconds=wait_seconds)
        try:
            yield waited
        finally:
            self.release()


def prepare(settings: Settings) -> None:
    """Make the home ready for a run: folders, ``dagster.yaml`` and the MLflow store."""
    for folder in (
        settings.home,
        settings.dagster_home,
        settings.storage_dir,
        settings.archive_dir,
        settings.forecast_path.parent,
    ):
        folder.mkdir(parents=True, exist_ok=True)
    dagster_yaml = settings.dagster_home / "dagster.yaml"
    if not dagster_yaml.exists():
        _write_whole(dagster_yaml, DAGSTER_YAML.encode())
    if settings.uses_local_mlflow_store:
        database = settings.local_mlflow_db
        for leftover in database.parent.glob(f".{database.name}.*{PARTIAL_SUFFIX}"):
            leftover.unlink(missing_ok=True)  # a creation that was killed
        ensure_mlflow_store(database, settings.mlflow_artifact_root)


def ensure_mlflow_store(database: Path, artifact_root: str | None) -> None:
    """A usable SQLite MLflow store at ``database``, created whole or not at all.

    MLflow creates its tables in place, by a dozen migrations; a process stopped half-way
    leaves a store every later run trips on. Here the tables are created in a file beside
    it, which is renamed into place only once complete.
    """
    if database.exists():
        problem = store_damage(database)
        if problem:
            raise StoreDamaged(
                f"the MLflow store {database} is damaged ({problem}): an earlier process "
                f"stopped while creating or upgrading it. Move it aside "
                f"(mv {database} {database}.damaged) and run again to start a new store; "
                "the runs and models it held are not carried over."
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
    _fsync_folder(database.parent)


def store_damage(database: Path) -> str:
    """What makes an existing SQLite MLflow store unusable, or "" when nothing does."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=rw", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        return f"not a readable SQLite database: {exc}"
    leftovers = sorted(name for name in tables if name.startswith("_alembic_tmp_"))
    if leftovers:
        return f"an interrupted migration left {', '.join(leftovers)}"
    if "alembic_version" not in tables or "experiments" not in tables:
        return "its tables were never completed"
    return ""


# A temporary of write_atomically or the IO manager, or of an older version (mkstemp's
# ".<name>.<8 random characters>").
_PARTIAL = re.compile(rf"^\..+(\{PARTIAL_SUFFIX}|\.[a-z0-9_]{{8}})$")


def sweep_partial_files(settings: Settings) -> list[Path]:
    """Remove the temporaries that killed writes left; only safe under the home's lock."""
    removed = []
    for folder in (settings.storage_dir, settings.archive_dir, settings.forecast_path.parent):
        if not folder.is_dir():
            continue
        for path in folder.rglob(".*"):
            if path.is_file() and _PARTIAL.match(path.name):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _write_whole(target: Path, content: bytes) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    temporary.write_bytes(content)
    os.replace(temporary, target)


def _fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def process_identity(pid: int | None = None) -> str:
    """``host/pid/start`` of a process: its start time (in clock ticks since boot) tells it
    from a later process that reused the PID."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}/{pid}/{_start_ticks(pid)}"


def process_alive(identity: str) -> bool | None:
    """Whether the process ``identity`` names still runs; None when it ran on another host
    (nothing here can tell)."""
    host, pid, start = identity.rsplit("/", 2)
    if host != socket.gethostname():
        return None
    return _start_ticks(int(pid)) == start != ""


def _start_ticks(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, after the name in parentheses
