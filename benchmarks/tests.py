"""How long `make test` takes: the whole suite, on a quiet machine and with one core kept busy.

    .venv/bin/python -m benchmarks.tests [--rounds 1]

Each round runs the README's test command (``python -m pytest``, as ``make test`` does, from
the warm venv) once quietly and once beside a process that spins on one core, which is
what CI's machine often looks like; the table gives medians, the CPU time the suite used
(its processes and all their children) and the busy ÷ quiet ratio. Each round also runs:

- the tests not marked ``integration`` alone (``-m "not integration"``): the quick loop
  while editing, and what a split of ``make test`` would cost;
- **the suite the speed issue measured**: the tests that existed at FILED_AT, the commit
  that issue was filed at ("~120 s quiet, ~270 s busy"), found by collecting that commit's
  tests in a git worktree and picked here by their names (RENAMED and MOVED follow those
  that moved); tests reworked since under other names are left out and counted. The issue's
  targets (≤ 60 s quiet, ≤ 120 s busy) apply to this suite: the whole suite has more than
  twice as many tests since, most of its CPU time goes to processes it starts on purpose,
  and the table prints the whole suite's floor on this machine (its CPU time ÷ the cores);
- **its reference**: the same commit's own suite with that commit's code, run as its
  ``make test`` ran it then (one process, no pytest-xdist), in the same round, so that the
  ratio holds whatever this machine's speed is this hour. It needs the git history (a
  full clone) and a lock that still installs what that code imports (only packages were
  added since); the script stops and says so when it cannot.

A run of this code with a failed test does not count: the script stops and names it. The
reference's own tests may fail where its code was slow (its ``ogrine up`` under load took
up to ~40 s): its time still counts, and the failed tests are listed under the table.
Bounded: the spinner dies with its round.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

from benchmarks.pipeline import busy as with_a_busy_core

ROOT = Path(__file__).resolve().parent.parent

UNIT_ONLY = ("-m", "not integration")

FILED_AT = "b53b89c4813c98d7906dc817cfdc0d435b31671f"  # "Review fixes for the design pass"
TESTS = "ogrine_assets_tests/"
UP_TEST = "test_up_serves_dagster_mlflow_and_the_service_and_stops_on_ctrl_c"
RENAMED = {  # where a test of FILED_AT lives now, under TESTS
    f"test_cli.py::{UP_TEST}": f"local/test_stack.py::{UP_TEST}",
    "service/test_page_browser.py::test_chart_renders_history_and_seven_forecast_points": (
        "service/test_page_browser.py::test_the_page_is_readable_on_a_phone_and_a_desktop"
    ),
}
MOVED = {  # files of FILED_AT whose tests now live in one of these, under TESTS
    "test_home.py": (
        "local/test_lock.py",
        "local/test_stores.py",
        "local/test_files.py",
        "local/test_processes.py",
    ),
    "test_stack_output.py": ("local/test_console.py",),
    "test_stack.py": ("local/test_stack.py",),
}

Measured = tuple[float, float, int]  # wall seconds, CPU seconds, tests passed
PYTEST = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")


def pytest(
    *options: str,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    failed: list[str] | None = None,
) -> Measured:
    """Wall seconds, CPU seconds (user + system, children included) and tests passed of one
    pytest run with ``options`` in ``cwd``. A failed test stops the script, unless
    ``failed`` is given: the reference's own tests may fail where its code was slow (its
    ``ogrine up`` under load), and their names are added there, to be printed."""
    before = os.times()
    began = time.perf_counter()
    done = subprocess.run(
        [*PYTEST, *options],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    wall = time.perf_counter() - began
    after = os.times()
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
    failures = [line for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    if done.returncode != 0 and (failed is None or not failures):
        report = done.stdout.partition("= FAILURES =")[2] or done.stdout
        raise SystemExit(
            f"pytest {' '.join(options)} in {cwd} failed ({summary}); no figures\n"
            + "\n".join(failures)
            + f"\n\nThe end of its report:\n{report[-6000:]}"
        )
    if failed is not None:
        failed += failures
    passed = int(re.search(r"(\d+) passed", summary).group(1))  # type: ignore[union-attr]
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, passed


def collected(cwd: Path = ROOT, env: dict[str, str] | None = None) -> list[str]:
    """The node ids of the tests pytest collects in ``cwd``."""
    done = subprocess.run(
        [*PYTEST, "--collect-only"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"collecting the tests in {cwd} failed:\n{done.stdout[-2000:]}")
    return [line for line in done.stdout.splitlines() if "::" in line]


@contextlib.contextmanager
def filed_checkout() -> Iterator[tuple[Path, dict[str, str]]]:
    """FILED_AT in a temporary git worktree, and the environment that runs its code: the
    venv's editable install points here, so PYTHONPATH puts that tree first (the ``ogrine``
    processes its tests start inherit it)."""
    with tempfile.TemporaryDirectory(prefix="ogrine-filed-") as scratch:
        tree = Path(scratch) / "tree"
        added = subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), FILED_AT],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            raise SystemExit(
                f"cannot check out {FILED_AT[:7]} (a full clone is needed): {added.stderr.strip()}"
            )
        try:
            yield tree, {**os.environ, "PYTHONPATH": str(tree)}
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)


def filed_selection(filed: Sequence[str], now: Sequence[str]) -> tuple[list[str], int]:
    """The tests of ``filed`` as they are called ``now``, and how many have no such name."""
    present = set(now)
    short = [RENAMED.get(test, test) for test in (t.removeprefix(TESTS) for t in filed)]
    named = [TESTS + _moved(test, present) for test in short]
    return [test for test in named if test in present], sum(t not in present for t in named)


def _moved(test: str, present: set[str]) -> str:
    """``test`` under the name of the file that holds it now, where its file was split."""
    file, _, name = test.partition("::")
    for candidate in MOVED.get(file, ()):
        if f"{TESTS}{candidate}::{name}" in present:
            return f"{candidate}::{name}"
    return test


def median(runs: Sequence[Measured], field: int) -> float:
    return statistics.median(run[field] for run in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    rounds = parser.parse_args().rounds
    runs: dict[str, list[Measured]] = {}
    failed_then: list[str] = []  # the reference's own failures, if any

    def measure(name: str, work: Callable[[], Measured]) -> None:
        runs.setdefault(f"{name} quiet", []).append(work())
        runs.setdefault(f"{name} busy", []).append(with_a_busy_core(work))

    with filed_checkout() as (tree, filed_env), tempfile.TemporaryDirectory() as scratch:
        selection, reworked = filed_selection(collected(tree, filed_env), collected())
        listing = Path(scratch) / "filed.txt"
        listing.write_text("\n".join(selection) + "\n")
        for _ in range(rounds):
            measure("suite", pytest)
            measure("quick", partial(pytest, *UNIT_ONLY))
            measure("filed", partial(pytest, f"@{listing}"))  # pytest reads the ids from it
            measure("then", partial(pytest, cwd=tree, env=filed_env, failed=failed_then))

    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    wall = {name: median(results, 0) for name, results in runs.items()}
    cpu = {name: median(results, 1) for name, results in runs.items()}
    print(
        f"{cores} cores, {rounds} round(s), medians; {runs['suite quiet'][0][2]} tests "
        f"passed in the suite, {runs['quick quiet'][0][2]} of them not marked integration; "
        f"{runs['filed quiet'][0][2]} are the tests of {FILED_AT[:7]} (where the speed issue "
        f"was filed; {reworked} more of its {runs['then quiet'][0][2]} were reworked since "
        "under other names)\n"
    )
    print("| figure | quiet | one core busy | target |")
    print("|---|---:|---:|---|")
    print(
        f"| `make test` wall time, the whole suite | {wall['suite quiet']:.0f} s "
        f"| {wall['suite busy']:.0f} s | (none: see below) |"
    )
    print(f"| `make test` CPU time | {cpu['suite quiet']:.0f} s | {cpu['suite busy']:.0f} s | |")
    print(
        f"| the whole suite's floor here: its CPU time ÷ {cores} cores "
        f"| {cpu['suite quiet'] / cores:.0f} s | | |"
    )
    print(
        f'| wall, `-m "not integration"` only | {wall["quick quiet"]:.0f} s '
        f"| {wall['quick busy']:.0f} s | |"
    )
    print(
        f"| **`make test` as the issue measured it**: wall, the tests of {FILED_AT[:7]}, "
        f"this code | {wall['filed quiet']:.0f} s | {wall['filed busy']:.0f} s "
        "| ≤ 60 s / ≤ 120 s |"
    )
    print(
        f"| wall, {FILED_AT[:7]}'s suite, its code, as its `make test` ran it "
        f"(reference) | {wall['then quiet']:.0f} s | {wall['then busy']:.0f} s | |"
    )
    print(
        f"| this code ÷ reference, wall | {wall['filed quiet'] / wall['then quiet']:.2f} "
        f"| {wall['filed busy'] / wall['then busy']:.2f} | ≤ 0.5 (twice as fast) |"
    )
    print(
        f"| CPU, the tests of {FILED_AT[:7]}: this code / reference | "
        f"{cpu['filed quiet']:.0f} s / {cpu['then quiet']:.0f} s "
        f"| {cpu['filed busy']:.0f} s / {cpu['then busy']:.0f} s | |"
    )
    print(
        f"\nThe issue's targets (≤ 60 s quiet, ≤ 120 s busy) apply to the tests of "
        f"{FILED_AT[:7]} (the bold row). The whole suite has {runs['suite quiet'][0][2]} tests "
        "now; no run of it can finish in less wall time than its CPU time ÷ the cores "
        "(docs/testing.md)."
    )
    if failed_then:
        print("\nThe reference's own tests that failed (its times include them):")
        print("\n".join(f"- {line}" for line in failed_then))
    return 0


if __name__ == "__main__":
    sys.exit(main())
