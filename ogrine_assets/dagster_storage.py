"""The local Dagster instance's SQLite storage, with its database connections kept open.

Dagster's SQLite storages make a new SQLAlchemy engine, and so open a new SQLite
connection, for every transaction, then throw both away. A run makes about 500 of them
(each event is written to the run's own database, asset and check events are mirrored to
the index database, and the run's status lives in the runs database), and opening them is
a quarter of a warm run's time. The run and event storages here are Dagster's, with one
change: each of their databases keeps one pooled engine until the instance is disposed.

Same files, same schema, same transactions, and the same locking between processes
(SQLite's own, with Dagster's busy timeout): another process (the daemon, the webserver,
a second ``ogrine``) sees no difference. An idle pooled connection holds no lock.

Setting a database up is Dagster's too, with two shortcuts around alembic, which loads
every migration script Dagster ships each time it is asked for Dagster's newest revision
(~15 ms; Dagster asks three times per instance opened and twice per run):

- a database that already carries alembic's version stamp is left as it is, as Dagster's
  set-up leaves it (upgrading one is ``dagster instance migrate``'s job, not the storage's);
- a run's new event database is made as Dagster makes it (its tables, WAL, the stamp of
  Dagster's newest revision), with the scripts loaded once per process. If another process
  is making the same database meanwhile, Dagster's own set-up takes over: it waits for the
  other and retries.

``home.DAGSTER_YAML`` selects this class (``storage: custom``); the Postgres instance of
``docker/`` does not use it. It overrides Dagster's connection methods, so it is tied to
the pinned Dagster version; ``ogrine_assets_tests/test_dagster_storage.py`` fails if a new
version stops calling them.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as db
import sqlalchemy.exc as db_exc
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from dagster._core.storage.event_log.schema import SqlEventLogStorageMetadata
from dagster._core.storage.event_log.sqlite import sqlite_event_log
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import get_alembic_config
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS, create_db_conn_string
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData

# Run databases kept open at once, besides the index: a process works on a run or two at a
# time, but the webserver reads many runs over its life, and each open one holds a file.
RUN_ENGINES = 8


class Engines:
    """One pooled engine per database URL; beyond ``keep``, the least recently used is
    closed (its connections still in use close when they are given back)."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._engines: OrderedDict[str, db.Engine] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str) -> db.Engine:
        with self._lock:
            engine = self._engines.pop(url, None)
            if engine is None:
                engine = db.create_engine(
                    url,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                    # As many at once as Dagster's threads ask for (the webserver's requests,
                    # the daemon's loops), as without a pool; five are kept between uses.
                    pool_size=5,
                    max_overflow=-1,
                )
            self._engines[url] = engine
            while len(self._engines) > self._keep:
                self._engines.popitem(last=False)[1].dispose()
            return engine

    def dispose(self) -> None:
        with self._lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def __len__(self) -> int:
        return len(self._engines)


def _stamped(connection: db.Connection) -> bool:
    """Whether the database carries alembic's version stamp: Dagster made it, whole."""
    return MigrationContext.configure(connection).get_current_revision() is not None


@functools.cache
def _dagster_migrations() -> ScriptDirectory:
    """Dagster's migration scripts, one folder for all its storages, loaded once."""
    return ScriptDirectory.from_config(get_alembic_config(sqlite_event_log.__file__))


def _made_run_database(connection: db.Connection) -> bool:
    """Make a run's new event database as Dagster's set-up makes it; False when another
    process got in the way (a table already there, the file locked)."""
    try:
        SqlEventLogStorageMetadata.create_all(connection)
        connection.execute(db.text("PRAGMA journal_mode=WAL"))
        MigrationContext.configure(connection).stamp(_dagster_migrations(), "head")
        connection.commit()
    except (db_exc.DatabaseError, sqlite3.DatabaseError):
        connection.rollback()
        return False
    return True


def _already_set_up(base_dir: str, name: str, *tables: str) -> str | None:
    """The URL of the database ``name`` in ``base_dir`` when Dagster's set-up would make
    nothing in it (it is stamped and has ``tables``), else None."""
    if not Path(base_dir, f"{name}.db").is_file():
        return None
    url = create_db_conn_string(base_dir, name)
    engine = db.create_engine(
        url, poolclass=db.NullPool, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    )
    try:
        with engine.connect() as connection:
            inspector = db.inspect(connection)
            if _stamped(connection) and all(inspector.has_table(t) for t in tables):
                return url
            return None
    finally:
        engine.dispose()


@contextlib.contextmanager
def _transaction(engine: db.Engine) -> Iterator[db.Connection]:
    with engine.connect() as connection, connection.begin():
        yield connection


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Events, one database per run plus the index; the run databases' engines are the
    ``RUN_ENGINES`` most recently used."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self.engines = Engines(keep=RUN_ENGINES + 1)  # + the index
        super().__init__(base_dir, inst_data)

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[db.Connection]:
        with self._db_lock:  # Dagster's: one transaction at a time in this storage
            engine = self.engines.get(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with _transaction(engine) as connection:
                yield connection

    def _initdb(self, engine: db.Engine, for_index_shard: bool = False) -> None:
        with engine.connect() as connection:
            if _stamped(connection):
                return
            if not for_index_shard and _made_run_database(connection):
                return
        super()._initdb(engine, for_index_shard)

    def has_table(self, table_name: str) -> bool:
        # Dagster's asks the index with a new engine each time, about 20 times a run.
        engine = self.engines.get(self.conn_string_for_shard(INDEX_SHARD_NAME))
        with engine.connect() as connection:
            return bool(engine.dialect.has_table(connection, table_name))

    def wipe(self) -> None:
        self.engines.dispose()  # its run databases are deleted: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self.engines.dispose()


class PooledSqliteRunStorage(SqliteRunStorage):
    """Runs, their tags and the daemon's heartbeats, in one database."""

    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None) -> None:
        self.engines = Engines(keep=1)
        super().__init__(conn_string, inst_data)

    @classmethod
    def from_local(
        cls, base_dir: str, inst_data: ConfigurableClassData | None = None
    ) -> PooledSqliteRunStorage:
        url = _already_set_up(base_dir, "runs", "instance_info")
        return cls(url, inst_data) if url else super().from_local(base_dir, inst_data)

    @contextlib.contextmanager
    def connect(self) -> Iterator[db.Connection]:
        with _transaction(self.engines.get(self._conn_string)) as connection:
            yield connection

    def dispose(self) -> None:
        super().dispose()
        self.engines.dispose()


class StampedSqliteScheduleStorage(SqliteScheduleStorage):
    """Schedules and sensors' ticks: Dagster's storage and connections, set up as above."""

    @classmethod
    def from_local(
        cls, base_dir: str, inst_data: ConfigurableClassData | None = None
    ) -> StampedSqliteScheduleStorage:
        url = _already_set_up(base_dir, "schedules")
        if url:
            return cls(url, inst_data)
        return super().from_local(base_dir, inst_data)  # type: ignore[return-value]


class StorageFolderGone(RuntimeError):
    """``dagster.yaml`` names a storage folder that is not this instance's."""


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's default local storage (``storage: sqlite``), in the same folders under
    ``base_dir``, with the pooled run and event storages above."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        if not Path(base_dir, "dagster.yaml").is_file():
            # The file names its own folder; a folder without it means the home was moved
            # and this is an old copy of the file: making storage there would split the
            # instance in two. Any ``ogrine`` command rewrites the file for its new folder.
            raise StorageFolderGone(
                f"dagster.yaml keeps Dagster's storage in {base_dir}, which is not a Dagster "
                "instance folder (no dagster.yaml there): was the home moved? Run "
                "`ogrine paths --dagster-home` to write the file for where it is now."
            )
        self.base_dir = base_dir
        self._run_storage = PooledSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))
        # Schedules keep Dagster's own connections: a run barely touches them, and an
        # instance closes its run and event storages but never its schedule storage, which
        # would keep a pooled connection open after the instance is gone.
        self._schedule_storage = StampedSqliteScheduleStorage.from_local(
            _schedule_directory(base_dir)
        )
        self._inst_data = inst_data
        # DagsterStorage's own __init__: DagsterSqliteStorage's would first open the plain
        # storages, which these replace.
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> PooledSqliteStorage:
        return cls(inst_data=inst_data, **config_value)  # not from_local: it makes the folder
