"""The shared drawing helpers: a date axis whose labels fit and name the year, and a legend."""

import datetime as dt
import itertools
import xml.etree.ElementTree as ET

import pytest

from ogrine_assets.svg import Key, date_axis, legend, text_width

WIDTH, FONT, LEFT, RIGHT = 720, 11, 50, 16


def _axis(first: dt.date, last: dt.date, max_labels: int = 8) -> list[tuple[dt.date, str, float]]:
    span = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return LEFT + (day - first).days / span * (WIDTH - LEFT - RIGHT)

    return date_axis(first, last, x, width=WIDTH, font=FONT, max_labels=max_labels)


@pytest.mark.parametrize("days", [0, 1, 6, 9, 40, 62, 200, 400, 1500, 9000])
def test_date_labels_fit_in_order_without_overlapping(days: int) -> None:
    first = dt.date(2025, 11, 20)
    ticks = _axis(first, first + dt.timedelta(days=days))
    assert 1 <= len(ticks) <= 8
    assert [day for day, _, _ in ticks] == sorted({day for day, _, _ in ticks})
    for (_, left_label, left), (_, right_label, right) in itertools.pairwise(ticks):
        room = (text_width(left_label, FONT) + text_width(right_label, FONT)) / 2
        assert right - left >= room + 12
    for _, label, centre in ticks:
        half = text_width(label, FONT) / 2
        assert centre - half >= 0 and centre + half <= WIDTH
    assert any(str(day.year) in label for day, label, _ in ticks[:1])  # the first names its year


def test_the_finest_spacing_that_fits_is_chosen() -> None:
    monday = dt.date(2026, 10, 5)
    assert [label for _, label, _ in _axis(monday, monday + dt.timedelta(days=6))] == [
        "5 Oct 2026",
        "6 Oct",
        "7 Oct",
        "8 Oct",
        "9 Oct",
        "10 Oct",
        "11 Oct",
    ]
    labels = [label for _, label, _ in _axis(dt.date(2025, 1, 1), dt.date(2026, 12, 31))]
    assert labels == ["Jan 2025", "Apr", "Jul", "Oct", "Jan 2026", "Apr", "Jul", "Oct"]


def test_a_legend_draws_each_key_as_its_series_and_names_it() -> None:
    keys = [Key("actual", stroke="#00f"), Key("forecast", stroke="#f00", dash="3 2")]
    keys.append(Key("band & more", fill="#fa0", opacity=0.5))
    drawn = ET.fromstring(
        f'<svg xmlns="http://www.w3.org/2000/svg">{legend(keys, 10, 20, FONT)}</svg>'
    )
    svg = "{http://www.w3.org/2000/svg}"
    assert [t.text for t in drawn.iter(f"{svg}text")] == ["actual", "forecast", "band & more"]
    lines = list(drawn.iter(f"{svg}line"))
    assert [line.get("stroke") for line in lines] == ["#00f", "#f00"]
    assert lines[1].get("stroke-dasharray") == "3 2"
    [box] = drawn.iter(f"{svg}rect")
    assert (box.get("fill"), box.get("opacity")) == ("#fa0", "0.5")
    xs = [float(t.get("x") or "") for t in drawn.iter(f"{svg}text")]
    assert xs == sorted(xs) and xs[1] - xs[0] > text_width("actual", FONT)
