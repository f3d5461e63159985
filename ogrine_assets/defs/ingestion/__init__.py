"""Ingestion: where rates come from, what is kept of each fetch, and the validated rates.

Its assets form the Dagster group ``ingestion``; the jobs select them by it (``SELECTION``).
"""

import dagster as dg

GROUP = "ingestion"
SELECTION = dg.AssetSelection.groups(GROUP)
