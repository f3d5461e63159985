"""The one place that silences library warnings, around the calls that raise them only.

Two come from the libraries, not from this project, and would reach every run's console:
Dagster marks beta the data versions its own staleness rests on (``dg.Output``'s
``data_version``), and dagster-mlflow is marked beta and calls Dagster APIs that are
deprecated (Dagster itself trips its own deprecation when a resource is configured).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import dagster as dg


@contextlib.contextmanager
def library_warnings_silenced() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        warnings.filterwarnings(
            "ignore", message=r"InitResourceContext\.\w+ is deprecated", category=DeprecationWarning
        )
        yield
