"""forecast: the champion's next 7 days, published as the document the service serves."""

import datetime as dt
from typing import TYPE_CHECKING

import dagster as dg
import msgspec
import polars as pl

from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.common.metadata import frame_table
from ogrine_assets.defs.common.mlflow_store import ModelUnavailable
from ogrine_assets.defs.common.model_registry import ModelRegistry, RegisteredVersion
from ogrine_assets.defs.common.training_log import TrainingLog
from ogrine_assets.defs.ingestion.sources import RatesSource
from ogrine_assets.defs.serving import GROUP
from ogrine_assets.defs.serving.forecast_store import ForecastStore
from ogrine_assets.defs.serving.promotion import champion_model
from ogrine_assets.forecast_document import (
    LiveAccuracy,
    ModelInfo,
    Quality,
    build_forecast_document,
)
from ogrine_assets.model.live_accuracy import by_horizon
from ogrine_assets.model.promotion import standing_champion
from ogrine_assets.model.quality import BacktestSummary, document_quality
from ogrine_assets.model.spans import HORIZON
from ogrine_assets.names import (
    FIRST_DAY_METADATA,
    LAST_DAY_METADATA,
    MODEL_VERSION_METADATA,
    PATH_METADATA,
)

# What models is imported by the step, not when the code location loads (NumPy, pandas).
if TYPE_CHECKING:
    from ogrine_assets.model.features import DailySeries
    from ogrine_assets.model.forecasting import Predictor

# The daily schedule refreshes the forecast at 02:00 UTC. A day and two hours without a new
# one means a refresh was missed (a failing run, a stopped schedule); two days, that the
# loop has stopped: the UI shows the asset as stale, then failing.
FRESHNESS = dg.FreshnessPolicy.time_window(
    warn_window=dt.timedelta(hours=26), fail_window=dt.timedelta(hours=50)
)


def _loadable_champion(
    context: dg.AssetExecutionContext, registry: ModelRegistry
) -> tuple[RegisteredVersion, "Predictor"]:
    """The standing champion and its predictor. A champion that cannot be loaded is recorded
    as broken, and the one promoted before it stands in, so the loop never wedges on it."""
    while True:
        standing = standing_champion(registry.decisions())
        if standing is None:
            raise dg.Failure(
                f"No champion to forecast with: no version of {registry.model_name} is "
                "promoted and loadable yet. Materialize ogrine_model and champion_model."
            )
        try:
            return registry.version(standing), registry.load_predictor(standing)
        except ModelUnavailable as exc:
            registry.mark_broken(standing, str(exc))
            context.log.warning(f"Champion v{standing} is broken: {exc}")


def _quality(
    training_log: TrainingLog, champion: RegisteredVersion, series: "DailySeries"
) -> tuple[Quality | None, dict[int, tuple[list[float], list[float]]]]:
    """The champion's backtest scores and interval bands (for a forecast from the last day
    of ``series``), when it was trained with them."""
    summary = BacktestSummary.from_tags(champion.tags)
    record = training_log.interval_record(champion.run_id)
    if summary is None or record is None:
        return None, {}
    return document_quality(summary, record), record.offsets(series.values, series.observed)


@dg.asset(
    group_name=GROUP,
    kinds={"mlflow", "json"},
    deps=[champion_model],
    freshness_policy=FRESHNESS,
    description=f"The champion's forecast for the {HORIZON} days after the last observed rate, "
    "with 80% and 95% bands and its quality record, published atomically as the JSON document "
    "the HTTP service serves.",
)
def forecast(
    context: dg.AssetExecutionContext,
    validated_rates: pl.DataFrame,
    forecast_accuracy: pl.DataFrame,
    model_registry: ModelRegistry,
    training_log: TrainingLog,
    forecast_store: ForecastStore,
    clock: Clock,
    rates_source: RatesSource,
) -> dg.MaterializeResult:
    from ogrine_assets.model.features import series_from_frame
    from ogrine_assets.model.forecasting import next_days, unusable_rates
    from ogrine_assets.model.gate import implausible

    # The standing champion, the newest version promoted: the document is made with it,
    # and the alias moves to it once the document is in place.
    champion, predict = _loadable_champion(context, model_registry)
    series = series_from_frame(validated_rates)
    predictions = next_days(predict, series, HORIZON)
    unusable = unusable_rates(predictions)
    if unusable:
        raise dg.Failure(
            f"Champion v{champion.version} predicted unusable rates {unusable}; "
            "the published forecast is kept."
        )
    quality, bands = _quality(training_log, champion, series)
    problems = implausible(series, predictions, bands)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise dg.Failure(
            f"v{champion.version}'s forecast is implausible: {problems[0]}{more}; "
            "the published forecast is kept.",
            metadata={"problems": "\n".join(problems)},
        )
    if quality and not quality.beats_naive:
        context.log.warning(
            f"Champion v{champion.version} does not beat the naive forecast "
            f"(backtest MAE {quality.backtest_mae:.2f} >= {quality.naive_mae:.2f}); "
            "the document says so."
        )
    live = by_horizon(forecast_accuracy).with_columns(pl.col(pl.Float64).round(3))
    document = build_forecast_document(
        model=ModelInfo(
            name=model_registry.model_name,
            version=champion.version,
            run_id=champion.run_id,
            alias=model_registry.champion_alias,
            method=model_registry.procedure(champion.version).describe(),
        ),
        generated_at=clock.now(),
        dagster_run_id=context.run.run_id,
        data_source=rates_source.describe(),
        synthetic=rates_source.is_synthetic,
        history=validated_rates.select("date", "rate_tenth").rows(),
        predictions=predictions,
        bands=bands,
        quality=quality,
        live_accuracy=msgspec.convert(live.to_dicts(), list[LiveAccuracy]),
    )
    try:
        path = forecast_store.publish(document)
    except OSError as exc:
        raise dg.Failure(
            f"Could not write {forecast_store.path}: {exc.strerror}; the published forecast "
            f"and the '{model_registry.champion_alias}' alias are as they were."
        ) from exc
    aliased = model_registry.champion()
    if aliased is None or aliased.version != champion.version:
        model_registry.set_champion(champion.version)
        context.log.info(f"'{model_registry.champion_alias}' alias moved to v{champion.version}")
    forecast_store.archive(document, context.run.run_id)
    context.log.info(f"Forecast by model v{champion.version} published to {path}")
    shown = ["date", "prediction_rate", *(f"interval_{level}" for level in bands)]
    points = pl.DataFrame(msgspec.to_builtins(document.forecast)).select(shown)
    return dg.MaterializeResult(
        metadata={
            PATH_METADATA: dg.MetadataValue.path(str(path)),
            MODEL_VERSION_METADATA: champion.version,
            "mlflow_model_version": dg.MetadataValue.url(
                model_registry.version_url(champion.version)
            ),
            "last_observed_date": str(document.data.last_observed_date),
            FIRST_DAY_METADATA: str(document.forecast[0].date),
            LAST_DAY_METADATA: str(document.forecast[-1].date),
            "generated_at": document.generated_at.isoformat(),
            "synthetic": rates_source.is_synthetic,
            "beats_naive": quality.beats_naive if quality else "unknown",
            "forecast": frame_table(points, as_is={"prediction_rate"}),
        }
    )
