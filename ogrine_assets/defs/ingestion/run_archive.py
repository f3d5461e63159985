"""What each run fetched and refused, kept for good: raw snapshots and quarantined rows.

They make every training set traceable to its bytes, and every rejected row inspectable.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import polars as pl

from ogrine_assets.local.files import write_atomically


class RunArchive(dg.ConfigurableResource):
    """``raw/<run id>.json`` and ``quarantine/<run id>.jsonl`` under ``base_dir``."""

    base_dir: str

    def save_snapshot(self, run_id: str, body: bytes) -> tuple[Path, str]:
        """Keep the exact bytes a run fetched; returns the path and their SHA-256."""
        path = Path(self.base_dir) / "raw" / f"{run_id}.json"
        write_atomically(path, body)
        return path, hashlib.sha256(body).hexdigest()

    def save_quarantine(self, run_id: str, rejected: pl.DataFrame) -> Path:
        """The rejected rows of a run, one JSON object per line, with their reasons."""
        path = Path(self.base_dir) / "quarantine" / f"{run_id}.jsonl"
        write_atomically(path, rejected.write_ndjson().encode())
        return path
