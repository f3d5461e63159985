"""The contract of ``validated_rates``: what every model and forecast may rely on."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

from ogrine_assets.rates.cleaning import MAX_RATE_TENTH, MIN_RATE_TENTH


class ValidatedRates(pa.DataFrameModel):
    """One row per UTC day, ascending, with a plausible rate in tenths of kamas."""

    date: pl.Date = pa.Field(unique=True, nullable=False)
    observed_at: DateTime = pa.Field(
        nullable=False, dtype_kwargs={"time_unit": "us", "time_zone": "UTC"}
    )
    rate_tenth: pl.Int64 = pa.Field(ge=MIN_RATE_TENTH, le=MAX_RATE_TENTH, nullable=False)
    rate: pl.Float64 = pa.Field(gt=0, nullable=False)

    @pa.dataframe_check(error="dates must be strictly ascending")
    def dates_ascending(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("date").diff().dt.total_days().fill_null(1) > 0).alias("ascending")
        )

    @pa.dataframe_check(error="rate must equal rate_tenth / 10")
    def rate_matches_tenth(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            ((pl.col("rate") * 10 - pl.col("rate_tenth")).abs() < 1e-6).alias("consistent")
        )

    @pa.dataframe_check(error="observed_at must fall on its date (UTC)")
    def observed_on_date(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("observed_at").dt.date() == pl.col("date")).alias("ok")
        )

    class Config:
        strict = True
        coerce = False


def validate(frame: pl.DataFrame) -> pl.DataFrame:
    """Validate eagerly and collect every failure (raises ``pandera.errors.SchemaErrors``)."""
    return ValidatedRates.validate(frame, lazy=True)
