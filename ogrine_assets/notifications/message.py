"""What a subscriber reads: the week's outlook of a published forecast, in its language.

One Discord message: its ``content`` (plain text with Discord's ``**bold**``, under
Discord's 2,000 characters) says everything, so a receiver that ignores embeds misses
nothing; one embed adds a link to the page, coloured by the direction. The content says
the outlook (the direction, and the change from the last observed rate to the forecast's
day 7), the day-7 forecast with its 80 % band, the model that made it (name, version,
method) and how its backtest error compares with the naive forecast's, whether the data is
synthetic, and the page's address in the reader's language (``?lang=``).

Words come from the language's catalogue (``ogrine_assets/language``), numbers and dates
from Babel's rules for it: "1 234,5 kamas", "mercredi 2 décembre". The method is said as
the forecast document says it, without the list of features it reads, in English (it names
the estimator, as a model's name does).
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ogrine_assets.forecast_document import ForecastDocument
from ogrine_assets.language import Language
from ogrine_assets.language import formats as say
from ogrine_assets.language.catalogue import translations
from ogrine_assets.notifications.outlook import Direction, Outlook

CONTENT_LIMIT = 2000  # Discord refuses a longer content (HTTP 400)
BAND_LEVEL = 80
METHOD_LIMIT = 300  # characters of a method's description: the content stays far below
# The embed's colour by direction: green, red, grey (Discord draws it as the card's edge).
COLOURS: dict[Direction, int] = {"up": 0x2E7D32, "down": 0xC62828, "steady": 0x757575}


def page_link(page_url: str, lang: Language) -> str:
    """The page's address, opening in ``lang`` (``?lang=``, beside any query it has)."""
    parts = urlsplit(page_url)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key != "lang"
    ]
    return urlunsplit(parts._replace(query=urlencode([*query, ("lang", lang)])))


def _headline(outlook: Outlook, lang: Language) -> str:
    _ = translations(lang).gettext
    values = {
        "change": say.percent(abs(outlook.change), lang),
        "day": say.day(outlook.document.forecast[-1].date, lang),
    }
    if outlook.direction == "up":
        return _("**Ogrine rate: up %(change)s by %(day)s**") % values
    if outlook.direction == "down":
        return _("**Ogrine rate: down %(change)s by %(day)s**") % values
    return _("**Ogrine rate: steady (%(change)s) by %(day)s**") % values


def _forecast_lines(outlook: Outlook, lang: Language) -> list[str]:
    _ = translations(lang).gettext
    document = outlook.document
    last, final = document.history[-1], document.forecast[-1]
    lines = [
        _("Last rate, %(day)s: %(rate)s")
        % {"day": say.day(last.date, lang), "rate": say.kamas(last.rate, lang)}
    ]
    values = {"day": say.day(final.date, lang), "rate": say.kamas(final.prediction_rate, lang)}
    band = final.interval(BAND_LEVEL)
    if band is None:
        lines.append(_("Forecast for %(day)s: %(rate)s") % values)
    else:
        low, high = band
        band_values = {
            "level": say.percent(BAND_LEVEL / 100, lang, digits=0),
            "low": say.number(low, lang),
            "high": say.kamas(high, lang),
        }
        lines.append(
            _("Forecast for %(day)s: %(rate)s (%(level)s band: %(low)s to %(high)s)")
            % {**values, **band_values}
        )
    return lines


def _model_lines(document: ForecastDocument, lang: Language) -> list[str]:
    _ = translations(lang).gettext
    model = document.model
    # The method's words without the features it reads ("linear: recent path, weekday"):
    # what a player can use.
    method = model.method.split(" (", 1)[0]
    method = method if len(method) <= METHOD_LIMIT else method[:METHOD_LIMIT] + "…"
    values = {"name": model.name, "version": model.version, "method": method}
    if method:
        lines = [_("Model: %(name)s v%(version)s (%(method)s)") % values]
    else:
        lines = [_("Model: %(name)s v%(version)s") % values]
    quality = document.quality
    if quality is None:
        lines.append(_("No backtest score for this model."))
    else:
        scores = {
            "mae": say.kamas(quality.backtest_mae, lang),
            "naive": say.kamas(quality.naive_mae, lang),
        }
        if quality.beats_naive:
            lines.append(
                _(
                    "Average error in backtest: %(mae)s, against %(naive)s for the naive "
                    "forecast: it does better."
                )
                % scores
            )
        else:
            lines.append(
                _(
                    "Average error in backtest: %(mae)s, against %(naive)s for the naive "
                    "forecast: it does not do better."
                )
                % scores
            )
    return lines


def compose(document: ForecastDocument, lang: Language, page_url: str) -> dict[str, Any]:
    """The JSON body of the Discord message telling ``document``'s outlook in ``lang``."""
    _ = translations(lang).gettext
    outlook = Outlook(document)
    link = page_link(page_url, lang)
    lines = [
        _headline(outlook, lang),
        *_forecast_lines(outlook, lang),
        *_model_lines(document, lang),
        _("⚠️ Synthetic data: a demonstration, not the market's rate.")
        if document.data.synthetic
        else _("Data: the rates observed on the market."),
        _("Forecast page: %(url)s") % {"url": link},
    ]
    content = "\n".join(lines)
    if len(content) > CONTENT_LIMIT:  # only with a page address of unusual length
        content = content[: CONTENT_LIMIT - 1] + "…"
    return {
        "content": content,
        "embeds": [
            {
                "title": _("Open the forecast page"),
                "url": link,
                "color": COLOURS[outlook.direction],
                "timestamp": document.generated_at.isoformat(),
            }
        ],
        # The text is ours, but a model's name is not: it must never ping anyone.
        "allowed_mentions": {"parse": []},
    }


def digest(payload: dict[str, Any]) -> str:
    """What makes two messages the same for a reader: their content (not the embed's time)."""
    return hashlib.sha256(str(payload["content"]).encode()).hexdigest()[:24]
