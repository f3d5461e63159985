"""How long `make test` takes: the whole suite, on a quiet machine and with one core kept busy,
and the suites two issues set time targets on, each against its reference.

    .venv/bin/python -m benchmarks.tests [--rounds 1] [--issue 11] [--issue 26]

Each round runs the README's test command (``python -m pytest``, as ``make test`` does, from
the warm venv) once quietly and once beside a process that spins on one core, which is
what CI's machine often looks like; the table gives medians, the CPU time the suite used
(its processes and all their children) and the busy ÷ quiet ratio. Each round also runs:

- the tests not marked ``integration`` alone (``-m "not integration"``): the quick loop
  while editing, and what a split of ``make test`` would cost;
- for each issue asked for (both by default), **the suite that issue measured**: the tests
  that existed at ``tests_at``, found by collecting that commit's tests in a git worktree
  and picked here by their names (``renamed`` and ``moved`` follow those that moved); tests
  reworked since under other names are left out and counted. The issue's targets apply to
  this suite: later issues added tests the issue never budgeted for, most of the whole
  suite's CPU time goes to processes it starts on purpose, and the table prints the whole
  suite's floor on this machine (its CPU time ÷ the cores);
- **its reference**: the suite of ``reference_at``, the commit the issue was filed at, with
  that commit's code, run as its ``make test`` ran it, in the same round, so that the ratio
  holds whatever this machine's speed is this hour. It needs the git history (a full clone)
  and a lock that still installs what that code imports (only packages were added since);
  the script stops and says so when it cannot.

A run of this code with a failed test does not count: the script stops and names it. The
reference's own tests may fail (its ``ogrine up`` under load took up to ~40 s; a run its
tests launch through Dagster does not see the worktree): its time still counts, and the
failed tests are listed under the table. A failed test usually ends early, so a failure
there makes the reference shorter and the ratio worse, never better. Bounded: the spinner
dies with its round.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from benchmarks.pipeline import busy as with_a_busy_core

ROOT = Path(__file__).resolve().parent.parent

UNIT_ONLY = ("-m", "not integration")
TESTS = "ogrine_assets_tests/"
UP_TEST = "test_up_serves_dagster_mlflow_and_the_service_and_stops_on_ctrl_c"
STOP_TEST = (
    "local/test_stack.py::test_up_stops_cleanly_on_any_stop_signal_to_its_group_at_any_moment"
)
MOVED = {  # files split since, under TESTS: a test of the first now lives in one of these
    "test_home.py": (
        "local/test_lock.py",
        "local/test_stores.py",
        "local/test_files.py",
        "local/test_processes.py",
    ),
    "test_stack_output.py": ("local/test_console.py",),
    "test_stack.py": ("local/test_stack.py",),
}


@dataclass(frozen=True)
class IssueSuite:
    """A speed target an issue set on ``make test``, and what it is measured on."""

    issue: int
    tests_at: str  # the commit whose tests are the suite the target applies to
    reference_at: str  # the commit the issue was filed at: its suite, its code
    said: str  # the issue's own figures for the reference
    quiet_target: float  # seconds, the issue's suite, quiet
    busy_target: float | None  # seconds, with one core busy (None: the issue set none)
    ratio_target: float  # this code ÷ reference, wall
    renamed: Mapping[str, str]  # a test of tests_at (under TESTS) → its name now


ISSUES = {
    suite.issue: suite
    for suite in (
        IssueSuite(
            # "Twice as fast, everywhere", filed at "Review fixes for the design pass"
            issue=11,
            tests_at="b53b89c4813c98d7906dc817cfdc0d435b31671f",
            reference_at="b53b89c4813c98d7906dc817cfdc0d435b31671f",
            said="~120 s quiet, ~270 s busy",
            quiet_target=60,
            busy_target=120,
            ratio_target=0.5,
            renamed={
                f"test_cli.py::{UP_TEST}": f"local/test_stack.py::{UP_TEST}",
                "service/test_page_browser.py::"
                "test_chart_renders_history_and_seven_forecast_points": (
                    "service/test_page_browser.py::"
                    "test_the_page_is_readable_on_a_phone_and_a_desktop_in_both_languages"
                ),
            },
        ),
        IssueSuite(
            # "Built on its ecosystem": its tests as its own work left them, before issue 27's
            # work began (36bf374), against the commit it was filed at (7ab4c36).
            issue=26,
            tests_at="36bf374bc253d500a47bcdb512d4574e9fcf9545",
            reference_at="7ab4c36cde1621a8b17d4a678b38d683e5ce5fa9",
            said="124 s quiet",
            quiet_target=150,
            busy_target=None,
            ratio_target=150 / 124,
            renamed={
                "test_cli.py::test_materialize_twice_then_a_failed_fetch_changes_nothing": (
                    "test_cli.py::test_a_failed_fetch_ends_in_one_line_and_changes_nothing"
                ),
                "test_telemetry.py::test_the_documented_commands_leave_nothing_in_the_users_home": (
                    "test_cli.py::test_the_documented_commands_leave_nothing_in_the_users_home"
                ),
                "test_definitions.py::test_dg_check_defs_passes": (
                    "test_cli.py::test_dg_check_defs_passes_and_makes_no_instance_in_the_project"
                ),
                "local/test_stack.py::"
                "test_up_on_a_damaged_store_says_so_in_one_line_and_starts_nothing": (
                    "local/test_stack.py::"
                    "test_up_on_a_damaged_store_says_so_in_one_line_and_starts_nothing[MLflow]"
                ),
                # Each stop case kept its signal; the later moment is the heavier one.
                f"{STOP_TEST}[15-parts starting]": f"{STOP_TEST}[15-every part starting]",
                f"{STOP_TEST}[1-parts starting]": f"{STOP_TEST}[1-first parts starting]",
                f"{STOP_TEST}[2-parts starting]": f"{STOP_TEST}[2-first parts starting]",
                "defs/test_pipeline.py::test_an_unchanged_model_is_not_trained_again_until_asked": (
                    "defs/test_pipeline.py::"
                    "test_an_unchanged_model_is_not_trained_again_until_asked_or_its_code_changes"
                ),
                "service/test_app.py::"
                "test_the_page_draws_every_history_day_for_phones_and_wider_screens": (
                    "service/test_app.py::"
                    "test_the_page_draws_30_days_for_phones_and_wider_screens_and_90_on_asking"
                ),
                "service/test_page_browser.py::"
                "test_the_page_is_readable_on_a_phone_and_a_desktop": (
                    "service/test_page_browser.py::"
                    "test_the_page_is_readable_on_a_phone_and_a_desktop_in_both_languages"
                ),
            },
        ),
    )
}

Measured = tuple[float, float, int]  # wall seconds, CPU seconds, tests passed
PYTEST = ("-m", "pytest", "-q", "-p", "no:cacheprovider")


def pytest(
    *options: str,
    cwd: Path = ROOT,
    python: Path = Path(sys.executable),
    failed: list[str] | None = None,
) -> Measured:
    """Wall seconds, CPU seconds (user + system, children included) and tests passed of one
    pytest run with ``options`` in ``cwd``. A failed test stops the script, unless
    ``failed`` is given: the reference's own tests may fail, and their names are added
    there, to be printed."""
    before = os.times()
    began = time.perf_counter()
    done = subprocess.run(
        [python, *PYTEST, *options],
        cwd=cwd,
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


def collected(cwd: Path = ROOT, python: Path = Path(sys.executable)) -> list[str]:
    """The node ids of the tests pytest collects in ``cwd``."""
    done = subprocess.run(
        [python, *PYTEST, "--collect-only"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"collecting the tests in {cwd} failed:\n{done.stdout[-2000:]}")
    return [line for line in done.stdout.splitlines() if "::" in line]


@contextlib.contextmanager
def checkout(commit: str) -> Iterator[Path]:
    """``commit`` in a temporary git worktree."""
    with tempfile.TemporaryDirectory(prefix="ogrine-then-") as scratch:
        tree = Path(scratch) / "tree"
        added = subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), commit],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            raise SystemExit(
                f"cannot check out {commit[:7]} (a full clone is needed): {added.stderr.strip()}"
            )
        try:
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)


def python_for(tree: Path) -> Path:
    """A Python that runs ``tree``'s code with this venv's packages: a venv of its own (in
    ``tree``'s parent) whose first path is ``tree`` and which then adds this venv's
    site-packages, with each of this venv's commands (its Python scripts copied to start
    this Python, other programs such as hadolint linked). PYTHONPATH would not do: the
    tests that look inside a process they start (``probe_at_start``) set PYTHONPATH
    themselves, and that process then ran this checkout's code instead."""
    venv = tree.parent / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    installed = sysconfig.get_path("purelib")
    (site / "00-then.pth").write_text(f"{tree}\n")
    (site / "zz-installed.pth").write_text(f"import site; site.addsitedir({installed!r})\n")
    ours = f"#!{sys.executable}\n".encode()
    for command in Path(sys.executable).parent.iterdir():
        copy = venv / "bin" / command.name
        if copy.exists() or not command.is_file():
            continue
        if (text := command.read_bytes()).startswith(ours):
            copy.write_bytes(f"#!{venv / 'bin' / 'python'}\n".encode() + text[len(ours) :])
            copy.chmod(0o755)
        else:
            copy.symlink_to(command)
    return venv / "bin" / "python"


def selection(
    then: Sequence[str], now: Sequence[str], renamed: Mapping[str, str]
) -> tuple[list[str], int]:
    """The tests of ``then`` as they are called ``now``, and how many have no such name."""
    present = set(now)
    short = [renamed.get(test, test) for test in (t.removeprefix(TESTS) for t in then)]
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


@dataclass
class Prepared:
    """An issue's suite ready to run: its tests by today's names, and its reference's tree."""

    suite: IssueSuite
    listing: Path  # the node ids, one a line (pytest reads them from ``@listing``)
    picked: int
    reworked: int
    tree: Path
    python: Path  # runs the reference's code (``python_for``)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--issue",
        type=int,
        action="append",
        choices=sorted(ISSUES),
        help="measure this issue's suite (repeatable; default: every one)",
    )
    arguments = parser.parse_args()
    rounds, issues = arguments.rounds, [ISSUES[n] for n in arguments.issue or sorted(ISSUES)]
    runs: dict[str, list[Measured]] = {}
    failed_then: dict[int, list[str]] = {suite.issue: [] for suite in issues}

    def measure(name: str, work: Callable[[], Measured], busy_too: bool = True) -> None:
        runs.setdefault(f"{name} quiet", []).append(work())
        if busy_too:
            runs.setdefault(f"{name} busy", []).append(with_a_busy_core(work))

    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        now = collected()
        prepared = []
        for suite in issues:
            tests_tree = stack.enter_context(checkout(suite.tests_at))
            tests_python = python_for(tests_tree)
            picked, reworked = selection(collected(tests_tree, tests_python), now, suite.renamed)
            listing = scratch / f"issue-{suite.issue}.txt"
            listing.write_text("\n".join(picked) + "\n")
            tree, python = (tests_tree, tests_python)
            if suite.reference_at != suite.tests_at:
                tree = stack.enter_context(checkout(suite.reference_at))
                python = python_for(tree)
            prepared.append(Prepared(suite, listing, len(picked), reworked, tree, python))
        for _ in range(rounds):
            measure("suite", pytest)
            measure("quick", partial(pytest, *UNIT_ONLY))
            for ready in prepared:
                n, busy_too = ready.suite.issue, ready.suite.busy_target is not None
                measure(f"{n} now", partial(pytest, f"@{ready.listing}"), busy_too)
                reference = partial(
                    pytest, cwd=ready.tree, python=ready.python, failed=failed_then[n]
                )
                measure(f"{n} then", reference, busy_too)

    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    wall = {name: median(results, 0) for name, results in runs.items()}
    cpu = {name: median(results, 1) for name, results in runs.items()}
    print(
        f"{cores} cores, {rounds} round(s), medians; {runs['suite quiet'][0][2]} tests "
        f"passed in the suite, {runs['quick quiet'][0][2]} of them not marked integration\n"
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
    for ready in prepared:
        _print_issue(ready, wall, cpu)
    print(
        "\nEach issue's targets apply to the suite it measured (its bold row). No run of the "
        "whole suite can finish in less wall time than its CPU time ÷ the cores "
        "(docs/testing.md)."
    )
    for ready in prepared:
        if failed := failed_then[ready.suite.issue]:
            print(
                f"\nThe reference's own tests that failed, issue {ready.suite.issue} (its times "
                "include them):"
            )
            print("\n".join(f"- {line}" for line in failed))
    for ready in prepared:
        print(
            f"\nIssue {ready.suite.issue}'s suite: {ready.picked} tests of "
            f"{ready.suite.tests_at[:7]} under their names now; {ready.reworked} more were "
            "reworked since under other names and are left out."
        )
    return 0


def _print_issue(ready: Prepared, wall: dict[str, float], cpu: dict[str, float]) -> None:
    suite, n = ready.suite, ready.suite.issue
    busy = suite.busy_target is not None

    def cells(figure: Callable[[str], str]) -> str:
        """The quiet and busy cells of a row; an issue with no busy target was not run busy."""
        return f"{figure('quiet')} | {figure('busy') if busy else 'n/a'}"

    def seconds(which: str) -> str:
        return cells(lambda mode: f"{wall[f'{n} {which} {mode}']:.0f} s")

    def ratio(mode: str) -> str:
        return f"{wall[f'{n} now {mode}'] / wall[f'{n} then {mode}']:.2f}"

    def cpu_pair(mode: str) -> str:
        return f"{cpu[f'{n} now {mode}']:.0f} s / {cpu[f'{n} then {mode}']:.0f} s"

    targets = f"≤ {suite.quiet_target:.0f} s" + (f" / ≤ {suite.busy_target:.0f} s" if busy else "")
    print(
        f"| **issue {n}'s suite**: wall, the tests of {suite.tests_at[:7]}, this code "
        f"| {seconds('now')} | {targets} |"
    )
    print(
        f"| wall, {suite.reference_at[:7]}'s suite, its code, as its `make test` ran it "
        f"(reference; the issue said {suite.said}) | {seconds('then')} | |"
    )
    print(f"| this code ÷ reference, wall | {cells(ratio)} | ≤ {suite.ratio_target:.2f} |")
    print(f"| CPU, issue {n}'s suite this code / reference | {cells(cpu_pair)} | |")


if __name__ == "__main__":
    sys.exit(main())
