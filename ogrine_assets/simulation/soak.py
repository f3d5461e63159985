"""The soak: the loop run day after day, as the schedules would, with faults injected.

Each simulated day runs what the schedules and the sensor run (``calendar.py``), with
``OGRINE_NOW`` set to the scheduled instant and the upstream answering as of that day. From a
seeded plan, some runs meet a fault:

- ``kill``: SIGKILL at a random instant of the run;
- ``outage``: the upstream answers 503 to every request;
- ``slow``: the upstream answers a byte at a time (the fetch deadline must end it);
- ``full_disk``: the forecast's folder is on a file system that is full (root only);
- ``concurrent``: a second identical run starts at the same moment;
- ``lost_champion``: the champion's model files are deleted before the run;
- ``outlier``, ``duplicates``, ``gap``, ``clock_ahead``, ``damaged_dagster``: data that
  looks valid and is not, a clock a year ahead for one run, a damaged Dagster store
  (``data_faults.py``).

``ogrine up`` is not run by the soak, so the supervisor's own faults (SIGKILL of it) are
tested by ``local/``'s tests instead.

A killed run and the two racing ones are real ``ogrine`` processes; every other run goes
through the same ``run_job`` in this process (``runner.py``), which is what those commands
run, minus a fresh interpreter's start-up each time. After every run the invariants are
checked (``invariants.py``), and the forecast service, a process running throughout, must
serve the published document. Every plan runs each fault at least
once when it has runs enough.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ogrine_assets.defs.common.mlflow_resources import model_registry_for
from ogrine_assets.forecast_document import decode
from ogrine_assets.model.promotion import standing_champion
from ogrine_assets.names import DECIDED_AT_TAG, DECISION_TAG
from ogrine_assets.rates.synthetic import synthetic_payload
from ogrine_assets.settings import Settings, environment_without_ours
from ogrine_assets.simulation.calendar import Step, scheduled
from ogrine_assets.simulation.data_faults import (
    CLOCK_AHEAD,
    FaultyPayload,
    damage_dagster_storage,
    took_the_way_out,
)
from ogrine_assets.simulation.invariants import violations
from ogrine_assets.simulation.runner import OGRINE, at, command, environment, run_here
from ogrine_assets.simulation.upstream import NORMAL, OUTAGE, SLOW, SimulatedUpstream

FAULTS = (
    "kill",
    "outage",
    "slow",
    "full_disk",
    "concurrent",
    "lost_champion",
    "outlier",
    "duplicates",
    "gap",
    "clock_ahead",
    "damaged_dagster",
)
FETCH_DEADLINE_SECONDS = 3  # a slow upstream must be given up on, quickly
KILL_WITHIN_SECONDS = 4.0  # about the length of a run (3 to 4 s): kills land anywhere in it


@dataclass
class SoakReport:
    days: int
    seed: int
    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    killed: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    skipped_faults: list[str] = field(default_factory=list)
    versions: int = 0
    decisions: int = 0
    champion: str = ""
    disk_bytes: int = 0
    seconds: float = 0.0
    violations: list[str] = field(default_factory=list)

    def table(self) -> str:
        rows = [
            ("days simulated", f"{self.days} (seed {self.seed})"),
            (
                "runs",
                f"{self.runs}: {self.succeeded} succeeded, {self.failed} failed, "
                f"{self.killed} killed",
            ),
            ("faults injected", ", ".join(f"{k} {self.faults[k]}" for k in FAULTS)),
            ("faults not run", ", ".join(self.skipped_faults) or "none"),
            ("versions registered", str(self.versions)),
            ("promotion decisions recorded", str(self.decisions)),
            ("champion at the end", f"v{self.champion}"),
            ("disk used by the home", f"{self.disk_bytes / 2**20:.1f} MiB"),
            ("wall time", f"{self.seconds / 60:.1f} min"),
            ("invariant violations", str(len(self.violations))),
        ]
        lines = ["| figure | value |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]
        return "\n".join(lines + [f"- {violation}" for violation in self.violations])


def plan_faults(runs: int, rng: random.Random, rate: float) -> list[str | None]:
    """A fault (or None) per run: each kind once when there are runs enough, then ``rate``."""
    plan: list[str | None] = [
        rng.choice(FAULTS) if rng.random() < rate else None for _ in range(runs)
    ]
    for kind, run in zip(FAULTS, rng.sample(range(runs), min(runs, len(FAULTS))), strict=False):
        plan[run] = kind
    return plan


def soak(
    home: Path,
    *,
    days: int,
    seed: int,
    first_day: dt.date,
    rate: float = 0.15,
    say: Callable[[str], None] = print,
) -> SoakReport:
    """Run ``days`` days of the loop on ``home`` with faults; returns what happened."""
    began = time.monotonic()
    rng = random.Random(seed)
    report = SoakReport(days=days, seed=seed)
    steps = scheduled(first_day, days)
    plan = plan_faults(len(steps), rng, rate)
    faulty = FaultyPayload(synthetic_payload)
    with SimulatedUpstream(first_day, faulty) as upstream, _forecast_disk(home) as disk:
        if disk is None:
            report.skipped_faults.append("full_disk (needs root to mount a small file system)")
        # The opening run makes the home, its MLflow store included, as a user's first would.
        settings = Settings.from_env(_environment(home, upstream, disk))
        opening = Step(dt.datetime.combine(first_day, dt.time(0, 30), dt.UTC), "materialize")
        _run(opening, None, settings, upstream, disk, rng, report, say)
        with _service(settings) as service:
            decided_at: dict[str, str] = {}
            after_clock = False  # the last run had the clock ahead
            for step, fault in zip(steps, plan, strict=True):
                if fault == "full_disk" and disk is None:
                    fault = None
                outcome = _run(step, fault, settings, upstream, disk, rng, report, say)
                found = violations(settings, after_success=outcome == "succeeded")
                if after_clock and fault is None and outcome != "succeeded":
                    found.append("I8: the first run at the right time after a clock ahead failed")
                after_clock = fault == "clock_ahead" or (after_clock and fault is not None)
                found += _served(service, settings) + _decided_once(settings, decided_at)
                report.violations += [
                    f"{step.at:%Y-%m-%d %H:%M} {step.command}: {v}" for v in found
                ]
            # A last run without a fault: whatever the last fault left, it carries on.
            last_day = first_day + dt.timedelta(days=days - 1)
            closing = Step(dt.datetime.combine(last_day, dt.time(23, 0), dt.UTC), "refresh")
            if _run(closing, None, settings, upstream, disk, rng, report, say) != "succeeded":
                report.violations.append("the closing run, without a fault, did not succeed")
            found = violations(settings, after_success=True) + _served(service, settings)
            report.violations += [f"closing run: {v}" for v in found]
    registry = model_registry_for(settings)
    decisions = registry.decisions()
    report.versions = len(decisions)
    report.decisions = sum(1 for tags in decisions.values() if DECISION_TAG in tags)
    report.champion = standing_champion(decisions) or ""
    report.disk_bytes = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    report.seconds = time.monotonic() - began
    return report


def _environment(home: Path, upstream: SimulatedUpstream, disk: Path | None) -> dict[str, str]:
    environ = environment(
        home, upstream.url, OGRINE_FETCH_DEADLINE_SECONDS=str(FETCH_DEADLINE_SECONDS)
    )
    if disk is not None:
        environ["OGRINE_FORECAST_PATH"] = str(disk / "forecast.json")
    return environ


def _run(
    step: Step,
    fault: str | None,
    settings: Settings,
    upstream: SimulatedUpstream,
    disk: Path | None,
    rng: random.Random,
    report: SoakReport,
    say: Callable[[str], None],
) -> str:
    """Run one scheduled step, with its fault; returns succeeded, failed or killed."""
    upstream.today = step.at.date()
    environ = _environment(settings.home, upstream, disk)
    filler = None
    if fault is not None:
        report.faults[fault] += 1
    if fault == "outage":
        upstream.mode = OUTAGE
    elif fault == "slow":
        upstream.mode = SLOW
    elif fault == "full_disk" and disk is not None:
        filler = _fill(disk)
    elif fault == "lost_champion":
        _delete_champion_files(settings)
    elif fault in ("outlier", "duplicates", "gap") and isinstance(upstream.payload, FaultyPayload):
        upstream.payload.inject(fault, step.at.date(), rng)
    elif fault == "clock_ahead":
        step = Step(step.at + CLOCK_AHEAD, step.command)
        upstream.today = step.at.date()
    damaged = None
    if fault == "damaged_dagster":
        damaged = damage_dagster_storage(settings.dagster_home, rng)
    try:
        if fault == "kill":
            outcome = _killed(command(step), at(step, environ), rng.uniform(0, KILL_WITHIN_SECONDS))
        elif fault == "concurrent":
            outcome, problem = _concurrent(command(step), at(step, environ))
            if problem:
                report.violations.append(f"{step.at:%Y-%m-%d %H:%M} {step.command}: {problem}")
        else:
            status, said = run_here(step, environ)
            outcome = "succeeded" if status == 0 else "failed"
            if damaged is not None:
                report.violations += [
                    f"{step.at:%Y-%m-%d %H:%M}: {v}" for v in took_the_way_out(damaged, said)
                ]
    finally:
        upstream.mode = NORMAL
        if filler is not None:
            filler.unlink()
    report.runs += 1
    setattr(report, outcome, getattr(report, outcome) + 1)
    say(f"{step.at:%Y-%m-%d %H:%M} {step.command:<11} {fault or '-':<13} {outcome}")
    return outcome


def _killed(command: list[str], environ: dict[str, str], after: float) -> str:
    process = subprocess.Popen(
        command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        process.wait(timeout=after)
        return "succeeded" if process.returncode == 0 else "failed"  # it ended first
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return "killed"


def _concurrent(command: list[str], environ: dict[str, str]) -> tuple[str, str]:
    """Two identical runs at once: one runs, the other must say at once who holds the home.
    Returns the outcome of the one that ran, and what went wrong otherwise ("" if nothing)."""
    both = [
        subprocess.Popen(
            command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [(process.wait(timeout=900), process.communicate()[1]) for process in both]
    refused = [code for code, err in results if "another run holds" in err]
    ran = [code for code, err in results if "another run holds" not in err]
    if len(refused) != 1 or refused[0] != 1:
        return "failed", f"I3: two runs at once were not refused exactly once: {results}"
    return ("succeeded" if ran[0] == 0 else "failed"), ""


def _delete_champion_files(settings: Settings) -> None:
    registry = model_registry_for(settings)
    champion = standing_champion(registry.decisions())
    if champion is None:
        return
    location = registry.model_location(champion)
    shutil.rmtree(location.removeprefix("file://"), ignore_errors=True)


def _served(service: httpx.Client, settings: Settings) -> list[str]:
    """The service serves the published document (or says there is none yet)."""
    if not settings.forecast_path.exists():
        return []
    published = decode(settings.forecast_path.read_bytes()).model.version
    health = service.get("/health")
    served = service.get("/forecast")
    if health.status_code != 200 or served.status_code != 200:
        return [f"service: /health {health.status_code}, /forecast {served.status_code}"]
    if served.json()["model"]["version"] != published:
        return [f"service: serves v{served.json()['model']['version']}, published v{published}"]
    return []


def _decided_once(settings: Settings, decided_at: dict[str, str]) -> list[str]:
    """I4's "exactly one": a decision, once recorded, is never made again."""
    found = []
    for version, tags in model_registry_for(settings).decisions().items():
        when = tags.get(DECIDED_AT_TAG)
        if when is None:
            continue
        if decided_at.setdefault(version, when) != when:
            found.append(f"I4: v{version} was decided twice ({decided_at[version]}, {when})")
    return found


@contextmanager
def _forecast_disk(home: Path) -> Iterator[Path | None]:
    """A 1 MiB file system for the forecast's folder, to fill; None when it cannot be had."""
    folder = home / "forecast-disk"
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / ".filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while os.write(handle, b"\0" * 4096):
            pass
    except OSError:  # full: what it is for
        pass
    finally:
        os.close(handle)
    return filler


@contextmanager
def _service(settings: Settings) -> Iterator[httpx.Client]:
    """A forecast service on the soak's home, and one client for it: a client per request
    would build a TLS context each time (~20 ms), two requests a simulated day."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environ = environment_without_ours() | {
        "OGRINE_HOME": str(settings.home),
        "OGRINE_FORECAST_PATH": str(settings.forecast_path),
    }
    process = subprocess.Popen(
        [OGRINE, "serve", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/schema", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the forecast service did not start")
            time.sleep(0.1)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)
