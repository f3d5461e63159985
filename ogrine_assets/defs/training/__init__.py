"""Training: the time split, and a new model version fitted, scored, logged and registered.

Its assets form the Dagster group ``training``; the jobs select them by it (``SELECTION``).
"""

import dagster as dg

GROUP = "training"
SELECTION = dg.AssetSelection.groups(GROUP)
