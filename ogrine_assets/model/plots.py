"""A picture of the backtest for reviewers: forecasts against what really happened."""

from __future__ import annotations

import datetime as dt
from html import escape

import numpy as np

from ogrine_assets.model.backtest import Backtest
from ogrine_assets.model.features import DailySeries
from ogrine_assets.svg import Frame, nice_ticks, padded_range

WIDTH, HEIGHT = 1000, 400
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 56, 40


def backtest_svg(series: DailySeries, backtest: Backtest, method: str) -> bytes:
    """Actual rates over the backtest, with ``method``'s 1-day and 7-day-ahead forecasts and
    the naive 7-day-ahead one: an SVG that MLflow's UI shows as an image."""
    origins = backtest.origins
    horizon = backtest.horizon
    first = int(origins[0])
    span = slice(first, int(origins[-1]) + horizon + 1)
    days = np.arange(span.start, span.stop) - first
    lines = [
        ("actual", days, series.values[span], "#2f6fdb", ""),
        (
            f"{method}, 1 day ahead",
            origins + 1 - first,
            backtest.forecasts[method][:, 0],
            "#d9480f",
            "",
        ),
        (
            f"{method}, {horizon} days ahead",
            origins + horizon - first,
            backtest.forecasts[method][:, -1],
            "#d9480f",
            "3 3",
        ),
    ]
    if "naive" in backtest.forecasts:
        lines.append(
            (
                f"naive, {horizon} days ahead",
                origins + horizon - first,
                backtest.forecasts["naive"][:, -1],
                "#9aa1ad",
                "",
            )
        )
    low, high = padded_range([float(v) for _, _, ys, _, _ in lines for v in ys])
    frame = Frame(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, float(days[-1]), low, high)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT}" y="16" font-size="13">Backtest: forecasts against what happened '
        f"({len(origins)} origins)</text>",
        f'<text transform="translate(14 {HEIGHT / 2}) rotate(-90)" text-anchor="middle">'
        "kamas per ogrine</text>",
    ]
    for tick in nice_ticks(low, high, count=7):
        y = frame.y(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e7ee"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    labels = np.linspace(0, days[-1], 6).round().astype(int)
    for number, offset in enumerate(labels):
        day = series.start + dt.timedelta(days=first + int(offset))
        anchor = "start" if number == 0 else "end" if number == len(labels) - 1 else "middle"
        parts.append(
            f'<text x="{frame.x(offset):.1f}" y="{HEIGHT - 16}" text-anchor="{anchor}">'
            f"{day.isoformat()}</text>"
        )
    for row, (label, xs, ys, color, dash) in enumerate(lines):
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5"{dashes} '
            f'points="{frame.points(xs.tolist(), ys.tolist())}"/>'
        )
        at = LEFT + row * 210  # the legend, one row above the plot
        parts.append(
            f'<line x1="{at}" x2="{at + 24}" y1="34" y2="34" stroke="{color}" '
            f'stroke-width="2"{dashes}/><text x="{at + 30}" y="38">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts).encode()
