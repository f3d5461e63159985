"""train_set and test_set: a split by time, so that no model is scored on a day it trained on."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.metadata import column_schema, date_range_metadata
from ogrine_assets.defs.common.versions import frame_version, versioned_output
from ogrine_assets.defs.training import GROUP
from ogrine_assets.model.spans import TEST_DAYS
from ogrine_assets.model.splitting import split_by_time


@dg.multi_asset(
    outs={
        "train_set": dg.AssetOut(
            group_name=GROUP,
            kinds={"polars"},
            description=f"Rates before the newest {TEST_DAYS} days: what models learn from.",
            metadata=column_schema(),
        ),
        "test_set": dg.AssetOut(
            group_name=GROUP,
            kinds={"polars"},
            description=f"The newest {TEST_DAYS} days of rates: what models are scored on.",
            metadata=column_schema(),
        ),
    },
)
def train_test_sets(validated_rates: pl.DataFrame) -> Iterator[dg.Output[pl.DataFrame]]:
    train, test = split_by_time(validated_rates, TEST_DAYS)
    yield versioned_output(
        train,
        frame_version(train),
        output_name="train_set",
        metadata=date_range_metadata(train),
    )
    yield versioned_output(
        test,
        frame_version(test),
        output_name="test_set",
        metadata=date_range_metadata(test),
    )
