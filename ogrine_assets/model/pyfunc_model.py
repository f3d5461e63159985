"""The code MLflow runs to load a version of the forecaster ("models from code").

MLflow copies this file into each version's artifact, beside ``linear_model.json``, and runs
it when the version is loaded: nothing is unpickled, and the version loads anywhere MLflow,
NumPy and pandas do, without this project installed. Keep it self-contained.
"""

from __future__ import annotations

import json
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel


class LinearForecaster(PythonModel):
    """Predicts ``features @ coefficients + intercept`` for each row of a feature frame."""

    def load_context(self, context: Any) -> None:
        with open(context.artifacts["linear_model"]) as stream:
            spec = json.load(stream)
        self.features = list(spec["features"])
        self.coefficients = np.asarray(spec["coefficients"], dtype=float)
        self.intercept = float(spec["intercept"])

    # A DataFrame hint: MLflow takes it as "no schema from hints" (the version's signature
    # gives the schema); other hints it would try, and warn about.
    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> np.ndarray:
        design = model_input[self.features].to_numpy(dtype=float)
        return np.asarray(design @ self.coefficients + self.intercept)


mlflow.models.set_model(LinearForecaster())
