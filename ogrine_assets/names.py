"""The names that tie the parts together: in MLflow, on Dagster runs, in artifacts.

One module, so that what training writes and what promotion, the forecast and the tests
read can never spell a name two ways. Plain strings only: every part may import it.
"""

from __future__ import annotations

# MLflow: the registered model, its experiment and the alias the service's forecast follows.
REGISTERED_MODEL_NAME = "ogrine-rate-forecaster"
EXPERIMENT_NAME = "ogrine-rate-forecaster"
CHAMPION_ALIAS = "champion"

# A training run's backtest files (tables, figure) sit in this artifact folder, among them
# the interval bands (model/intervals.py) that the forecast reads back.
BACKTEST_ARTIFACTS = "backtest"
INTERVALS_ARTIFACT = f"{BACKTEST_ARTIFACTS}/intervals.json"

# dagster-mlflow's tag on each MLflow run it starts, naming the Dagster run; each version
# carries it too (ogrine_model), and recovery reads it on runs left open.
DAGSTER_RUN_TAG = "dagster_run_id"

# The Dagster run tag by which the promotion sensor names the version a run must judge.
MODEL_VERSION_TAG = "ogrine/model_version"

# The name of the trained model's rows in backtest tables (beside "naive", ...).
MODEL_METHOD = "model"

# The version tags naming the method training chose for it (model/candidates.py), what the
# forecast document says the model is, and how its weights were got (its Fit): with its
# signature's features, what promotion refits to judge it.
METHOD_TAG = "method"
FIT_TAG = "fit"

# Dagster metadata entries that other parts read (the promotion sensor, champion_model, the
# CLI's summary), by the asset that writes them.
MODEL_VERSION_METADATA = "model_version"  # ogrine_model (the version it registered), forecast
RETRAINED_METADATA = "retrained"  # ogrine_model: False when nothing changed, nothing trained
BACKTEST_MAE_METADATA = "backtest_mae"  # ogrine_model, as its other backtest_* scores
NAIVE_MAE_METADATA = "backtest_naive_mae"  # ogrine_model
CANDIDATE_METADATA = "candidate_version"  # champion_model: the version it shows
DECISION_METADATA = "decision"  # champion_model
REASON_METADATA = "reason"  # champion_model
ALREADY_DECIDED_METADATA = "already_decided"  # champion_model: nothing was left to judge
FIRST_DAY_METADATA = "first_forecast_date"  # forecast
LAST_DAY_METADATA = "last_forecast_date"  # forecast
PATH_METADATA = "path"  # forecast: where the document was published
# validated_rates: the days quarantined as suspect (rates/outliers.py), ISO dates, commas.
SUSPECT_DAYS_METADATA = "suspect_days"
LAST_DATE_METADATA = "last_date"  # validated_rates, as other frames: their newest day
SUBSCRIBERS_METADATA = "subscribers"  # notification: how many were to be told
DELIVERED_METADATA = "delivered"  # notification
NOT_DELIVERED_METADATA = "not_delivered"  # notification

# The version tags that say what data a version was trained on (ogrine_model), so that
# promotion can refuse one trained on a day since found suspect.
DATA_FIRST_DATE_TAG = "data_first_date"
DATA_LAST_DATE_TAG = "data_last_date"
DATA_SUSPECT_DAYS_TAG = "data_suspect_days"  # already left out when it was trained

# The version tags that record a promotion decision (model/promotion.py); a version that
# carries DECISION_TAG is judged.
DECISION_TAG = "promotion.decision"
REASON_TAG = "promotion.reason"
DECIDED_AT_TAG = "promotion.decided_at"
CONTEST_TAG = "promotion.backtest"  # the comparison behind the decision, in one line
PROMOTED, REJECTED = "promoted", "rejected"
# Set on a promoted version found unloadable (its files gone): why. It is champion no more.
BROKEN_TAG = "promotion.broken"

# The Dagster run tag naming the process that executes a run: "<run id>@<host/pid/start>"
# (local/processes.py). Recovery reads it, and so does ``ogrine up``'s queue healing.
PROCESS_TAG = "ogrine/process"

# The Dagster run statuses of a run in progress, its process at work (as Dagster spells
# them): recovery fails such a run whose process is gone, as ``ogrine up``'s healing does.
IN_PROGRESS_STATUSES = ("STARTING", "STARTED", "CANCELING")

# The daily refresh's schedule: what ``ogrine up`` catches up when the stack missed it.
REFRESH_SCHEDULE = "daily_forecast_schedule"
