"""Headless Chromium (Debian's) for the tests of what a user sees in a browser, launched as
``service/test_page_browser.py`` launches it: its own home, nothing fetched at its start."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium calls Google's hosts at start; this machine's network refuses them.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots, for people to look at: OGRINE_TEST_ARTIFACTS or test-artifacts/.
ARTIFACTS = Path(
    os.environ.get("OGRINE_TEST_ARTIFACTS")
    or Path(__file__).resolve().parents[1] / "test-artifacts"
)


def chromium_or_skip() -> str:
    """Chromium's path; the test is skipped, saying why, where it is not installed (CI
    installs it: there a missing one fails)."""
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def browser_home(folder: Path) -> dict[str, str]:
    """Chromium's environment with a home of its own: it writes its crash-report settings and
    dconf's cache under HOME, and ``make test`` must leave the user's home as it found it."""
    return {
        **os.environ,
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / ".config"),
        "XDG_CACHE_HOME": str(folder / ".cache"),
    }
