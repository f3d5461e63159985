"""A new MLflow store's tables from one SQL script instead of MLflow's ~60 migrations.

MLflow makes a new SQLite store by creating its first schema and migrating it through every
release since: ~0.9 s of CPU for each new home, most of what a cold ``ogrine materialize``
pays over a warm one. For one MLflow version the outcome never changes, so
``mlflow_tables.sql`` keeps it: the tables and rows of a database that MLflow's own
``mlflow db upgrade`` made, dumped by ``python -m ogrine_assets.mlflow_tables`` for the
installed MLflow. Its first line names that version; under any other version the script
is not used and MLflow migrates as before (regenerate it when the pin moves: the tests
fail until then). Either way MLflow's store then checks the revision itself and adds its
default experiment (``home.ensure_mlflow_store``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).with_suffix(".sql")
HEADER = "-- The tables `mlflow db upgrade` makes in a new SQLite database, MLflow {version}\n"
_LATER = ("CREATE INDEX", "CREATE UNIQUE INDEX", "CREATE TRIGGER", "CREATE VIEW")
_CONSTRAINTS = (
    "CONSTRAINT ",
    "CHECK ",
    "CHECK(",
    "FOREIGN KEY",
    "PRIMARY KEY",
    "UNIQUE ",
    "UNIQUE(",
)


def tables_script(mlflow_version: str) -> str | None:
    """The script for this MLflow version, or None: another version migrates instead."""
    script = SCRIPT.read_text()
    return script if script.startswith(HEADER.format(version=mlflow_version)) else None


def dump(database: Path) -> str:
    """``database``'s tables and rows as one script that does not depend on the order the
    migrations happened to make things in (they rebuild tables from sets): the tables, by
    name as SQLite dumps them, each with its columns in order and then its constraints
    sorted, and its rows; then the indexes and triggers, sorted."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        statements = list(db.iterdump())
    tables = [_canonical(s) for s in statements if not s.startswith(_LATER)]
    later = sorted(s for s in statements if s.startswith(_LATER))
    if tables[0] != "BEGIN TRANSACTION;" or tables[-1] != "COMMIT;":
        raise ValueError(f"not a dump SQLite would make: {tables[0]!r} ... {tables[-1]!r}")
    return "\n".join([*tables[:-1], *later, "COMMIT;"]) + "\n"


def _canonical(statement: str) -> str:
    if not statement.startswith("CREATE TABLE "):
        return statement
    head, _, body = statement.partition("(")
    body, tail = body[: body.rindex(")")], body[body.rindex(")") + 1 :]
    if tail.strip() != ";":  # WITHOUT ROWID, STRICT: a form this does not rewrite
        raise ValueError(f"a table definition ending in {tail.strip()!r}: {head}")
    items = [item.strip() for item in _top_level_items(body)]
    columns = [item for item in items if not item.startswith(_CONSTRAINTS)]
    constraints = sorted(item for item in items if item.startswith(_CONSTRAINTS))
    return f"{head.rstrip()} (\n\t" + ",\n\t".join(columns + constraints) + "\n);"


def _top_level_items(body: str) -> list[str]:
    """``body`` split at the commas outside parentheses and quotes."""
    items, depth, quote, start = [], 0, "", 0
    for at, char in enumerate(body):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(body[start:at])
            start = at + 1
    return [*items, body[start:]]


def migrated(database: Path) -> None:
    """Make ``database``'s tables as MLflow's ``mlflow db upgrade`` does: every migration."""
    from mlflow.cli import cli

    cli.main(["db", "upgrade", f"sqlite:///{database}"], standalone_mode=False)


def main() -> None:
    import mlflow

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "mlflow.db"
        migrated(database)
        SCRIPT.write_text(HEADER.format(version=mlflow.__version__) + dump(database))
    print(f"wrote {SCRIPT} for MLflow {mlflow.__version__}")


if __name__ == "__main__":
    main()
