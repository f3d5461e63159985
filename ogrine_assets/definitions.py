"""The code location: the domains' definitions, merged, built only when Dagster asks.

``defs`` is what ``dagster``, ``dg`` and the daemon load (``[tool.dagster]`` in
``pyproject.toml``); nothing is built at import. ``build_definitions`` takes its settings
(and optionally a clock and a rates source) as arguments, so tests build the very same
graph against a temporary OGRINE_HOME.
"""

from __future__ import annotations

import dagster as dg

from ogrine_assets.defs.automation import definitions as automation
from ogrine_assets.defs.common import definitions as common
from ogrine_assets.defs.common.clock import Clock
from ogrine_assets.defs.ingestion import definitions as ingestion
from ogrine_assets.defs.ingestion.sources import RatesSource, rates_source_for
from ogrine_assets.defs.serving import definitions as serving
from ogrine_assets.defs.training import definitions as training
from ogrine_assets.settings import Settings


def build_definitions(
    settings: Settings, *, clock: Clock | None = None, rates_source: RatesSource | None = None
) -> dg.Definitions:
    clock = clock or Clock(fixed_now=settings.fixed_now)
    return dg.Definitions.merge(
        common.definitions(settings, clock),
        ingestion.definitions(settings, rates_source or rates_source_for(settings)),
        training.definitions(),
        serving.definitions(settings),
        automation.definitions(),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The graph configured from the environment (see ``ogrine_assets.settings``)."""
    return build_definitions(Settings.from_env())
