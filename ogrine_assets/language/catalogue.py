"""The translations of one language, read from its PO catalogue once per process.

PO files are read as they are (Babel's ``read_po``) and compiled in memory, so a
translator's edit needs no build step: the next start shows it.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from ogrine_assets.language import Language

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "ogrine"


def catalogue_path(lang: Language) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: Language) -> Translations:
    """``lang``'s translations (``gettext``, ``ngettext``, ``pgettext``…); a text missing from
    the catalogue, or fuzzy, is shown in the English of the code."""
    with catalogue_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
