"""Shared fixtures: a temporary OGRINE_HOME, a fixed clock and a real Dagster instance."""

import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from ogrine_assets.defs.resources import Clock
from ogrine_assets.settings import Settings, ensure_local_state

warnings.filterwarnings("ignore", category=dg.BetaWarning)

# Every test sees the same "now": nothing depends on the day the suite runs.
FIXED_NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def fixed_clock() -> Clock:
    return Clock(fixed_now=FIXED_NOW.isoformat())


def make_settings(home: Path) -> Settings:
    settings = Settings.from_env({"OGRINE_HOME": str(home)})
    ensure_local_state(settings)
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "ogrine_home")


@pytest.fixture
def instance(settings: Settings) -> Iterator[dg.DagsterInstance]:
    """A real, persistent (SQLite) Dagster instance rooted in the temporary home."""
    with dg.instance_for_test(temp_dir=str(settings.dagster_home)) as test_instance:
        yield test_instance
