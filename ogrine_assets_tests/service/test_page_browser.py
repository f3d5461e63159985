"""The page in a real headless Chromium (Debian's), with nothing fetched beyond 127.0.0.1.

One browser for the module and the session's one `ogrine serve` (``running_service``): each
test opens pages in its own context (its own viewport, its own Accept-Language).
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ogrine_assets_tests.browser import ARTIFACTS, CHROMIUM_ARGS, browser_home, chromium_or_skip
from ogrine_assets_tests.support import Deployment, RunningService

pytestmark = pytest.mark.integration

MIN_LABEL_PX = 11
PHONE, DESKTOP = (390, 844), (1400, 900)
NBSP, NNBSP, DASH = "\N{NO-BREAK SPACE}", "\N{NARROW NO-BREAK SPACE}", "\N{EN DASH}"
# What each language's page says where the checks below look.
WORDS = {
    "en": {"unit": "kamas per Ogrine", "range": "80% range", "made": "from data up to"},
    "fr": {
        "unit": "kamas par Ogrine",
        "range": f"Fourchette à 80{NBSP}%",
        "made": "à partir des données jusqu'au",
    },
}


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return chromium_or_skip()


@pytest.fixture(scope="module")
def browser(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium for the whole module (a launch costs about a second)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
            env=browser_home(tmp_path_factory.mktemp("chromium-home")),
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module", autouse=True)
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def open_page(browser: Any, size: tuple[int, int], url: str, locale: str = "en-US") -> Any:
    """A page in a fresh context (``locale`` is what Chromium's ``--lang`` sets: its
    Accept-Language), loaded, answered 200."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    page = context.new_page()
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    return page


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
# The forecast's region and the plot as drawn, in CSS px, and where the 7 days' marks are.
FORECAST_SHARE = """svg => {
  const plot = svg.querySelector('rect.plot').getBoundingClientRect();
  const region = svg.querySelector('rect.forecast-region').getBoundingClientRect();
  const marks = [...svg.querySelectorAll('circle.forecast-point')].map(c => {
    const box = c.getBoundingClientRect();
    return box.left + box.width / 2;
  });
  return {plot_px: plot.width, forecast_px: region.width, share: region.width / plot.width,
          marks_inside: marks.length === 7 && marks.every(
            x => x >= region.left - 0.5 && x <= region.right + 0.5)};
}"""


def check_page_at(page: Any, width: int, materialized: Deployment, lang: str) -> dict[str, Any]:
    """Everything the page must do at one screen width; the labels' measured sizes."""
    words = WORDS[lang]
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
    assert words["unit"] in texts
    assert any("2026" in text or "2027" in text for text in texts), texts  # a year on the axis
    for label in labels:
        assert label["font_px"] >= MIN_LABEL_PX, (width, label)
        assert label["box_height"] >= MIN_LABEL_PX, (width, label)

    table = page.locator("#forecast-table")
    assert table.locator("th", has_text=words["range"]).is_visible()
    assert table.locator("th", has_text=words["range"].replace("80", "95")).is_visible()
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
        "language": lang,
        "viewport_width": width,
        "chart_width_px": box["width"],
        "forecast": chart.evaluate(FORECAST_SHARE),
        "smallest_label_font_px": min(label["font_px"] for label in labels),
        "smallest_label_box_height_px": min(label["box_height"] for label in labels),
        "labels": labels,
    }


def test_the_page_is_readable_on_a_phone_and_a_desktop_in_both_languages(
    browser: Any, running_service: RunningService, materialized: Deployment
) -> None:
    """Both languages (from ?lang) at both widths: the language said and written, the chart's
    labels readable, the forecast's week a third of the plot at least, nothing sideways."""
    requested: list[str] = []
    measured = []
    version = materialized.document()["model"]["version"]
    for lang in ("en", "fr"):
        for size in (PHONE, DESKTOP):
            width = size[0]
            page = open_page(browser, size, f"{running_service.base_url}/?lang={lang}")
            page.context.on("request", lambda request: requested.append(request.url))
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("#model-version").inner_text().endswith(f"v{version}")
            assert page.locator("#synthetic-banner").is_visible()
            # When it was made and from which data, said above the chart.
            made = page.locator("#forecast-made")
            assert WORDS[lang]["made"] in made.inner_text()
            above, chart = made.bounding_box(), page.locator("svg.chart:visible").bounding_box()
            assert above and chart and above["y"] + above["height"] <= chart["y"]
            # Taken first, so that a failing check leaves the picture to look at.
            page.screenshot(path=str(ARTIFACTS / f"page-{lang}-{width}.png"), full_page=True)
            row = check_page_at(page, width, materialized, lang)
            measured.append(row)
            forecast = row["forecast"]
            assert forecast["marks_inside"], forecast
            assert forecast["share"] >= 1 / 3, (lang, width, forecast)
            page.context.close()
    (ARTIFACTS / "label-sizes.json").write_text(json.dumps(measured, indent=2) + "\n")
    for row in measured:
        forecast = row["forecast"]
        print(
            f"{row['language']} {row['viewport_width']} px: smallest label "
            f"{row['smallest_label_font_px']:.1f} px (font x scale), "
            f"{row['smallest_label_box_height_px']:.1f} px (rendered box); the forecast "
            f"{forecast['forecast_px']:.0f} of the plot's {forecast['plot_px']:.0f} px "
            f"({forecast['share']:.1%})"
        )
    fetched = [url for url in requested if not url.startswith("data:")]  # the inline icon
    assert all(url.startswith(running_service.base_url) for url in fetched), requested


def test_french_is_written_as_french_writes_it(
    browser: Any, running_service: RunningService, materialized: Deployment
) -> None:
    """The words, and the table's days and numbers, in French: "jeu. 26 nov.", "1 337,4"."""
    page = open_page(browser, PHONE, f"{running_service.base_url}/?lang=fr")
    assert page.locator("h1").inner_text().startswith("Taux de l'Ogrine")
    assert page.get_by_text("Ces taux sont", exact=False).is_visible()
    first = materialized.document()["forecast"][0]
    cells = page.locator("#forecast-table tbody tr").first.locator("td")
    day = cells.nth(0).inner_text()
    assert re.fullmatch(r"(lun|mar|mer|jeu|ven|sam|dim)\. \d{1,2} [a-zéû]+\.?", day), day
    rate = f"{first['prediction_rate']:,.1f}".replace(",", NNBSP).replace(".", ",")
    assert cells.nth(1).inner_text() == rate  # "1 337,4": a narrow space, a decimal comma
    assert re.fullmatch(rf"\d{NNBSP}?\d+{DASH}\d{NNBSP}?\d+", cells.nth(2).inner_text())
    page.context.close()


def test_the_language_follows_accept_language_and_the_switch(
    browser: Any, running_service: RunningService
) -> None:
    """A browser set to French (its locale: Chromium's --lang=fr) reads French without asking;
    the switch, from the keyboard or a click, changes it and keeps it."""
    base = running_service.base_url
    french = open_page(browser, PHONE, f"{base}/", locale="fr-FR")
    assert french.locator("html").get_attribute("lang") == "fr"
    assert french.locator("h1").inner_text().startswith("Taux de l'Ogrine")
    current = french.locator(".languages a[aria-current]")
    assert current.count() == 1 and current.inner_text() == "Français"
    french.get_by_role("link", name="English").click()
    french.wait_for_url(re.compile(r"\?lang=en$"))
    assert french.locator("html").get_attribute("lang") == "en"
    assert french.locator("h1").inner_text().startswith("Ogrine rate")
    assert french.locator(".languages a[aria-current]").inner_text() == "English"
    french.context.close()

    english = open_page(browser, DESKTOP, f"{base}/", locale="en-GB")
    assert english.locator("html").get_attribute("lang") == "en"
    english.get_by_role("link", name="Français").click()
    english.wait_for_url(re.compile(r"\?lang=fr$"))
    assert english.locator("html").get_attribute("lang") == "fr"
    assert english.locator("th").first.inner_text() == "Jour"
    english.context.close()


def focus_by_tab(page: Any, name: str, most: int = 20) -> Any:
    """Tab through the page until the link named ``name`` has the focus (keyboard only)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return page.locator(":focus")
    raise AssertionError(f"{name!r} not reached in {most} presses of Tab")


def test_the_90_day_view_works_from_the_keyboard(
    browser: Any, running_service: RunningService
) -> None:
    for lang, name, size in (("en", "90 days", PHONE), ("fr", "90 jours", DESKTOP)):
        page = open_page(browser, size, f"{running_service.base_url}/?lang={lang}")
        history = page.locator("svg.chart:visible polyline.history")
        assert len(history.get_attribute("points").split()) == 30
        link = focus_by_tab(page, name)
        outline = link.evaluate(
            """e => ({visible: e.matches(':focus-visible'),
                      style: getComputedStyle(e).outlineStyle,
                      width: parseFloat(getComputedStyle(e).outlineWidth),
                      color: getComputedStyle(e).outlineColor})"""
        )
        assert outline["visible"] and outline["style"] != "none" and outline["width"] >= 2
        assert contrast(rgb(outline["color"]), WHITE) >= 3, outline
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"\?lang={lang}&days=90$"))
        assert len(history.get_attribute("points").split()) == 90
        assert page.locator(".views a[aria-current]").inner_text() == name
        assert page.locator("svg.chart:visible rect.forecast-region").count() == 1
        page.context.close()


# WCAG 2.x contrast: relative luminance of sRGB colours, (lighter + 0.05) / (darker + 0.05).
WHITE = (255, 255, 255)


def rgb(css: str) -> tuple[int, int, int]:
    """``rgb(29, 36, 51)`` as numbers; an opaque colour only (the page draws no other)."""
    found = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", css)
    assert found and (found[4] is None or float(found[4]) == 1), css
    return int(found[1]), int(found[2]), int(found[3])


def luminance(colour: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: tuple[int, int, int], other: tuple[int, int, int]) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# Every shown element with text of its own: its colour, and the first opaque background
# behind it (an SVG's text: behind the SVG). The page's ground is white.
TEXT_COLOURS = """() => {
  const ground = e => {
    for (let n = e; n; n = n.parentElement) {
      const c = getComputedStyle(n).backgroundColor;
      if (c !== 'transparent' && !/, 0\\)$/.test(c)) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const found = [];
  for (const e of document.body.querySelectorAll('*')) {
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = e.getBoundingClientRect();
    if (!own || box.width <= 1 || box.height <= 1) continue;
    const svg = e instanceof SVGElement;
    found.push({
      text: e.tagName.toLowerCase() + ': ' + e.textContent.trim().slice(0, 40),
      colour: svg ? getComputedStyle(e).fill : getComputedStyle(e).color,
      ground: ground(svg ? e.ownerSVGElement : e),
    });
  }
  return found;
}"""
# The chart's lines and marks, and the grounds each is drawn over.
CHART_COLOURS = """svg => {
  const style = (selector, property) => getComputedStyle(svg.querySelector(selector))[property];
  return {
    history: style('polyline.history', 'stroke'), forecast: style('polyline.forecast', 'stroke'),
    point: style('circle.forecast-point', 'fill'), cutoff: style('line.cutoff', 'stroke'),
    tick: style('line.tick', 'stroke'), edge80: style('polygon.band-80', 'stroke'),
    edge95: style('polygon.band-95', 'stroke'), band80: style('polygon.band-80', 'fill'),
    band95: style('polygon.band-95', 'fill'), region: style('rect.forecast-region', 'fill'),
  };
}"""
# Which line or mark meets which ground: the history on the page's white, the forecast on
# its region and inside its bands, each band's edge between its fill and what surrounds it.
CHART_PAIRS = [
    ("history", "white"),
    ("forecast", "region"),
    ("forecast", "band80"),
    ("forecast", "band95"),
    ("point", "region"),
    ("point", "band80"),
    ("cutoff", "white"),
    ("cutoff", "region"),
    ("tick", "white"),
    ("edge95", "region"),
    ("edge95", "band95"),
    ("edge80", "band95"),
    ("edge80", "band80"),
]


def test_colours_meet_wcag_aa_contrast(browser: Any, running_service: RunningService) -> None:
    """Text 4.5:1 against its ground, the chart's lines and marks 3:1 (WCAG 1.4.3, 1.4.11),
    computed from the rendered page's styles: English on a phone, French on a desktop (the
    style sheet is one; the chart drawn differs by width)."""
    report: dict[str, Any] = {}
    for lang, size in (("en", PHONE), ("fr", DESKTOP)):
        page = open_page(browser, size, f"{running_service.base_url}/?lang={lang}")
        texts = page.evaluate(TEXT_COLOURS)
        assert len(texts) > 30  # the page's words and the chart's labels were found
        ratios = {
            item["text"]: round(contrast(rgb(item["colour"]), rgb(item["ground"])), 2)
            for item in texts
        }
        low = {text: ratio for text, ratio in ratios.items() if ratio < 4.5}
        assert low == {}, f"text under 4.5:1 ({lang}, {size[0]} px): {low}"
        colours = {
            name: rgb(value)
            for name, value in page.locator("svg.chart:visible").evaluate(CHART_COLOURS).items()
        }
        colours["white"] = WHITE
        lines = {
            f"{mark} on {ground}": round(contrast(colours[mark], colours[ground]), 2)
            for mark, ground in CHART_PAIRS
        }
        low = {pair: ratio for pair, ratio in lines.items() if ratio < 3}
        assert low == {}, f"chart marks under 3:1 ({lang}, {size[0]} px): {low}"
        report[f"{lang}-{size[0]}"] = {"text": ratios, "chart": lines}
        page.context.close()
    (ARTIFACTS / "contrast.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    every = report["en-390"]
    print(
        f"text: lowest {min(every['text'].values())}:1; chart: "
        + ", ".join(f"{pair} {ratio}:1" for pair, ratio in every["chart"].items())
    )
