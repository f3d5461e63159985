"""validated_rates and its checks: the data every model may trust.

The asset validates once and reports the results as its own blocking checks (the schema,
and the history's length: a short history is stored, it is good data, and only stops
training), so nothing loads the frame again to check it. Freshness stays a separate check
on purpose: it compares the stored data with *now*, so it means something when run again.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.metadata import (
    column_schema,
    date_range_metadata,
    frame_table,
    pairs_table,
)
from ogrine_assets.defs.common.versions import frame_version, versioned_output
from ogrine_assets.defs.ingestion import GROUP
from ogrine_assets.defs.ingestion.run_archive import RunArchive
from ogrine_assets.model.spans import MIN_HISTORY_DAYS, TEST_DAYS
from ogrine_assets.names import LAST_DATE_METADATA, SUSPECT_DAYS_METADATA
from ogrine_assets.rates.cleaning import clean_rates, date_bounds, gap_summary

MAX_REJECTED_SHARE = 0.05
MAX_HISTORY_SHRINK = 0.05  # losing more than this share of the last good days fails the run
MAX_DAYS_SEEN = "max_days_seen"  # metadata: the most days any good validated_rates held

SCHEMA_CHECK = "validated_rates_schema"
HISTORY_CHECK = "validated_rates_history_length"


def _last_good(context: dg.AssetExecutionContext) -> tuple[dt.date | None, int | None]:
    """Newest date of the last good validated_rates, and the most days any good one held.

    Comparing with the most days ever seen, not just the last run's, keeps an upstream that
    loses a little history at every fetch from getting away with it.
    """
    event = context.instance.get_latest_materialization_event(context.asset_key)
    if event is None or event.asset_materialization is None:
        return None, None
    metadata = event.asset_materialization.metadata
    last = metadata.get(LAST_DATE_METADATA)
    rows = metadata.get(MAX_DAYS_SEEN) or metadata.get("dagster/row_count")
    return (
        dt.date.fromisoformat(str(last.value)) if last else None,
        int(str(rows.value)) if rows else None,
    )


def suspect_days_now(instance: dg.DagsterInstance) -> list[str]:
    """The days the latest validated_rates quarantined as suspect (ISO dates): what training
    records it left out, and what promotion holds a version's training days against."""
    event = instance.get_latest_materialization_event(validated_rates.key)
    if event is None or event.asset_materialization is None:
        return []
    listed = event.asset_materialization.metadata.get(SUSPECT_DAYS_METADATA)
    return [day for day in str(listed.value).split(",") if day] if listed else []


def _refuse(message: str, metadata: dict[str, Any]) -> dg.Failure:
    return dg.Failure(
        description=f"{message} The last good validated_rates are kept.", metadata=metadata
    )


@dg.asset(
    group_name=GROUP,
    kinds={"polars", "pandera"},
    description="One rate per UTC day, ascending, cleaned by a written policy and checked by the "
    "pandera ValidatedRates schema; rejected rows are counted, shown and quarantined.",
    metadata=column_schema(),
    check_specs=[
        dg.AssetCheckSpec(
            SCHEMA_CHECK,
            asset="validated_rates",
            blocking=True,
            description="The frame satisfies the ValidatedRates schema (types, ranges, order).",
        ),
        dg.AssetCheckSpec(
            HISTORY_CHECK,
            asset="validated_rates",
            blocking=True,
            description=f"At least {MIN_HISTORY_DAYS} days of rates: a {TEST_DAYS}-day test "
            "window and enough history before it to learn from.",
        ),
    ],
)
def validated_rates(
    context: dg.AssetExecutionContext,
    raw_rates: pl.DataFrame,
    clock: Clock,
    run_archive: RunArchive,
) -> Iterator[dg.Output[pl.DataFrame] | dg.AssetCheckResult]:
    result = clean_rates(raw_rates, today=clock.today())
    report: dict[str, Any] = {
        "raw_row_count": raw_rates.height,
        "rejected_row_count": result.rejected_count,
        "rejected_reasons": pairs_table(result.reasons(), ("reason", "rows")),
        "rejected_rows": frame_table(result.rejected.drop("raw_row", strict=False)),
        "same_day_rows_merged": result.same_day_merged,
        "out_of_order_rows": result.out_of_order,
        "non_midnight_times": result.non_midnight,
        "non_utc_offsets": result.non_utc_offset,
        SUSPECT_DAYS_METADATA: ",".join(str(day) for day in result.suspect_dates),
    }
    if result.rejected_count:
        quarantine = run_archive.save_quarantine(context.run.run_id, result.rejected)
        report["quarantine"] = dg.MetadataValue.path(str(quarantine))
        context.log.warning(f"{result.rejected_count} rows rejected, quarantined in {quarantine}")

    why = ", ".join(f"{reason}: {count}" for reason, count in result.reasons().items())
    if result.clean.is_empty():
        raise _refuse(f"No usable row among {raw_rates.height}: {why}.", report)
    share = result.rejected_count / max(raw_rates.height, 1)
    if share > MAX_REJECTED_SHARE:
        raise _refuse(
            f"{result.rejected_count} of {raw_rates.height} rows rejected "
            f"({share:.1%} > {MAX_REJECTED_SHARE:.0%}): {why}.",
            report,
        )
    import pandera.errors  # heavy: imported by the step that validates, not with the code

    from ogrine_assets.rates.schema import validate

    try:
        validated = validate(result.clean)
    except pandera.errors.SchemaErrors as exc:
        failures = frame_table(exc.failure_cases)
        yield dg.AssetCheckResult(
            check_name=SCHEMA_CHECK,
            passed=False,
            description=exc.message,
            metadata={"failure_cases": failures},
        )
        raise _refuse(
            f"The cleaned rates break their schema: {exc.message}",
            {**report, "failure_cases": failures},
        ) from exc

    last_date, last_rows = _last_good(context)
    if last_date is not None and last_date > clock.today():
        # Only a clock ahead could have accepted a day after today: that snapshot proves
        # nothing about the upstream, so it neither blocks nor sets the bar for this one.
        context.log.warning(
            f"The last good rates run to {last_date}, after today {clock.today()}: a clock "
            "was ahead when they were taken; they no longer count."
        )
        last_date, last_rows = None, None
    newest = date_bounds(validated["date"])[1]
    seen = max(newest, result.newest_day or newest)  # a day held back still came
    if last_date is not None and seen < last_date:
        rejected = " (rows after it were rejected)" if result.rejected_count else ""
        raise _refuse(
            f"The newest usable rate is {seen}, older than the last good {last_date}{rejected}.",
            report,
        )
    if last_rows is not None and validated.height < last_rows * (1 - MAX_HISTORY_SHRINK):
        raise _refuse(
            f"{validated.height} days, down from {last_rows}: the upstream lost history.",
            report,
        )
    new_days = (newest - last_date).days if last_date is not None else validated.height
    if new_days == 0:
        context.log.warning(f"No day newer than {last_date} since the last good snapshot.")

    missing_days, longest_gap = gap_summary(validated["date"])
    yield versioned_output(
        validated,
        frame_version(validated),
        metadata={
            **date_range_metadata(validated),
            **report,
            "new_days": new_days,
            MAX_DAYS_SEEN: max(validated.height, last_rows or 0),
            "missing_days": missing_days,
            "longest_gap_days": longest_gap,
        },
    )
    yield dg.AssetCheckResult(
        check_name=SCHEMA_CHECK, passed=True, metadata={"dagster/row_count": validated.height}
    )
    enough = validated.height >= MIN_HISTORY_DAYS
    history = f"{validated.height} days of history; {MIN_HISTORY_DAYS} needed to train"
    yield dg.AssetCheckResult(
        check_name=HISTORY_CHECK,
        passed=enough,
        description=None if enough else history,
        metadata={"days": validated.height, "required_days": MIN_HISTORY_DAYS},
    )
    if not enough:  # the step says why in words, not as "1 blocking asset check failed"
        raise dg.Failure(
            description=f"{history}. The rates are stored; nothing is trained on them yet."
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
        newest = date_bounds(validated_rates["date"])[1]
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
