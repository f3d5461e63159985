"""The page's chart as pure functions: its ticks, its labels, what it draws."""

import datetime as dt
import itertools
import random
import re
import xml.etree.ElementTree as ET

import pytest

from ogrine_assets.service.chart import (
    FORECAST_SHARE,
    NARROW,
    SIZES,
    WIDE,
    Size,
    date_ticks,
    render_chart,
)
from ogrine_assets.svg import covering_ticks, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"
LAST = dt.date(2026, 11, 25)


def series(
    days: int = 90, low: float = 1310.0, high: float = 1370.0, seed: int = 0
) -> tuple[
    list[tuple[dt.date, float]],
    list[tuple[dt.date, float]],
    dict[int, list[tuple[dt.date, float, float]]],
]:
    """``days`` of history ending on LAST, 7 forecast days, and their two bands."""
    rng = random.Random(seed)
    history = [
        (LAST - dt.timedelta(days=days - 1 - i), round(rng.uniform(low, high), 1))
        for i in range(days)
    ]
    forecast = [(LAST + dt.timedelta(days=step), history[-1][1] + step) for step in range(1, 8)]
    bands = {
        95: [(day, rate - 9 - step, rate + 9 + step) for step, (day, rate) in enumerate(forecast)],
        80: [(day, rate - 5 - step, rate + 5 + step) for step, (day, rate) in enumerate(forecast)],
    }
    return history, forecast, bands


def texts(svg: str, kind: str) -> list[str]:
    root = ET.fromstring(svg)
    return [
        "".join(element.itertext())
        for element in root.iter(f"{SVG}text")
        if kind in element.get("class", "").split()
    ]


def test_value_ticks_cover_the_data() -> None:
    rng = random.Random(1)
    cases = [(1310.0, 1370.0), (1304.4, 1375.6), (0.5, 0.52), (700.0, 700.0), (12.0, 13.0)]
    cases += [tuple(sorted((rng.uniform(0, 3000), rng.uniform(0, 3000)))) for _ in range(500)]
    for low, high in cases:
        ticks = covering_ticks(low, high, count=5)
        assert ticks[0] <= low and ticks[-1] >= high, (low, high, ticks)
        assert 2 <= len(ticks) <= 8, (low, high, ticks)
        steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1, ticks  # evenly spaced


def test_the_old_ticks_are_unchanged_for_the_backtest_figure() -> None:
    assert nice_ticks(1304.4, 1375.6) == [1320, 1340, 1360]


@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
@pytest.mark.parametrize("seed", range(20))
def test_the_value_labels_bracket_everything_drawn(size: Size, seed: int) -> None:
    history, forecast, bands = series(seed=seed, low=1300 + seed * 3.7, high=1340 + seed * 5.3)
    svg = render_chart(history, forecast, bands, size)
    labels = [float(label.replace(",", "")) for label in texts(svg, "y")]
    drawn = [rate for _, rate in [*history, *forecast]]
    drawn += [value for band in bands.values() for _, low, high in band for value in (low, high)]
    assert len(labels) >= 3
    assert min(labels) <= min(drawn) and max(labels) >= max(drawn), (labels, min(drawn))


@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
def test_the_date_axis_carries_the_year(size: Size) -> None:
    history, forecast, bands = series()
    labels = texts(render_chart(history, forecast, bands, size), "x")
    assert len(labels) >= 3, labels
    assert re.search(r"\b2026\b", labels[0]), labels  # the first label names its year


def test_each_new_year_is_named_on_the_date_axis() -> None:
    ticks = date_ticks(dt.date(2026, 11, 1), dt.date(2027, 2, 10), WIDE)
    labels = [label for _, label in ticks]
    assert labels[0].endswith("2026") and "Jan 2027" in labels, labels
    assert not any(label.endswith("2027") for label in labels[labels.index("Jan 2027") + 1 :])


@pytest.mark.parametrize("days", [2, 5, 12, 30, 90, 365, 800])
@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
def test_date_labels_fit_and_do_not_overlap(days: int, size: Size) -> None:
    first = LAST - dt.timedelta(days=days)
    ticks = date_ticks(first, LAST + dt.timedelta(days=7), size)
    assert len(ticks) >= 2
    assert all(first <= day <= LAST + dt.timedelta(days=7) for day, _ in ticks)
    assert re.search(r"\d{4}", ticks[0][1])
    assert [day for day, _ in ticks] == sorted({day for day, _ in ticks})


@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
def test_the_unit_is_on_the_axis(size: Size) -> None:
    history, forecast, bands = series()
    assert texts(render_chart(history, forecast, bands, size), "unit") == ["kamas per Ogrine"]
    french = render_chart(history, forecast, bands, size, lang="fr")
    assert texts(french, "unit") == ["kamas par Ogrine"]


@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
def test_every_history_day_and_both_bands_are_drawn(size: Size) -> None:
    history, forecast, bands = series(days=90)
    root = ET.fromstring(render_chart(history, forecast, bands, size))
    (line,) = [e for e in root.iter(f"{SVG}polyline") if e.get("class") == "history"]
    assert len(line.get("points", "").split()) == 90
    classes = [e.get("class") for e in root.iter(f"{SVG}polygon")]
    assert classes == ["band band-95", "band band-80"]  # the wider under the narrower
    assert len([e for e in root.iter(f"{SVG}circle")]) == 7


@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
def test_labels_are_at_least_11px_where_each_size_is_drawn(size: Size) -> None:
    """Font sizes are in the SVG's units; each size is shown where it is drawn at about 1:1
    (the browser test measures the real thing)."""
    history, forecast, bands = series()
    root = ET.fromstring(render_chart(history, forecast, bands, size))
    assert root.get("viewBox") == f"0 0 {size.width} {size.height}"
    font = float(root.get("font-size", "0"))
    smallest_scale = size.min_drawn_width / size.width
    assert font * smallest_scale >= 11, (font, smallest_scale)


def test_a_flat_history_still_has_a_range() -> None:
    history = [(LAST - dt.timedelta(days=i), 700.0) for i in range(9, -1, -1)]
    forecast = [(LAST + dt.timedelta(days=step), 700.0) for step in range(1, 8)]
    labels = [float(label) for label in texts(render_chart(history, forecast, None, NARROW), "y")]
    assert min(labels) <= 700 <= max(labels) and len(labels) >= 2


def boxes(svg: str) -> dict[str, tuple[float, float]]:
    """The plot's and the forecast region's left and right x, in the SVG's units."""
    root = ET.fromstring(svg)
    found = {}
    for rect in root.iter(f"{SVG}rect"):
        left = float(rect.get("x", "0"))
        found[rect.get("class", "")] = (left, left + float(rect.get("width", "0")))
    return found


@pytest.mark.parametrize("days", [1, 2, 30, 90])
@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
def test_the_forecast_week_keeps_its_share_of_the_plot(size: Size, days: int) -> None:
    """Whatever the history shown, the 7 days take FORECAST_SHARE (at least a third) of the
    plot's width, the history the rest, the cutoff line between them."""
    history, forecast, bands = series(days=days)
    svg = render_chart(history, forecast, bands, size)
    plot, region = boxes(svg)["plot"], boxes(svg)["forecast-region"]
    share = (region[1] - region[0]) / (plot[1] - plot[0])
    assert share == pytest.approx(FORECAST_SHARE, abs=0.002) and share >= 1 / 3
    assert region[1] == plot[1]
    root = ET.fromstring(svg)
    points = {
        e.get("class"): [float(p.split(",")[0]) for p in e.get("points", "").split()]
        for e in root.iter(f"{SVG}polyline")
    }
    assert plot[0] - 0.1 <= min(points["history"]) and max(points["history"]) <= region[0] + 0.1
    circles = [float(c.get("cx", "0")) for c in root.iter(f"{SVG}circle")]
    assert len(circles) == 7 and all(region[0] < x <= region[1] + 0.1 for x in circles)
    assert circles[-1] == pytest.approx(plot[1], abs=0.1)  # the 7th day at the plot's end
    (cutoff,) = [e for e in root.iter(f"{SVG}line") if e.get("class") == "cutoff"]
    assert float(cutoff.get("x1", "0")) == pytest.approx(region[0], abs=0.1)


def label_boxes(svg: str, size: Size) -> list[tuple[float, float]]:
    root = ET.fromstring(svg)
    found = []
    for element in root.iter(f"{SVG}text"):
        if "x" in element.get("class", "").split():
            half = len(element.text or "") * 0.6 * size.font / 2
            found.append((float(element.get("x", "0")) - half, float(element.get("x", "0")) + half))
    return found


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("days", [1, 2, 12, 30, 90, 365])
@pytest.mark.parametrize("size", SIZES, ids=lambda size: size.name)
def test_the_two_scales_date_labels_fit_and_name_the_year(size: Size, days: int, lang: str) -> None:
    history, forecast, bands = series(days=days)
    svg = render_chart(history, forecast, bands, size, lang=lang)  # type: ignore[arg-type]
    labels = texts(svg, "x")
    assert len(labels) >= 2, labels
    assert re.search(r"\b2026\b", labels[0]) or re.search(r"\b2025\b", labels[0]), labels
    spans = label_boxes(svg, size)
    assert all(left >= 0 and right <= size.width for left, right in spans), spans
    assert all(a[1] + 1 <= b[0] for a, b in itertools.pairwise(spans)), (labels, spans)
    forecast_days = {text for text in labels if re.search(r"(Dec|déc\.)", text)}
    assert forecast_days, labels  # the week ahead (into December) has its own labels


def test_the_chart_speaks_french() -> None:
    history, forecast, bands = series(days=30)
    svg = render_chart(history, forecast, bands, NARROW, lang="fr")
    root = ET.fromstring(svg)
    assert root.get("aria-label") == (
        "Taux de l'Ogrine sur les 30 derniers jours et prévision à 7 jours"
    )
    assert root.get("aria-describedby") == "forecast-table" and root.get("role") == "img"
    assert "déc." in " ".join(texts(svg, "x")) and texts(svg, "region") == ["prévision"]
    assert all("\N{NARROW NO-BREAK SPACE}" in label for label in texts(svg, "y"))  # 1 320
    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    assert "fourchette à 95\N{NO-BREAK SPACE}%" in titles
    assert forecast[0] == (dt.date(2026, 11, 26), 1369.0)
    nbsp, nnbsp = "\N{NO-BREAK SPACE}", "\N{NARROW NO-BREAK SPACE}"
    assert f"jeudi 26 novembre{nbsp}: 1{nnbsp}369,0 kamas par Ogrine" in titles
    english = render_chart(history, forecast, bands, NARROW)
    assert "Dec" in " ".join(texts(english, "x")) and "95% range" in english
    assert "Thursday 26 November: 1,369.0 kamas per Ogrine" in english
