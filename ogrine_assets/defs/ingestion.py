"""raw_rates: every daily rate the configured source answers, kept as it came."""

import dagster as dg
import polars as pl

from ogrine_assets.defs.resources import RatesSource
from ogrine_assets.rates.upstream import UpstreamError, payload_to_frame


@dg.asset(
    group_name="ingestion",
    kinds={"polars", "python"},
    io_manager_key="polars_parquet_io_manager",
    description="Every daily Ogrine rate the source answers, as it came (the raw snapshot).",
)
def raw_rates(
    context: dg.AssetExecutionContext, rates_source: RatesSource
) -> dg.Output[pl.DataFrame]:
    try:
        payload = rates_source.fetch_payload()
        frame = payload_to_frame(payload)
    except UpstreamError as exc:
        raise dg.Failure(
            description=f"Fetching rates failed, last good data kept: {exc}",
            metadata={"source": rates_source.describe()},
        ) from exc
    if frame.is_empty():
        raise dg.Failure(
            description=f"{rates_source.describe()} answered no rates; nothing to train on."
        )
    if rates_source.is_synthetic:
        context.log.warning(
            "Rates are SYNTHETIC (embedded default); set OGRINE_API_URL for real data."
        )
    datetimes = frame["datetime"].drop_nulls()
    return dg.Output(
        frame,
        metadata={
            "dagster/row_count": frame.height,
            "source": rates_source.describe(),
            "synthetic": rates_source.is_synthetic,
            "first_datetime": datetimes.min() if datetimes.len() else "",
            "last_datetime": datetimes.max() if datetimes.len() else "",
            "upstream_count": payload.get("count", frame.height),
        },
    )
