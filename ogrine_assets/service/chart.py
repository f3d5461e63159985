"""The chart, drawn on the server as SVG: no script, no font, nothing fetched from elsewhere.

History is a solid line, the forecast a dotted line from the last observation (the old
app's convention), with a marker per forecast day and, when known, its 95% and 80% bands
as shaded areas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape

from ogrine_assets.svg import nice_ticks

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 56, 16, 36


Band = Sequence[tuple[dt.date, float, float]]


def render_chart(
    history: Sequence[tuple[dt.date, float]],
    forecast: Sequence[tuple[dt.date, float]],
    bands: Mapping[int, Band] | None = None,
) -> str:
    """An SVG string; ``history`` and ``forecast`` are (date, rate in kamas), ascending;
    ``bands`` maps a level (95, 80: drawn in that order) to (date, low, high) per forecast day."""
    bands = bands or {}
    points = [*history, *forecast]
    first_day, last_day = points[0][0], points[-1][0]
    span_days = max((last_day - first_day).days, 1)
    rates = [rate for _, rate in points]
    rates += [value for band in bands.values() for _, low, high in band for value in (low, high)]
    pad = max((max(rates) - min(rates)) * 0.08, 1.0)
    low, high = min(rates) - pad, max(rates) + pad

    def x(day: dt.date) -> float:
        return LEFT + (day - first_day).days / span_days * (WIDTH - LEFT - RIGHT)

    def y(rate: float) -> float:
        return TOP + (high - rate) / (high - low) * (HEIGHT - TOP - BOTTOM)

    def polyline(series: Sequence[tuple[dt.date, float]]) -> str:
        return " ".join(f"{x(day):.1f},{y(rate):.1f}" for day, rate in series)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        'aria-label="Ogrine rate: history and 7-day forecast" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in nice_ticks(low, high):
        height = f"{y(tick):.1f}"
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{height}" y2="{height}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{tick:g}</text>"
        )
    cutoff = history[-1][0]
    at = f"{x(cutoff):.1f}"
    parts.append(f'<line class="cutoff" x1="{at}" x2="{at}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>')
    for day, anchor in ((first_day, "start"), (cutoff, "end"), (last_day, "start")):
        parts.append(
            f'<text class="axis" x="{x(day):.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}">'
            f"{escape(day.strftime('%d %b'))}</text>"
        )
    anchor_day, anchor_rate = history[-1]
    for level, band in bands.items():
        upper = [(anchor_day, anchor_rate), *((day, high) for day, _, high in band)]
        lower = [(day, low) for day, low, _ in reversed(band)]
        parts.append(
            f'<polygon class="band band-{level:d}" points="{polyline([*upper, *lower])}">'
            f"<title>{level:d}% range</title></polygon>"
        )
    parts.append(f'<polyline class="history" points="{polyline(history)}"/>')
    parts.append(f'<polyline class="forecast" points="{polyline([history[-1], *forecast])}"/>')
    for day, rate in forecast:
        parts.append(
            f'<circle class="forecast-point" cx="{x(day):.1f}" cy="{y(rate):.1f}" r="3.5">'
            f"<title>{day.isoformat()}: {rate:.1f} kamas</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
