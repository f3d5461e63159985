"""Data and code versions: how Dagster, and a re-run, can tell that nothing changed.

Every frame the graph makes carries a data version that is a digest of its content (the
raw answer's, of its exact bytes), so two runs on the same rates give the same versions
all the way down. ``ogrine_model`` carries a code version that is a digest of the training
code (the ``model`` package), and a data version made of that and its inputs' versions:
when a run finds the newest model made from the same data by the same code, it does not
train again, and the Dagster UI shows the model as up to date rather than stale.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import polars as pl

import ogrine_assets.model
from ogrine_assets.defs.common.quiet import library_warnings_silenced

T = TypeVar("T")

DIGEST_CHARS = 16  # 64 bits of SHA-256: ample to tell versions of one asset apart


def _digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(hashlib.sha256(part).digest())  # each part framed by its own digest
    return hasher.hexdigest()[:DIGEST_CHARS]


def versioned_output(value: T, data_version: dg.DataVersion, **kwargs: Any) -> dg.Output[T]:
    """``dg.Output`` with a data version, which Dagster marks beta (``quiet.py``)."""
    with library_warnings_silenced():
        return dg.Output(value, data_version=data_version, **kwargs)


def bytes_version(content: bytes) -> dg.DataVersion:
    return dg.DataVersion(_digest(content))


def frame_version(frame: pl.DataFrame) -> dg.DataVersion:
    """A digest of the frame's columns, types and values (as CSV: stable across releases of
    polars, unlike its row hashes)."""
    schema = repr(list(frame.schema.items())).encode()
    return dg.DataVersion(_digest(schema, frame.write_csv().encode()))


def combined_version(*versions: str) -> dg.DataVersion:
    return dg.DataVersion(_digest(*(version.encode() for version in versions)))


def source_digest(package_dir: Path) -> str:
    """A digest of every Python file of a package: any edit makes a new code version."""
    files = sorted(package_dir.rglob("*.py"))
    return _digest(*(f"{f.relative_to(package_dir)}\n".encode() + f.read_bytes() for f in files))


TRAINING_CODE_VERSION = source_digest(Path(ogrine_assets.model.__file__).parent)
