"""The columns of validated rates, said once.

The pandera schema that checks a frame (``schema.py``), the types cleaning casts to
(``cleaning.py``) and the column schema the Dagster UI shows all derive from these. Only
polars here, so loading the code location needs no pandera.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

MIN_RATE_TENTH = 100  # 10 kamas: the real series has never been near it
MAX_RATE_TENTH = 100_000  # 10,000 kamas


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    description: str
    unique: bool = False  # never null either: every column of validated rates is required
    ge: float | None = None
    le: float | None = None
    gt: float | None = None

    def rules(self) -> list[str]:
        """The checks on its values, named as pandera names them in its failure cases."""
        bounds = (
            ("greater_than_or_equal_to", self.ge),
            ("less_than_or_equal_to", self.le),
            ("greater_than", self.gt),
        )
        return [f"{name}({value:g})" for name, value in bounds if value is not None]


VALIDATED_COLUMNS = (
    Column("date", pl.Date(), "The UTC day the rate was observed on: one row each.", unique=True),
    Column(
        "observed_at",
        pl.Datetime("us", "UTC"),
        "When the upstream observed it, in UTC (the latest observation of the day).",
    ),
    Column(
        "rate_tenth",
        pl.Int64(),
        "Kamas per ogrine, in tenths: the upstream's exact integer.",
        ge=MIN_RATE_TENTH,
        le=MAX_RATE_TENTH,
    ),
    Column("rate", pl.Float64(), "Kamas per ogrine: rate_tenth / 10.", gt=0),
)
# Rules on the whole frame, by their error messages.
ASCENDING = "dates must be strictly ascending"
RATE_MATCHES_TENTH = "rate must equal rate_tenth / 10"
OBSERVED_ON_DATE = "observed_at must fall on its date (UTC)"
FRAME_RULES = (ASCENDING, RATE_MATCHES_TENTH, OBSERVED_ON_DATE)

VALIDATED_SCHEMA = pl.Schema({column.name: column.dtype for column in VALIDATED_COLUMNS})
