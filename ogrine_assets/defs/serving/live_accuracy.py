"""forecast_accuracy: how the forecasts published so far fared against what happened."""

import math
from collections.abc import Iterator
from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.metadata import frame_table, meaningful
from ogrine_assets.defs.serving import GROUP
from ogrine_assets.defs.serving.forecast_store import ForecastStore
from ogrine_assets.model.live_accuracy import by_horizon, match_actuals, published_points

DRIFT_FACTOR = 1.5  # live error this many times the backtest's is a drift worth a warning
DRIFT_MIN_FORECASTS = 7


def _mean(values: pl.Series) -> float:
    """The mean of the known values; NaN when there are none."""
    mean = values.mean()
    return float(mean) if isinstance(mean, int | float) else math.nan


DRIFT_CHECK = "forecast_accuracy_drift"


@dg.asset(
    group_name=GROUP,
    kinds={"polars"},
    description="Every forecast published so far, joined with the rates that have arrived "
    "since: the live error per horizon day, next to the backtest's.",
    check_specs=[
        dg.AssetCheckSpec(
            DRIFT_CHECK,
            asset="forecast_accuracy",
            description=f"Warns when the published forecasts' live error is more than "
            f"{DRIFT_FACTOR}x their backtest error: the world has moved away from what the "
            "model learned.",
        )
    ],
)
def forecast_accuracy(
    context: dg.AssetExecutionContext, validated_rates: pl.DataFrame, forecast_store: ForecastStore
) -> Iterator[dg.Output[pl.DataFrame] | dg.AssetCheckResult]:
    documents, problems = forecast_store.published()
    for problem in problems:
        context.log.warning(f"Archived forecast skipped: {problem}")
    matched = match_actuals(published_points(documents), validated_rates)
    summary = by_horizon(matched)
    metadata: dict[str, Any] = {
        "dagster/row_count": matched.height,
        "forecast_origins": matched["origin"].n_unique(),
        "archived_forecasts_skipped": len(problems),
        "by_horizon": frame_table(summary),
    }
    if matched.height:
        metadata["live_mae"] = meaningful(_mean(matched["abs_error"]))
        metadata["backtest_mae"] = meaningful(_mean(matched["backtest_mae"]))
    else:
        context.log.info("No published forecast has reached its days yet.")
    yield dg.Output(matched, metadata=metadata)
    yield drift(matched)


def drift(matched: pl.DataFrame) -> dg.AssetCheckResult:
    """The drift check of the matched forecasts, emitted by the asset that matched them."""
    known = matched.drop_nulls("backtest_mae")
    if known.height < DRIFT_MIN_FORECASTS:
        return dg.AssetCheckResult(
            check_name=DRIFT_CHECK,
            passed=True,
            description=f"{known.height} matched days so far; judged from {DRIFT_MIN_FORECASTS}.",
        )
    live, backtest = _mean(known["abs_error"]), _mean(known["backtest_mae"])
    return dg.AssetCheckResult(
        check_name=DRIFT_CHECK,
        passed=live <= DRIFT_FACTOR * backtest,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "live_mae": meaningful(live),
            "backtest_mae": meaningful(backtest),
            "matched_days": known.height,
        },
    )
