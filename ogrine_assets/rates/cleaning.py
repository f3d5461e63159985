"""Turn the raw upstream rows into one trustworthy row per UTC day.

Policy (also in the README): rows whose ``datetime`` does not parse, whose ``rateTenth``
is missing or of the wrong type, or whose value is outside the plausible range are
*rejected* and returned with a reason, never dropped silently. Unsorted rows and several
rows on one UTC day are *repaired*: rows are ordered by time and the last observation of
a day wins (the upstream scrapes once a day; a second row is a re-scrape). ``rateTenth`` is
the truth; ``rate`` is recomputed from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

MIN_RATE_TENTH = 100  # 10 kamas: the real series has never been near it
MAX_RATE_TENTH = 100_000  # 10,000 kamas

REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "datetime": pl.String(),
    "rateTenth": pl.Int64(),
    "rate": pl.Float64(),
    "reason": pl.String(),
}


@dataclass(frozen=True)
class CleaningResult:
    clean: pl.DataFrame
    rejected: pl.DataFrame
    duplicates_merged: int

    @property
    def rejected_count(self) -> int:
        return self.rejected.height


def clean_rates(raw: pl.DataFrame) -> CleaningResult:
    """Split raw rows into clean daily rows (date, observed_at, rate_tenth, rate) and rejects."""
    parsed = raw.with_columns(
        observed_at=pl.col("datetime").str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%:z", time_zone="UTC", strict=False
        )
    )
    reason = (
        pl.when(pl.col("observed_at").is_null())
        .then(pl.lit("datetime missing or not ISO 8601 with an offset"))
        .when(pl.col("rateTenth").is_null())
        .then(pl.lit("rateTenth missing or not an integer"))
        .when(~pl.col("rateTenth").is_between(MIN_RATE_TENTH, MAX_RATE_TENTH))
        .then(pl.lit(f"rateTenth outside [{MIN_RATE_TENTH}, {MAX_RATE_TENTH}]"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    flagged = parsed.with_columns(reason=reason)
    rejected = flagged.filter(pl.col("reason").is_not_null()).select(list(REJECTED_SCHEMA))
    kept = flagged.filter(pl.col("reason").is_null())
    daily = (
        kept.sort("observed_at", "id", nulls_last=True)
        .with_columns(date=pl.col("observed_at").dt.date())
        .group_by("date", maintain_order=True)
        .last()
        .sort("date")
        .select(
            pl.col("date"),
            pl.col("observed_at"),
            pl.col("rateTenth").alias("rate_tenth"),
            (pl.col("rateTenth") / 10).alias("rate"),
        )
    )
    return CleaningResult(
        clean=daily, rejected=rejected, duplicates_merged=kept.height - daily.height
    )


def gap_summary(dates: pl.Series) -> tuple[int, int]:
    """(number of missing days between consecutive dates, longest run of missing days)."""
    if dates.len() < 2:
        return 0, 0
    missing = dates.sort().diff().dt.total_days().drop_nulls() - 1
    return int(missing.sum()), int(missing.max() or 0)
