"""What the ``ogrine`` commands that run the graph in their own process, and the MLflow UI
of ``ogrine up`` (``mlflow_server.py``), leave unloaded.

- **pyarrow.** pandas imports it whenever it is installed, and MLflow requires it
  installed: in an ``ogrine materialize`` it alone was ~36 MiB of a 367 MiB peak (the
  library's code pages, mostly). Nothing a run does needs it: polars reads and writes
  Parquet itself, and pandas (MLflow's pyfunc interface, the features) works on NumPy.
- **hypothesis.** pandera imports it whenever it is installed, for its data-synthesis
  strategies, which validation never uses (~0.12 s). Only the development environment
  has it; the image does not, so a run here now loads what a run there loads.

In these processes importing either fails as it would if it were not installed, which
pandas, polars and pandera support as an ordinary case. One difference: asked first,
``importlib.util.find_spec`` raises ModuleNotFoundError instead of returning None (polars
catches it; nothing else on a run's path asks). Only those processes: importing
``ogrine_assets`` changes nothing, so the tests, Dagster's run workers and a user's
notebook keep them. Code added to a step that does need one (a ``to_pandas()`` of
polars, an Arrow dtype) fails in ``ogrine materialize`` with the message below, and the
CLI tests run the whole graph this way.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

LEFT_UNLOADED = ("pyarrow", "hypothesis")


class _Unavailable(importlib.abc.MetaPathFinder):
    def __init__(self, packages: frozenset[str]) -> None:
        self.packages = packages

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] not in self.packages:
            return None
        raise ModuleNotFoundError(
            f"No module named {fullname!r}: this `ogrine` process leaves it unloaded "
            f"(see {__name__}); nothing a run or the MLflow UI does may need it",
            name=fullname,
        )


def leave_unloaded() -> None:
    """From now on in this process, importing what LEFT_UNLOADED names fails as if it were
    not installed. Call it before anything imports pandas or pandera; a package already
    loaded stays usable."""
    if not any(isinstance(finder, _Unavailable) for finder in sys.meta_path):
        unloaded = frozenset(name for name in LEFT_UNLOADED if name not in sys.modules)
        sys.meta_path.insert(0, _Unavailable(unloaded))
