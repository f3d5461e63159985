"""The ``ogrine`` commands that run the graph in their own process do not load pyarrow.

pandas imports pyarrow whenever it is installed, and MLflow requires it installed: in an
``ogrine materialize`` that alone was ~36 MiB of a 367 MiB peak (the library's code pages,
mostly). Nothing a run does needs it: polars reads and writes Parquet itself, and pandas
(MLflow's pyfunc interface, the features) works on NumPy. So these processes treat pyarrow
as not installed, which pandas and polars both support as an ordinary case.

Only those processes: importing ``ogrine_assets`` changes nothing, so the tests, Dagster's
run workers and a user's notebook keep pyarrow. Code added to a step that does need it (a
``to_pandas()`` of polars, an Arrow dtype) fails in ``ogrine materialize`` with the message
below, and the CLI tests run the whole graph this way.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class _Unavailable(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] != "pyarrow":
            return None
        raise ModuleNotFoundError(
            f"No module named {fullname!r}: `ogrine` run processes leave pyarrow unloaded "
            f"(see {__name__}); nothing in the graph may need it",
            name=fullname,
        )


def leave_pyarrow_unloaded() -> None:
    """From now on in this process, ``import pyarrow`` fails as if it were not installed.

    Call it before anything imports pandas; once pyarrow is loaded it does nothing."""
    if "pyarrow" in sys.modules or any(isinstance(f, _Unavailable) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _Unavailable())
