"""Mutation testing: which small regressions of the code would the tests let through?

    .venv/bin/python -m benchmarks.mutation [--scope quick|core|full] [--max-children 1]
    make mutation                   # the same, --scope core

mutmut (pinned in the dev extra) makes many small changes ("mutants") to the code in scope,
one at a time: a ``<`` made ``<=``, a number changed, an argument dropped, a string
altered. For each, it runs the tests that reach the changed function; a mutant no test
fails on has *survived*, and each survivor is a regression the suite would let through
(or a change that makes no difference: judge each). The score is killed / total.

Why a script around mutmut: it writes its mutated copy of the package into ``mutants/``
under the directory it runs in, and other work goes on in this working tree. So the
script copies the tracked files (as they are on disk, edits included) into a scratch
directory (or ``--commit REV``'s files: what is committed, whatever others are editing),
adds mutmut's settings for the chosen scope to that copy's ``pyproject.toml``,
and runs ``mutmut run`` there, under ``nice -n 19`` (the machine is shared). Processes the
tests start (``ogrine`` commands) import the mutated copy too: PYTHONPATH points at it.

Scopes (what is mutated, and the tests run against it; the tests a mutant reaches are
chosen by mutmut from a first run of these):

- ``quick``: the intervals and the selection, against their unit tests (~minutes);
- ``core``: the whole of ``model/`` and ``rates/cleaning.py``, against the tests of
  ``model/`` and cleaning (no Dagster run: unit tests only);
- ``recovery``: ``defs/common/recovery.py`` against its tests, which run the real graph;
- ``full``: also ``defs/common/recovery.py`` and ``defs/serving/``, adding the recovery,
  promotion and forecast tests, which materialize the real graph (each mutant reaching
  them costs tens of seconds: hours on 2 cores).

Not in CI: it is a tool for finding weak tests, not a gate. ``mutmut results`` and
``mutmut show <name>`` in the scratch directory (printed) say more about each mutant.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT_DATA = "mutants"

SCOPES: dict[str, dict[str, list[str]]] = {
    "quick": {
        "mutate": ["ogrine_assets/model/intervals.py", "ogrine_assets/model/selection.py"],
        "tests": [
            "ogrine_assets_tests/model/test_intervals.py",
            "ogrine_assets_tests/model/test_selection.py",
        ],
    },
    "core": {
        "mutate": ["ogrine_assets/model/*", "ogrine_assets/rates/cleaning.py"],
        "tests": ["ogrine_assets_tests/model", "ogrine_assets_tests/rates/test_cleaning.py"],
    },
}
SCOPES["recovery"] = {
    "mutate": ["ogrine_assets/defs/common/recovery.py"],
    "tests": ["ogrine_assets_tests/defs/test_recovery.py"],
}
SCOPES["full"] = {
    "mutate": [
        *SCOPES["core"]["mutate"],
        "ogrine_assets/defs/common/recovery.py",
        "ogrine_assets/defs/serving/*",
    ],
    "tests": [
        *SCOPES["core"]["tests"],
        "ogrine_assets_tests/defs/test_recovery.py",
        "ogrine_assets_tests/defs/test_promotion.py",
        "ogrine_assets_tests/defs/test_forecast_quality.py",
    ],
}


def copy_tracked_files(destination: Path) -> None:
    """Every file git tracks (and every new one it does not ignore), as it is on disk."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def export_commit(commit: str, destination: Path) -> None:
    """The files of ``commit``, as committed: what others' edits in progress leave alone."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)


def mutmut_settings(scope: dict[str, list[str]], copied: Path) -> str:
    """The ``[tool.mutmut]`` table for ``scope``: the package is copied whole (the tests
    import all of it), only the files of the scope are mutated, and pytest runs in one
    process (``-n0``: mutmut follows which tests reach which function in its own)."""
    also_copy = sorted(
        entry.name for entry in copied.iterdir() if entry.name not in {"ogrine_assets", ".git"}
    )
    table = {
        "source_paths": ["ogrine_assets"],
        "only_mutate": scope["mutate"],
        "also_copy": also_copy,
        "pytest_add_cli_args": ["-n0", "-p", "no:cacheprovider"],
        "pytest_add_cli_args_test_selection": scope["tests"],
        "mutate_only_covered_lines": True,
        # A mutant may run for (its tests' time + 1 s) x this x 2 of CPU before it counts as a
        # hang (mutmut's default, 15, let each mutant that loops burn ~30 CPU-seconds).
        "timeout_multiplier": 6.0,
        # Each mutant's process is forked from a server that has only collected the tests:
        # forked from mutmut's own process, after tests had started polars' thread pool, the
        # children spun in its locks until the CPU limit, and every mutant reached from a
        # test that uses polars counted as a hang.
        "process_isolation": "forkserver",
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def outcomes(workdir: Path) -> dict[str, str]:
    """Each mutant's name and status, from mutmut's own records."""
    from mutmut.stats import status_by_exit_code

    found: dict[str, str] = {}
    for meta in sorted((workdir / MUTMUT_DATA).rglob("*.meta")):
        record = json.loads(meta.read_text())
        for name, code in record.get("exit_code_by_key", {}).items():
            found[name] = status_by_exit_code[code]
    return found


# A mutant that makes a test fail, or run past mutmut's CPU limit (a hang: in the suite,
# pytest-timeout fails that test), is caught.
CAUGHT = frozenset({"killed", "timeout"})


def summary(found: dict[str, str]) -> str:
    """``score: caught / judged``, with each status's count; a mutant no test reaches counts
    as not caught, one mutmut skipped is not judged."""
    counts = Counter(found.values())
    judged = len(found) - counts["skipped"]
    caught = sum(counts[status] for status in CAUGHT)
    return f"score: {caught} caught of {judged}; {dict(counts)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scope", choices=sorted(SCOPES), default="core")
    parser.add_argument("--max-children", type=int, default=1, help="mutants tested at once")
    parser.add_argument("--workdir", type=Path, help="scratch directory (default: a new one)")
    parser.add_argument("--commit", help="test this commit's files (default: the working tree)")
    args = parser.parse_args()
    scope = SCOPES[args.scope]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ogrine-mutation-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.commit:
        export_commit(args.commit, workdir)
    else:
        copy_tracked_files(workdir)
    with (workdir / "pyproject.toml").open("a", encoding="utf-8") as settings:
        settings.write(mutmut_settings(scope, workdir))
    source = f"commit {args.commit}" if args.commit else "the working tree"
    print(f"mutation testing of {source}, scope {args.scope}, in {workdir}", flush=True)
    # Made now: a path that does not exist when Python starts is cached as holding nothing.
    (workdir / MUTMUT_DATA).mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(workdir / MUTMUT_DATA)}
    began = time.monotonic()
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(args.max_children)]
    log = workdir / "mutmut.log"  # mutmut's progress, one spinner frame after another
    with log.open("w", encoding="utf-8") as output:
        done = subprocess.run(
            ["nice", "-n", "19", *command], cwd=workdir, env=env, stdout=output, stderr=output
        )
    minutes = (time.monotonic() - began) / 60
    found = outcomes(workdir)
    if done.returncode != 0 or not found:
        print(f"mutmut failed (exit status {done.returncode}) after {minutes:.0f} min: see {log}")
        return 1
    print(f"\n{summary(found)} ({minutes:.0f} min)")
    for name, status in found.items():
        if status not in CAUGHT | {"skipped"}:
            print(f"  {status:<10} {name}")
    print(f"each: cd {workdir} && {sys.executable} -m mutmut show <name>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
