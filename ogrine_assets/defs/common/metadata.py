"""Small helpers that turn frames, mappings and schemas into Dagster metadata values."""

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.names import LAST_DATE_METADATA
from ogrine_assets.rates.columns import FRAME_RULES, VALIDATED_COLUMNS, Column


def table(
    rows: Sequence[Mapping[str, Any]], limit: int = 20, *, as_is: Collection[str] = ()
) -> dg.MetadataValue:
    """Dagster's table of the first ``limit`` rows (plain mappings of one shape): dates and
    other values as text, floats to meaningful digits, except in the columns ``as_is``:
    data kept at its own precision (a published rate's tenth), not a score."""
    shown = [
        {key: value if key in as_is else _cell(value) for key, value in row.items()}
        for row in list(rows)[:limit]
    ]
    columns = list(shown[0]) if shown else []
    return dg.MetadataValue.table(
        records=[dg.TableRecord(row) for row in shown],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn(name, _type(next((r[name] for r in shown), None)))
                for name in columns
            ]
        ),
    )


def frame_table(
    frame: pl.DataFrame, limit: int = 20, *, as_is: Collection[str] = ()
) -> dg.MetadataValue:
    """Dagster's table of a frame's first ``limit`` rows (``as_is``: as in :func:`table`)."""
    return table(frame.head(limit).to_dicts(), limit, as_is=as_is)


def pairs_table(
    pairs: Mapping[str, Any], headers: Sequence[str] = ("name", "value")
) -> dg.MetadataValue:
    """A two-column table of ``pairs``, one row each."""
    key, value = headers
    return table([{key: k, value: v} for k, v in pairs.items()], limit=len(pairs))


def _cell(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return meaningful(value)
    return str(value)


def _type(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float"}.get(type(value), "string")


MEANINGFUL_DIGITS = 4  # a rate's error of 15.41 kamas, a coverage of 0.8123, a ratio of 1.017


def meaningful(value: float, digits: int = MEANINGFUL_DIGITS) -> float:
    """``value`` to ``digits`` significant digits: what a reader of a score can use."""
    return float(f"{value:.{digits}g}")


def rounded(scores: Mapping[str, float]) -> dict[str, float]:
    """Every score to meaningful digits."""
    return {name: meaningful(float(value)) for name, value in scores.items()}


def date_range_metadata(frame: pl.DataFrame) -> dict[str, Any]:
    if frame.is_empty():
        return {"dagster/row_count": 0}
    return {
        "dagster/row_count": frame.height,
        "first_date": str(frame["date"].min()),
        LAST_DATE_METADATA: str(frame["date"].max()),
    }


def column_schema(
    columns: Sequence[Column] = VALIDATED_COLUMNS, rules: Sequence[str] = FRAME_RULES
) -> dict[str, dg.TableSchema]:
    """``dagster/column_schema`` of a frame of validated rates: its columns, types, rules.

    Derived from ``rates/columns.py``, as the pandera schema that checks the frames is, so
    the UI's schema tab cannot disagree with what validation enforces.
    """
    table = dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=str(column.dtype),
                description=column.description,
                constraints=dg.TableColumnConstraints(
                    nullable=False, unique=column.unique, other=column.rules()
                ),
            )
            for column in columns
        ],
        constraints=dg.TableConstraints(other=list(rules)),
    )
    return {"dagster/column_schema": table}
