"""Telemetry off: the commands the README and the docs show report nothing and leave
nothing under the user's home (Dagster's ``~/.dagster``, MLflow's ``~/.config/mlflow``)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ogrine_assets_tests.support import OGRINE, ogrine_env

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_the_documented_commands_leave_nothing_in_the_users_home(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    env = {**ogrine_env(tmp_path / "home"), "HOME": str(user)}
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("DO_NOT_TRACK", None)

    def run(*command: str, **extra: str) -> str:
        done = subprocess.run(
            command,
            env={**env, **extra},
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    # docs/configuration.md, in its order, on a home where nothing ran yet...
    dagster_home = run(OGRINE, "paths", "--dagster-home").strip()
    run(str(BIN / "dg"), "check", "defs", DAGSTER_HOME=dagster_home)
    run(str(BIN / "dagster"), "run", "list", DAGSTER_HOME=dagster_home)
    # ...and the README's run (`make run` materializes first; `ogrine up` is checked by
    # the CLI tests, with MLflow's UI told that telemetry is off).
    run(OGRINE, "materialize")
    run(OGRINE, "refresh")
    assert sorted(str(p.relative_to(user)) for p in user.rglob("*")) == []
    assert os.listdir(user) == []
