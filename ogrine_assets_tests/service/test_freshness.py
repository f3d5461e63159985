"""How current the forecast is, wherever a reader looks: the JSON, /health and the page.

The service's clock is injected (``now``) or fixed by ``OGRINE_NOW``; the document's data
ends on LAST_OBSERVED (2026-11-25) and it was made on 2026-11-26 at 02:00 UTC.
"""

import datetime as dt
import re
from pathlib import Path

from litestar.testing import TestClient

from ogrine_assets.service.app import create_app
from ogrine_assets.service.config import ServiceConfig
from ogrine_assets_tests.service.test_app import publish
from ogrine_assets_tests.support import LAST_OBSERVED, document_bytes


def at(document_path: Path, now: dt.datetime) -> TestClient:
    return TestClient(create_app(ServiceConfig(forecast_path=document_path), now=lambda: now))


def visible_text(html: str) -> str:
    """The page's words, without its style sheet, markup or chart."""
    body = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_a_fresh_forecast_says_when_it_was_made_and_from_which_data(document_path: Path) -> None:
    publish(document_path, document_bytes())
    with at(document_path, dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)) as client:
        text = visible_text(client.get("/").text)
        health = client.get("/health").json()
    assert "Ogrine rate: the next 7 days" in text
    assert (
        "Forecast made Thursday 26 November 2026 at 02:00 UTC from data up to "
        "Wednesday 25 November 2026 (2 days old)"
    ) in text
    assert "out of date" not in text and "clock" not in text
    assert health["status"] == "ready" and health["data_age_days"] == 2


def test_a_stale_forecast_is_said_stale_on_the_page_in_the_json_and_in_health(
    document_path: Path,
) -> None:
    """Finding 10: data 326 days old read "the next 7 days" over past dates, /health "ready"."""
    publish(document_path, document_bytes())
    now = dt.datetime.combine(LAST_OBSERVED + dt.timedelta(days=326), dt.time(9), dt.UTC)
    with at(document_path, now) as client:
        response = client.get("/")
        staleness = client.get("/forecast").json()["staleness"]
        health = client.get("/health")
    text = visible_text(response.text)
    assert response.status_code == 200
    assert "next 7 days" not in text
    assert "Ogrine rate: an out-of-date forecast" in text
    assert "This forecast is out of date. Its newest data is 326 days old" in text
    assert 'id="stale-warning" class="warning"' in response.text  # drawn as a warning
    assert staleness == {
        "data_age_days": 326,
        "status": "stale",
        "stale": True,
        "stale_after_days": 3,
    }
    assert health.status_code == 200  # the service works: it serves what it has, said stale
    body = health.json()
    assert body["status"] == "stale" and body["data_age_days"] == 326
    assert "326 days old" in body["warning"]


def test_data_newer_than_the_service_clock_is_a_clock_problem_never_fresh(
    document_path: Path,
) -> None:
    """Finding 5: a document dated a year after the service's today read
    ``data_age_days: -348, stale: false``."""
    publish(document_path, document_bytes())
    now = dt.datetime.combine(LAST_OBSERVED - dt.timedelta(days=348), dt.time(9), dt.UTC)
    with at(document_path, now) as client:
        staleness = client.get("/forecast").json()["staleness"]
        health = client.get("/health").json()
        text = visible_text(client.get("/").text)
    assert staleness["data_age_days"] == -348
    assert staleness["status"] == "clock_problem" and staleness["stale"] is True
    assert health["status"] == "clock_problem"
    assert "2026-11-25" in health["warning"] and "2025-12-12" in health["warning"]
    assert "next 7 days" not in text
    assert "This forecast is dated after this server's clock" in text
    assert "this server's date is Friday 12 December 2025" in text


def test_a_forecast_made_after_the_service_now_is_a_clock_problem(document_path: Path) -> None:
    """Made at 02:00 on the 26th, seen at 01:00 that day: its data is not newer than today,
    yet it comes from this server's future."""
    publish(document_path, document_bytes())
    with at(document_path, dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)) as client:
        assert client.get("/forecast").json()["staleness"]["status"] == "clock_problem"
    with at(document_path, dt.datetime(2026, 11, 26, 2, 3, tzinfo=dt.UTC)) as client:
        assert client.get("/forecast").json()["staleness"]["status"] == "fresh"


def test_the_page_follows_the_clock_without_a_new_document(document_path: Path) -> None:
    """The page is derived once per document, but what it says of its age follows the day."""
    publish(document_path, document_bytes())
    now = [dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)]
    app = create_app(ServiceConfig(forecast_path=document_path), now=lambda: now[0])
    with TestClient(app) as client:
        assert "next 7 days" in client.get("/").text
        now[0] += dt.timedelta(days=5)
        assert "out of date" in client.get("/").text
        now[0] -= dt.timedelta(days=5)
        assert "next 7 days" in client.get("/").text


def test_ogrine_now_fixes_the_service_clock(document_path: Path) -> None:
    """Finding 10: `ogrine serve` ignored OGRINE_NOW; the docs say it reads the same settings."""
    publish(document_path, document_bytes())
    environ = {"OGRINE_FORECAST_PATH": str(document_path), "OGRINE_NOW": "2027-01-05T09:30:00"}
    config = ServiceConfig.from_env(environ)
    assert config.fixed_now == dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC)  # naive: UTC
    with TestClient(create_app(config)) as client:
        assert client.get("/forecast").json()["staleness"]["data_age_days"] == 41
