"""Live accuracy: every published forecast against the rates that arrived since.

A backtest says how the procedure would have done; this says how the forecasts people
actually read did. Both are kept side by side so a drift shows.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from ogrine_assets.forecast_document import ForecastDocument, Quality

PUBLISHED_SCHEMA = {
    "generated_at": pl.Datetime("us", "UTC"),
    "model_version": pl.String(),
    "origin": pl.Date(),
    "date": pl.Date(),
    "horizon_days": pl.Int64(),
    "predicted": pl.Float64(),
    "lower_80": pl.Float64(),
    "upper_80": pl.Float64(),
    "lower_95": pl.Float64(),
    "upper_95": pl.Float64(),
    "backtest_mae": pl.Float64(),
}


def published_points(documents: Iterable[ForecastDocument]) -> pl.DataFrame:
    """One row per forecast day of every document; the newest document wins for an origin."""
    rows = []
    for document in documents:
        for point in document.forecast:
            step = point.horizon_days
            band80 = point.interval_80 or (None, None)
            band95 = point.interval_95 or (None, None)
            rows.append(
                (
                    document.generated_at,
                    document.model.version,
                    document.data.last_observed_date,
                    point.date,
                    step,
                    point.prediction_rate,
                    *band80,
                    *band95,
                    _backtest_mae(document.quality, step),
                )
            )
    frame = pl.DataFrame(rows, schema=PUBLISHED_SCHEMA, orient="row")
    return frame.sort("generated_at").unique(["origin", "date"], keep="last").sort("origin", "date")


def _backtest_mae(quality: Quality | None, step: int) -> float | None:
    """The backtest's error at the same horizon day (its overall one for older documents)."""
    if quality is None:
        return None
    by_step = quality.backtest_mae_by_horizon or []
    return by_step[step - 1] if len(by_step) >= step else quality.backtest_mae


def match_actuals(published: pl.DataFrame, actuals: pl.DataFrame) -> pl.DataFrame:
    """Published days whose actual rate is now known, with their errors."""
    return (
        published.join(
            actuals.select("date", pl.col("rate").alias("actual")), on="date", how="inner"
        )
        .with_columns(error=pl.col("actual") - pl.col("predicted"))
        .with_columns(
            abs_error=pl.col("error").abs(),
            in_80=pl.col("actual").is_between(pl.col("lower_80"), pl.col("upper_80")),
            in_95=pl.col("actual").is_between(pl.col("lower_95"), pl.col("upper_95")),
        )
        .sort("origin", "date")
    )


def by_horizon(matched: pl.DataFrame) -> pl.DataFrame:
    """Live MAE and band coverage per horizon day, next to the backtest's MAE."""
    return (
        matched.group_by("horizon_days")
        .agg(
            pl.len().alias("forecasts"),
            pl.col("abs_error").mean().alias("live_mae"),
            pl.col("backtest_mae").mean().alias("backtest_mae"),
            pl.col("in_80").mean().alias("coverage_80"),
            pl.col("in_95").mean().alias("coverage_95"),
        )
        .sort("horizon_days")
    )
