"""The packaged script of a new MLflow store's tables is what MLflow's migrations make."""

import contextlib
import re
import sqlite3
from pathlib import Path

import mlflow
import pytest

from ogrine_assets import mlflow_tables
from ogrine_assets.home import ensure_mlflow_store
from ogrine_assets.mlflow_tables import HEADER, dump, migrated, tables_script


def test_the_script_is_what_mlflow_db_upgrade_makes_with_the_installed_mlflow(
    tmp_path: Path,
) -> None:
    """Fails when the MLflow pin moves: ``python -m ogrine_assets.mlflow_tables`` remakes it."""
    script = tables_script(mlflow.__version__)
    assert script is not None, f"the script was made for another MLflow: {HEADER!r}"
    database = tmp_path / "mlflow.db"
    migrated(database)
    assert script == HEADER.format(version=mlflow.__version__) + dump(database)
    assert tables_script("0.0.0") is None


# The default experiment's row holds the instant it was made.
MADE_AT = {"experiments": {"creation_time", "last_update_time"}}


def _schema(database: Path) -> dict[str, tuple[object, ...]]:
    """Every table's columns, indexes, foreign keys and rows, as SQLite reports them (the
    columns of MADE_AT as None), and the words and signs of its definition, in any order
    (for what SQLite does not report: its checks)."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
        described = {}
        for table, definition in db.execute(query).fetchall():
            columns = db.execute(f'PRAGMA table_info("{table}")').fetchall()
            indexes = sorted(row[1:] for row in db.execute(f'PRAGMA index_list("{table}")'))
            blank = [column[1] in MADE_AT.get(table, set()) for column in columns]
            rows = [
                tuple(None if b else value for b, value in zip(blank, row, strict=True))
                for row in db.execute(f'SELECT * FROM "{table}"')
            ]
            described[table] = (
                columns,
                [(index, db.execute(f'PRAGMA index_info("{index[0]}")').fetchall())
                 for index in indexes],
                _foreign_keys(db, table),
                sorted(rows, key=repr),
                sorted(re.findall(r"\w+|[^\w\s]", definition)),
            )  # fmt: skip
        return described


def _foreign_keys(db: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    """The table's foreign keys, each its columns in order, whatever number SQLite gave it
    (the order of the constraints in the table's definition)."""
    keys: dict[int, list[tuple[object, ...]]] = {}
    for key, _, *described in db.execute(f'PRAGMA foreign_key_list("{table}")'):
        keys.setdefault(key, []).append(tuple(described))
    return sorted((tuple(columns) for columns in keys.values()), key=repr)


def test_a_store_made_from_the_script_is_the_one_mlflow_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted, by_migrations = tmp_path / "a" / "mlflow.db", tmp_path / "b" / "mlflow.db"
    artifacts = (tmp_path / "artifacts").as_uri()
    ensure_mlflow_store(scripted, artifacts)
    monkeypatch.setattr(mlflow_tables, "tables_script", lambda version: None)
    ensure_mlflow_store(by_migrations, artifacts)  # as under another MLflow: every migration
    made, expected = _schema(scripted), _schema(by_migrations)
    assert len(expected) > 50 and expected["experiments"][3] == [
        (0, "Default", f"{artifacts}/0", "active", None, None, "default")
    ]
    assert made == expected
