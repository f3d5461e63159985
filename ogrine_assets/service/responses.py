"""What the service answers, derived once per document: the pre-encoded 7 days, the page.

The page is rendered from ``templates/page.html.jinja``, where all its words live; its chart
(``chart.py``) is drawn once per document. The page also says how old the forecast is, which
changes with the day and not with the file, so it is rendered again when that changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ogrine_assets.forecast_document import INTERVAL_LEVELS, ForecastDocument
from ogrine_assets.service.chart import BREAKPOINT_PX, NARROW, UNIT, WIDE, render_charts
from ogrine_assets.service.freshness import Staleness

TEMPLATES = Environment(
    loader=PackageLoader("ogrine_assets.service", "templates"),
    autoescape=select_autoescape(["jinja"]),
)
# The site's icon: a PNG for ``/favicon.ico`` (what browsers ask for on pages that name none,
# the JSON ones), and the same drawing as SVG, inlined in the page (no request at all).
STATIC = Path(__file__).parent / "static"
FAVICON_PNG = (STATIC / "favicon.png").read_bytes()
FAVICON_SVG_URL = "data:image/svg+xml," + quote(
    (STATIC / "favicon.svg").read_text().strip(), safe=""
)


class LegacyForecastPoint(
    msgspec.Struct, frozen=True, rename={"prediction_rate_tenth": "prediction_rateTenth"}
):
    """One day of the old project's /seven-days-forecast answer, field for field: its
    clients keep working unchanged."""

    datetime: str
    prediction_rate_tenth: int
    prediction_rate: float


class Responses:
    """The bodies derived once per document: requests only write them out.

    The page also says how old the forecast is, which changes with the day, not the file:
    it is rendered again (the chart, the costly part, is kept) when that changes, at most
    about once a day.
    """

    def __init__(self, document: ForecastDocument, charts: Markup, staleness: Staleness) -> None:
        legacy = [
            LegacyForecastPoint(p.datetime, p.prediction_rate_tenth, p.prediction_rate)
            for p in document.forecast
        ]
        self.seven_days = msgspec.json.encode(legacy)  # /seven-days-forecast, pre-encoded
        self._document = document
        self._charts = charts
        self._page_staleness = staleness
        # Rendered now: a document whose page cannot be built is refused at load.
        self._page = self._render(staleness)

    def page(self, staleness: Staleness) -> bytes:
        """``/``, for the forecast's age now."""
        if staleness != self._page_staleness:
            self._page, self._page_staleness = self._render(staleness), staleness
        return self._page

    def _render(self, staleness: Staleness) -> bytes:
        last = self._document.data.last_observed_date
        return render_page(
            document=self._document,
            charts=self._charts,
            staleness=staleness,
            today=last + dt.timedelta(days=staleness.data_age_days),
        ).encode()


def render_page(**context: Any) -> str:
    return TEMPLATES.get_template("page.html.jinja").render(
        unit=UNIT,
        breakpoint_px=BREAKPOINT_PX,
        narrow_max_px=NARROW.max_drawn_width,
        wide_max_px=WIDE.max_drawn_width,
        favicon=FAVICON_SVG_URL,
        **context,
    )


def derive(document: ForecastDocument, staleness: Staleness) -> Responses:
    bands: dict[int, list[tuple[dt.date, float, float]]] = {}
    for level in sorted(INTERVAL_LEVELS, reverse=True):  # the wider band is drawn first
        intervals = [(point.date, point.interval(level)) for point in document.forecast]
        if all(interval for _, interval in intervals):
            bands[level] = [(day, *interval) for day, interval in intervals if interval]
    charts = render_charts(
        [(h.date, h.rate) for h in document.history],  # every day the document holds
        [(p.date, p.prediction_rate) for p in document.forecast],
        bands,
    )
    return Responses(document, Markup(charts), staleness)
