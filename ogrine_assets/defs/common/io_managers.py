"""Persisting polars frames as Parquet, one file per asset (and partition).

dagster-polars passes an argument polars 2 removed, so this small IO manager on
UPathIOManager stands in: local paths or any fsspec URL, files replaced atomically.
"""

import uuid

import dagster as dg
import polars as pl
from pydantic import Field
from upath import UPath

from ogrine_assets.local.files import PARTIAL_SUFFIX


class _PolarsParquetUPathIOManager(dg.UPathIOManager):
    extension = ".parquet"

    def dump_to_path(self, context: dg.OutputContext, obj: pl.DataFrame, path: UPath) -> None:
        if not isinstance(obj, pl.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()} must be a polars DataFrame")
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}")
        with temporary.open("wb") as stream:
            obj.write_parquet(stream)
        temporary.rename(path)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pl.DataFrame:
        with path.open("rb") as stream:
            return pl.read_parquet(stream)


class PolarsParquetIOManager(dg.ConfigurableIOManagerFactory):
    """Stores each polars DataFrame output as ``<base_dir>/<asset key path>.parquet``."""

    base_dir: str = Field(description="Folder or fsspec URL under which Parquet files live.")

    def create_io_manager(self, context: dg.InitResourceContext) -> _PolarsParquetUPathIOManager:
        return _PolarsParquetUPathIOManager(base_path=UPath(self.base_dir))
