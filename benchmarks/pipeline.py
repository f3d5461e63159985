"""How fast the pipeline runs, and what it holds in memory: one table, all measured in one run.

    .venv/bin/python -m benchmarks.pipeline [--rounds 3]

Every figure is the median of ``--rounds`` repetitions, interleaved (a round measures each
figure once), so a noisy stretch of the machine hits all of them alike:

- ``ogrine materialize`` in a fresh process, warm (an existing home, ``--retrain``: it
  trains every time) and cold (a new one): wall time and peak resident memory; and warm on
  unchanged data, where nothing is trained;
- the whole graph (``train_and_publish_job``) executed again inside a process that has
  already loaded everything, beside a **reference** in that same process: what the old
  project's training did (``old_training.py``);
- the old project's training run as a fresh process, from its start, against which a warm
  ``ogrine materialize --retrain`` is held: measured right after it in each round, and given
  both as the ratio of the medians and as the median of each round's own ratio (with the
  lowest and highest, which show how much the machine moved);
- loading the code location in a fresh process (import and build, what every run worker
  and every reload of the UI pays), against ``import dagster`` alone;
- ``ogrine up``: from start until Dagster, MLflow and the service all answer, and the
  resident memory of the whole stack then;
- the backtest alone, idle and with the other core kept busy;
- each step's time within the graph.

The targets are ratios against a reference measured in the same rounds: a warm retrain
against the old training run, the code location against ``import dagster``, the backtest
busy against idle. The other rows are measured to be read, not held to a number. It runs
with the Python that runs it: the dev venv (``.venv/bin/python``), or a runtime-only one
(``make VENV=/tmp/rt runtime``; then ``PYTHONPATH=. /tmp/rt/bin/python -m benchmarks.pipeline``),
which is what a user's ``make run`` installs.

127.0.0.1 only; every loop is bounded by its rounds or a deadline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ogrine_assets.settings import environment_without_ours

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOW = "2026-11-26T09:30:00+00:00"  # a fixed "now": the same data every round


def environment(home: Path, **extra: str) -> dict[str, str]:
    return {**environment_without_ours(), "OGRINE_HOME": str(home), "OGRINE_NOW": NOW, **extra}


# A child's peak RSS (``ru_maxrss``) starts from its parent's resident size at the fork, so
# the measured commands are started by this small process, launched before anything heavy
# is loaded here: their figures are theirs alone.
LAUNCHER = """
import json, os, subprocess, sys, tempfile, time
for line in sys.stdin:
    job = json.loads(line)
    with tempfile.TemporaryFile() as errors:
        began = time.perf_counter()
        child = subprocess.Popen(job["command"], env=job["env"], stdout=subprocess.DEVNULL,
                                 stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - began
        errors.seek(0)
        tail = errors.read().decode(errors="replace")[-2000:]
    print(json.dumps([seconds, usage.ru_maxrss / 1024, status, tail]), flush=True)
"""


class Launcher:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def timed(self, command: list[str], env: dict[str, str]) -> tuple[float, float]:
        """Wall seconds and peak resident MiB of one process run to its end."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"command": command, "env": env}) + "\n")
        self.process.stdin.flush()
        seconds, peak, status, errors = json.loads(self.process.stdout.readline())
        if status != 0:
            raise RuntimeError(f"{command} failed: {errors}")
        return seconds, peak

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def materialize(launcher: Launcher, home: Path, *options: str) -> tuple[float, float]:
    return launcher.timed([str(BIN / "ogrine"), "materialize", *options], environment(home))


def old_training_run(launcher: Launcher, home: Path, round_: int) -> float:
    """The old project's training run in a fresh process, from its start, on the warm
    home's validated rates, into a store of its own (one per round: each registers anew)."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.old_training",
        str(home / "storage" / "validated_rates.parquet"),
        f"sqlite:///{home.parent / f'old-{round_}.db'}",
    ]
    return launcher.timed(command, {**environment(home), "PYTHONPATH": str(ROOT)})[0]


def import_dagster() -> float:
    """``import dagster`` in a fresh process: the floor of any code location's load."""
    code = "import time; t = time.perf_counter(); import dagster; print(time.perf_counter() - t)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=environment_without_ours(),
    )
    return float(done.stdout.strip())


def code_location_load() -> float:
    code = (
        "import time; t = time.perf_counter(); import ogrine_assets.definitions as d; "
        "d.defs(); print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=environment(Path(tempfile.mkdtemp())),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stack(home: Path) -> tuple[float, float]:
    """Seconds from `ogrine up` until all three answer, and the stack's resident MiB then.

    The home already holds a published forecast, as after `make run`'s first step: the
    service's health is "ready" only once it has one to serve.
    """
    ports = [free_port() for _ in range(3)]
    command = [
        str(BIN / "ogrine"),
        "up",
        "--dagster-port",
        str(ports[0]),
        "--mlflow-port",
        str(ports[1]),
        "--service-port",
        str(ports[2]),
    ]
    urls = [
        f"http://127.0.0.1:{ports[0]}/server_info",
        f"http://127.0.0.1:{ports[1]}/health",
        f"http://127.0.0.1:{ports[2]}/health",
    ]
    began = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=environment(home),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = began + 180
        waiting = list(urls)
        while waiting:
            if time.perf_counter() > deadline or process.poll() is not None:
                raise RuntimeError(f"ogrine up: {waiting} never answered")
            waiting = [url for url in waiting if not answers(url)]
            time.sleep(0.1)
        ready = time.perf_counter() - began
        resident = sum(_resident_kib(pid) for pid in _descendants(process.pid) | {process.pid})
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=120)
    return ready, resident / 1024


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
            children[parent].append(int(entry.name))
    found, frontier = set(), [pid]
    while frontier:
        for child in children[frontier.pop()]:
            found.add(child)
            frontier.append(child)
    return found


def _resident_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class InProcess:
    """The graph and the reference, each run again and again in this one loaded process."""

    def __init__(self, home: Path) -> None:
        os.environ.update(environment(home, DAGSTER_HOME=str(home / "dagster")))
        os.environ["MLFLOW_LOGGING_LEVEL"] = "WARNING"
        os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
        import dagster as dg

        from ogrine_assets.definitions import build_definitions
        from ogrine_assets.local.stores import prepare
        from ogrine_assets.materialize import RETRAIN, SILENT_CONSOLE
        from ogrine_assets.settings import Settings

        self.run_config = {**SILENT_CONSOLE, **RETRAIN}
        self.settings = Settings.from_env()
        prepare(self.settings)
        self.defs = build_definitions(self.settings)
        self.instance = dg.DagsterInstance.get()
        self.steps: dict[str, list[float]] = defaultdict(list)
        self.reference_uri = f"sqlite:///{home / 'reference.db'}"
        self.graph()  # loads what the first run loads: what follows is warm
        self.reference()

    def graph(self) -> float:
        began = time.perf_counter()
        result = self.defs.resolve_job_def("train_and_publish_job").execute_in_process(
            instance=self.instance,
            # Trains every time, as the reference does (on unchanged data it would not).
            run_config=self.run_config,
        )
        seconds = time.perf_counter() - began
        for stats in self.instance.get_run_step_stats(result.run_id):
            if stats.start_time is not None and stats.end_time is not None:
                self.steps[stats.step_key].append(stats.end_time - stats.start_time)
        return seconds

    def reference(self) -> float:
        """The old project's training (``old_training.py``), everything already loaded."""
        from benchmarks.old_training import train_and_register

        began = time.perf_counter()
        rates = self.settings.storage_dir / "validated_rates.parquet"
        train_and_register(rates, self.reference_uri)
        return time.perf_counter() - began


def median_seconds(work: Callable[[], object], times: int = 3) -> float:
    """The median of ``times`` timings of ``work()``: the first timing after a core turns
    busy pays for the scheduler moving this process off the busy core (a 14 ms backtest
    took 24 ms, the next ones 13-15 ms), which says nothing about the code."""
    timings = []
    for _ in range(times):
        began = time.perf_counter()
        work()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def backtest_seconds() -> float:
    from ogrine_assets.model.backtest import run_backtest
    from ogrine_assets.model.features import MODEL_FEATURES
    from ogrine_assets_tests.synthetic_series import synthetic_series

    series = synthetic_series()
    return median_seconds(lambda: run_backtest(series, {"model": MODEL_FEATURES}))


def python_loop_seconds() -> float:
    """Plain interpreted arithmetic, no library, timed as the backtest is: what a busy other
    core costs this machine itself (on a host whose cores slow each other, this shows it)."""
    return median_seconds(lambda: sum(number * number for number in range(400_000)))


def busy(measure: Callable[[], T]) -> T:
    """``measure()`` while another process keeps the other core busy."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        return measure()
    finally:
        spinner.kill()
        spinner.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    scratch = Path(tempfile.mkdtemp(prefix="ogrine-bench-"))
    figures: dict[str, list[float]] = defaultdict(list)
    launcher = Launcher()
    try:
        warm_home = scratch / "warm"
        materialize(launcher, warm_home)  # the warm home exists before the first warm measure
        loaded = InProcess(scratch / "loaded")
        for round_ in range(rounds):
            print(f"round {round_ + 1} of {rounds}", file=sys.stderr, flush=True)
            wall, peak = materialize(launcher, warm_home, "--retrain")
            figures["warm wall"].append(wall)
            figures["warm rss"].append(peak)
            # Right after it: the pair meets the same state of the machine.
            figures["old training"].append(old_training_run(launcher, warm_home, round_))
            figures["warm ratio"].append(wall / figures["old training"][-1])
            figures["unchanged wall"].append(materialize(launcher, warm_home)[0])
            cold_home = scratch / f"cold-{round_}"
            wall, peak = materialize(launcher, cold_home)
            shutil.rmtree(cold_home, ignore_errors=True)
            figures["cold wall"].append(wall)
            figures["cold rss"].append(peak)
            figures["graph"].append(loaded.graph())
            figures["reference"].append(loaded.reference())
            figures["load"].append(code_location_load())
            figures["import dagster"].append(import_dagster())
            ready, resident = stack(warm_home)
            figures["up ready"].append(ready)
            figures["up rss"].append(resident)
            figures["backtest idle"].append(backtest_seconds())
            figures["backtest busy"].append(busy(backtest_seconds))
            figures["loop idle"].append(python_loop_seconds())
            figures["loop busy"].append(busy(python_loop_seconds))
    finally:
        launcher.close()
        shutil.rmtree(scratch, ignore_errors=True)
    med = {name: statistics.median(values) for name, values in figures.items()}
    backtest_ratio = med["backtest busy"] / med["backtest idle"]
    machine_ratio = med["loop busy"] / med["loop idle"]
    rows = [
        ("fresh `ogrine materialize --retrain`, warm", f"{med['warm wall']:.2f} s", ""),
        (
            "fresh `ogrine materialize`, warm, data unchanged (nothing trained)",
            f"{med['unchanged wall']:.2f} s",
            "",
        ),
        ("fresh `ogrine materialize`, cold (new home)", f"{med['cold wall']:.2f} s", ""),
        (
            "peak RSS of `ogrine materialize` (warm / cold)",
            f"{med['warm rss']:.0f} / {med['cold rss']:.0f} MiB",
            "",
        ),
        ("the graph in a loaded process", f"{med['graph']:.2f} s", ""),
        ("the reference (old training) in the same process", f"{med['reference']:.2f} s", ""),
        ("graph ÷ reference", f"{med['graph'] / med['reference']:.2f}", ""),
        ("the old project's training run, fresh process", f"{med['old training']:.2f} s", ""),
        (
            "warm `--retrain` ÷ the old training run",
            f"{med['warm wall'] / med['old training']:.2f}",
            "≤ 0.55",
        ),
        (
            "the same, each round's own pair (median; lowest to highest)",
            f"{med['warm ratio']:.2f} ({min(figures['warm ratio']):.2f} to "
            f"{max(figures['warm ratio']):.2f})",
            "",
        ),
        ("loading the code location (import + build)", f"{med['load']:.2f} s", ""),
        ("`import dagster`, fresh process", f"{med['import dagster']:.2f} s", ""),
        ("code location ÷ `import dagster`", f"{med['load'] / med['import dagster']:.2f}", "≤ 1.6"),
        ("`ogrine up`: start to all three answering", f"{med['up ready']:.1f} s", ""),
        ("`ogrine up`: the stack's resident memory", f"{med['up rss']:.0f} MiB", ""),
        (
            "backtest, idle / other core busy",
            f"{med['backtest idle']:.3f} / {med['backtest busy']:.3f} s",
            "",
        ),
        ("backtest busy ÷ idle", f"{backtest_ratio:.2f}", "≤ 1.5"),
        ("the machine's own: a plain Python loop, busy ÷ idle", f"{machine_ratio:.2f}", ""),
        (
            "backtest busy ÷ idle, over the machine's own",
            f"{backtest_ratio / machine_ratio:.2f}",
            "",
        ),
    ]
    print(f"\nmedians of {rounds} interleaved rounds\n")
    print("| figure | measured | target |\n|---|---:|---:|")
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")
    print("\n| step (in the graph) | median |\n|---|---:|")
    for step, values in sorted(loaded.steps.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"| {step} | {statistics.median(values):.3f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
