"""Turn the raw upstream rows into one trustworthy row per UTC day.

The policy (what is repaired, what is rejected and why) is written for operators in
``docs/data.md``; the rules themselves are :func:`_rejection_reason` and :func:`clean_rates`.

Every input row ends up in exactly one place: kept, merged into a kept row of the same
day, or rejected; :class:`CleaningResult` counts each. Rows that contradict each other (one
instant, different rates) are rejected together: no rule can say which one is true, and
the order of an answer is not evidence. So are the days the series itself contradicts
(``outliers.py``): an isolated spike, a jump on the newest day no later day confirms yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from ogrine_assets.rates.columns import MAX_RATE_TENTH, MIN_RATE_TENTH, VALIDATED_SCHEMA

RATE_TOLERANCE_TENTHS = 0.5  # `rate` is rateTenth / 10, printed; allow its rounding only
CONFLICT = "conflicting rates for the same instant"


@dataclass(frozen=True)
class CleaningResult:
    clean: pl.DataFrame
    rejected: pl.DataFrame  # the raw columns plus "reason"
    same_day_merged: int
    out_of_order: int
    non_midnight: int
    non_utc_offset: int
    # The newest day the answer holds, suspect or not: a day held back for now (outliers.py)
    # still says how far the upstream has come.
    newest_day: dt.date | None = None
    suspect_dates: tuple[dt.date, ...] = ()  # the days ``outliers.py`` quarantined

    @property
    def rejected_count(self) -> int:
        return self.rejected.height

    def reasons(self) -> dict[str, int]:
        counts = self.rejected.group_by("reason").len().sort("len", descending=True)
        return dict(zip(counts["reason"].to_list(), counts["len"].to_list(), strict=True))


def _rejection_reason(today: dt.date | None) -> pl.Expr:
    tenth, rate = pl.col("rateTenth"), pl.col("rate")
    rules = (
        pl.when(pl.col("raw_row").is_not_null() & pl.col("raw_row").str.starts_with("{").not_())
        .then(pl.lit("row is not an object"))
        .when(pl.col("observed_at").is_null())
        .then(pl.lit("datetime missing or not ISO 8601 with an offset"))
        .when(tenth.is_null())
        .then(pl.lit("rateTenth missing or not an integer"))
        .when(tenth <= 0)
        .then(pl.lit("rateTenth not positive"))
        .when(~tenth.is_between(MIN_RATE_TENTH, MAX_RATE_TENTH))
        .then(pl.lit(f"rateTenth outside the plausible range [{MIN_RATE_TENTH}, {MAX_RATE_TENTH}]"))
        .when(rate.is_null() & pl.col("raw_row").str.json_path_match("$.rate").is_not_null())
        .then(pl.lit("rate is not a number"))
        .when(rate.is_not_null() & ((rate * 10 - tenth).abs() > RATE_TOLERANCE_TENTHS))
        .then(pl.lit("rate disagrees with rateTenth / 10"))
    )
    if today is not None:
        rules = rules.when(pl.col("observed_at").dt.date() > today).then(
            pl.lit("date in the future")
        )
    return rules.otherwise(pl.lit(None, dtype=pl.String))


UPSTREAM_FORMAT = "%Y-%m-%dT%H:%M:%S"  # followed by "+00:00": what the server always sends
ISO_WITH_OFFSET = "%Y-%m-%dT%H:%M:%S%.f%#z"


def parse_datetimes(text: pl.Series) -> pl.Series:
    """UTC instants of ISO 8601 strings with an offset; null where a string is not one.

    The upstream's own shape (``…T00:00:00+00:00``) takes a fast path, three times quicker
    than the general parser that handles other offsets, ``Z`` and fractions of a second.
    """
    plain = ((text.str.len_bytes() == 25) & text.str.ends_with("+00:00")).fill_null(False)
    parsed = (
        text.str.slice(0, 19)
        .str.to_datetime(UPSTREAM_FORMAT, time_unit="us", strict=False)
        .dt.replace_time_zone("UTC")
    )
    others = (~plain & text.is_not_null()).arg_true()
    if others.len():
        general = text.gather(others).str.to_datetime(
            ISO_WITH_OFFSET, time_unit="us", time_zone="UTC", strict=False
        )
        parsed = parsed.scatter(others, general)
    return parsed.alias("observed_at")


def clean_rates(raw: pl.DataFrame, today: dt.date | None = None) -> CleaningResult:
    """Split raw rows into clean daily rows (date, observed_at, rate_tenth, rate) and rejects."""
    with_time = raw.with_columns(parse_datetimes(raw["datetime"]))
    flagged = with_time.with_columns(reason=_rejection_reason(today))
    flagged = flagged.with_columns(
        reason=pl.when(
            pl.col("reason").is_null()
            & (pl.col("rateTenth").n_unique().over("observed_at", pl.col("reason").is_null()) > 1)
        )
        .then(pl.lit(CONFLICT))
        .otherwise(pl.col("reason"))
    )
    rejected = flagged.filter(pl.col("reason").is_not_null()).drop("observed_at")
    kept = flagged.filter(pl.col("reason").is_null())

    observed = kept["observed_at"]
    out_of_order = int((observed.diff().dt.total_microseconds() < 0).sum() or 0)
    non_midnight = int((observed.dt.epoch("us") % 86_400_000_000 != 0).sum())
    utc = kept["datetime"].str.ends_with("+00:00") | kept["datetime"].str.ends_with("Z")
    non_utc_offset = int((~utc).sum())

    in_order = kept if out_of_order == 0 else kept.sort("observed_at", "row")
    # The last row of each day wins (the upstream scrapes once a day; a second row is a
    # re-scrape): the next row falls on another day, or there is none.
    days = in_order.with_columns(date=pl.col("observed_at").dt.date())
    daily = days.filter(pl.col("date") != pl.col("date").shift(-1, fill_value=dt.date.max))
    newest_day = daily["date"].max() if daily.height else None
    daily_dates = daily["date"].to_list()
    from ogrine_assets.rates.outliers import suspect_days  # NumPy: for the step

    suspect = suspect_days(daily_dates, daily["rateTenth"].to_list())
    if suspect:
        reasons = pl.Series("reason", [suspect.get(i) for i in range(daily.height)], pl.String)
        daily = daily.with_columns(reasons)
        rejected = pl.concat(
            [rejected, daily.filter(pl.col("reason").is_not_null()).select(rejected.columns)]
        )
        daily = daily.filter(pl.col("reason").is_null())
    clean = daily.select(
        pl.col("date"),
        pl.col("observed_at"),
        pl.col("rateTenth").alias("rate_tenth"),
        (pl.col("rateTenth") / 10).alias("rate"),
    )
    return CleaningResult(
        clean=clean.cast(VALIDATED_SCHEMA),
        rejected=rejected,
        same_day_merged=kept.height - daily.height - len(suspect),
        out_of_order=out_of_order,
        non_midnight=non_midnight,
        non_utc_offset=non_utc_offset,
        newest_day=newest_day if isinstance(newest_day, dt.date) else None,
        suspect_dates=tuple(daily_dates[i] for i in sorted(suspect)),
    )


def gap_summary(dates: pl.Series) -> tuple[int, int]:
    """(number of missing days between consecutive dates, longest run of missing days)."""
    if dates.len() < 2:
        return 0, 0
    missing = dates.sort().diff().dt.total_days().drop_nulls() - 1
    longest = missing.max()
    return int(missing.sum()), longest if isinstance(longest, int) else 0


def date_bounds(dates: pl.Series) -> tuple[dt.date, dt.date]:
    """The first and last day of a column of dates, typed (polars' min/max are not)."""
    first, last = dates.min(), dates.max()
    if not isinstance(first, dt.date) or not isinstance(last, dt.date):
        raise ValueError(f"no dates in column {dates.name!r}")
    return first, last
