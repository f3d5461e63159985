"""The Ogrine rates API contract: fetching a payload and turning it into a raw frame.

The envelope is ``{"status": 200, "sort": ..., "limit": ..., "count": N, "rates": [...]}``
with rows ``{"id", "datetime", "rateTenth", "rate"}``. Anything else is a failed fetch,
reported as an :class:`UpstreamError` that names the cause.
"""

from __future__ import annotations

from typing import Any

import httpx
import polars as pl

USER_AGENT = "ogrine_assets/0.1 (+https://github.com/ogrine-assets)"

RAW_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "datetime": pl.String(),
    "rateTenth": pl.Int64(),
    "rate": pl.Float64(),
}


class UpstreamError(RuntimeError):
    """The upstream answered something that is not the documented rates envelope."""


def _snippet(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def fetch_payload(
    api_url: str, *, timeout_seconds: float = 20.0, client: httpx.Client | None = None
) -> dict[str, Any]:
    """GET every rate in ascending order and return the decoded, envelope-checked JSON."""
    params = {"sort": "ASC", "limit": 0}
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    owned = client is None
    http = client or httpx.Client(timeout=timeout_seconds)
    try:
        response = http.get(api_url, params=params, headers=headers)
    except httpx.TimeoutException as exc:
        raise UpstreamError(
            f"{api_url} did not answer within {timeout_seconds:g} s: {exc!r}"
        ) from exc
    except httpx.HTTPError as exc:
        raise UpstreamError(f"could not reach {api_url}: {exc!r}") from exc
    finally:
        if owned:
            http.close()
    if response.status_code != 200:
        raise UpstreamError(
            f"{api_url} answered HTTP {response.status_code}: {_snippet(response.text)!r}"
        )
    try:
        payload = response.json()
    except ValueError as exc:
        content_type = response.headers.get("content-type", "?")
        raise UpstreamError(
            f"{api_url} answered HTTP 200 with {content_type} that is not JSON: "
            f"{_snippet(response.text)!r}"
        ) from exc
    check_envelope(payload)
    return payload


def check_envelope(payload: Any) -> None:
    """Raise :class:`UpstreamError` naming the key path that breaks the contract."""
    if not isinstance(payload, dict):
        raise UpstreamError(f"payload: expected a JSON object, got {type(payload).__name__}")
    if "rates" not in payload:
        raise UpstreamError(f"payload.rates: missing (keys: {sorted(payload)})")
    rates = payload["rates"]
    if not isinstance(rates, list):
        raise UpstreamError(f"payload.rates: expected a list, got {type(rates).__name__}")
    for index, row in enumerate(rates):
        if not isinstance(row, dict):
            raise UpstreamError(f"payload.rates[{index}]: expected an object, got {row!r}")


def payload_to_frame(payload: dict[str, Any]) -> pl.DataFrame:
    """The rows as they came, typed leniently: a value of the wrong type becomes null.

    Nulls are then rejected, row by row, by cleaning, so one bad row never sinks a fetch.
    """
    check_envelope(payload)
    rows = [{key: _lenient(key, row.get(key)) for key in RAW_SCHEMA} for row in payload["rates"]]
    return pl.DataFrame(rows, schema=RAW_SCHEMA)


def _lenient(key: str, value: Any) -> Any:
    expected = RAW_SCHEMA[key]
    if value is None or isinstance(value, bool):
        return None
    if expected == pl.Int64():
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return None
    if expected == pl.Float64():
        return float(value) if isinstance(value, int | float) else None
    return value if isinstance(value, str) else None
