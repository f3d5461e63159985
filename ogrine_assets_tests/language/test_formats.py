"""Numbers and dates as each language writes them (the examples of issue 28)."""

from __future__ import annotations

import datetime as dt

import pytest

from ogrine_assets.language import language
from ogrine_assets.language.formats import day, kamas, percent, short_day

NNBSP, NBSP = "\N{NARROW NO-BREAK SPACE}", "\N{NO-BREAK SPACE}"


def test_amounts_of_kamas() -> None:
    assert kamas(1234.5, "fr") == f"1{NNBSP}234,5{NBSP}kamas"
    assert kamas(1234.5, "en") == f"1,234.5{NBSP}kamas"
    assert kamas(1234, "en", digits=0) == f"1,234{NBSP}kamas"


def test_days() -> None:
    monday = dt.date(2026, 12, 7)
    assert day(monday, "fr") == "lundi 7 décembre"
    assert day(monday, "en") == "Monday 7 December"
    assert short_day(monday, "fr") == "lun. 7 déc."
    assert short_day(monday, "en") == "Mon 7 Dec"


def test_percentages() -> None:
    assert percent(0.034, "en") == "3.4%"
    assert percent(0.034, "fr") == f"3,4{NBSP}%"


@pytest.mark.parametrize(("code", "expected"), [("fr-CA", "fr"), ("EN_gb", "en"), ("fr", "fr")])
def test_language_codes(code: str, expected: str) -> None:
    assert language(code) == expected


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="'de' is not one of en, fr"):
        language("de")
