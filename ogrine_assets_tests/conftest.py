"""Shared fixtures: a temporary OGRINE_HOME, and the whole graph materialized once per
session for the tests that only read its result. Helpers live in ``support.py``."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from ogrine_assets.settings import Settings
from ogrine_assets_tests.support import Deployment, deployment, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "ogrine_home")


@pytest.fixture(scope="session")
def materialized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Trained, promoted and published once on the synthetic default, at FIXED_NOW.

    Read only: a test that changes the state (a second training, a new day) builds its own
    ``deployment`` so that no test depends on another's order.
    """
    with deployment(tmp_path_factory.mktemp("materialized") / "home") as shared:
        assert shared.run("training_job").success
        assert shared.run("promotion_job").success
        yield shared
