import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from ogrine_assets.definitions import build_definitions
from ogrine_assets.defs.resources import Clock
from ogrine_assets.publication import build_forecast_document, encode
from ogrine_assets_tests.conftest import FIXED_NOW, make_settings
from ogrine_assets_tests.net import free_port, stop, wait_until_ok

LAST_OBSERVED = dt.date(2026, 11, 25)


def document_bytes(
    version: str = "3",
    last_observed: dt.date = LAST_OBSERVED,
    base: float = 700.0,
    beats_naive: bool | None = None,
) -> bytes:
    """A forecast document; with ``beats_naive`` set, also bands, quality and live accuracy."""
    history = [
        (last_observed - dt.timedelta(days=i), int(base * 10) + i) for i in range(120, -1, -1)
    ]
    predictions = [(last_observed + dt.timedelta(days=i), base + i) for i in range(1, 8)]
    return encode(
        build_forecast_document(
            model={
                "name": "ogrine-rate-forecaster",
                "version": version,
                "run_id": "abc",
                "alias": "champion",
            },
            generated_at=dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC),
            dagster_run_id="run-1",
            data_source="test",
            synthetic=False,
            history=history,
            predictions=predictions,
            bands=None
            if beats_naive is None
            else {"80": ([-5.0] * 7, [5.0] * 7), "95": ([-9.0] * 7, [9.0] * 7)},
            quality=None
            if beats_naive is None
            else {
                "backtest_origins": 182,
                "backtest_mae": 10.0 if beats_naive else 30.0,
                "naive_mae": 20.0,
                "seasonal_naive_mae": 22.0,
                "beats_naive": beats_naive,
                "interval_coverage": {"80": 0.81, "95": 0.94},
            },
            live_accuracy=None
            if beats_naive is None
            else [
                {
                    "horizon_days": 1,
                    "forecasts": 3,
                    "live_mae": 12.5,
                    "backtest_mae": 10.0,
                    "coverage_80": 0.67,
                    "coverage_95": 1.0,
                }
            ],
        )
    )


@pytest.fixture
def document_path(tmp_path: Path) -> Path:
    return tmp_path / "forecast.json"


@dataclass
class Published:
    home: Path
    forecast_path: Path

    def document(self) -> dict:
        return json.loads(self.forecast_path.read_text())


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """A forecast document published by a real materialization of the whole graph."""
    settings = make_settings(tmp_path_factory.mktemp("published") / "home")
    defs = build_definitions(settings, clock=Clock(fixed_now=FIXED_NOW.isoformat()))
    with dg.instance_for_test(temp_dir=str(settings.dagster_home)) as instance:
        for job_name in ("training_job", "promotion_job"):
            assert defs.resolve_job_def(job_name).execute_in_process(instance=instance).success
    return Published(home=settings.home, forecast_path=settings.forecast_path)


@dataclass
class RunningService:
    base_url: str
    process: subprocess.Popen[str]


@pytest.fixture(scope="session")
def running_service(published: Published) -> Iterator[RunningService]:
    """`ogrine serve` as a real uvicorn process on a free loopback port."""
    port = free_port()
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("OGRINE_", "DAGSTER_", "MLFLOW_"))
    }
    environ["OGRINE_HOME"] = str(published.home)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "ogrine"), "serve", "--port", str(port)],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(f"{base_url}/health", timeout=30, alive=lambda: process.poll() is None)
        yield RunningService(base_url=base_url, process=process)
    finally:
        stop(process)
        process.communicate()
