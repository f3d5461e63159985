"""The page in French and in English: how its language is chosen, what it says in each, how
each writes numbers and dates, and that each (language, view) is rendered once."""

import datetime as dt
import json
import re
from pathlib import Path

import msgspec
import pytest
from babel.messages.pofile import read_po
from litestar.testing import TestClient

from ogrine_assets.forecast_document import ForecastDocument
from ogrine_assets.language.catalogue import catalogue_path
from ogrine_assets.service.app import create_app
from ogrine_assets.service.config import ServiceConfig
from ogrine_assets.service.freshness import judge
from ogrine_assets.service.responses import derive
from ogrine_assets_tests.service.test_app import publish
from ogrine_assets_tests.service.test_freshness import visible_text
from ogrine_assets_tests.support import LAST_OBSERVED, document_bytes

NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
NBSP, NNBSP, DASH = "\N{NO-BREAK SPACE}", "\N{NARROW NO-BREAK SPACE}", "\N{EN DASH}"


def client_at(document_path: Path, now: dt.datetime = NOW, language: str = "en") -> TestClient:
    config = ServiceConfig(forecast_path=document_path, language=language)  # type: ignore[arg-type]
    return TestClient(create_app(config, now=lambda: now))


def page_language(client: TestClient, path: str = "/", **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.headers["vary"] == "Accept-Language"
    (html_lang,) = re.findall(r'<html lang="(\w+)">', response.text)
    assert response.headers["content-language"] == html_lang
    return html_lang


def test_the_language_comes_from_lang_then_accept_language_then_the_setting(
    document_path: Path,
) -> None:
    publish(document_path, document_bytes(beats_naive=True))
    with client_at(document_path) as client:
        assert page_language(client) == "en"  # nothing asked: the default
        assert page_language(client, **{"accept-language": "fr-CA,fr;q=0.9"}) == "fr"
        assert page_language(client, **{"accept-language": "en;q=0.3, fr;q=0.8"}) == "fr"
        assert page_language(client, **{"accept-language": "fr;q=0.2, en"}) == "en"
        assert page_language(client, "/?lang=fr", **{"accept-language": "en"}) == "fr"
        assert page_language(client, "/?lang=en", **{"accept-language": "fr"}) == "en"
        # An unknown ?lang is not an error: the next rule decides.
        response = client.get("/?lang=de", headers={"accept-language": "fr"})
        assert response.status_code == 200 and response.headers["content-language"] == "fr"
    with client_at(document_path, language="fr") as client:  # OGRINE_LANGUAGE=fr
        assert page_language(client) == "fr"
        assert page_language(client, **{"accept-language": "de, es;q=0.5"}) == "fr"
        assert page_language(client, **{"accept-language": "en-GB"}) == "en"
        assert page_language(client, "/?lang=en") == "en"


def test_ogrine_language_is_the_service_default(tmp_path: Path) -> None:
    assert ServiceConfig.from_env({"OGRINE_HOME": str(tmp_path)}).language == "en"
    config = ServiceConfig.from_env({"OGRINE_HOME": str(tmp_path), "OGRINE_LANGUAGE": "fr"})
    assert config.language == "fr"


def test_the_page_in_french(document_path: Path) -> None:
    publish(document_path, document_bytes(beats_naive=False))
    with client_at(document_path) as client:
        html = client.get("/?lang=fr").text
    text = visible_text(html)
    # (visible_text reads every space as one: the no-break ones are checked in the markup)
    assert f"<h1>Taux de l'Ogrine{NBSP}: les 7 prochains jours</h1>" in html
    assert (
        "Prévision faite le jeudi 26 novembre 2026 à 02:00 UTC à partir des données jusqu'au "
        "mercredi 25 novembre 2026 (il y a 2 jours)."
    ) in text
    assert "Taux en kamas par Ogrine ; modèle ogrine-rate-forecaster v3" in text
    # The table: French days, decimal commas, the ranges' headings.
    rows = re.findall(r"<tr><td>(.*?)</tr>", html, re.S)
    assert rows[0].startswith('jeu. 26 nov.<span class="year"> 2026</span>')
    assert '<td class="num">701,0</td>' in rows[0] and f"696{DASH}706" in rows[0]
    assert f'<th class="num">Fourchette à 80{NBSP}%</th>' in html
    assert f"fourchette à 95{NBSP}%</span>" in html  # the legend
    # The naive warning and the backtest, with amounts as French writes them.
    assert "Ce modèle ne fait pas mieux que la prévision naïve." in text
    assert f"se sont trompées de 30,0{NBSP}kamas en moyenne" in html
    assert f"erreur moyenne de 30,0{NBSP}kamas, contre 20,0{NBSP}kamas" in html
    assert f"La fourchette à 80{NBSP}% a contenu le taux réel 81{NBSP}% du temps" in html
    assert "Ce qu'ont donné les prévisions passées" in text and '"num">12,5<' in html
    assert f"JSON pour les programmes{NBSP}:" in html
    # The chart too: its unit, its axis' months, its thousands.
    assert "kamas par Ogrine</text>" in html and "nov.</text>" in html
    assert "kamas per Ogrine" not in html and "Forecast" not in text


def test_the_page_in_english_writes_english_numbers(document_path: Path) -> None:
    document = json.loads(document_bytes(beats_naive=True, base=1234.5))
    publish(document_path, json.dumps(document).encode())
    with client_at(document_path) as client:
        english, french = client.get("/").text, client.get("/?lang=fr").text
    assert '<td class="num">1,235.5</td>' in english and "Thu 26 Nov" in english
    assert f'<td class="num">1{NNBSP}235,5</td>' in french
    assert (
        f"1{NNBSP}230{DASH}1{NNBSP}240" in french and f"1,230{DASH}1,240" in english
    )  # the 80% range


def english_sentences() -> list[str]:
    """A piece of each English text the catalogue translates differently in French: the
    longest run of words between placeholders and tags."""
    with catalogue_path("fr").open("rb") as po:
        catalogue = read_po(po, locale="fr")
    pieces = []
    for message in catalogue:
        if not message.id or "service/" not in " ".join(path for path, _ in message.locations):
            continue
        english = message.id if isinstance(message.id, str) else message.id[1]
        runs = re.split(r"%\(\w+\)[sd]|<[^>]+>", english)
        longest = max(runs, key=len).strip(" .:;()")
        if len(longest) >= 8:
            pieces.append(longest)
    return pieces


def variant(**changes: object) -> bytes:
    """The test document with some fields changed: a naive method, synthetic data."""
    document = json.loads(document_bytes(beats_naive=False))
    if "method" in changes:
        document["model"]["method"] = changes["method"]
    if "synthetic" in changes:
        document["data"]["synthetic"] = changes["synthetic"]
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("document", "days_later", "marks"),
    [
        (variant(synthetic=True), 2, ["synthétiques", "les 7 prochains jours"]),
        (variant(method="naive: repeats the last observed rate"), 2, ["répète le dernier taux"]),
        (variant(), 326, ["Cette prévision est périmée.", "ont 326 jours", "au-delà de 3"]),
        (variant(), -348, ["datée après l'horloge", "est le vendredi 12 décembre 2025"]),
    ],
    ids=["synthetic", "naive-method", "stale", "clock-problem"],
)
def test_no_english_is_left_on_the_french_page(
    document_path: Path, document: bytes, days_later: int, marks: list[str]
) -> None:
    publish(document_path, document)
    now = dt.datetime.combine(LAST_OBSERVED + dt.timedelta(days=days_later), dt.time(9), dt.UTC)
    with client_at(document_path, now) as client:
        text = visible_text(client.get("/?lang=fr").text)
    # Not words for translation: the JSON endpoints' paths, the model's method (data).
    for path in ("/seven-days-forecast", "/forecast", "naive: repeats the last observed rate"):
        text = text.replace(path, "")
    for mark in marks:
        assert mark in text
    left = [piece for piece in english_sentences() if re.search(rf"\b{re.escape(piece)}\b", text)]
    assert left == [], f"English on the French page: {left}"


def test_no_forecast_yet_in_both_languages(document_path: Path) -> None:
    with client_at(document_path) as client:
        french = client.get("/", headers={"accept-language": "fr"})
        english = client.get("/?lang=en", headers={"accept-language": "fr"})
        assert french.status_code == english.status_code == 503
        assert french.headers["content-language"] == "fr"
        assert "Aucune prévision n'a encore été publiée." in french.text
        assert "No forecast has been published yet." in english.text
        document_path.mkdir()  # a file that cannot be read
        french = client.get("/?lang=fr").text
        assert "La prévision ne peut pas être affichée pour le moment." in french
        assert str(document_path) not in french
        assert f"Vous faites tourner ce service{NBSP}?" in french


def test_the_switch_keeps_the_view_and_the_view_keeps_the_language(
    document_path: Path,
) -> None:
    publish(document_path, document_bytes(beats_naive=True))
    with client_at(document_path) as client:
        html = client.get("/?lang=fr&days=90").text
    languages = re.search(r'<nav class="switch languages"[^>]*>(.*?)</nav>', html, re.S)
    assert languages is not None
    assert '<a href="?lang=en&amp;days=90" hreflang="en" lang="en">English</a>' in languages[1]
    assert (
        'href="?lang=fr&amp;days=90" hreflang="fr" lang="fr" aria-current="true">Français'
        in (languages[1])
    )
    views = re.search(r'<nav class="switch views"[^>]*>(.*?)</nav>', html, re.S)
    assert views is not None
    assert '<a href="?lang=fr">30 jours</a>' in views[1]
    assert '<a href="?lang=fr&amp;days=90" aria-current="true">90 jours</a>' in views[1]


def test_each_language_and_view_is_rendered_once(document_path: Path) -> None:
    """A request writes out a page rendered at load; only a new age renders it again."""
    publish(document_path, document_bytes(beats_naive=True))
    document = msgspec.json.decode(document_path.read_bytes(), type=ForecastDocument)
    fresh = judge(document, NOW, 3)
    derived = derive(document, fresh)
    pages = {
        (lang, days): derived.page(lang, days, fresh) for lang in ("en", "fr") for days in (30, 90)
    }
    assert len({id(page) for page in pages.values()}) == 4
    for (lang, days), page in pages.items():
        assert derived.page(lang, days, fresh) is page  # the same bytes, not rendered again
    assert derived.page("fr", 45, fresh) is pages[("fr", 30)]  # an unknown view: the default
    older = judge(document, NOW + dt.timedelta(days=10), 3)
    stale = derived.page("fr", 90, older)
    assert stale is not pages[("fr", 90)] and "périmée".encode() in stale
    assert derived.page("fr", 90, older) is stale
    assert derived.page("en", 30, fresh) is pages[("en", 30)]


def test_a_short_history_has_no_longer_view(document_path: Path) -> None:
    document = json.loads(document_bytes())
    document["history"] = document["history"][-20:]
    document["data"]["first_observed_date"] = document["history"][0]["date"]
    publish(document_path, json.dumps(document).encode())
    with client_at(document_path) as client:
        html = client.get("/?days=90").text
    assert 'class="switch views"' not in html
    lines = re.findall(r'<polyline class="history" points="([^"]*)"', html)
    assert [len(points.split()) for points in lines] == [20, 20]


def test_a_view_is_calendar_days_gaps_included(document_path: Path) -> None:
    """Five days the upstream missed inside the last 30: 25 points drawn, still 30 days."""
    document = json.loads(document_bytes())
    del document["history"][-12:-7]
    publish(document_path, json.dumps(document).encode())
    with client_at(document_path) as client:
        html = client.get("/").text
    lines = re.findall(r'<polyline class="history" points="([^"]*)"', html)
    assert [len(points.split()) for points in lines] == [25, 25]
    assert html.count('aria-label="Ogrine rate over the last 30 days and the 7-day forecast"') == 2
    assert '<a href="?lang=en" aria-current="true">30 days</a>' in html
