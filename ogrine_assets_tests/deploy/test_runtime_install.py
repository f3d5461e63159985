"""The user's install: the runtime lock alone (``make run``'s venv, the Docker image's) runs
the loop, and the champion it registers loads anywhere MLflow and scikit-learn do.

The venv is ``OGRINE_RUNTIME_PYTHON``'s: ``.ci/run`` builds one with ``make runtime``; without
it the test says so and skips, and in CI it must run.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from ogrine_assets.names import CHAMPION_ALIAS, REGISTERED_MODEL_NAME
from ogrine_assets_tests.support import FIXED_NOW, ogrine_env

pytestmark = pytest.mark.integration

# In the runtime venv, with this project unimportable: what a plain Python with MLflow and
# scikit-learn does with the champion. Prints what it found, as JSON.
LOAD = """
import json, sys
sys.modules["ogrine_assets"] = None  # the model must not need this project to load
import mlflow
from sklearn.base import is_regressor
from sklearn.utils.validation import check_is_fitted
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_registry_uri(sys.argv[1])
estimator = mlflow.sklearn.load_model(sys.argv[2])
check_is_fitted(estimator)
generic = mlflow.pyfunc.load_model(sys.argv[2])
example = generic.input_example
print(json.dumps({
    "regressor": is_regressor(estimator),
    "kind": type(estimator).__name__,
    "features": list(estimator.feature_names_in_),
    "estimator": estimator.predict(example).tolist(),
    "pyfunc": generic.predict(example).tolist(),
}))
"""


@pytest.fixture
def runtime_python() -> Path:
    found = os.environ.get("OGRINE_RUNTIME_PYTHON")
    if not found:
        reason = "OGRINE_RUNTIME_PYTHON names no runtime venv (.ci/run builds one)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return Path(found)


def test_the_runtime_venv_runs_the_loop_and_its_champion_loads_without_this_project(
    tmp_path: Path, runtime_python: Path
) -> None:
    bin_dir = runtime_python.parent
    env = ogrine_env(tmp_path / "home", PATH=f"{bin_dir}:{os.environ.get('PATH', '')}")
    # Only the runtime: none of the dev extra is installed there.
    dev_only = subprocess.run(
        [str(runtime_python), "-c", "import pytest"], capture_output=True, text=True
    )
    assert dev_only.returncode != 0 and "No module named 'pytest'" in dev_only.stderr

    made = subprocess.run(
        [str(bin_dir / "ogrine"), "materialize"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    document = json.loads((tmp_path / "home" / "forecast" / "forecast.json").read_text())
    assert document["generated_at"] == FIXED_NOW.isoformat().replace("+00:00", "Z")

    tracking = f"sqlite:///{tmp_path / 'home' / 'mlflow' / 'mlflow.db'}"
    champion = f"models:/{REGISTERED_MODEL_NAME}@{CHAMPION_ALIAS}"
    loaded = subprocess.run(
        [str(runtime_python), "-c", LOAD, tracking, champion],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    found = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert found["regressor"] and found["kind"] in {"LinearRegression", "Pipeline"}
    assert found["features"] and found["estimator"] == found["pyfunc"]
