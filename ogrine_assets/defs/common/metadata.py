"""Small helpers that turn frames, mappings and schemas into Dagster metadata values."""

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.rates.columns import FRAME_RULES, VALIDATED_COLUMNS, Column


def markdown_table(frame: pl.DataFrame, limit: int = 20) -> dg.MetadataValue:
    """A Markdown table of the first ``limit`` rows, noting how many were left out."""
    if frame.is_empty():
        return dg.MetadataValue.md("_none_")
    shown = frame.head(limit)
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    rows = [
        "| " + " | ".join("" if v is None else str(v) for v in row) + " |"
        for row in shown.iter_rows()
    ]
    more = [f"\n_… and {frame.height - limit} more rows_"] if frame.height > limit else []
    return dg.MetadataValue.md("\n".join([header, rule, *rows, *more]))


def key_value_table(
    pairs: Mapping[str, Any], headers: Sequence[str] = ("name", "value")
) -> dg.MetadataValue:
    lines = [f"| {headers[0]} | {headers[1]} |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in pairs.items()]
    return dg.MetadataValue.md("\n".join(lines))


def date_range_metadata(frame: pl.DataFrame) -> dict[str, Any]:
    if frame.is_empty():
        return {"dagster/row_count": 0}
    return {
        "dagster/row_count": frame.height,
        "first_date": str(frame["date"].min()),
        "last_date": str(frame["date"].max()),
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
