"""How long `make test` takes: the whole suite, on a quiet machine and with one core kept busy.

    .venv/bin/python -m benchmarks.tests [--rounds 1]

Each round runs the README's test command (``python -m pytest``, as ``make test`` does, from
the warm venv) once quietly and once beside a process that spins on one core, which is
what CI's machine often looks like; the table gives medians, the CPU time the suite used
(its processes and all their children) and the busy ÷ quiet ratio. Each round also runs
the tests not marked ``integration`` alone (``-m "not integration"``): the quick loop while
editing, and what a split of ``make test`` would cost. A run with a failed test does not
count: the script stops and says so. Bounded: the spinner dies with its round.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.pipeline import busy as with_a_busy_core

ROOT = Path(__file__).resolve().parent.parent


UNIT_ONLY = ("-m", "not integration")


def suite(*selection: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, children included) and tests passed, for
    the whole suite or the tests ``selection`` (pytest options) picks."""
    before = os.times()
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection],
        cwd=ROOT, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    wall = time.perf_counter() - began
    after = os.times()
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
    if done.returncode != 0:
        raise SystemExit(f"the suite failed ({summary}); nothing measured")
    passed = int(re.search(r"(\d+) passed", summary).group(1))  # type: ignore[union-attr]
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    rounds = parser.parse_args().rounds
    quiet, busy, unit_quiet, unit_busy = [], [], [], []
    for _ in range(rounds):
        quiet.append(suite())
        busy.append(with_a_busy_core(suite))
        unit_quiet.append(suite(*UNIT_ONLY))
        unit_busy.append(with_a_busy_core(lambda: suite(*UNIT_ONLY)))
    q_wall, b_wall, uq_wall, ub_wall = (
        statistics.median(r[0] for r in runs) for runs in (quiet, busy, unit_quiet, unit_busy)
    )
    q_cpu, b_cpu = (statistics.median(r[1] for r in runs) for runs in (quiet, busy))
    print(
        f"{os.cpu_count()} cores, {rounds} round(s), {quiet[0][2]} tests passed each time, "
        f"{unit_quiet[0][2]} of them not marked integration\n"
    )
    print("| figure | quiet | one core busy | target |")
    print("|---|---:|---:|---|")
    print(f"| wall time | {q_wall:.0f} s | {b_wall:.0f} s | ≤ 60 s / ≤ 120 s |")
    print(f"| CPU time of the suite | {q_cpu:.0f} s | {b_cpu:.0f} s | |")
    print(f"| busy ÷ quiet wall | | {b_wall / q_wall:.2f} | |")
    print(f'| wall time, `-m "not integration"` only | {uq_wall:.0f} s | {ub_wall:.0f} s | |')
    return 0


if __name__ == "__main__":
    sys.exit(main())
