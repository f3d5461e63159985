"""forecast_accuracy and forecast: how published forecasts fared, and the next 7 days."""

import math
from typing import Any

import dagster as dg
import polars as pl

from ogrine_assets.defs.metadata import markdown_table
from ogrine_assets.defs.promotion import champion_model
from ogrine_assets.defs.resources import (
    Clock,
    ForecastStore,
    ModelRegistry,
    RatesSource,
    RegisteredVersion,
    RunArchive,
)
from ogrine_assets.defs.training import INTERVALS_ARTIFACT
from ogrine_assets.model.accuracy import by_horizon, match_actuals, published_points
from ogrine_assets.model.features import series_from_frame
from ogrine_assets.model.forecasting import HORIZON, next_days
from ogrine_assets.publication import build_forecast_document, encode

DRIFT_FACTOR = 1.5  # live error this many times the backtest's is a drift worth a warning
DRIFT_MIN_FORECASTS = 7


@dg.asset(
    group_name="serving",
    kinds={"polars"},
    io_manager_key="polars_parquet_io_manager",
    description="Every forecast published so far, joined with the rates that have arrived "
    "since: the live error per horizon day, next to the backtest's.",
)
def forecast_accuracy(
    context: dg.AssetExecutionContext, validated_rates: pl.DataFrame, run_archive: RunArchive
) -> dg.Output[pl.DataFrame]:
    documents, problems = run_archive.published_forecasts()
    for problem in problems:
        context.log.warning(f"Archived forecast skipped: {problem}")
    matched = match_actuals(published_points(documents), validated_rates)
    summary = by_horizon(matched)
    metadata: dict[str, Any] = {
        "dagster/row_count": matched.height,
        "forecast_origins": matched["origin"].n_unique(),
        "archived_forecasts_skipped": len(problems),
        "by_horizon": markdown_table(summary.with_columns(pl.col(pl.Float64).round(3))),
    }
    if matched.height:
        metadata["live_mae"] = float(matched["abs_error"].mean())
        metadata["backtest_mae"] = float(matched["backtest_mae"].mean() or math.nan)
    else:
        context.log.info("No published forecast has reached its days yet.")
    return dg.Output(matched, metadata=metadata)


@dg.asset_check(
    asset=forecast_accuracy,
    description=f"Warns when the published forecasts' live error is more than {DRIFT_FACTOR}x "
    "their backtest error: the world has moved away from what the model learned.",
)
def forecast_accuracy_drift(forecast_accuracy: pl.DataFrame) -> dg.AssetCheckResult:
    known = forecast_accuracy.drop_nulls("backtest_mae")
    if known.height < DRIFT_MIN_FORECASTS:
        return dg.AssetCheckResult(
            passed=True,
            description=f"{known.height} matched days so far; judged from {DRIFT_MIN_FORECASTS}.",
        )
    live, backtest = float(known["abs_error"].mean()), float(known["backtest_mae"].mean())
    return dg.AssetCheckResult(
        passed=live <= DRIFT_FACTOR * backtest,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"live_mae": live, "backtest_mae": backtest, "matched_days": known.height},
    )


def _quality(
    model_registry: ModelRegistry, champion: RegisteredVersion
) -> tuple[dict[str, Any] | None, dict[str, tuple[list[float], list[float]]] | None]:
    """The champion's backtest scores and interval bands, when it was trained with them."""
    record = model_registry.load_run_json(champion.run_id, INTERVALS_ARTIFACT)
    tags = champion.tags
    if record is None or "backtest_mae" not in tags:
        return None, None
    model_mae, naive_mae = float(tags["backtest_mae"]), float(tags["backtest_naive_mae"])
    quality = {
        "backtest_origins": int(tags.get("backtest_origins", record["origins"])),
        "backtest_mae": model_mae,
        "naive_mae": naive_mae,
        "seasonal_naive_mae": float(tags["backtest_seasonal_naive_mae"]),
        "beats_naive": model_mae < naive_mae,
        "backtest_mae_by_horizon": record.get("mae_by_horizon"),
        "interval_coverage": {
            f"{float(level) * 100:g}": value for level, value in record["held_out_coverage"].items()
        },
    }
    bands = {
        f"{float(level) * 100:g}": (band["lower"], band["upper"])
        for level, band in record["bands"].items()
    }
    return quality, bands


@dg.asset(
    group_name="serving",
    kinds={"mlflow", "json"},
    deps=[champion_model],
    description=f"The champion's forecast for the {HORIZON} days after the last observed rate, "
    "with 80% and 95% bands and its quality record, published atomically as the JSON document "
    "the HTTP service serves.",
)
def forecast(
    context: dg.AssetExecutionContext,
    validated_rates: pl.DataFrame,
    forecast_accuracy: pl.DataFrame,
    model_registry: ModelRegistry,
    forecast_store: ForecastStore,
    run_archive: RunArchive,
    clock: Clock,
    rates_source: RatesSource,
) -> dg.MaterializeResult:
    champion = model_registry.champion()
    if champion is None:
        raise dg.Failure(
            f"No '{model_registry.champion_alias}' alias on {model_registry.model_name} yet: "
            "materialize ogrine_model and champion_model first."
        )
    # Resolve the alias once, then load that exact version, so the document cannot name
    # one version while another made its numbers.
    predict = model_registry.load_predictor(champion.version)
    predictions = next_days(predict, series_from_frame(validated_rates), HORIZON)
    bad = [rate for _, rate in predictions if not math.isfinite(rate) or rate <= 0]
    if bad:
        raise dg.Failure(
            f"Champion v{champion.version} predicted unusable rates {bad}; forecast kept."
        )
    quality, bands = _quality(model_registry, champion)
    if quality and not quality["beats_naive"]:
        context.log.warning(
            f"Champion v{champion.version} does not beat the naive forecast "
            f"(backtest MAE {quality['backtest_mae']:.2f} >= {quality['naive_mae']:.2f}); "
            "the document says so."
        )
    live = by_horizon(forecast_accuracy).with_columns(pl.col(pl.Float64).round(3)).to_dicts()

    document = build_forecast_document(
        model={
            "name": model_registry.model_name,
            "version": champion.version,
            "run_id": champion.run_id,
            "alias": model_registry.champion_alias,
        },
        generated_at=clock.now(),
        dagster_run_id=context.run.run_id,
        data_source=rates_source.describe(),
        synthetic=rates_source.is_synthetic,
        history=list(
            zip(
                validated_rates["date"].to_list(),
                validated_rates["rate_tenth"].to_list(),
                strict=True,
            )
        ),
        predictions=predictions,
        bands=bands,
        quality=quality,
        live_accuracy=live,
    )
    content = encode(document)
    path = forecast_store.publish(content)
    run_archive.save_forecast(context.run.run_id, document["data"]["last_observed_date"], content)
    context.log.info(f"Forecast by model v{champion.version} published to {path}")
    columns = [
        c
        for c in ("date", "prediction_rate", "interval_80", "interval_95")
        if c in document["forecast"][0]
    ]
    points = pl.DataFrame(document["forecast"]).select(columns)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "model_version": champion.version,
            "mlflow_model_version": dg.MetadataValue.url(
                model_registry.version_url(champion.version)
            ),
            "last_observed_date": document["data"]["last_observed_date"],
            "first_forecast_date": document["forecast"][0]["date"],
            "generated_at": document["generated_at"],
            "synthetic": rates_source.is_synthetic,
            "beats_naive": bool(quality["beats_naive"]) if quality else "unknown",
            "forecast": markdown_table(points),
        }
    )
