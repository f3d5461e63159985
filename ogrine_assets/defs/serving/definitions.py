"""The serving domain's assets, checks and resources."""

import dagster as dg

from ogrine_assets.defs.serving.forecast import forecast
from ogrine_assets.defs.serving.forecast_store import ForecastStore
from ogrine_assets.defs.serving.live_accuracy import forecast_accuracy
from ogrine_assets.defs.serving.promotion import champion_model
from ogrine_assets.settings import Settings


def definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[champion_model, forecast_accuracy, forecast],
        resources={
            "forecast_store": ForecastStore(
                path=str(settings.forecast_path),
                archive_dir=str(settings.archive_dir / "forecasts"),
            )
        },
    )
