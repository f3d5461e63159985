"""Files that are either wholly the old or wholly the new, whatever happens mid-write."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ogrine_assets.home import PARTIAL_SUFFIX


def write_atomically(target: Path, content: bytes) -> None:
    """Write aside, fsync, then rename over ``target``: readers never see half a file."""
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
