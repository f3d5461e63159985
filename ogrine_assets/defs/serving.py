"""forecast: the champion's next 7 days, published as the document the service reads."""

import math

import dagster as dg
import polars as pl

from ogrine_assets.defs.metadata import markdown_table
from ogrine_assets.defs.promotion import champion_model
from ogrine_assets.defs.resources import Clock, ForecastStore, ModelRegistry, RatesSource
from ogrine_assets.model.features import series_from_frame
from ogrine_assets.model.forecasting import HORIZON, next_days
from ogrine_assets.publication import build_forecast_document, encode


@dg.asset(
    group_name="serving",
    kinds={"mlflow", "json"},
    deps=[champion_model],
    description=f"The champion's forecast for the {HORIZON} days after the last observed rate, "
    "published atomically as the JSON document the HTTP service serves.",
)
def forecast(
    context: dg.AssetExecutionContext,
    validated_rates: pl.DataFrame,
    model_registry: ModelRegistry,
    forecast_store: ForecastStore,
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
    )
    path = forecast_store.publish(encode(document))
    context.log.info(f"Forecast by model v{champion.version} published to {path}")
    points = pl.DataFrame(document["forecast"]).select(
        "date", "prediction_rate", "prediction_rate_tenth"
    )
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
            "forecast": markdown_table(points),
        }
    )
