"""Numbers, amounts of kamas and dates as each language writes them (Babel, CLDR rules).

``kamas(1234.5, "fr")`` is ``"1 234,5 kamas"`` (CLDR's narrow no-break space groups the
thousands), ``kamas(1234.5, "en")`` is ``"1,234.5 kamas"``; ``day`` is ``"lundi 7 décembre"``
or ``"Monday 7 December"``.
"""

from __future__ import annotations

import datetime as dt

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from ogrine_assets.language import Language


def number(value: float, lang: Language, digits: int = 1) -> str:
    """``value`` with exactly ``digits`` decimals, grouped as ``lang`` groups thousands."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=lang)


def kamas(value: float, lang: Language, digits: int = 1) -> str:
    """An amount of kamas: the unit is the game's word in both languages."""
    return f"{number(value, lang, digits)}\N{NO-BREAK SPACE}kamas"


def percent(fraction: float, lang: Language, digits: int = 1) -> str:
    """``0.034`` as ``"3.4%"`` or ``"3,4 %"``: the locale's own percent pattern, with
    ``digits`` decimals (CLDR writes no plus sign; a caller that wants one adds it)."""
    whole, after = Locale.parse(lang).percent_formats[None].pattern.rsplit("0", 1)
    decimals = "." + "0" * digits if digits > 0 else ""
    return format_percent(fraction, format=f"{whole}0{decimals}{after}", locale=lang)


def day(date: dt.date, lang: Language) -> str:
    """The weekday and the date without the year: ``"Monday 7 December"``."""
    return format_date(date, "EEEE d MMMM", locale=lang)


def short_day(date: dt.date, lang: Language) -> str:
    """A table's or an axis' date: ``"Mon 7 Dec"``, ``"lun. 7 déc."``."""
    return format_date(date, "EEE d MMM", locale=lang)
