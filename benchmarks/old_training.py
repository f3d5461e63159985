"""The reference every pipeline figure is held against: the old project's training run.

Lag features in pandas, scikit-learn's ``LinearRegression``, ``mlflow.sklearn.log_model``
with MLflow's defaults and a registered version: what the project replaced.
``benchmarks/pipeline.py`` times it in a process that has everything loaded already, and
as a fresh process from its start, as the old project ran it:

    .venv/bin/python -m benchmarks.old_training RATES.parquet TRACKING_URI
"""

from __future__ import annotations

import sys
from pathlib import Path


def train_and_register(rates: Path, tracking_uri: str) -> None:
    import mlflow
    import pandas as pd
    import polars as pl
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame({"rate": pl.read_parquet(rates)["rate"].to_numpy()})
    for lag in range(1, 8):
        frame[f"lag_{lag}"] = frame["rate"].shift(lag)
    frame = frame.dropna()
    features = frame[[f"lag_{lag}" for lag in range(1, 8)]]
    model = LinearRegression().fit(features, frame["rate"])
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    if mlflow.get_experiment_by_name("reference") is None:  # its files beside its database
        database = Path(tracking_uri.removeprefix("sqlite:///"))
        artifacts = (database.parent / f"{database.stem}-artifacts").as_uri()
        mlflow.create_experiment("reference", artifact_location=artifacts)
    mlflow.set_experiment("reference")
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", registered_model_name="reference")


if __name__ == "__main__":
    train_and_register(Path(sys.argv[1]), sys.argv[2])
