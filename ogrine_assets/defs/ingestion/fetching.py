"""raw_rates: every row the configured source answers, kept as it came, with its bytes."""

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.versions import bytes_version, versioned_output
from ogrine_assets.defs.ingestion import GROUP
from ogrine_assets.defs.ingestion.run_archive import RunArchive
from ogrine_assets.defs.ingestion.sources import RatesSource
from ogrine_assets.rates.upstream import UpstreamError, parse_rates


@dg.asset(
    group_name=GROUP,
    kinds={"polars", "python"},
    description="Every Ogrine rate row the source answers, as it came; the exact bytes of "
    "each fetch are kept per run so any training set can be traced to them.",
)
def raw_rates(
    context: dg.AssetExecutionContext,
    rates_source: RatesSource,
    run_archive: RunArchive,
    clock: Clock,
) -> dg.Output[pl.DataFrame]:
    source = rates_source.describe()
    try:
        fetched = rates_source.fetch(clock.today())
    except UpstreamError as exc:
        raise dg.Failure(description=f"Fetch failed; last good data kept. {exc}") from exc
    snapshot, sha256 = run_archive.save_snapshot(context.run.run_id, fetched.body)
    try:
        frame = parse_rates(fetched.body, content_type=fetched.content_type, source=source)
    except UpstreamError as exc:
        raise dg.Failure(
            description=f"Unusable answer; last good data kept. {exc}",
            metadata={"snapshot": dg.MetadataValue.path(str(snapshot))},
        ) from exc
    if frame.is_empty():
        raise dg.Failure(
            description=f"{source} answered an empty list of rates; last good data kept.",
            metadata={"snapshot": dg.MetadataValue.path(str(snapshot))},
        )
    if rates_source.is_synthetic:
        context.log.warning(
            "Rates are SYNTHETIC (embedded default); set OGRINE_API_URL for real data."
        )
    if fetched.attempts > 1:
        context.log.warning(f"The fetch succeeded after {fetched.attempts} attempts.")
    datetimes = frame["datetime"].drop_nulls()
    return versioned_output(
        frame,
        bytes_version(fetched.body),  # the same answer: nothing downstream is stale
        metadata={
            "dagster/row_count": frame.height,
            "source": source,
            "synthetic": rates_source.is_synthetic,
            "fetched_from": fetched.url,
            "fetch_attempts": fetched.attempts,
            "snapshot": dg.MetadataValue.path(str(snapshot)),
            "snapshot_sha256": sha256,
            "snapshot_bytes": len(fetched.body),
            "first_datetime": str(datetimes.min()) if datetimes.len() else "",
            "last_datetime": str(datetimes.max()) if datetimes.len() else "",
        },
    )
