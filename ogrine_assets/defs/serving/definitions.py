"""The serving domain's assets, checks and resources."""

import dagster as dg

from ogrine_assets.defs.serving.forecast import forecast
from ogrine_assets.defs.serving.forecast_store import ForecastStore
from ogrine_assets.defs.serving.live_accuracy import forecast_accuracy
from ogrine_assets.defs.serving.notification import notification
from ogrine_assets.defs.serving.promotion import champion_model
from ogrine_assets.notifications.notifier import Notifier
from ogrine_assets.settings import Settings


def definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[champion_model, forecast_accuracy, forecast, notification],
        resources={
            "forecast_store": ForecastStore(
                path=str(settings.forecast_path),
                archive_dir=str(settings.archive_dir / "forecasts"),
            ),
            # A plain object, not a ConfigurableResource: its webhook URL is a secret, and a
            # resource's config is shown in the UI and kept in each run's snapshot.
            "notifier": Notifier.from_settings(settings),
        },
    )
