"""Serving: promotion to the champion alias, live accuracy, the published forecast and the
subscribers told of it.

Its assets form the Dagster group ``serving``; the jobs select them by it (``SELECTION``).
"""

import dagster as dg

GROUP = "serving"
SELECTION = dg.AssetSelection.groups(GROUP)
