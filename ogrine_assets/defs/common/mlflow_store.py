"""The MLflow store the project works in, configured once for the registry and the log.

The model registry (``model_registry.py``: versions, the champion alias, decisions) and the
training log (``training_log.py``: runs, metrics, artifacts, logged models) are two
resources nesting this one (Dagster sets up a nested resource for each of them; MLflow
keeps one database engine per URI). The tracking and registry URIs are set when Dagster
sets the resources up, because MLflow keeps them process-global.

MLflow is imported on first use, not with this module: loading the code location (every
run worker, every reload of the UI) must not pay for it, nor steps that never call it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import dagster as dg
from pydantic import Field, PrivateAttr

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient


def mlflow_module() -> Any:
    """MLflow, imported when first needed."""
    import mlflow

    return mlflow


class ModelUnavailable(RuntimeError):
    """A registered version cannot be loaded because its files, or the version, are gone.

    Only such lasting causes: a version marked broken stops being the champion for good, so
    a passing fault (a server not answering) is left to fail the step, to be tried again.
    """


class MlflowStore(dg.ConfigurableResource):
    """An MLflow tracking store and model registry at ``tracking_uri``, and its UI's address."""

    tracking_uri: str
    ui_url: str = Field(default="http://127.0.0.1:5000", description="Base URL of the MLflow UI.")

    _client: Any = PrivateAttr(default=None)  # an MlflowClient once connected

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.connect()

    def connect(self) -> MlflowClient:
        """Point MLflow's process-global fluent API at this store, once, and keep a client."""
        mlflow = mlflow_module()
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        self._client = mlflow.MlflowClient(
            tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
        )
        return self._client

    @property
    def client(self) -> MlflowClient:
        # Set up by Dagster for a run; connected on first use when called directly (tests).
        return self._client or self.connect()

    def fluent(self) -> Any:
        """MLflow's fluent API (``log_model``, ``load_model``), pointed at this store: only
        another store used in the same process (tests) can have moved it since setup."""
        mlflow = mlflow_module()
        if self._client is None or mlflow.get_tracking_uri() != self.tracking_uri:
            self.connect()
        return mlflow


_GONE = ("No such artifact", "does not exist", "No such file or directory", "not found")


@contextlib.contextmanager
def unavailable_as(version: str) -> Iterator[None]:
    """MLflow's ways of saying a model's files are gone, as one error naming the version;
    any other failure is raised as it is."""
    mlflow = mlflow_module()
    try:
        yield
    except (mlflow.exceptions.MlflowException, OSError) as exc:
        cause = (getattr(exc, "message", None) or str(exc)).splitlines()[0]
        gone = isinstance(exc, FileNotFoundError | NotADirectoryError) or (
            isinstance(exc, mlflow.exceptions.MlflowException)
            and (exc.error_code == "RESOURCE_DOES_NOT_EXIST" or any(m in cause for m in _GONE))
        )
        if not gone:
            raise
        raise ModelUnavailable(f"model version {version} cannot be loaded: {cause}") from exc
