"""The published forecast document, and every document published before it.

``forecast.json`` is what the service reads; each published document is also archived
(``<archive>/<last observed day>_<run id>.json``) so live accuracy can later score it
against what happened. Both are written atomically and read back through the one
definition of the document (``ogrine_assets.forecast_document``).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ogrine_assets.forecast_document import ForecastDocument, InvalidDocument, decode, encode
from ogrine_assets.local.files import write_atomically


class ForecastStore(dg.ConfigurableResource):
    """``path`` is the document the service serves; ``archive_dir`` keeps every one published."""

    path: str
    archive_dir: str

    def publish(self, document: ForecastDocument) -> Path:
        """Replace the served document: the moment a new forecast becomes true."""
        target = Path(self.path)
        write_atomically(target, encode(document))
        return target

    def archive(self, document: ForecastDocument, run_id: str) -> Path:
        """Keep a copy for live accuracy, named by its last observed day and its run."""
        last_observed = document.data.last_observed_date.isoformat()
        path = Path(self.archive_dir) / f"{last_observed}_{run_id}.json"
        write_atomically(path, encode(document))
        return path

    def published(self) -> tuple[list[ForecastDocument], list[str]]:
        """Every readable archived document (oldest origin first), and the problems with
        those that are not: one bad file must not stop the next forecast."""
        documents, problems = [], []
        for path in sorted(Path(self.archive_dir).glob("*.json")):
            try:
                documents.append(decode(path.read_bytes()))
            except (OSError, InvalidDocument) as exc:
                problems.append(f"{path.name}: {exc}")
        return documents, problems
