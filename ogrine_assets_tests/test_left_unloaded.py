"""pyarrow and hypothesis left unloaded, in a fresh interpreter: pandas, polars and pandera
work as they do where neither is installed."""

import subprocess
import sys

UNLOADED = """
import sys
from ogrine_assets.left_unloaded import leave_unloaded

leave_unloaded()
leave_unloaded()  # twice: still one finder
import pandas as pd
import pandera.polars as pa
import polars as pl

frame = pl.DataFrame({"rate": [1.0, 2.0]})
pa.DataFrameSchema({"rate": pa.Column(float, pa.Check.gt(0))}).validate(frame)
assert pd.DataFrame({"rate": frame["rate"].to_numpy()})["rate"].sum() == 3.0
assert not [name for name in sys.modules if name.partition(".")[0] in ("pyarrow", "hypothesis")]
assert sum(type(f).__name__ == "_Unavailable" for f in sys.meta_path) == 1
for name in ("pyarrow.parquet", "hypothesis"):
    try:
        __import__(name)
    except ModuleNotFoundError as exc:
        print(exc)
"""

ALREADY_LOADED = """
import pyarrow
from ogrine_assets.left_unloaded import leave_unloaded

leave_unloaded()
import pyarrow.parquet  # loaded before: still usable, submodules too
try:
    import hypothesis
except ModuleNotFoundError:
    print("hypothesis left unloaded")
"""


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_both_fail_to_import_with_the_reason_and_pandas_polars_pandera_work() -> None:
    assert _python(UNLOADED).splitlines() == [
        f"No module named {name!r}: this `ogrine` process leaves it unloaded "
        "(see ogrine_assets.left_unloaded); nothing a run or the MLflow UI does may need it"
        for name in ("pyarrow", "hypothesis")
    ]


def test_a_package_loaded_before_stays_usable() -> None:
    assert _python(ALREADY_LOADED) == "hypothesis left unloaded"
