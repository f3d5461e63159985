"""Which language a reader asked for: ``?lang=``, then the browser's ``Accept-Language``,
then the setting (``OGRINE_LANGUAGE``).

A link a player shares (``?lang=fr``) names its language; without one, the browser's
languages decide, in their order of preference (q-values, RFC 9110 section 12.5.4); a
regional variant is its language (``fr-CA`` is French). What names no language of ours
falls to the next rule, never to an error: a page is always shown.
"""

from __future__ import annotations

from babel.core import negotiate_locale

from ogrine_assets.language import LANGUAGES, Language, language


def _weight(parameters: str) -> float:
    """A language range's q-value (1 when absent; 0, never chosen, when unreadable)."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                return 0.0
            return weight if 0 <= weight <= 1 else 0.0
    return 1.0


def accepted(header: str | None) -> Language | None:
    """The language of ours that an ``Accept-Language`` header prefers most:
    ``"de, fr-CA;q=0.8, en;q=0.5"`` is ``"fr"``; None when it asks for none of them (``*``,
    "any", leaves the choice to the next rule)."""
    ranked = []
    for position, item in enumerate((header or "").split(",")):
        tag, _, parameters = item.partition(";")
        tag, weight = tag.strip(), _weight(parameters)
        if tag and tag != "*" and weight > 0:
            ranked.append((-weight, position, tag))
    found = negotiate_locale([tag for _, _, tag in sorted(ranked)], LANGUAGES, sep="-")
    return language(found) if found else None


def choose(query: str | None, accept_language: str | None, default: Language) -> Language:
    """The page's language: ``?lang=`` when it names one of ours, then the header, then
    ``default``."""
    if query:
        try:
            return language(query)
        except ValueError:
            pass  # an unknown ?lang is ignored, as if absent
    return accepted(accept_language) or default
