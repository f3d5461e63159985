"""The page in a real headless Chromium (Debian's), with nothing fetched beyond 127.0.0.1."""

import os
import shutil
from pathlib import Path

import pytest

from ogrine_assets_tests.support import Deployment, RunningService

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def test_chart_renders_history_and_seven_forecast_points(
    chromium_path: str, running_service: RunningService, materialized: Deployment
) -> None:
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.on("request", lambda request: requested.append(request.url))
            response = page.goto(f"{running_service.base_url}/", wait_until="load")
            assert response is not None and response.status == 200

            chart = page.locator("svg.chart")
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            history_points = page.locator("polyline.history").get_attribute("points").split()
            assert len(history_points) == 60
            assert page.locator("circle.forecast-point").count() == 7
            assert (
                page.locator("polygon.band-80").count()
                == page.locator("polygon.band-95").count()
                == 1
            )
            band = page.locator("polygon.band-95").bounding_box()
            assert band is not None and band["height"] > 5  # the 95% range is drawn, not empty
            dash = page.locator("polyline.forecast").evaluate(
                "e => getComputedStyle(e).strokeDasharray"
            )
            assert dash not in ("", "none")  # the forecast is drawn dotted
            version = materialized.document()["model"]["version"]
            assert page.locator("#model-version").inner_text().endswith(f"v{version}")
            assert page.locator("#synthetic-banner").is_visible()
            page_width = page.evaluate("document.documentElement.scrollWidth")
            assert page_width <= 390  # readable on a phone: no sideways scrolling

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "forecast-page.png"), full_page=True)
        finally:
            browser.close()
    assert requested, "the browser made no request at all"
    assert all(url.startswith(running_service.base_url) for url in requested), requested
