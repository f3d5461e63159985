"""The forecast document as the service holds it: checked, reloaded when it changes, never lost.

Each request costs one ``stat``. The file is parsed again only when its identity (inode,
size, modification time) changes; the pipeline replaces it by rename, so a reader never
sees half a file from it. A document that breaks the contract (``forecast_document.decode``)
is logged once and ignored: the last good one keeps being served. A file that could not be
*read* (permissions, an I/O error) is tried again on a later request even when its identity
has not changed, at most once per ``RETRY_SECONDS``: mending permissions does not touch a
file's modification time.

The contract includes the dates a forecast of rates can have (``forecast_document.check``:
what is derived from a document costs time in proportion to the days its chart spans, and
it is derived while a request waits; a document running from 2026 to the year 9999 took
5 s). The service also refuses a file too large to be one (``MAX_DOCUMENT_BYTES``).

Why there is no document is said twice: ``problem`` for operators (the log, ``/health``),
naming the file, and ``public_problem`` for everyone else, without a server path.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from ogrine_assets.forecast_document import ForecastDocument, InvalidDocument, decode

logger = logging.getLogger("ogrine_assets.service")

RETRY_SECONDS = 1.0
# A real document is about 12 kB (90 days of history, 7 forecast days, a few tables).
MAX_DOCUMENT_BYTES = 4 * 2**20
NOT_PUBLISHED = "no forecast has been published yet"
UNREADABLE = "the forecast cannot be read right now"

Derived = TypeVar("Derived")


@dataclass(frozen=True)
class LoadedForecast(Generic[Derived]):
    """A good document and what is derived from it once, not per request."""

    document: ForecastDocument
    derived: Derived


def read_document(path: Path) -> bytes:
    """The file's bytes, at most one more than ``MAX_DOCUMENT_BYTES``: a file that grew past
    it after its ``stat`` is refused without being held whole."""
    with path.open("rb") as file:
        return file.read(MAX_DOCUMENT_BYTES + 1)


class ForecastSource(Generic[Derived]):
    """The newest good forecast document at ``path``, checked on every call."""

    def __init__(
        self,
        path: Path,
        derive: Callable[[ForecastDocument], Derived],
        *,
        read: Callable[[Path], bytes] = read_document,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._derive = derive
        self._read = read
        self._monotonic = monotonic
        self._identity: tuple[int, int, int] | None = None
        self._loaded: LoadedForecast[Derived] | None = None
        self._problem: str | None = None
        self._public_problem: str | None = None
        self._retry_at: float | None = None  # when a failed read may be tried again

    def current(self) -> LoadedForecast[Derived] | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            if self._loaded is None:
                self._problem = f"{NOT_PUBLISHED} at {self.path}"
                self._public_problem = NOT_PUBLISHED
            return self._loaded
        except OSError as exc:
            self._problem = f"cannot read {self.path}: {exc.strerror}"
            self._public_problem = UNREADABLE
            self._identity = None  # once it can be seen again, it is read again
            return self._loaded
        identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        unread = self._retry_at is not None and self._monotonic() >= self._retry_at
        if identity != self._identity or unread:
            self._identity = identity
            self._reload(stat.st_size)
        return self._loaded

    @property
    def problem(self) -> str | None:
        """Why there is no good document (or why the newest file was not taken), naming the
        file: for operators."""
        return self._problem

    @property
    def public_problem(self) -> str | None:
        """``problem`` in words fit for anyone: no server path."""
        return self._public_problem

    def _reload(self, size: int) -> None:
        self._retry_at = None
        try:
            raw = b"" if size > MAX_DOCUMENT_BYTES else self._read(self.path)
            if max(size, len(raw)) > MAX_DOCUMENT_BYTES:
                raise InvalidDocument(
                    f"the file is {max(size, len(raw))} bytes, more than any forecast "
                    f"document ({MAX_DOCUMENT_BYTES})"
                )
            document = decode(raw)
            loaded = LoadedForecast(document=document, derived=self._derive(document))
        except Exception as exc:
            if isinstance(exc, OSError):
                self._retry_at = self._monotonic() + RETRY_SECONDS
            if not isinstance(exc, OSError | InvalidDocument):
                logger.exception("deriving the responses of %s failed", self.path)
            kept = (
                f"; still serving model v{self._loaded.document.model.version}"
                if self._loaded
                else ""
            )
            self._problem = f"{self.path} was not loaded: {exc}{kept}"
            if isinstance(exc, OSError):
                self._public_problem = f"{UNREADABLE} ({exc.strerror})"
            elif isinstance(exc, InvalidDocument):  # its words name the fault, not the file
                self._public_problem = f"the forecast document was not loaded: {exc}{kept}"
            else:
                self._public_problem = f"the forecast document was not loaded{kept}"
            logger.warning(self._problem)
            return
        self._loaded = loaded
        self._problem = None
        self._public_problem = None
        logger.info("loaded forecast by model v%s from %s", document.model.version, self.path)
