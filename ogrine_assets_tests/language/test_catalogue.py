"""The catalogues hold every text the code asks for, and French translates each one."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import ogrine_assets
from ogrine_assets.language import LANGUAGES, language
from ogrine_assets.language.catalogue import catalogue_path, translations

PACKAGE = Path(ogrine_assets.__file__).parent
# How texts are marked: gettext's names in Python, and Jinja's {% trans %} and _() in templates.
METHODS = [
    ("**.py", "python"),
    ("**/templates/**.jinja", "jinja2.ext:babel_extract"),
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def texts_in_code() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        PACKAGE, METHODS, options_map={"**/templates/**.jinja": {"trimmed": "true"}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(lang: str):
    with catalogue_path(language(lang)).open("rb") as po:
        return read_po(po, locale=lang)


def test_every_text_the_code_asks_for_is_in_each_catalogue() -> None:
    wanted = texts_in_code()
    for lang in LANGUAGES:
        held = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(lang) if m.id}
        assert wanted - held == set(), f"{lang}: texts missing from the catalogue"
        assert held - wanted == set(), f"{lang}: texts no code asks for any more"


def test_french_translates_every_text_and_keeps_its_placeholders() -> None:
    for message in catalogue("fr"):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings) and not message.fuzzy, f"untranslated: {ids[0]!r}"
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, f"placeholders of {ids[0]!r}"


def test_a_text_missing_from_a_catalogue_is_shown_in_english() -> None:
    assert translations("fr").gettext("no such text in any catalogue") == (
        "no such text in any catalogue"
    )
