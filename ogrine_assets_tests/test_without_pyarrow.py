"""pyarrow left unloaded, in a fresh interpreter: pandas and polars work as without it."""

import subprocess
import sys

UNLOADED = """
import sys
from ogrine_assets.without_pyarrow import leave_pyarrow_unloaded

leave_pyarrow_unloaded()
leave_pyarrow_unloaded()  # twice: still one finder
import pandas as pd
import polars as pl

frame = pl.DataFrame({"rate": [1.0, 2.0]})
assert pd.DataFrame({"rate": frame["rate"].to_numpy()})["rate"].sum() == 3.0
assert not [name for name in sys.modules if name.partition(".")[0] == "pyarrow"]
assert sum(type(f).__name__ == "_Unavailable" for f in sys.meta_path) == 1
try:
    import pyarrow.parquet
except ModuleNotFoundError as exc:
    print(exc)
"""

ALREADY_LOADED = """
import sys
import pyarrow
from ogrine_assets.without_pyarrow import leave_pyarrow_unloaded

leave_pyarrow_unloaded()
import pyarrow.parquet
print(type(sys.meta_path[0]).__name__)
"""


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_pyarrow_fails_to_import_with_the_reason_and_pandas_works_without_it() -> None:
    assert _python(UNLOADED) == (
        "No module named 'pyarrow': `ogrine` run processes leave pyarrow unloaded "
        "(see ogrine_assets.without_pyarrow); nothing in the graph may need it"
    )


def test_a_process_that_already_loaded_pyarrow_keeps_it() -> None:
    assert _python(ALREADY_LOADED) != "_Unavailable"
