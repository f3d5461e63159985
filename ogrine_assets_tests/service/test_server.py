"""The real server process (uvicorn) on 127.0.0.1 serving a document from a real materialization."""

import httpx
import pytest

from ogrine_assets_tests.support import Deployment, RunningService

pytestmark = pytest.mark.integration


def test_serves_the_published_forecast(
    running_service: RunningService, materialized: Deployment
) -> None:
    document = materialized.document()
    legacy = httpx.get(f"{running_service.base_url}/seven-days-forecast").json()
    assert [p["datetime"] for p in legacy] == [p["datetime"] for p in document["forecast"]]
    assert [p["prediction_rateTenth"] for p in legacy] == [
        p["prediction_rate_tenth"] for p in document["forecast"]
    ]
    body = httpx.get(f"{running_service.base_url}/forecast").json()
    assert body["model"]["version"] == document["model"]["version"] == "1"
    assert body["data"]["synthetic"] is True
    health = httpx.get(f"{running_service.base_url}/health").json()
    assert health["status"] == "ready"
    page = httpx.get(f"{running_service.base_url}/")
    assert page.status_code == 200 and "synthetic" in page.text
    assert httpx.get(f"{running_service.base_url}/history", params={"limit": 0}).status_code == 400
