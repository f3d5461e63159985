"""Measure the forecast service against a bare Litestar app under the same uvicorn settings.

Both run as `uvicorn` processes on 127.0.0.1 (one worker, same loop and HTTP parser) and are
loaded alternately by Debian's `wrk` (bounded: a fixed number of seconds per round), so
machine noise hits both alike. Prints requests/s, p50/p99 latency, startup to first 200 and
resident memory, with the ratio to the bare app.

    .venv/bin/python benchmarks/serve.py [--rounds 3] [--seconds 5] [--connections 4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ogrine_assets.forecast_document import ModelInfo, build_forecast_document, encode

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sample_document() -> bytes:
    last = dt.date(2026, 11, 25)
    history = [(last - dt.timedelta(days=i), 7000 + i) for i in range(89, -1, -1)]
    predictions = [(last + dt.timedelta(days=i), 700.0 + i) for i in range(1, 8)]
    return encode(
        build_forecast_document(
            model=ModelInfo(
                name="ogrine-rate-forecaster", version="1", run_id="r", alias="champion"
            ),
            generated_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
            dagster_run_id="benchmark",
            data_source="benchmark",
            synthetic=True,
            history=history,
            predictions=predictions,
        )
    )


@dataclass
class Target:
    name: str
    uvicorn_args: list[str]
    path: str
    env: dict[str, str]
    startup_s: list[float] = field(default_factory=list)
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start(target: Target, port: int) -> tuple[subprocess.Popen[bytes], float]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        *target.uvicorn_args,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=target.env)
    url = f"http://127.0.0.1:{port}{target.path}"
    deadline = began + 30
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{target.name} exited while starting")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return process, time.perf_counter() - began
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.005)
    process.kill()
    raise RuntimeError(f"{target.name} did not answer 200 within 30 s")


LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def load(url: str, seconds: int, connections: int) -> tuple[float, float, float]:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    throughput = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if throughput is None:
        raise RuntimeError(f"wrk printed no Requests/sec for {url}:\n{output}")
    rps = float(throughput.group(1))
    latency = {p: float(v) * UNIT_MS[u] for p, v, u in LATENCY.findall(output)}
    return rps, latency["50"], latency["99"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as folder:
        document = Path(folder) / "forecast.json"
        document.write_bytes(sample_document())
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("OGRINE_")}
        bare = Target("bare Litestar (constant JSON)", ["benchmarks.bare_app:app"], "/", base_env)
        service = Target(
            "ogrine service /seven-days-forecast",
            ["--factory", "ogrine_assets.service.app:create_app"],
            "/seven-days-forecast",
            {**base_env, "OGRINE_FORECAST_PATH": str(document)},
        )
        for _ in range(args.rounds):
            for target in (bare, service):
                port = free_port()
                process, startup = start(target, port)
                try:
                    url = f"http://127.0.0.1:{port}{target.path}"
                    load(url, 1, args.connections)  # warm-up
                    rps, p50, p99 = load(url, args.seconds, args.connections)
                    target.startup_s.append(startup)
                    target.rps.append(rps)
                    target.p50_ms.append(p50)
                    target.p99_ms.append(p99)
                    target.rss_mib.append(rss_mib(process.pid))
                finally:
                    process.terminate()
                    process.wait(timeout=30)

    def median(values: list[float]) -> float:
        return statistics.median(values)

    rows = [
        ("requests/s", "rps", "{:,.0f}"),
        ("p50 latency (ms)", "p50_ms", "{:.2f}"),
        ("p99 latency (ms)", "p99_ms", "{:.2f}"),
        ("startup to first 200 (s)", "startup_s", "{:.2f}"),
        ("resident memory (MiB)", "rss_mib", "{:.1f}"),
    ]
    print(
        f"\nwrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} alternating rounds, "
        f"medians, 127.0.0.1, {os.cpu_count()} cores\n"
    )
    print(f"| metric | {bare.name} | {service.name} | ratio (service / bare) |")
    print("|---|---:|---:|---:|")
    for label, attribute, shape in rows:
        reference, ours = median(getattr(bare, attribute)), median(getattr(service, attribute))
        cells = [label, shape.format(reference), shape.format(ours), f"{ours / reference:.2f}"]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
