"""What a subscriber reads, in English and in French, as each language writes numbers and dates."""

import msgspec
import pytest

from ogrine_assets.forecast_document import ForecastDocument, ModelInfo, decode
from ogrine_assets.notifications.message import (
    CONTENT_LIMIT,
    Outlook,
    compose,
    digest,
    page_link,
)
from ogrine_assets_tests.support import document_bytes

PAGE = "https://ogrine.example/"
NNBSP, NBSP = "\N{NARROW NO-BREAK SPACE}", "\N{NO-BREAK SPACE}"
APOSTROPHE = "\N{RIGHT SINGLE QUOTATION MARK}"  # as French typography writes it


def document(base: float = 1234.5, beats_naive: bool | None = True) -> ForecastDocument:
    """Last observed 1,234.5 kamas on Wednesday 25 November; day 7 is base + 7 kamas."""
    return decode(document_bytes(base=base, beats_naive=beats_naive))


def test_the_english_message_says_the_week_the_model_and_the_page() -> None:
    payload = compose(document(), "en", PAGE)
    assert payload["content"] == "\n".join(
        [
            "**Ogrine rate: up 0.6% by Wednesday 2 December**",
            f"Last rate, Wednesday 25 November: 1,234.5{NBSP}kamas",
            f"Forecast for Wednesday 2 December: 1,241.5{NBSP}kamas "
            f"(80% band: 1,236.5 to 1,246.5{NBSP}kamas)",
            "Model: ogrine-rate-forecaster v3",
            f"Average error in backtest: 10.0{NBSP}kamas, against 20.0{NBSP}kamas for the "
            "naive forecast: it does better.",
            "Data: the rates observed on the market.",
            "Forecast page: https://ogrine.example/?lang=en",
        ]
    )
    (embed,) = payload["embeds"]
    assert embed["url"] == "https://ogrine.example/?lang=en" and embed["color"] == 0x2E7D32
    assert embed["timestamp"] == "2026-11-26T02:00:00+00:00"
    assert payload["allowed_mentions"] == {"parse": []}


def test_the_french_message_writes_numbers_and_dates_as_french_does() -> None:
    content = compose(document(), "fr", PAGE)["content"]
    assert content == "\n".join(
        [
            f"**Taux de l{APOSTROPHE}Ogrine{NBSP}: en hausse de 0,6{NBSP}% d{APOSTROPHE}ici "
            "mercredi 2 décembre**",
            f"Dernier taux, mercredi 25 novembre{NBSP}: 1{NNBSP}234,5{NBSP}kamas",
            f"Prévision pour mercredi 2 décembre{NBSP}: 1{NNBSP}241,5{NBSP}kamas (intervalle à "
            f"80{NBSP}%{NBSP}: de 1{NNBSP}236,5 à 1{NNBSP}246,5{NBSP}kamas)",
            f"Modèle{NBSP}: ogrine-rate-forecaster v3",
            f"Erreur moyenne en backtest{NBSP}: 10,0{NBSP}kamas, contre 20,0{NBSP}kamas pour la "
            f"prévision naïve{NBSP}: il fait mieux.",
            f"Données{NBSP}: les taux observés sur le marché.",
            f"Page de la prévision{NBSP}: https://ogrine.example/?lang=fr",
        ]
    )


def test_a_falling_synthetic_forecast_by_a_weak_model_without_bands_says_so() -> None:
    weak = document(beats_naive=False)
    down = msgspec.structs.replace(
        weak,
        forecast=[
            msgspec.structs.replace(p, prediction_rate=1200.0, interval_80=None)
            for p in weak.forecast
        ],
        data=msgspec.structs.replace(weak.data, synthetic=True),
        model=ModelInfo("m", "2", "r", "champion", method="naive: repeats the last observed rate"),
    )
    content = compose(down, "en", PAGE)["content"]
    assert content.startswith("**Ogrine rate: down 2.8% by Wednesday 2 December**\n")
    assert f"Forecast for Wednesday 2 December: 1,200.0{NBSP}kamas\n" in content
    assert "Model: m v2 (naive: repeats the last observed rate)" in content
    assert "for the naive forecast: it does not do better." in content
    assert "⚠️ Synthetic data: a demonstration, not the market's rate." in content
    assert compose(down, "en", PAGE)["embeds"][0]["color"] == 0xC62828
    unscored = msgspec.structs.replace(down, quality=None)
    assert "Pas de score de backtest pour ce modèle." in compose(unscored, "fr", PAGE)["content"]


def test_the_outlook_is_steady_when_the_change_shows_as_zero() -> None:
    flat = document(base=1234.5)
    steady = msgspec.structs.replace(
        flat, forecast=[msgspec.structs.replace(p, prediction_rate=1235.0) for p in flat.forecast]
    )  # +0.04 %
    assert Outlook(steady).direction == "steady"
    assert compose(steady, "en", PAGE)["content"].startswith(
        "**Ogrine rate: steady (0.0%) by Wednesday 2 December**"
    )


@pytest.mark.parametrize(
    ("threshold", "sent"), [(0, True), (0.56, True), (0.5670, True), (0.5671, False), (5, False)]
)
def test_min_move_percent_is_the_weeks_move_either_way(threshold: float, sent: bool) -> None:
    up = Outlook(document())  # 1,234.5 to 1,241.5: 0.56703 %
    assert up.moved_percent == pytest.approx(0.567031, abs=1e-6)
    assert up.moves_at_least(threshold) is sent
    falling = document()
    down = msgspec.structs.replace(
        falling,
        forecast=[msgspec.structs.replace(p, prediction_rate=1227.5) for p in falling.forecast],
    )
    assert Outlook(down).moves_at_least(threshold) is sent  # the same move, down


def test_the_page_link_keeps_its_query_and_sets_the_language() -> None:
    assert page_link("http://127.0.0.1:8080/", "fr") == "http://127.0.0.1:8080/?lang=fr"
    assert page_link("https://x.example/p?ref=discord&lang=en", "fr") == (
        "https://x.example/p?ref=discord&lang=fr"
    )


def test_the_content_stays_within_discords_limit() -> None:
    long_method = msgspec.structs.replace(
        document(),
        model=ModelInfo("m", "2", "r", "champion", method="linear (" + "lag_1, " * 400 + ")"),
    )
    assert len(compose(long_method, "fr", PAGE)["content"]) < 1000  # the method is cut
    content = compose(long_method, "en", PAGE + "x" * 3000)["content"]
    assert len(content) == CONTENT_LIMIT and content.endswith("…")


def test_the_digest_is_the_words_not_the_time_they_were_sent() -> None:
    first = compose(document(), "en", PAGE)
    later = dict(first, embeds=[dict(first["embeds"][0], timestamp="2027-01-01T00:00:00+00:00")])
    assert digest(first) == digest(later) != digest(compose(document(), "fr", PAGE))
