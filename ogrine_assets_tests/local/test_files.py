"""What killed writes leave behind is swept, and nothing else."""

from pathlib import Path

from ogrine_assets.local.files import sweep_partial_files
from ogrine_assets.local.stores import prepare
from ogrine_assets.settings import Settings


def test_leftovers_of_killed_writes_are_swept_and_nothing_else(tmp_path: Path) -> None:
    settings = Settings.from_env({"OGRINE_HOME": str(tmp_path)})
    prepare(settings)
    leftovers = [
        settings.archive_dir / "forecasts" / ".2026-11-25_run.json.x1y2z3w4.partial",
        settings.forecast_path.parent / ".forecast.json.k_q2ab9z",  # an older version's name
        settings.storage_dir / ".validated_rates.parquet.0af3.partial",
        settings.home / ".notifications.json.p0q1r2s3.partial",
    ]
    kept = [
        settings.forecast_path,
        settings.home / "subscribers.toml",
        settings.home / ".subscribers.toml.swp",  # an editor's, not ours
        settings.archive_dir / "raw" / "run.json",
        settings.storage_dir / ".hidden-but-mine",
    ]
    for path in leftovers + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    assert sorted(sweep_partial_files(settings)) == sorted(leftovers)
    assert all(path.exists() for path in kept)
