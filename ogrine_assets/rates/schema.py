"""The contract of ``validated_rates``, as pandera checks it: what every model may rely on.

Built from ``columns.py``, where the columns are said once. pandera is heavy to import: only
what validates a frame imports this module.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from ogrine_assets.rates.columns import (
    ASCENDING,
    OBSERVED_ON_DATE,
    RATE_MATCHES_TENTH,
    VALIDATED_COLUMNS,
    Column,
)


def _checks(column: Column) -> list[pa.Check]:
    checks = []
    if column.ge is not None:
        checks.append(pa.Check.ge(column.ge))
    if column.le is not None:
        checks.append(pa.Check.le(column.le))
    if column.gt is not None:
        checks.append(pa.Check.gt(column.gt))
    return checks


def _ascending(data: pa.PolarsData) -> pl.LazyFrame:
    return data.lazyframe.select(pl.col("date").diff().dt.total_days().fill_null(1) > 0)


def _rate_matches_tenth(data: pa.PolarsData) -> pl.LazyFrame:
    return data.lazyframe.select((pl.col("rate") * 10 - pl.col("rate_tenth")).abs() < 1e-6)


def _observed_on_date(data: pa.PolarsData) -> pl.LazyFrame:
    return data.lazyframe.select(pl.col("observed_at").dt.date() == pl.col("date"))


ValidatedRates = pa.DataFrameSchema(
    {
        column.name: pa.Column(
            column.dtype,
            checks=_checks(column),
            nullable=False,
            unique=column.unique,
            description=column.description,
        )
        for column in VALIDATED_COLUMNS
    },
    checks=[
        pa.Check(_ascending, error=ASCENDING),
        pa.Check(_rate_matches_tenth, error=RATE_MATCHES_TENTH),
        pa.Check(_observed_on_date, error=OBSERVED_ON_DATE),
    ],
    name="ValidatedRates",
    description="One row per UTC day, ascending, with a plausible rate in tenths of kamas.",
    strict=True,
    coerce=False,
)


def validate(frame: pl.DataFrame) -> pl.DataFrame:
    """Validate eagerly and collect every failure (raises ``pandera.errors.SchemaErrors``)."""
    return ValidatedRates.validate(frame, lazy=True)
