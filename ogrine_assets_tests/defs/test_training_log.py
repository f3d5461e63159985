"""Every candidate a training can choose, logged and registered as a training does it,
loads back through MLflow (its scikit-learn flavour, its generic interface, the registry's
predictor) as the very estimator that was fitted, and is judged by the same procedure."""

from pathlib import Path

import mlflow
import numpy as np
import pytest

from ogrine_assets.model.candidates import candidates
from ogrine_assets.model.estimators import fit_estimator
from ogrine_assets.model.features import training_examples
from ogrine_assets.names import FIT_TAG, METHOD_TAG
from ogrine_assets_tests.support import deployment
from ogrine_assets_tests.synthetic_series import synthetic_series

pytestmark = pytest.mark.integration


def test_every_candidate_loads_back_as_the_estimator_that_was_fitted(tmp_path: Path) -> None:
    series = synthetic_series()
    examples, target = training_examples(series)
    kinds = candidates(series)
    every_fit = {"naive", "seasonal_naive", "drift", "ols", "ridge"}
    assert {procedure.fit for procedure in kinds} == every_fit
    with deployment(tmp_path / "home") as world:
        training_log, registry = world.training_log(), world.registry()
        for procedure in kinds:
            estimator = fit_estimator(procedure, examples, target)
            features = examples[list(procedure.features)]
            with mlflow.start_run(experiment_id=training_log.experiment_id()):
                logged = training_log.log_model(estimator, features.tail(5))
            tags = {METHOD_TAG: procedure.name, FIT_TAG: procedure.fit}  # as training tags it
            version = registry.register(logged, tags)
            expected = estimator.predict(features)

            loaded = mlflow.sklearn.load_model(registry.uri(version))
            assert type(loaded) is type(estimator), procedure.name
            np.testing.assert_array_equal(loaded.predict(features), expected)
            generic = mlflow.pyfunc.load_model(registry.uri(version))
            np.testing.assert_array_equal(generic.predict(features), expected)
            # The registry's own path, as promotion and the forecast use it: all columns in,
            # the version picks its own.
            np.testing.assert_array_equal(registry.load_predictor(version)(examples), expected)
            assert registry.procedure(version) == procedure
