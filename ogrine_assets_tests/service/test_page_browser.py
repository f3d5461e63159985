"""The page in a real headless Chromium (Debian's), with nothing fetched beyond 127.0.0.1."""

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from ogrine_assets_tests.support import Deployment, RunningService

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Screenshots and measurements, for people to look at: OGRINE_TEST_ARTIFACTS or test-artifacts/.
ARTIFACTS = Path(
    os.environ.get("OGRINE_TEST_ARTIFACTS")
    or Path(__file__).resolve().parents[2] / "test-artifacts"
)
MIN_LABEL_PX = 11
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


def browser_home(folder: Path) -> dict[str, str]:
    """Chromium's environment with a home of its own: it writes its crash-report settings and
    dconf's cache under HOME, and ``make test`` must leave the user's home as it found it."""
    return {
        **os.environ,
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / ".config"),
        "XDG_CACHE_HOME": str(folder / ".cache"),
    }


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


# Every label of the shown chart: its rendered box, and its font size times the SVG's scale.
MEASURE_LABELS = """svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map(t => ({
    text: t.textContent,
    box_height: t.getBoundingClientRect().height,
    font_px: parseFloat(getComputedStyle(t).fontSize) * scale,
  }));
}"""
# The y of every grid line and every drawn point, in the SVG's units.
DRAWN_Y = """svg => ({
  grid: [...svg.querySelectorAll('line.grid')].map(l => l.y1.baseVal.value),
  drawn: [...svg.querySelectorAll('polyline, polygon')].flatMap(
    e => [...e.points].map(p => p.y)),
})"""


def check_page_at(page: Any, width: int, materialized: Deployment) -> dict[str, Any]:
    """Everything the page must do at one screen width; the labels' measured sizes."""
    chart = page.locator("svg.chart:visible")
    assert chart.count() == 1, "one chart is shown at a time"
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    assert box["x"] >= 0 and box["x"] + box["width"] <= width

    history_points = chart.locator("polyline.history").get_attribute("points").split()
    assert len(materialized.document()["history"]) == 90
    assert len(history_points) == 30  # the last 30 days by default
    assert chart.locator("circle.forecast-point").count() == 7
    assert chart.locator("polygon.band-80").count() == chart.locator("polygon.band-95").count() == 1
    band = chart.locator("polygon.band-95").bounding_box()
    assert band is not None and band["height"] > 5  # the 95% range is drawn, not empty
    dash = chart.locator("polyline.forecast").evaluate("e => getComputedStyle(e).strokeDasharray")
    assert dash not in ("", "none")  # the forecast is drawn dotted

    # Each band has its own legend swatch, in its own colour.
    fills = {}
    for level in (80, 95):
        fill = chart.locator(f"polygon.band-{level}").evaluate("e => getComputedStyle(e).fill")
        swatch = page.locator(f".legend .swatch.band-{level}")
        assert swatch.is_visible()
        assert swatch.evaluate("e => getComputedStyle(e).backgroundColor") == fill, level
        fills[level] = fill
    assert fills[80] != fills[95]

    # The labelled value range holds everything drawn (y grows downwards).
    drawn = chart.evaluate(DRAWN_Y)
    assert min(drawn["grid"]) <= min(drawn["drawn"]) and max(drawn["drawn"]) <= max(drawn["grid"])

    labels = chart.evaluate(MEASURE_LABELS)
    texts = [label["text"] for label in labels]
    assert "kamas per Ogrine" in texts
    assert any("2026" in text or "2027" in text for text in texts), texts  # a year on the axis
    for label in labels:
        assert label["font_px"] >= MIN_LABEL_PX, (width, label)
        assert label["box_height"] >= MIN_LABEL_PX, (width, label)

    table = page.locator("#forecast-table")
    assert table.locator("th", has_text="80% range").is_visible()
    assert table.locator("th", has_text="95% range").is_visible()
    wrapped = table.locator("tbody tr").evaluate_all(
        """rows => rows.filter(row => row.getBoundingClientRect().height
            >= 2 * parseFloat(getComputedStyle(row.cells[0]).lineHeight)).length"""
    )
    assert wrapped == 0, f"{wrapped} rows of the forecast table wrap at {width} px"
    sticking_out = page.evaluate(
        """() => {
          const body = document.body, style = getComputedStyle(body);
          const right = body.getBoundingClientRect().right - parseFloat(style.paddingRight);
          return [...body.querySelectorAll('*')]
            .filter(e => e.getBoundingClientRect().right > right + 0.5)
            .map(e => e.tagName + '#' + e.id + '.' + e.getAttribute('class'));
        }"""
    )
    assert sticking_out == [], f"out of the page's column at {width} px: {sticking_out}"
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page scrolls sideways at {width} px: {scroll_width}"
    return {
        "viewport_width": width,
        "chart_width_px": box["width"],
        "smallest_label_font_px": min(label["font_px"] for label in labels),
        "smallest_label_box_height_px": min(label["box_height"] for label in labels),
        "labels": labels,
    }


def test_the_page_is_readable_on_a_phone_and_a_desktop(
    chromium_path: str, running_service: RunningService, materialized: Deployment, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    measured = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, env=browser_home(tmp_path)
        )
        try:
            for width, height in ((390, 844), (1400, 900)):  # a phone, a desktop
                page = browser.new_page(viewport={"width": width, "height": height})
                page.on("request", lambda request: requested.append(request.url))
                response = page.goto(f"{running_service.base_url}/", wait_until="load")
                assert response is not None and response.status == 200

                version = materialized.document()["model"]["version"]
                assert page.locator("#model-version").inner_text().endswith(f"v{version}")
                assert page.locator("#synthetic-banner").is_visible()
                # When it was made and from which data, said above the chart.
                made = page.locator("#forecast-made")
                assert "from data up to" in made.inner_text()
                above, chart = made.bounding_box(), page.locator("svg.chart:visible").bounding_box()
                assert above and chart and above["y"] + above["height"] <= chart["y"]
                # Taken first, so that a failing check leaves the picture to look at.
                page.screenshot(path=str(ARTIFACTS / f"forecast-page-{width}.png"), full_page=True)
                measured.append(check_page_at(page, width, materialized))
                page.close()
        finally:
            browser.close()
    (ARTIFACTS / "label-sizes.json").write_text(json.dumps(measured, indent=2) + "\n")
    for row in measured:
        print(
            f"{row['viewport_width']} px: smallest label {row['smallest_label_font_px']:.1f} px "
            f"(font x scale), {row['smallest_label_box_height_px']:.1f} px (rendered box)"
        )
    assert requested, "the browser made no request at all"
    fetched = [url for url in requested if not url.startswith("data:")]  # the inline icon
    assert all(url.startswith(running_service.base_url) for url in fetched), requested
