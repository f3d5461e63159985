"""validated_rates and its asset checks: the data every model may trust."""

import datetime as dt

import dagster as dg
import pandera.errors
import polars as pl

from ogrine_assets.defs.metadata import date_range_metadata, markdown_table
from ogrine_assets.defs.resources import Clock
from ogrine_assets.model.features import WINDOW
from ogrine_assets.model.splitting import TEST_DAYS
from ogrine_assets.rates.cleaning import clean_rates, gap_summary
from ogrine_assets.rates.schema import validate

MAX_REJECTED_SHARE = 0.05
MIN_HISTORY_DAYS = TEST_DAYS + 2 * WINDOW  # a test window plus enough to learn from


@dg.asset(
    group_name="ingestion",
    kinds={"polars", "pandera"},
    io_manager_key="polars_parquet_io_manager",
    description="One rate per UTC day, ascending, checked by the pandera ValidatedRates schema.",
)
def validated_rates(
    context: dg.AssetExecutionContext, raw_rates: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    result = clean_rates(raw_rates)
    share = result.rejected_count / max(raw_rates.height, 1)
    if share > MAX_REJECTED_SHARE:
        raise dg.Failure(
            description=f"{result.rejected_count} of {raw_rates.height} rows rejected "
            f"({share:.1%} > {MAX_REJECTED_SHARE:.0%}); refusing to replace the last good data.",
            metadata={"rejected_rows": markdown_table(result.rejected)},
        )
    try:
        validated = validate(result.clean)
    except pandera.errors.SchemaErrors as exc:
        raise dg.Failure(
            description=f"validated_rates breaks its schema; last good data kept: {exc.message}",
            metadata={"failure_cases": markdown_table(exc.failure_cases)},
        ) from exc
    if result.rejected_count:
        context.log.warning(f"{result.rejected_count} rows rejected; see the rejected_rows table.")
    missing_days, longest_gap = gap_summary(validated["date"])
    return dg.Output(
        validated,
        metadata={
            **date_range_metadata(validated),
            "rejected_row_count": result.rejected_count,
            "rejected_rows": markdown_table(result.rejected),
            "same_day_rows_merged": result.duplicates_merged,
            "missing_days": missing_days,
            "longest_gap_days": longest_gap,
        },
    )


@dg.asset_check(
    asset=validated_rates,
    blocking=True,
    description="The stored frame satisfies the ValidatedRates schema (types, ranges, order).",
)
def validated_rates_schema(validated_rates: pl.DataFrame) -> dg.AssetCheckResult:
    try:
        validate(validated_rates)
    except pandera.errors.SchemaErrors as exc:
        return dg.AssetCheckResult(
            passed=False,
            description=exc.message,
            metadata={"failure_cases": markdown_table(exc.failure_cases)},
        )
    return dg.AssetCheckResult(passed=True, metadata={"dagster/row_count": validated_rates.height})


@dg.asset_check(
    asset=validated_rates,
    blocking=True,
    description=f"At least {MIN_HISTORY_DAYS} days of rates: a {TEST_DAYS}-day test window "
    "and enough history before it to learn from.",
)
def validated_rates_history_length(validated_rates: pl.DataFrame) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=validated_rates.height >= MIN_HISTORY_DAYS,
        metadata={"days": validated_rates.height, "required_days": MIN_HISTORY_DAYS},
    )


def build_freshness_check(max_age_days: int) -> dg.AssetChecksDefinition:
    """Warn (without failing the run) when the newest rate is older than ``max_age_days``."""

    @dg.asset_check(
        asset=validated_rates,
        name="validated_rates_freshness",
        description=f"Warns when the newest rate is more than {max_age_days} days old: "
        "a stale upstream shows even when every run is green.",
    )
    def validated_rates_freshness(
        validated_rates: pl.DataFrame, clock: Clock
    ) -> dg.AssetCheckResult:
        newest: dt.date = validated_rates["date"].max()
        age_days = (clock.today() - newest).days
        return dg.AssetCheckResult(
            passed=age_days <= max_age_days,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "newest_date": str(newest),
                "age_days": age_days,
                "max_age_days": max_age_days,
            },
        )

    return validated_rates_freshness
