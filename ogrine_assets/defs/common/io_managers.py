"""Persisting polars frames as Parquet, one file per asset: ``<base_dir>/<asset key>.parquet``.

dagster-polars passes an argument polars 2 removed, so this small IO manager stands in. A
local file is replaced as every file the pipeline writes is (``local/files.py``: written
aside, fsynced, renamed), so a killed run leaves the last good frame or the new one. A
``base_dir`` that is an fsspec URL (``s3://...``) gets each frame as one object, which
object stores replace whole.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
from pydantic import Field

from ogrine_assets.local.files import write_atomically


class PolarsParquetIOManager(dg.ConfigurableIOManager):
    """Stores each polars DataFrame output as ``<base_dir>/<asset key path>.parquet``."""

    base_dir: str = Field(description="Folder or fsspec URL under which Parquet files live.")

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        if not isinstance(obj, pl.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()} must be a polars DataFrame")
        frame = io.BytesIO()
        obj.write_parquet(frame)
        path = self._path(context.asset_key)
        if isinstance(path, Path):
            write_atomically(path, frame.getvalue())
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(frame.getvalue())
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        return pl.read_parquet(self._path(context.asset_key).read_bytes())

    def _path(self, key: dg.AssetKey) -> Any:
        """A local ``Path``, or a ``UPath`` for an fsspec URL."""
        name = Path(*key.path).with_suffix(".parquet")
        if "://" in self.base_dir and not self.base_dir.startswith("file://"):
            from upath import UPath  # only object stores need it

            return UPath(self.base_dir) / name.as_posix()
        return Path(self.base_dir.removeprefix("file://")) / name
