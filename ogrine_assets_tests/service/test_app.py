"""Every endpoint and every failure, through Litestar's test client."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from ogrine_assets.service.app import create_app
from ogrine_assets.service.config import ServiceConfig
from ogrine_assets.service.source import ForecastSource
from ogrine_assets_tests.support import LAST_OBSERVED, document_bytes

NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


def publish(path: Path, content: bytes) -> None:
    """Replace the document the way the pipeline does: write aside, then rename."""
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


@pytest.fixture
def client(document_path: Path) -> Iterator[TestClient]:
    app = create_app(ServiceConfig(forecast_path=document_path), now=lambda: NOW)
    with TestClient(app) as test_client:
        yield test_client


def test_seven_days_forecast_keeps_the_old_shape(client: TestClient, document_path: Path) -> None:
    publish(document_path, document_bytes())
    response = client.get("/seven-days-forecast")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    points = response.json()
    assert len(points) == 7
    for step, point in enumerate(points, start=1):
        assert set(point) == {"datetime", "prediction_rateTenth", "prediction_rate"}
        assert point["datetime"] == f"{LAST_OBSERVED + dt.timedelta(days=step)}T00:00:00+00:00"
        assert type(point["prediction_rateTenth"]) is int
        assert type(point["prediction_rate"]) is float
        assert point["prediction_rate"] == point["prediction_rateTenth"] / 10


def test_forecast_with_provenance_and_staleness(client: TestClient, document_path: Path) -> None:
    publish(document_path, document_bytes(version="3"))
    body = client.get("/forecast").json()
    assert body["model"] == {
        "name": "ogrine-rate-forecaster",
        "version": "3",
        "run_id": "abc",
        "alias": "champion",
        "method": "",
    }
    assert body["generated_at"].startswith("2026-11-26T02:00:00")
    assert body["data"]["last_observed_date"] == "2026-11-25"
    assert body["staleness"] == {
        "data_age_days": 2,
        "status": "fresh",
        "stale": False,
        "stale_after_days": 3,
    }
    assert [p["horizon_days"] for p in body["forecast"]] == list(range(1, 8))


def test_staleness_flags_old_data(document_path: Path) -> None:
    publish(document_path, document_bytes())
    later = NOW + dt.timedelta(days=10)
    with TestClient(
        create_app(ServiceConfig(forecast_path=document_path), now=lambda: later)
    ) as client:
        assert client.get("/forecast").json()["staleness"]["stale"] is True


def test_history_with_a_bounded_limit(client: TestClient, document_path: Path) -> None:
    publish(document_path, document_bytes())
    assert len(client.get("/history").json()) == 90  # the document keeps 90 days
    newest = client.get("/history", params={"limit": 3}).json()
    assert [row["date"] for row in newest] == ["2026-11-23", "2026-11-24", "2026-11-25"]
    assert newest[-1] == {"date": "2026-11-25", "rate_tenth": 7000, "rate": 700.0}


@pytest.mark.parametrize("limit", ["0", "-1", "366", "abc", "1.5"])
def test_bad_parameters_are_400_with_the_reason(
    client: TestClient, document_path: Path, limit: str
) -> None:
    publish(document_path, document_bytes())
    response = client.get("/history", params={"limit": limit})
    assert response.status_code == 400
    body = response.json()
    assert body["extra"][0]["key"] == "limit" and body["extra"][0]["message"]


def test_no_document_yet_is_503_with_a_reason(client: TestClient, document_path: Path) -> None:
    for path in ("/seven-days-forecast", "/forecast", "/history", "/health"):
        response = client.get(path)
        assert response.status_code == 503, path
        body = response.json()
        reason = body.get("detail") or body.get("reason")
        assert "no forecast has been published yet" in reason
        # Where the file is expected is for operators: /health says it, the others do not.
        assert (str(document_path) in reason) == (path == "/health"), path


def test_the_page_without_a_forecast_is_short_and_shows_no_server_path(
    client: TestClient, document_path: Path
) -> None:
    page = client.get("/")
    assert page.status_code == 503
    text = page.text
    assert str(document_path) not in text and str(document_path.parent) not in text
    assert text.lower().count("no forecast") == 1, text  # said once, not twice
    assert "No forecast has been published yet." in text
    document_path.mkdir()  # a file that cannot be read: still no path, still said once
    text = client.get("/").text
    assert str(document_path) not in text and "cannot be shown right now" in text


def test_an_unreadable_first_document_answers_without_the_path(
    client: TestClient, document_path: Path
) -> None:
    document_path.mkdir()
    detail = client.get("/forecast").json()["detail"]
    assert str(document_path) not in detail and "cannot be read" in detail
    assert str(document_path) in client.get("/health").json()["reason"]


def test_health_is_ready_with_a_document(client: TestClient, document_path: Path) -> None:
    publish(document_path, document_bytes(version="5"))
    body = client.get("/health").json()
    assert body == {
        "status": "ready",
        "model_version": "5",
        "generated_at": "2026-11-26T02:00:00Z",
        "last_observed_date": "2026-11-25",
        "data_age_days": 2,
    }


@pytest.mark.parametrize(
    "bad",
    [
        b'{"schema_version": 1, "generated_at": "2026-11-26T02:',  # half-written
        b"<html>not json</html>",
        json.dumps({"schema_version": 99}).encode(),
        document_bytes().replace(b'"horizon_days": 2', b'"horizon_days": "two"'),
    ],
)
def test_a_corrupt_document_keeps_the_last_good_one(
    client: TestClient, document_path: Path, bad: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    publish(document_path, document_bytes(version="3"))
    good = client.get("/seven-days-forecast").content
    publish(document_path, bad)
    response = client.get("/seven-days-forecast")
    assert response.status_code == 200 and response.content == good
    health = client.get("/health").json()
    assert health["status"] == "ready" and health["model_version"] == "3"
    assert "was not loaded" in health["reason"] and "still serving model v3" in health["reason"]
    assert any("was not loaded" in record.message for record in caplog.records)


def test_a_corrupt_first_document_is_503_not_500(client: TestClient, document_path: Path) -> None:
    publish(document_path, b"{")
    response = client.get("/forecast")
    assert response.status_code == 503
    assert "not a forecast document" in response.json()["detail"]


def test_forecast_dates_must_follow_the_last_observation(
    client: TestClient, document_path: Path
) -> None:
    document = json.loads(document_bytes())
    document["forecast"][3]["date"] = "2030-01-01"
    publish(document_path, json.dumps(document).encode())
    assert "consecutive" in client.get("/health").json()["reason"]


def test_a_new_document_is_picked_up_without_restart(
    client: TestClient, document_path: Path
) -> None:
    publish(document_path, document_bytes(version="3", base=700.0))
    first = client.get("/seven-days-forecast").json()
    publish(document_path, document_bytes(version="4", base=800.0))
    second = client.get("/seven-days-forecast").json()
    assert first[0]["prediction_rate"] == 701.0 and second[0]["prediction_rate"] == 801.0
    assert client.get("/forecast").json()["model"]["version"] == "4"
    assert "v4" in client.get("/").text


def test_an_unreadable_document_is_503_not_500(client: TestClient, document_path: Path) -> None:
    document_path.mkdir()  # a folder where the file should be
    response = client.get("/seven-days-forecast")
    assert response.status_code == 503
    assert "Traceback" not in response.text


def test_page_has_the_chart_and_provenance(client: TestClient, document_path: Path) -> None:
    publish(document_path, document_bytes(version="3"))
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert html.count('class="forecast-point"') == 7 * 2  # a chart for phones, one for wider
    assert 'class="history"' in html and 'class="forecast"' in html
    assert "ogrine-rate-forecaster v3" in html and "Wednesday 25 November 2026" in html
    assert "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )  # nothing from elsewhere
    assert "synthetic" not in html  # this document is not synthetic


def test_openapi_is_served_offline(client: TestClient) -> None:
    spec = client.get("/schema").json()
    assert {"/seven-days-forecast", "/forecast", "/history", "/health"} <= set(spec["paths"])
    assert client.get("/schema/openapi.json").json() == spec


def examples_in(node: object) -> list[object]:
    """Every example value anywhere in an OpenAPI document."""
    found: list[object] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "examples" and isinstance(value, list):
                found += value
            elif key == "examples" and isinstance(value, dict):
                found += [example["value"] for example in value.values()]
            elif key == "example":
                found.append(value)
            else:
                found += examples_in(value)
    elif isinstance(node, list):
        for value in node:
            found += examples_in(value)
    return found


def test_openapi_examples_are_fixed_and_realistic(document_path: Path) -> None:
    specs = []
    for _ in range(2):  # a restart: a new app
        with TestClient(create_app(ServiceConfig(forecast_path=document_path))) as client:
            specs.append(client.get("/schema").json())
    assert specs[0] == specs[1]
    spec = specs[0]

    def example(path: str, status: str) -> object:
        (value,) = every_example(path, status)
        return value

    def every_example(path: str, status: str) -> list[object]:
        content = spec["paths"][path]["get"]["responses"][status]["content"]
        return examples_in(content["application/json"])

    seven = example("/seven-days-forecast", "200")
    assert isinstance(seven, list) and len(seven) == 7
    for step, point in enumerate(seven, start=1):
        day = dt.date(2026, 11, 26) + dt.timedelta(days=step - 1)
        assert point["datetime"] == f"{day}T00:00:00+00:00"
        assert point["prediction_rate"] == point["prediction_rateTenth"] / 10 > 500
    forecast = example("/forecast", "200")
    assert isinstance(forecast, dict) and forecast["model"]["alias"] == "champion"
    assert len(forecast["forecast"]) == 7
    history = example("/history", "200")
    assert isinstance(history, list) and history[-1]["date"] == "2026-11-25"
    ready, stale = every_example("/health", "200")
    assert ready == {
        "status": "ready",
        "model_version": "2",
        "generated_at": "2026-11-26T02:00:00Z",
        "last_observed_date": "2026-11-25",
        "data_age_days": 1,
    }
    assert isinstance(stale, dict) and stale["status"] == "stale" and stale["warning"]
    random_text = re.compile(r"^[A-Za-z]{20}$")  # what the generator makes up
    for value in examples_in(spec):
        assert not (isinstance(value, str) and random_text.match(value)), value
        assert not (isinstance(value, int | float) and value < 0), value


def test_openapi_documents_the_503_answers(client: TestClient) -> None:
    paths = client.get("/schema").json()["paths"]
    for path in ("/seven-days-forecast", "/forecast", "/history"):
        answer = paths[path]["get"]["responses"]["503"]
        assert "no forecast" in answer["description"].lower(), path
        body = answer["content"]["application/json"]
        properties = body["schema"].get("properties") or {}
        if not properties:
            name = body["schema"]["$ref"].rsplit("/", 1)[-1]
            spec = client.get("/schema").json()
            properties = spec["components"]["schemas"][name]["properties"]
        assert {"status_code", "detail"} <= set(properties), path
        (value,) = examples_in(body)
        assert value["status_code"] == 503 and value["detail"]
    health = paths["/health"]["get"]["responses"]["503"]
    (value,) = examples_in(health["content"]["application/json"])
    assert value["status"] == "unavailable" and value["reason"]


def test_the_favicon_is_served_and_inlined(client: TestClient, document_path: Path) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/png"
    assert icon.content.startswith(b"\x89PNG\r\n\x1a\n") and len(icon.content) < 2_000
    assert "max-age" in icon.headers["cache-control"]
    for published in (False, True):
        if published:
            publish(document_path, document_bytes(beats_naive=True))
        html = client.get("/").text
        assert '<link rel="icon" href="data:image/svg+xml,' in html, published


def test_the_page_draws_30_days_for_phones_and_wider_screens_and_90_on_asking(
    client: TestClient, document_path: Path
) -> None:
    publish(document_path, document_bytes(beats_naive=True))
    for query, days in (("", 30), ("?days=90", 90), ("?days=7", 30), ("?days=x", 30)):
        html = client.get(f"/{query}").text
        assert html.count('<svg class="chart chart-narrow"') == 1
        assert html.count('<svg class="chart chart-wide"') == 1
        lines = re.findall(r'<polyline class="history" points="([^"]*)"', html)
        assert [len(points.split()) for points in lines] == [days, days], query
        assert html.count("kamas per Ogrine") >= 2  # the unit on both axes


def test_the_legend_and_the_table_show_both_ranges(client: TestClient, document_path: Path) -> None:
    publish(document_path, document_bytes(beats_naive=True))
    html = client.get("/").text
    legend = re.search(r'<p class="legend">(.*?)</p>', html, re.S)
    assert legend is not None
    assert 'class="swatch band-80"' in legend[1] and 'class="swatch band-95"' in legend[1]
    assert "80% range" in legend[1] and "95% range" in legend[1]
    assert '<th class="num">80% range</th>' in html
    assert '<th class="num">95% range</th>' in html
    # The first day: 701.0, its 80 % band ±5, its 95 % band ±9.
    dash = "\N{EN DASH}"
    assert re.search(
        rf'<td class="num">696{dash}706</td>\s*<td class="num">692{dash}710</td>', html
    )


def test_cors_is_off_by_default_and_never_with_credentials(document_path: Path) -> None:
    publish(document_path, document_bytes())
    origin = {"Origin": "https://example.org"}
    with TestClient(create_app(ServiceConfig(forecast_path=document_path))) as client:
        assert "access-control-allow-origin" not in client.get("/forecast", headers=origin).headers
    config = ServiceConfig(forecast_path=document_path, cors_origins=("*",))
    with TestClient(create_app(config)) as client:
        headers = client.get("/forecast", headers=origin).headers
        assert headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in headers


def test_cors_origins_come_from_the_environment(tmp_path: Path) -> None:
    config = ServiceConfig.from_env(
        {
            "OGRINE_HOME": str(tmp_path),
            "OGRINE_CORS_ORIGINS": "https://a.example, https://b.example",
        }
    )
    assert config.cors_origins == ("https://a.example", "https://b.example")
    assert config.forecast_path == tmp_path / "forecast" / "forecast.json"


def test_the_service_imports_none_of_the_pipeline_stack() -> None:
    code = (
        "import sys, ogrine_assets.cli, ogrine_assets.service.app, ogrine_assets.service.server;"
        "heavy = {'dagster', 'mlflow', 'sklearn', 'pandas', 'polars', 'pyarrow'};"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_bands_quality_and_live_accuracy_are_served(
    client: TestClient, document_path: Path
) -> None:
    publish(document_path, document_bytes(beats_naive=True))
    body = client.get("/forecast").json()
    first = body["forecast"][0]
    assert first["interval_80"] == [first["prediction_rate"] - 5, first["prediction_rate"] + 5]
    assert first["interval_95"] == [first["prediction_rate"] - 9, first["prediction_rate"] + 9]
    assert body["quality"]["beats_naive"] is True and body["quality"]["backtest_origins"] == 182
    assert body["live_accuracy"][0]["live_mae"] == 12.5
    # The old clients' endpoint keeps its exact shape.
    assert set(client.get("/seven-days-forecast").json()[0]) == {
        "datetime",
        "prediction_rateTenth",
        "prediction_rate",
    }
    html = client.get("/").text
    assert 'class="band band-95"' in html and 'class="band band-80"' in html
    assert 'id="live-accuracy"' in html and "naive-warning" not in html


def test_a_model_that_does_not_beat_naive_is_flagged_on_the_page(
    client: TestClient, document_path: Path
) -> None:
    publish(document_path, document_bytes(beats_naive=False))
    assert client.get("/forecast").json()["quality"]["beats_naive"] is False
    assert 'id="naive-warning"' in client.get("/").text


def test_documents_without_bands_still_serve(client: TestClient, document_path: Path) -> None:
    publish(document_path, document_bytes())
    body = client.get("/forecast").json()
    assert body["quality"] is None and body["live_accuracy"] == []
    assert body["forecast"][0]["interval_80"] is None
    assert "<polygon" not in client.get("/").text


def test_a_document_whose_page_cannot_be_built_keeps_the_last_good_one(
    client: TestClient, document_path: Path
) -> None:
    publish(document_path, document_bytes(version="3"))
    client.get("/")
    broken = json.loads(document_bytes(version="4"))
    broken["history"] = []  # valid JSON of the right types, but nothing to draw
    publish(document_path, json.dumps(broken).encode())
    for path in ("/", "/seven-days-forecast", "/forecast"):
        assert client.get(path).status_code == 200, path
    health = client.get("/health").json()
    assert health["model_version"] == "3" and "no observed rate" in health["reason"]


GET_ROUTES = [
    "/seven-days-forecast",
    "/forecast",
    "/history",
    "/health",
    "/",
    "/schema",
    "/favicon.ico",
]


@pytest.mark.parametrize("published", [True, False])
def test_head_answers_wherever_get_does(
    client: TestClient, document_path: Path, published: bool
) -> None:
    if published:
        publish(document_path, document_bytes())
    for path in [*GET_ROUTES, "/schema/openapi.json", "/history?limit=0", "/missing"]:
        got, headed = client.get(path), client.head(path)
        assert headed.status_code == got.status_code, path
        assert headed.content == b"", path
        assert headed.headers["content-type"] == got.headers["content-type"], path
        assert headed.headers["content-length"] == got.headers["content-length"], path


def test_a_document_that_could_not_be_read_is_tried_again_without_a_new_mtime(
    document_path: Path,
) -> None:
    """Mending a file's permissions does not change its modification time."""
    publish(document_path, document_bytes(version="7"))
    now = [0.0]
    refusals = [PermissionError(13, "Permission denied")]

    def read(path: Path) -> bytes:
        if refusals:
            raise refusals.pop()
        return path.read_bytes()

    source = ForecastSource(
        document_path, lambda document: None, read=read, monotonic=lambda: now[0]
    )
    assert source.current() is None and "Permission denied" in (source.problem or "")
    now[0] = 0.5
    assert source.current() is None  # not before the back-off: a request costs a stat
    now[0] = 1.0
    loaded = source.current()
    assert loaded is not None and loaded.document.model.version == "7"
    assert source.problem is None


def test_a_file_that_could_not_be_seen_is_read_again_once_it_can(document_path: Path) -> None:
    publish(document_path, document_bytes(version="8"))
    source = ForecastSource(document_path, lambda document: None)
    assert source.current() is not None and source.problem is None
    aside = document_path.with_name("aside.json")
    document_path.rename(aside)  # the same file (inode, size, mtime) comes back below
    document_path.symlink_to(document_path)  # stat fails (a loop), like a folder made private
    served = source.current()
    assert served is not None and served.document.model.version == "8"  # the last good one
    assert "cannot read" in (source.problem or "")
    document_path.unlink()
    aside.rename(document_path)
    assert source.current() is not None
    assert source.problem is None  # seen again, read again, although nothing about it changed
