"""The local home on disk: its folders, its single-flight lock, its MLflow store, its leftovers.

Every run that changes the home holds ``pipeline.lock`` for its whole length: the CLI takes
it before running anything (and says at once who holds it when it cannot), runs launched by
Dagster's daemon wait for it (``defs/common/executor.py``). The lock is an ``flock`` on a file
under ``OGRINE_HOME``, so the kernel releases it when its process dies, however it dies.

Under the lock, :func:`prepare` makes what a run needs exist, each piece so that being
killed at any instant leaves either nothing or a whole piece: the folders, a minimal
``dagster.yaml``, and the local MLflow store, built aside and renamed into place. Every
file the pipeline writes goes through :func:`write_atomically`, and
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
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ogrine_assets.settings import Settings

LOCK_NAME = "pipeline.lock"
PARTIAL_SUFFIX = ".partial"  # what write_atomically and the IO manager name their temporaries

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


class LockHeld(RuntimeError):
    """Another process holds the home's pipeline lock; the message names it."""


class StoreDamaged(RuntimeError):
    """The local MLflow store cannot be used; the message says how to recover."""

    EXIT_STATUS = 3  # of ``python -m ogrine_assets.home`` when it says so


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
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - began
                    if waited >= wait_seconds:
                        raise LockHeld(
                            f"another run holds {self.path} ({self.holder() or 'holder unknown'})"
                            + (f"; waited {waited:.0f} s" if wait_seconds else "")
                        ) from None
                    sleep(min(poll_seconds, wait_seconds - waited))
        except BaseException:
            os.close(handle)
            raise
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with contextlib.suppress(OSError):  # who holds it is a courtesy: a full disk may refuse
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
    """What makes an existing SQLite MLflow store unusable, or "" when nothing does.

    Opened for writing on purpose: a journal left by a killed writer is rolled back. Only a
    store whose content is wrong is "damaged"; a lock or a permission problem is raised as
    it is, since moving the store aside would not mend it.
    """
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=rw", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            return f"not a readable SQLite database: {exc}"
        raise
    leftovers = sorted(name for name in tables if name.startswith("_alembic_tmp_"))
    if leftovers:
        return f"an interrupted migration left {', '.join(leftovers)}"
    if "alembic_version" not in tables or "experiments" not in tables:
        return "its tables were never completed"
    return ""


def write_atomically(target: Path, content: bytes) -> None:
    """Write aside, fsync, then rename over ``target``: readers see the old file or the new
    one, never half of one, and a write killed half-way leaves only a temporary to sweep."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX, dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# Temporaries: write_atomically's and the IO manager's, and an older version's (mkstemp's
# ".<name>.<8 random characters>", the IO manager's ".<name>.<32 hex>.tmp").
_PARTIAL = re.compile(rf"^\..+(\{PARTIAL_SUFFIX}|\.[a-z0-9_]{{8}}|\.[0-9a-f]{{32}}\.tmp)$")


def sweep_partial_files(settings: Settings) -> list[Path]:
    """Remove the temporaries that killed writes left; only safe under the home's lock.

    The storage and archive folders are the pipeline's own, swept whole; in the forecast's
    folder, which may be shared (a web root), only the document's own temporaries.
    """
    candidates = [
        *(p for folder in (settings.storage_dir, settings.archive_dir) for p in _dotfiles(folder)),
        *settings.forecast_path.parent.glob(f".{settings.forecast_path.name}.*"),
    ]
    removed = []
    for path in candidates:
        if path.is_file() and _PARTIAL.match(path.name):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _dotfiles(folder: Path) -> list[Path]:
    return list(folder.rglob(".*")) if folder.is_dir() else []


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
    """Whether the process ``identity`` names still runs; None when nothing here can tell (it
    ran on another host, this system has no /proc, or the identity is not one)."""
    try:
        host, pid, start = identity.rsplit("/", 2)
        number = int(pid)
    except ValueError:
        return None
    if host != socket.gethostname() or not start or not Path("/proc/self/stat").exists():
        return None
    return _start_ticks(number) == start


def _start_ticks(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, after the name in parentheses


def main() -> int:
    """``python -m ogrine_assets.home``: prepare the home the environment names, in a process
    of its own (``ogrine up`` does, so as not to keep MLflow loaded); a failure is one line."""
    try:
        prepare(Settings.from_env())
    except StoreDamaged as damaged:
        print(damaged, file=sys.stderr)
        return StoreDamaged.EXIT_STATUS
    except OSError as exc:
        print(f"{exc.strerror or exc} ({exc.filename or 'the home'})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
