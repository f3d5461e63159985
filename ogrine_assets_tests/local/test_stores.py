"""The home's stores made whole: ``dagster.yaml`` once, and an MLflow store created whole or
not at all, whenever its creation is killed."""

import multiprocessing
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from mlflow.tracking import MlflowClient

from ogrine_assets.local.stores import (
    DAGSTER_DATABASES,
    DAGSTER_YAML,
    EARLIER_DAGSTER_YAMLS,
    EARLIER_POOLED_STORAGE_YAML,
    StoreDamaged,
    ensure_mlflow_store,
    prepare,
)
from ogrine_assets.settings import Settings


def test_prepare_makes_the_home_once_and_keeps_what_the_user_edited(tmp_path: Path) -> None:
    settings = Settings.from_env({"OGRINE_HOME": str(tmp_path / "home")})
    prepare(settings)
    config = settings.dagster_home / "dagster.yaml"
    assert config.read_text() == DAGSTER_YAML
    assert "max_concurrent_runs: 1" in DAGSTER_YAML and "run_monitoring" in DAGSTER_YAML
    config.write_text("# mine\n")
    prepare(settings)
    assert config.read_text() == "# mine\n"
    for folder in (settings.storage_dir, settings.archive_dir, settings.forecast_path.parent):
        assert folder.is_dir()
    assert settings.local_mlflow_db.is_file()


def test_an_older_or_moved_home_gets_the_current_dagster_yaml(tmp_path: Path) -> None:
    """What earlier versions wrote is replaced; the one that named its storage folder (a
    storage class since removed) is recognised whatever folder it names, so a home that was
    also moved comes back to Dagster's own storage in its new place."""
    old = Settings.from_env({"OGRINE_HOME": str(tmp_path / "old")})
    prepare(old)
    (tmp_path / "old").rename(tmp_path / "new")
    moved = Settings.from_env({"OGRINE_HOME": str(tmp_path / "new")})
    config = moved.dagster_home / "dagster.yaml"
    head, tail = EARLIER_POOLED_STORAGE_YAML
    pooled = f'{head}"{old.dagster_home}"{tail}'
    assert len(EARLIER_DAGSTER_YAMLS) == 2  # the first version's, then one with the run queue
    for earlier in (*EARLIER_DAGSTER_YAMLS, pooled):
        config.write_text(earlier)
        prepare(moved)
        assert config.read_text() == DAGSTER_YAML
    with dg.DagsterInstance.from_config(str(moved.dagster_home)) as instance:
        assert instance.get_runs() == []
    assert not (tmp_path / "old").exists()
    edited = pooled + "retention:\n  schedule:\n    purge_after_days: 9\n"
    config.write_text(edited)
    prepare(moved)
    assert config.read_text() == edited  # edited by hand: the user's, even if it is stale


# Store creations are forked from a server that has already imported MLflow's store: each
# begins at once, instead of after the ~2 s of imports a fresh interpreter pays.
CREATORS = multiprocessing.get_context("forkserver")
CREATORS.set_forkserver_preload(
    ["ogrine_assets.local.stores", "mlflow.store.tracking.sqlalchemy_store"]
)


def _create_store(database: Path, kill_inside: bool) -> None:
    if kill_inside:  # SIGKILL from inside SQLite, a few hundred steps into the migrations
        connect = sqlite3.connect

        def connect_then_die(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            connection = connect(*args, **kwargs)
            connection.set_progress_handler(lambda: os.kill(os.getpid(), signal.SIGKILL), 500)
            return connection

        # SQLAlchemy (MLflow's store) connects through the DB-API module.
        sqlite3.dbapi2.connect = connect_then_die  # type: ignore[assignment]
    ensure_mlflow_store(database, _artifacts(database))


def _artifacts(database: Path) -> str:
    return (database.parent / "artifacts").as_uri()


@pytest.mark.parametrize("after_seconds", [0.0, 0.05, 0.2, 0.5, 1.0, None, "inside"])
def test_a_store_creation_killed_at_any_instant_leaves_nothing_half_made(
    tmp_path: Path, after_seconds: float | str | None
) -> None:
    """``None``: not killed, the creation ends by itself (the whole store is in place).
    MLflow's migrations take ~1 s, long enough to be killed anywhere in them from outside;
    "inside": killed from inside SQLite, part-way through its statements."""
    database = tmp_path / "mlflow" / "mlflow.db"
    inside = after_seconds == "inside"
    creating = CREATORS.Process(target=_create_store, args=(database, inside))
    creating.start()
    partial = database.parent / f".mlflow.db.{creating.pid}.partial"
    if inside:
        creating.join()
        assert creating.exitcode == -signal.SIGKILL and partial.exists()
        assert not database.exists()
    else:
        deadline = time.monotonic() + 120
        while not partial.exists() and creating.is_alive():  # wait for the tables to begin
            assert time.monotonic() < deadline, "the store was never begun"
            time.sleep(0.01)
        assert partial.exists(), "the store was created before it could be killed"
    if after_seconds is None:
        creating.join()
        assert creating.exitcode == 0 and database.exists()
    elif isinstance(after_seconds, float):
        time.sleep(after_seconds)
        creating.kill()  # SIGKILL
        creating.join()
    # Either nothing, or the whole store: never a half-migrated one in place.
    if database.exists():
        assert ensure_mlflow_store(database, _artifacts(database)) is None
    settings = Settings.from_env({"OGRINE_HOME": str(tmp_path)})
    prepare(settings)  # the next run carries on by itself
    assert not list(database.parent.glob(".*.partial*"))  # its journal too
    client = MlflowClient(tracking_uri=f"sqlite:///{database}")
    client.create_experiment("works")
    assert client.get_experiment_by_name("works") is not None


def test_a_damaged_store_is_named_with_the_way_out(tmp_path: Path) -> None:
    database = tmp_path / "mlflow.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("CREATE TABLE experiments (id INTEGER)")
        db.execute("CREATE TABLE _alembic_tmp_metrics (id INTEGER)")
    with pytest.raises(StoreDamaged) as raised:
        ensure_mlflow_store(database, _artifacts(database))
    message = str(raised.value)
    assert "left _alembic_tmp_metrics" in message
    assert f"{database} is damaged: rename it {database.name}.damaged and run again" in message


def test_a_damaged_dagster_store_is_named_with_the_way_out(tmp_path: Path) -> None:
    """Dagster would fail every run with "file is not a database", naming no file."""
    settings = Settings.from_env({"OGRINE_HOME": str(tmp_path / "home")})
    prepare(settings)
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        assert instance.get_runs() == []  # Dagster has made its files
    for relative in DAGSTER_DATABASES:
        database = settings.dagster_home / relative
        whole = database.read_bytes()
        database.write_bytes(b"\x13garbage" * 512)  # overwritten, as the user found it
        with pytest.raises(StoreDamaged) as raised:
            prepare(settings)
        assert str(raised.value).startswith(
            f"{database} is damaged: rename it {database.name}.damaged and run again "
            "(Dagster's store: not a readable SQLite database: file is not a database; "
        )
        database.write_bytes(whole)
    # The way out it names works: Dagster starts a new store in its place.
    runs = settings.dagster_home / "history" / "runs.db"
    runs.write_bytes(b"\x13garbage" * 512)
    runs.rename(f"{runs}.damaged")
    prepare(settings)
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        assert instance.get_runs() == []
