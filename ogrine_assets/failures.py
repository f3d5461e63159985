"""A failure's cause in plain words, on one line: what a person at a terminal needs.

Errors arrive as Python exceptions (before a run starts) or as Dagster's serialized errors
(from a run's events), each a chain of causes. The cause worth saying is the innermost
one; it is said in words for the faults an operator meets (a full disk, a refused write, a
damaged database) and as ``Kind: message`` otherwise. Tracebacks stay in the run's log.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_OS_ERROR = re.compile(r"\[Errno (\d+)\] [^:]+(?:: '(?P<path>[^']*)')?")
_PLAIN = {
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EIO: "an input/output error on the disk",
}


class ErrorLike(Protocol):
    """Dagster's ``SerializableErrorInfo`` has these."""

    @property
    def message(self) -> str: ...

    @property
    def cls_name(self) -> str | None: ...

    @property
    def cause(self) -> ErrorLike | None: ...


@dataclass(frozen=True)
class _Link:
    message: str
    cls_name: str | None
    cause: _Link | None


def _chain(exc: BaseException) -> _Link:
    nxt = exc.__cause__ or exc.__context__
    return _Link(str(exc), type(exc).__name__, _chain(nxt) if nxt is not None else None)


def cause_of_exception(exc: BaseException) -> str:
    """The innermost cause of a Python exception, in plain words."""
    return cause_of(_chain(exc))


def cause_of(error: ErrorLike) -> str:
    """The cause of a (serialized) error chain, in plain words: the message of a deliberate
    ``dagster.Failure`` (written for people) when there is one, else the innermost error."""
    link: ErrorLike | None = error
    innermost = error
    while link is not None:
        if link.cls_name == "Failure" or ".Failure: " in link.message.split("\n", 1)[0]:
            return in_words("Failure", link.message)
        innermost = link
        link = link.cause
    return in_words(innermost.cls_name or "", innermost.message)


def in_words(kind: str, message: str) -> str:
    """A message's first line as a clause, without its closing full stop: every caller sets
    it inside a sentence of its own ("FAILED at <step>: <cause>; details in …")."""
    text = message.strip()
    prefix = re.match(r"^[\w.]+(Error|Exception|Failure|Held|Damaged|Unavailable): ", text)
    if prefix:  # Dagster writes "module.Kind: message"
        kind, text = prefix.group(0)[:-2].rsplit(".", 1)[-1], text[prefix.end() :]
    first = text.splitlines()[0].rstrip(".") if text else ""
    found = _OS_ERROR.search(first)
    if found and int(found.group(1)) in _PLAIN:
        said = _PLAIN[int(found.group(1))]
        return f"{said} ({found.group('path')})" if found.group("path") else said
    if "database or disk is full" in first:
        return "no space left on the disk (a database could not grow)"
    if kind in {"Failure", "LockHeld", "StoreDamaged", "UpstreamError", "ModelUnavailable", ""}:
        return first
    return f"{kind}: {first}" if first else kind


# A failure line is read in one glance: at most this many characters before its
# "; details in <log>" (where the whole cause and the tracebacks are).
LINE_LIMIT = 200


def failure_line(
    command: str, step: str, cause: str, *, then: str = "", log: Path | str | None = None
) -> str:
    """``<command> FAILED at <step>: <cause>. <then>; details in <log>``, at most
    :data:`LINE_LIMIT` characters before ``; details in``.

    Only the cause is ever shortened (cut at a word, marked with "…"), never the command, the
    step or the log's path; ``then`` (what did not run) is said only when it fits whole.
    """
    head = f"{command} FAILED at {step}: "
    room = max(LINE_LIMIT - len(head), 0)
    said = cause.strip().rstrip(".") or "unknown error"
    if then and len(said) + 2 + len(then) <= room:
        said = f"{said}. {then}"
    line = head + shorten(said, room)
    return f"{line}; details in {log}" if log is not None else line


def shorten(text: str, limit: int) -> str:
    """``text`` when it has at most ``limit`` characters, else its start, cut after a word
    when one ends in the last third, with "…" in ``limit`` characters in all."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    cut = text[: limit - 1]
    word_end = cut.rfind(" ")
    if word_end >= limit * 2 // 3:
        cut = cut[:word_end]
    return cut.rstrip(" ,;:.(") + "…"
