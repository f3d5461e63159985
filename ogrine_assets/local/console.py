"""What of the local stack's output reaches the terminal, and what only its log files.

Dagster, MLflow and the service each write a steady stream: start-up chatter, the DEBUG
log of every run the daemon launches (~50 lines a run), library deprecation warnings.
Everything goes, line for line, to the part's log file; the terminal gets one line per run
started or finished, and the lines a person must act on: warnings and errors, from any
part. Python's ``warnings`` (deprecations and "beta" notices inside the libraries) are for
the libraries' developers and stay in the files. Standard library only: ``ogrine up``'s
own process stays small.
"""

from __future__ import annotations

import re
import time

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Dagster's console format: "<date> <time> <tz> - <logger> - <LEVEL> - <job> - <run id> - ..."
_RUN_EVENT = re.compile(
    r" - (?P<job>[\w.-]+) - (?P<run>[0-9a-f]{8})-[0-9a-f-]{27} - (?:\d+ - )?"
    r"(?P<event>RUN_START|RUN_SUCCESS|RUN_FAILURE|RUN_CANCELED) - (?P<message>.*)$"
)
_DAGSTER_LEVEL = re.compile(r"^\S+ \S+ \S+ - [\w.-]+ - (?P<level>[A-Z]+) - (?P<message>.*)$")
# ...and within a run: "<job> - <run id> - [<pid> - ]<step> - <message>"
_IN_RUN = re.compile(
    r"^[\w.-]+ - (?P<run>[0-9a-f]{8})-[0-9a-f-]{27} - (?:\d+ - )?(?P<step>[\w.]+) - (?P<said>.*)$"
)
# uvicorn ("WARNING:  ..."), MLflow ("2026/11/27 14:04:18 WARNING ..."), Python logging
# ("WARNING:name:..."), gunicorn-style ("[...] [WARNING] ...").
_OTHER_LEVEL = re.compile(
    r"^(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )?\[?(?P<level>WARNING|ERROR|CRITICAL)\]?[: ]"
)
_PYTHON_WARNING = re.compile(r"^\S+:\d+: \w*Warning: ")
_SAID = {
    "RUN_START": "started",
    "RUN_SUCCESS": "succeeded",
    "RUN_FAILURE": "FAILED",
    "RUN_CANCELED": "canceled",
}
SEVERE = ("WARNING", "ERROR", "CRITICAL")


def console_line(part: str, line: str, now: float | None = None) -> str | None:
    """The terminal's line for one line of ``part``'s output, or None to keep it in the
    file only."""
    text = _ANSI.sub("", line).rstrip()
    stamp = time.strftime("%H:%M:%S", time.localtime(now))
    run = _RUN_EVENT.search(text)
    if run is not None:
        said = f"{stamp}  run {run['run']} {run['job']} {_SAID[run['event']]}"
        return f"{said}: {run['message']}" if run["event"] == "RUN_FAILURE" else said
    dagster = _DAGSTER_LEVEL.match(text)
    if dagster is not None:
        if dagster["level"] not in SEVERE:
            return None
        level, message = dagster["level"], dagster["message"]
        in_run = _IN_RUN.match(message)
        if in_run is not None:
            return f"{stamp}  run {in_run['run']} {in_run['step']} {level}: {in_run['said']}"
        return f"{stamp}  {part} {level}: {message}"
    if _PYTHON_WARNING.match(text):
        return None
    other = _OTHER_LEVEL.match(text)
    if other is not None:
        return f"{stamp}  {part}: {text}"
    return None


# What recovery says of a run it failed (defs/common/recovery.py's left_in_progress).
_MARKED_FAILED = re.compile(
    r"^marked failed: run (?P<run>[0-9a-f]{8})[0-9a-f-]* \((?P<job>[^)]*)\) was left in "
    r"progress: (?P<reason>.*)$"
)


def healed_line(note: str, now: float | None = None) -> str:
    """The terminal's line for a run ``ogrine up`` failed because its process is gone: as
    the line of a run that failed, with the reason; any other note as it is."""
    stamp = time.strftime("%H:%M:%S", time.localtime(now))
    failed = _MARKED_FAILED.match(note)
    if failed is None:
        return f"{stamp}  recovered: {note}"
    return f"{stamp}  run {failed['run']} {failed['job']} FAILED: {failed['reason']}"
