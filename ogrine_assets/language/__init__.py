"""The languages a player reads: French (DOFUS's own) and English.

Words live in gettext catalogues, one per language (``locales/<lang>/LC_MESSAGES/
ogrine.po``), that a translator edits with any PO editor and no code; English is the source
language, so its catalogue may leave a text untranslated and the English of the code is shown.
How each language writes a number, a date or an amount of kamas is Babel's (CLDR's rules),
never a table of ours. The service uses this package too, so it imports nothing heavy.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")
DEFAULT_LANGUAGE: Language = "en"


def language(code: str) -> Language:
    """``code`` as one of ``LANGUAGES`` (``"fr-CA"`` is ``"fr"``); ``ValueError`` otherwise."""
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    for known in LANGUAGES:
        if primary == known:
            return known
    raise ValueError(f"{code!r} is not one of {', '.join(LANGUAGES)}")
