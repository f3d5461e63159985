"""Charts drawn as SVG text: no plotting library, no font, nothing fetched from elsewhere.

The service's page (``service/chart.py``), the backtest figure a training logs to MLflow
(``model/plots.py``) and the replay's figure (``simulation/replay.py``) draw with these.
Standard library and Babel's date formats only: the service imports it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from ogrine_assets.language import Language
from ogrine_assets.language.formats import day_month, month, number

CHAR_WIDTH = 0.6  # a generous average glyph width of a sans-serif font, in ems


def nice_step(low: float, high: float, count: int = 5) -> float:
    """The round step (1, 2, 2.5 or 5 x 10^n) that cuts ``low``..``high`` in about
    ``count - 1`` parts."""
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values between ``low`` and ``high`` (steps of 1, 2, 2.5, 5 x 10^n)."""
    step = nice_step(low, high, count)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) // step) + 1)]


def covering_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round, evenly spaced values, the first at or below ``low`` and the
    last at or above ``high``: an axis from the first to the last shows every value in
    between against a label (at least two, even when ``low == high``)."""
    step = nice_step(low, high, count)
    start = math.floor(low / step + 1e-9)
    stop = max(math.ceil(high / step - 1e-9), start + 1)
    decimals = max(0, -math.floor(math.log10(step))) + 1  # more than the step needs
    return [round(i * step, decimals) for i in range(start, stop + 1)]


@dataclass(frozen=True)
class Frame:
    """Maps data (x from 0 to ``span``, y from ``low`` to ``high``) into a plot area."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    span: float
    low: float
    high: float

    def x(self, value: float) -> float:
        return self.left + value / max(self.span, 1e-9) * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        return self.top + (self.high - value) / (self.high - self.low) * (
            self.height - self.top - self.bottom
        )

    def points(self, xs: Sequence[float], ys: Sequence[float]) -> str:
        """``x,y`` pairs for a polyline; pairs with a NaN are left out."""
        return " ".join(
            f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in zip(xs, ys, strict=True) if b == b
        )


def padded_range(values: Sequence[float], share: float = 0.08) -> tuple[float, float]:
    """The values' range, widened by ``share`` of itself on each side (1 at least)."""
    known = [v for v in values if v == v]
    low, high = min(known), max(known)
    pad = max((high - low) * share, 1.0)
    return low - pad, high + pad


def text_width(text: str, font: float) -> float:
    return len(text) * CHAR_WIDTH * font


def tick_label(value: float, step: float, lang: Language = "en") -> str:
    """``value`` with as many decimals as the axis step needs (1350, 1352.5, 0.25), written
    as ``lang`` writes numbers (``1,352.5``, ``1 352,5``)."""
    decimals = 0
    while decimals < 4 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    return number(value, lang, decimals)


# A date label: (the axis's spacing: "day", "month" or "year"; the day; whether it is the
# first label of its year) -> its text.
DateLabel = Callable[[str, dt.date, bool], str]


def date_label(lang: Language) -> DateLabel:
    """Labels as ``lang`` writes them: "6 Jan 2025", "13 Jan"; "Feb 2025", "Mar"; "2026"
    (the year once, then at each new one); "6 janv. 2025", "févr." in French."""

    def label(kind: str, day: dt.date, new_year: bool) -> str:
        if kind == "year":
            return str(day.year)
        if kind == "month":
            return month(day, lang, year=new_year)
        return day_month(day, lang, year=new_year)

    return label


def tick_days(first: dt.date, last: dt.date) -> list[tuple[str, list[dt.date]]]:
    """Tick days for each spacing, finest first: days, weeks (Mondays), months, years."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    options: list[tuple[str, list[dt.date]]] = []
    for n in (1, 2):
        options.append(("day", [d for d in days if d.toordinal() % n == 0]))
    for n in (1, 2):
        options.append(
            ("day", [d for d in days if d.weekday() == 0 and d.toordinal() // 7 % n == 0])
        )
    for n in (1, 2, 3, 6):
        options.append(("month", [d for d in days if d.day == 1 and (d.month - 1) % n == 0]))
    for n in (1, 2, 5, 10, 20, 50):
        options.append(
            ("year", [d for d in days if d.day == 1 and d.month == 1 and d.year % n == 0])
        )
    return options


def label_centres(
    labels: Sequence[str], xs: Sequence[float], *, width: float, font: float, gap: float = 12
) -> list[float] | None:
    """Each label's centre, on its ``x`` but kept inside ``width``; None when two would
    leave less than ``gap`` between them."""
    centres = []
    for text, x in zip(labels, xs, strict=True):
        half = text_width(text, font) / 2
        centres.append(min(max(x, half + 1), width - half - 1))
    for i in range(1, len(centres)):
        room = (text_width(labels[i - 1], font) + text_width(labels[i], font)) / 2
        if centres[i] - centres[i - 1] < room + gap:
            return None
    return centres


def date_axis(
    first: dt.date,
    last: dt.date,
    x: Callable[[dt.date], float],
    *,
    width: float,
    font: float,
    max_labels: int,
    label: DateLabel | None = None,
    gap: float = 12,
    previous: dt.date | None = None,
) -> list[tuple[dt.date, str, float]]:
    """A date axis from ``first`` to ``last``: each tick's day, label and label centre.

    The finest spacing (day, 2 days, week, 2 weeks, month, ... year) with 2 to
    ``max_labels`` ticks whose labels fit (``label_centres``); else the two ends, else the
    first day alone. The first label of each year names it; ``previous``, the tick before
    ``first`` on an axis drawn in parts, decides for the first label.
    """
    written = label or date_label("en")

    def labelled(kind: str, ticks: Sequence[dt.date]) -> list[str]:
        labels = []
        for i, day in enumerate(ticks):
            before = ticks[i - 1] if i else previous
            labels.append(written(kind, day, before is None or day.year != before.year))
        return labels

    options = [(k, t) for k, t in tick_days(first, last) if 2 <= len(t) <= max_labels]
    if last != first:
        options.append(("day", [first, last]))
    for kind, ticks in options:
        labels = labelled(kind, ticks)
        centres = label_centres(labels, [x(day) for day in ticks], width=width, font=font, gap=gap)
        if centres is not None:
            return list(zip(ticks, labels, centres, strict=True))
    labels = labelled("day", [first])  # the first day alone: one label always fits
    [centre] = label_centres(labels, [x(first)], width=width, font=font) or [x(first)]
    return [(first, labels[0], centre)]


@dataclass(frozen=True)
class Key:
    """One entry of a legend: a short line (``stroke``, dashed by ``dash``) or, with
    ``fill``, a filled box: drawn as the series it names is drawn."""

    label: str
    stroke: str | None = None
    dash: str | None = None
    fill: str | None = None
    opacity: float = 1.0


def legend(keys: Sequence[Key], x: float, y: float, font: float) -> str:
    """The keys in a row from ``x``, their text's baseline at ``y``."""
    parts = ['<g class="legend">']
    for key in keys:
        middle = y - font * 0.35
        if key.fill is not None:
            parts.append(
                f'<rect x="{x:.1f}" y="{middle - font * 0.4:.1f}" width="{font * 1.5:.1f}" '
                f'height="{font * 0.8:.1f}" fill="{key.fill}" opacity="{key.opacity:g}"/>'
            )
        else:
            dash = f' stroke-dasharray="{key.dash}"' if key.dash else ""
            parts.append(
                f'<line x1="{x:.1f}" x2="{x + font * 1.5:.1f}" y1="{middle:.1f}" '
                f'y2="{middle:.1f}" stroke="{key.stroke}" stroke-width="1.5"{dash}/>'
            )
        parts.append(f'<text x="{x + font * 1.9:.1f}" y="{y:.1f}">{escape(key.label)}</text>')
        x += font * 1.9 + text_width(key.label, font) + font * 1.5
    parts.append("</g>")
    return "".join(parts)
