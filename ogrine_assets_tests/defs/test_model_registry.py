"""Versions registered by earlier releases stay usable: a champion logged as MLflow "models
from code" with its coefficients as JSON, before the models were scikit-learn estimators,
still forecasts, and its procedure can still be judged."""

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from ogrine_assets.defs.common.training_log import LoggedModel
from ogrine_assets.model.candidates import NAIVE
from ogrine_assets.names import DECISION_TAG, METHOD_TAG, PROMOTED
from ogrine_assets_tests.support import deployment

pytestmark = pytest.mark.integration

# What the earlier release logged beside each version's linear_model.json, as it ran it.
EARLIER_PYFUNC = """
import json
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel


class LinearForecaster(PythonModel):
    def load_context(self, context: Any) -> None:
        with open(context.artifacts["linear_model"]) as stream:
            spec = json.load(stream)
        self.features = list(spec["features"])
        self.coefficients = np.asarray(spec["coefficients"], dtype=float)
        self.intercept = float(spec["intercept"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> np.ndarray:
        design = model_input[self.features].to_numpy(dtype=float)
        return np.asarray(design @ self.coefficients + self.intercept)


mlflow.models.set_model(LinearForecaster())
"""


def test_a_champion_from_before_scikit_learn_still_forecasts(tmp_path: Path) -> None:
    with deployment(tmp_path / "home") as world:
        assert world.run("train_and_publish_job").success  # v1, a scikit-learn estimator
        registry, log = world.registry(), world.training_log()
        code, spec = tmp_path / "pyfunc_model.py", tmp_path / "linear_model.json"
        code.write_text(EARLIER_PYFUNC)
        spec.write_text(
            json.dumps({"features": ["lag_1"], "coefficients": [1.0], "intercept": 0.0})
        )
        log.store.fluent()  # MLflow's fluent API on this home's store
        example = pd.DataFrame({"lag_1": [1300.0, 1310.0]})
        with mlflow.start_run(experiment_id=log.experiment_id()):
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(code),
                artifacts={"linear_model": str(spec)},
                signature=mlflow.models.infer_signature(example, example["lag_1"].to_numpy()),
                input_example=example,
                pip_requirements=["mlflow", "numpy", "pandas"],
            )
        logged = LoggedModel(uri=info.model_uri, model_id=info.model_id, run_id=info.run_id)
        earlier = registry.register(logged, {METHOD_TAG: NAIVE.name, DECISION_TAG: PROMOTED})
        assert earlier == "2"
        assert registry.procedure(earlier) == NAIVE  # promotion can still refit it

        assert world.run("forecast_refresh_job").success
        document = world.document()
        assert document["model"]["version"] == "2"
        last = document["history"][-1]["rate"]
        assert {point["prediction_rate"] for point in document["forecast"]} == {last}
