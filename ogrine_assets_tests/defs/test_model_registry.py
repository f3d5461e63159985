"""Logging a version: MLflow still checks its pinned requirements, without mapping every
installed package to its modules first (~0.3 s in each fresh training process)."""

import datetime as dt

import mlflow
import numpy as np
import pytest
from mlflow.utils import requirements_utils

from ogrine_assets.defs.common.model_registry import MODEL_REQUIREMENTS, ModelRegistry
from ogrine_assets.model.features import MODEL_FEATURES, daily_series, training_examples
from ogrine_assets.settings import Settings
from ogrine_assets_tests.support import least_squares_model


def test_a_version_is_logged_with_its_requirements_checked_and_no_package_scan(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in a fresh process: no map yet. Then record what MLflow asks of the environment.
    monkeypatch.setattr(requirements_utils, "_MODULES_TO_PACKAGES", None)
    monkeypatch.setattr(requirements_utils, "_PACKAGES_TO_MODULES", None)
    scans: list[None] = []
    checked: list[str] = []
    scan = requirements_utils.importlib_metadata.packages_distributions
    installed = requirements_utils._get_installed_version
    monkeypatch.setattr(
        requirements_utils.importlib_metadata,
        "packages_distributions",
        lambda: scans.append(None) or scan(),
    )
    monkeypatch.setattr(
        requirements_utils,
        "_get_installed_version",
        lambda package, module=None: checked.append(package) or installed(package, module),
    )
    registry = ModelRegistry(
        tracking_uri=settings.mlflow_tracking_uri,
        artifact_root=settings.mlflow_artifact_root,
        model_name="logged",
        experiment_name="logged",
    )
    start = dt.date(2024, 1, 1)
    days = [start + dt.timedelta(days=d) for d in range(120)]
    rates = list(600 + 0.5 * np.arange(120) + np.sin(np.arange(120)))
    examples, target = training_examples(daily_series(days, rates))
    model = least_squares_model(examples, target, MODEL_FEATURES)

    with mlflow.start_run(experiment_id=registry.experiment_id()):
        version, _ = registry.log_model(model, examples[list(MODEL_FEATURES)].head(3))

    assert version == "1"
    assert scans == []
    assert set(MODEL_REQUIREMENTS) <= set(checked)  # the check itself still ran
    # Nothing is left seeded for other code in the process.
    assert requirements_utils._MODULES_TO_PACKAGES is None
    assert requirements_utils._PACKAGES_TO_MODULES is None
