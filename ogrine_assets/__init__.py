"""ogrine_assets: a Dagster asset graph that keeps a 7-day Ogrine rate forecast fresh.

Nothing here reports usage anywhere: MLflow's telemetry (on by default, it contacts
mlflow-telemetry.io) is turned off for every process that imports this package (the CLI,
the code server, each run) and every one they start (the MLflow server of ``ogrine up``
inherits the setting), unless set otherwise.
Dagster's is off in the instance configuration (``local/stores.py``).
"""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
