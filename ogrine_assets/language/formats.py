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


def day(date: dt.date, lang: Language, year: bool = False) -> str:
    """The weekday and the date: ``"Monday 7 December"``, ``"Monday 7 December 2026"`` with
    ``year`` (for a date that may be far from today, as an old forecast's)."""
    return format_date(date, "EEEE d MMMM y" if year else "EEEE d MMMM", locale=lang)


def short_day(date: dt.date, lang: Language) -> str:
    """A table's or an axis' date: ``"Mon 7 Dec"``, ``"lun. 7 déc."``."""
    return format_date(date, "EEE d MMM", locale=lang)


def day_month(date: dt.date, lang: Language, year: bool = False) -> str:
    """A chart axis' day: ``"7 Dec"``, ``"7 déc."``; ``"7 Dec 2026"`` with ``year``."""
    return format_date(date, "d MMM y" if year else "d MMM", locale=lang)


def month(date: dt.date, lang: Language, year: bool = False) -> str:
    """A chart axis' month: ``"Jan"``, ``"janv."``; ``"Jan 2027"``, ``"janv. 2027"`` with
    ``year`` (CLDR's stand-alone form alone, its in-a-date form with the year)."""
    return format_date(date, "MMM y" if year else "LLL", locale=lang)
