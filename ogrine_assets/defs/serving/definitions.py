"""The serving domain's assets, checks and resources."""

import dagster as dg

from ogrine_assets.defs.serving.forecast import forecast
from ogrine_assets.defs.serving.forecast_store import ForecastStore
from ogrine_assets.defs.serving.live_accuracy import forecast_accuracy, forecast_accuracy_drift
from ogrine_assets.defs.serving.promotion import champion_beats_naive, champion_model
from ogrine_assets.settings import Settings


def definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[champion_model, forecast_accuracy, forecast],
        asset_checks=[champion_beats_naive, forecast_accuracy_drift],
        resources={
            "forecast_store": ForecastStore(
                path=str(settings.forecast_path),
                archive_dir=str(settings.archive_dir / "forecasts"),
            )
        },
    )
