"""The pooled SQLite storage: each database opened once per process, and nothing else changed
(the same files, readable and writable by Dagster's own storage at the same time)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as db
from alembic.script import ScriptDirectory
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from ogrine_assets.dagster_storage import Engines, PooledSqliteEventLogStorage
from ogrine_assets_tests.support import Deployment, deployment, home_instance, make_settings

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def opened_databases() -> Iterator[Counter[str]]:
    """How many SQLite connections each database file gets opened, by any engine."""
    opened: Counter[str] = Counter()

    def count(connection: sqlite3.Connection, _record: object) -> None:
        opened[connection.execute("PRAGMA database_list").fetchone()[2]] += 1

    db.event.listen(db.Engine, "connect", count)
    try:
        yield opened
    finally:
        db.event.remove(db.Engine, "connect", count)


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[Deployment]:
    with deployment(tmp_path / "home") as deployed:
        yield deployed


def _open_files_under(folder: Path) -> list[str]:
    fds = Path("/proc/self/fd")
    targets = [os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()]
    return [t for t in targets if t.startswith(str(folder))]


def test_a_run_opens_each_dagster_database_once_until_the_instance_is_closed(
    tmp_path: Path,
) -> None:
    with deployment(tmp_path / "home") as deployed:
        assert isinstance(deployed.instance.event_log_storage, PooledSqliteEventLogStorage)
        assert deployed.run("train_and_publish_job").success
        with opened_databases() as opened:
            second = deployed.run("train_and_publish_job", retrain=True)
        assert second.success
        home = deployed.settings.dagster_home
        assert _open_files_under(home)
    dagster = {
        Path(path).relative_to(home).as_posix(): times
        for path, times in opened.items()
        if Path(path).is_relative_to(home)
    }
    # Dagster's own storage opens ~500 connections for such a run. The pooled one opens only
    # the new run's event database (twice while creating its tables); the runs and the index
    # databases stay open from the first run.
    assert set(dagster) == {f"history/runs/{second.run_id}.db"}, dagster
    assert sum(dagster.values()) <= 2, dagster
    assert _open_files_under(home) == []  # closed with the instance: nothing leaks


def test_dagsters_own_storage_reads_and_writes_the_same_files_meanwhile(
    deployed: Deployment, tmp_path: Path
) -> None:
    result = deployed.run("train_and_publish_job")
    assert result.success
    home = deployed.settings.dagster_home
    plain = {"storage": {"sqlite": {"base_dir": str(home)}}}  # Dagster's default storage
    (tmp_path / "plain").mkdir()
    with dg.instance_for_test(
        temp_dir=str(tmp_path / "plain"), overrides=plain, set_dagster_home=False
    ) as other:
        assert other.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.SUCCESS
        published = other.get_latest_materialization_event(dg.AssetKey("forecast"))
        assert published is not None and published.run_id == result.run_id
        other.add_run_tags(result.run_id, {"seen_by": "the other instance"})
        other.wipe()  # deletes every run's event database; the pooled instance must follow
    pooled = deployed.instance
    assert pooled.get_runs() == []
    again = deployed.run("train_and_publish_job")
    assert again.success
    assert pooled.get_latest_materialization_event(dg.AssetKey("forecast")).run_id == again.run_id


@dg.op
def _nothing() -> None:
    pass


@dg.job
def _tiny_job() -> None:
    _nothing()


def _stamp(database: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        try:
            return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        except sqlite3.OperationalError:  # no such table
            return None


def test_stamped_databases_open_without_alembic_and_half_made_ones_are_set_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "home")
    with home_instance(settings) as instance:
        run_id = _tiny_job.execute_in_process(instance=instance).run_id
    home = settings.dagster_home
    databases = {
        "runs": home / "history" / "runs.db",
        "schedules": home / "schedules" / "schedules.db",
        "index": home / "history" / "runs" / "index.db",
        "run": home / "history" / "runs" / f"{run_id}.db",
    }
    stamps = {name: _stamp(path) for name, path in databases.items()}
    assert all(stamps.values()), stamps

    asked: list[str] = []  # each time alembic's migration scripts are loaded
    loading = ScriptDirectory.from_config
    monkeypatch.setattr(
        ScriptDirectory, "from_config", lambda config: asked.append("") or loading(config)
    )

    def read_everything() -> None:
        with home_instance(settings) as instance:
            assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
            assert instance.all_logs(run_id)
            assert instance.event_log_storage.get_asset_records() == []
            assert instance.all_instigator_state() == []

    read_everything()
    assert asked == []

    # What a process killed while making them may leave: an empty file, a table missing,
    # tables not stamped yet; or no file at all.
    databases["index"].write_bytes(b"")
    with sqlite3.connect(databases["runs"]) as connection:
        connection.execute("DROP TABLE instance_info")
    with sqlite3.connect(databases["run"]) as connection:
        connection.execute("DROP TABLE alembic_version")
    databases["schedules"].unlink()
    read_everything()  # the run's events are read, so its database is set up again
    assert asked  # Dagster's own set-up ran
    assert {name: _stamp(path) for name, path in databases.items()} == stamps


def _made(database: Path) -> tuple[object, ...]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        schema = sorted(connection.execute("SELECT type, name, sql FROM sqlite_master"))
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    return schema, mode, _stamp(database)


def test_a_runs_new_event_database_is_the_one_dagsters_storage_makes(tmp_path: Path) -> None:
    ours = PooledSqliteEventLogStorage(str(tmp_path / "ours"))
    plain = SqliteEventLogStorage(str(tmp_path / "plain"))
    try:
        for storage in (ours, plain):
            with storage.run_connection("a-run"):
                pass
    finally:
        ours.dispose()
        plain.dispose()
    made = _made(tmp_path / "ours" / "a-run.db")
    assert made == _made(tmp_path / "plain" / "a-run.db")
    assert made[1] == "wal" and made[2]


def test_the_least_recently_used_engines_are_closed_beyond_the_limit(tmp_path: Path) -> None:
    engines = Engines(keep=2)
    first, second, third = (f"sqlite:///{tmp_path / name}.db" for name in "abc")
    kept = engines.get(first)
    engines.get(second)
    assert engines.get(first) is kept  # used again: now the most recent
    engines.get(third)  # the second goes
    assert len(engines) == 2 and engines.get(first) is kept
    engines.dispose()
    assert len(engines) == 0


def test_an_engine_lends_as_many_connections_at_once_as_are_asked_for(tmp_path: Path) -> None:
    """The webserver and the daemon use many threads; a pool that capped them (SQLAlchemy's
    default lends 15, then waits 30 s) would stall the UI where Dagster's own did not."""
    engines = Engines(keep=1)
    engine = engines.get(f"sqlite:///{tmp_path / 'runs.db'}")
    lent = [engine.connect() for _ in range(40)]
    assert all(connection.exec_driver_sql("SELECT 1").scalar() == 1 for connection in lent)
    for connection in lent:
        connection.close()
    engines.dispose()
