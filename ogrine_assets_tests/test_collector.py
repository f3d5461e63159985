"""``python -m ogrine_assets.collector MODULE [ARGS]``: how ``ogrine up`` starts its Dagster
and MLflow processes, run for real on a module of the test's own."""

import json
import subprocess
import sys
from pathlib import Path

from ogrine_assets.collector import RARELY

REPORTS = """
import gc, json, sys
print(json.dumps({"name": __name__, "argv": sys.argv[1:], "threshold": gc.get_threshold()}))
"""


def test_a_module_runs_as_under_python_m_collecting_rarely_from_the_start(tmp_path: Path) -> None:
    (tmp_path / "reporting").mkdir()
    (tmp_path / "reporting" / "__init__.py").write_text("")
    (tmp_path / "reporting" / "__main__.py").write_text(REPORTS)  # a package, as dagster is
    command = [sys.executable, "-m", "ogrine_assets.collector", "reporting", "run", "-w", "x y"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "name": "__main__",
        "argv": ["run", "-w", "x y"],
        "threshold": list(RARELY),
    }


def test_without_a_module_it_says_how_it_is_used() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ogrine_assets.collector"], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "usage: python -m ogrine_assets.collector MODULE [ARGS...]"
