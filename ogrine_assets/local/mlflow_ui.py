"""Addresses in MLflow's UI that open on the training runs and the model registry.

MLflow 3.17's UI shows every experiment in the view its sidebar switch chose, *GenAI*
(traces, an assistant) or *Machine learning* (training runs, the model registry): a choice
each browser keeps in its local storage, GenAI until the user switches. The experiment's
``mlflow.experimentKind`` tag no longer decides it, and no server option or environment
variable sets the default; a ``workflowType`` parameter in the address is read first
(docs/libraries.md says where in MLflow's source). So every address this project gives
carries it: a fresh browser opens them on the training runs, with the model registry in
the sidebar.

Standard library only: ``ogrine up`` (``stack.py``) asks the server for the experiment's
id without loading MLflow.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

from ogrine_assets.local.readiness import DIRECT

MACHINE_LEARNING_VIEW = "workflowType=machine_learning"


def experiment_url(ui_url: str, experiment_id: str) -> str:
    """The experiment's page: MLflow opens it on its training runs."""
    return f"{ui_url}/#/experiments/{experiment_id}?{MACHINE_LEARNING_VIEW}"


def run_url(ui_url: str, experiment_id: str, run_id: str) -> str:
    return f"{ui_url}/#/experiments/{experiment_id}/runs/{run_id}?{MACHINE_LEARNING_VIEW}"


def model_version_url(ui_url: str, model_name: str, version: str) -> str:
    """A registered version's page, its sidebar on the model registry."""
    name = urllib.parse.quote(model_name, safe="")
    return f"{ui_url}/#/models/{name}/versions/{version}?{MACHINE_LEARNING_VIEW}"


def landing_url(ui_url: str, experiment_name: str, timeout: float = 5.0) -> str:
    """The experiment's page when the server at ``ui_url`` has it (MLflow's REST API,
    ``experiments/get-by-name``), else the UI's home: before the first training, or when
    the server does not answer."""
    query = urllib.parse.urlencode({"experiment_name": experiment_name})
    address = f"{ui_url}/api/2.0/mlflow/experiments/get-by-name?{query}"
    try:
        with DIRECT.open(address, timeout=timeout) as answer:
            experiment = json.load(answer)["experiment"]
    except (OSError, ValueError, KeyError):  # 404 for no such experiment is an OSError too
        return ui_url
    if experiment.get("lifecycle_stage") != "active":
        return ui_url
    return experiment_url(ui_url, experiment["experiment_id"])
