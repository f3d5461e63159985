import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl

from ogrine_assets.defs.common.io_managers import PolarsParquetIOManager


def test_frames_round_trip_as_parquet(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "date": [dt.date(2024, 1, 1)],
            "observed_at": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)],
            "rate_tenth": [7158],
        }
    )

    @dg.asset(io_manager_key="parquet")
    def frames() -> pl.DataFrame:
        return frame

    @dg.asset(io_manager_key="parquet")
    def copy(frames: pl.DataFrame) -> pl.DataFrame:
        return frames

    result = dg.materialize(
        [frames, copy], resources={"parquet": PolarsParquetIOManager(base_dir=str(tmp_path))}
    )
    assert result.success
    assert pl.read_parquet(tmp_path / "copy.parquet").equals(frame)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "copy.parquet",
        "frames.parquet",
    ]  # no temporaries
