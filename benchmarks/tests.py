"""How long `make test` takes: the whole suite, on a quiet machine and with one core kept busy.

    .venv/bin/python -m benchmarks.tests [--rounds 1]

Each round runs the README's test command (``python -m pytest``, as ``make test`` does, from
the warm venv) once quietly and once beside a process that spins on one core, which is
what CI's machine often looks like; the table gives medians, the CPU time the suite used
(its processes and all their children) and the busy ÷ quiet ratio. A run with a failed test
does not count: the script stops and says so. Bounded: the spinner dies with its round.
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


def suite() -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, children included) and tests passed."""
    before = os.times()
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
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
    quiet, busy = [], []
    for _ in range(rounds):
        quiet.append(suite())
        busy.append(with_a_busy_core(suite))
    q_wall, b_wall = (statistics.median(r[0] for r in runs) for runs in (quiet, busy))
    q_cpu, b_cpu = (statistics.median(r[1] for r in runs) for runs in (quiet, busy))
    print(f"{os.cpu_count()} cores, {rounds} round(s), {quiet[0][2]} tests passed each time\n")
    print("| figure | quiet | one core busy | target |")
    print("|---|---:|---:|---|")
    print(f"| wall time | {q_wall:.0f} s | {b_wall:.0f} s | ≤ 60 s / ≤ 120 s |")
    print(f"| CPU time of the suite | {q_cpu:.0f} s | {b_cpu:.0f} s | |")
    print(f"| busy ÷ quiet wall | | {b_wall / q_wall:.2f} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
