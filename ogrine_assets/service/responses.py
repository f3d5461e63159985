"""What the service answers, derived once per document: the pre-encoded 7 days, the pages.

The page is rendered from ``templates/page.html.jinja``, where all its words live, marked
for translation (Jinja's i18n extension, the catalogues of ``ogrine_assets.language``); how
it writes numbers and dates is ``ogrine_assets.language.formats``'. There is one page per
language and view (``VIEWS``: how many days of history the chart shows), each with its
charts, all rendered when the document is loaded: a request picks one and writes it out,
and a document whose page cannot be built is refused at load. The page also says how old
the forecast is, which changes with the day and not with the file, so a page is rendered
again when that changes (its charts, the costly part, are kept).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode

import msgspec
from babel import Locale
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ogrine_assets.forecast_document import ForecastDocument, HistoryPoint
from ogrine_assets.language import LANGUAGES, Language
from ogrine_assets.language import formats as written
from ogrine_assets.language.catalogue import translations
from ogrine_assets.service.chart import (
    BREAKPOINT_PX,
    NARROW,
    WIDE,
    band_name,
    render_charts,
    unit,
)
from ogrine_assets.service.freshness import Staleness

# Days of history the chart shows: the default (the forecast's week stays a third of a
# phone's chart at least), and the longer view behind the page's "90 days" (``?days=90``).
VIEWS = (30, 90)
DEFAULT_VIEW = VIEWS[0]

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


def view(days: str | None) -> int:
    """The view ``?days=`` asks for; anything else (absent, unknown, not a number) is the
    default, as an unknown ``?lang=`` is: a page is always shown."""
    return next((known for known in VIEWS if days == str(known)), DEFAULT_VIEW)


def shown_history(history: Sequence[HistoryPoint], days: int) -> list[HistoryPoint]:
    """The observed days of the last ``days`` calendar days (fewer where the upstream had
    gaps)."""
    start = history[-1].date - dt.timedelta(days=days - 1)
    return [point for point in history if point.date >= start]


def link(lang: Language, days: int) -> str:
    """The page's own address for ``lang`` and ``days``: the language switch keeps the
    view and the view's control keeps the language."""
    query = {"lang": lang, **({"days": str(days)} if days != DEFAULT_VIEW else {})}
    return "?" + urlencode(query)


@functools.cache
def templates(lang: Language) -> Environment:
    """The page's templates speaking ``lang``: its catalogue for the words, its ways of
    writing numbers and dates as the functions the template calls."""
    environment = Environment(
        loader=PackageLoader("ogrine_assets.service", "templates"),
        autoescape=select_autoescape(["jinja"]),
        extensions=["jinja2.ext.i18n"],
    )
    # Added by the i18n extension, so not in Environment's declared attributes.
    cast(Any, environment).install_gettext_translations(translations(lang), newstyle=True)
    formats: dict[str, Callable[..., str]] = {
        "number": lambda value, digits=1: written.number(value, lang, digits),
        "kamas": lambda value, digits=1: written.kamas(value, lang, digits),
        "percent": lambda fraction, digits=0: written.percent(fraction, lang, digits),
        "day": lambda date, year=False: written.day(date, lang, year),
        "short_day": lambda date: written.short_day(date, lang),
        "band_name": lambda level: band_name(level, lang),
    }
    environment.globals.update(
        formats,
        lang=lang,
        unit=unit(lang),
        breakpoint_px=BREAKPOINT_PX,
        narrow_max_px=NARROW.max_drawn_width,
        wide_max_px=WIDE.max_drawn_width,
        favicon=FAVICON_SVG_URL,
    )
    return environment


def render_page(lang: Language, days: int, **context: Any) -> str:
    """The page in ``lang``; its language switch links to the same ``days`` of history,
    each language named in its own words (Babel's: "English", "Français")."""
    languages = [
        (code, (Locale.parse(code).get_display_name() or code).capitalize(), link(code, days))
        for code in LANGUAGES
    ]
    template = templates(lang).get_template("page.html.jinja")
    return template.render(languages=languages, days=days, **context)


@functools.cache
def unavailable_page(lang: Language, days: int, unreadable: bool) -> bytes:
    """``/`` while no forecast can be served: none published yet, or it cannot be read."""
    return render_page(lang, days, document=None, unreadable=unreadable).encode()


class Responses:
    """The bodies derived once per document: requests only write them out.

    A page per language and view; each also says how old the forecast is, which changes
    with the day, not the file: it is rendered again (the charts are kept) when that
    changes, at most about once a day.
    """

    def __init__(self, document: ForecastDocument, staleness: Staleness) -> None:
        legacy = [
            LegacyForecastPoint(p.datetime, p.prediction_rate_tenth, p.prediction_rate)
            for p in document.forecast
        ]
        self.seven_days = msgspec.json.encode(legacy)  # /seven-days-forecast, pre-encoded
        self._document = document
        # The longer view only where the document holds more than the default shows; each
        # view named by the calendar days it covers.
        shown = {days: shown_history(document.history, days) for days in VIEWS}
        self._views = {
            days: (points[-1].date - points[0].date).days + 1
            for days, points in shown.items()
            if days == DEFAULT_VIEW or len(points) > len(shown[DEFAULT_VIEW])
        }
        bands = document.bands()
        forecast = [(p.date, p.prediction_rate) for p in document.forecast]
        self._charts = {
            (lang, days): Markup(
                render_charts([(h.date, h.rate) for h in shown[days]], forecast, bands, lang)
            )
            for lang in LANGUAGES
            for days in self._views
        }
        # Rendered now: a document whose page cannot be built is refused at load.
        self._pages = {key: (staleness, self._render(key, staleness)) for key in self._charts}

    def page(self, lang: Language, days: int, staleness: Staleness) -> bytes:
        """``/`` in ``lang`` showing ``days`` of history, for the forecast's age now."""
        key = (lang, days if days in self._views else DEFAULT_VIEW)
        rendered_for, body = self._pages[key]
        if rendered_for != staleness:
            body = self._render(key, staleness)
            self._pages[key] = (staleness, body)
        return body

    def _render(self, key: tuple[Language, int], staleness: Staleness) -> bytes:
        lang, days = key
        last = self._document.data.last_observed_date
        views = (
            [
                (shown, link(lang, view_days), view_days == days)
                for view_days, shown in self._views.items()
            ]
            if len(self._views) > 1
            else []
        )
        return render_page(
            lang,
            days,
            document=self._document,
            charts=self._charts[key],
            views=views,
            staleness=staleness,
            today=last + dt.timedelta(days=staleness.data_age_days),
        ).encode()


def derive(document: ForecastDocument, staleness: Staleness) -> Responses:
    return Responses(document, staleness)
