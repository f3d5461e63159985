"""Files written whole or not at all, and the leftovers of writes that were killed.

Every file the pipeline writes (the forecast document, the archives, the Parquet frames)
goes through :func:`write_atomically` or the same steps: written aside, fsynced, renamed
into place. A process killed half-way leaves only a temporary, which
:func:`sweep_partial_files` removes at the next run's start.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ogrine_assets.settings import Settings

PARTIAL_SUFFIX = ".partial"  # what write_atomically and the IO manager name their temporaries


def write_atomically(target: Path, content: bytes) -> None:
    """Write aside, fsync, then rename over ``target``: readers see the old file or the new
    one, never half of one, and a write killed half-way leaves only a temporary to sweep."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=PARTIAL_SUFFIX, dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)  # the new name itself survives a power cut


# Temporaries: write_atomically's and the IO manager's, and an older version's (mkstemp's
# ".<name>.<8 random characters>", the IO manager's ".<name>.<32 hex>.tmp").
_PARTIAL = re.compile(rf"^\..+(\{PARTIAL_SUFFIX}|\.[a-z0-9_]{{8}}|\.[0-9a-f]{{32}}\.tmp)$")


def sweep_partial_files(settings: Settings) -> list[Path]:
    """Remove the temporaries that killed writes left; only safe under the home's lock.

    The storage and archive folders are the pipeline's own, swept whole; in the forecast's
    folder, which may be shared (a web root), only the document's own temporaries; in the
    home itself, only the notification records'.
    """
    records = settings.notification_records_file
    candidates = [
        *(p for folder in (settings.storage_dir, settings.archive_dir) for p in _dotfiles(folder)),
        *settings.forecast_path.parent.glob(f".{settings.forecast_path.name}.*"),
        *records.parent.glob(f".{records.name}.*"),
    ]
    removed = []
    for path in candidates:
        if path.is_file() and _PARTIAL.match(path.name):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _dotfiles(folder: Path) -> list[Path]:
    return list(folder.rglob(".*")) if folder.is_dir() else []


def fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
