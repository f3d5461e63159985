"""The ingestion domain's assets, checks and resources."""

import dagster as dg

from ogrine_assets.defs.ingestion.fetching import raw_rates
from ogrine_assets.defs.ingestion.run_archive import RunArchive
from ogrine_assets.defs.ingestion.sources import RatesSource
from ogrine_assets.defs.ingestion.validation import (
    build_freshness_check,
    validated_rates,
)
from ogrine_assets.settings import Settings


def definitions(settings: Settings, rates_source: RatesSource) -> dg.Definitions:
    # The UI says which source feeds raw_rates (SYNTHETIC, loudly) before any run.
    described = raw_rates.map_asset_specs(
        lambda spec: spec.merge_attributes(metadata={"source": rates_source.describe()})
    )
    return dg.Definitions(
        assets=[described, validated_rates],
        asset_checks=[build_freshness_check(settings.freshness_max_age_days)],
        resources={
            "rates_source": rates_source,
            "run_archive": RunArchive(base_dir=str(settings.archive_dir)),
        },
    )
