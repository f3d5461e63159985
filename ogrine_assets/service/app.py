"""The Litestar app: JSON for programs, a page with a chart for people.

Everything a response needs is derived once per document (``responses.py``: pre-encoded
JSON, the rendered page), so a request costs a ``stat`` and a write. How current the
forecast is (``freshness.py``) is judged at each request, against the service's clock:
the real one, or the instant ``OGRINE_NOW`` fixes. ``create_app`` is the factory uvicorn calls
(``uvicorn --factory ogrine_assets.service.app:create_app``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from litestar import Litestar, MediaType, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.exceptions import HTTPException, ServiceUnavailableException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Example
from litestar.params import Parameter
from litestar.response.base import ASGIResponse

from ogrine_assets.forecast_document import (
    DataInfo,
    ForecastPoint,
    HistoryPoint,
    LiveAccuracy,
    ModelInfo,
    Quality,
)
from ogrine_assets.language import Language
from ogrine_assets.language.negotiation import choose
from ogrine_assets.service import examples
from ogrine_assets.service.config import ServiceConfig
from ogrine_assets.service.freshness import Staleness, judge, warning
from ogrine_assets.service.responses import (
    FAVICON_PNG,
    LegacyForecastPoint,
    Responses,
    derive,
    unavailable_page,
    view,
)
from ogrine_assets.service.source import NOT_PUBLISHED, ForecastSource, LoadedForecast

logger = logging.getLogger("ogrine_assets.service")

HISTORY_LIMIT_MAX = 365
JSON_HEADERS = {"cache-control": "no-cache"}

Clock = Callable[[], dt.datetime]


class ForecastResponse(msgspec.Struct, frozen=True):
    model: ModelInfo
    generated_at: dt.datetime
    dagster_run_id: str
    data: DataInfo
    staleness: Staleness
    forecast: list[ForecastPoint]
    quality: Quality | None
    live_accuracy: list[LiveAccuracy]


class HealthResponse(msgspec.Struct, frozen=True, omit_defaults=True):
    """``status``: ``ready`` (a fresh forecast), ``stale`` or ``clock_problem`` (a forecast
    served, said not current in ``warning``), ``unavailable`` (none: ``reason``).

    In English whatever the page's language, as the JSON API's keys: it is for operators
    and their monitors, not for players (the page says the same to them in their language).
    """

    status: str
    reason: str | None = None
    warning: str | None = None
    model_version: str | None = None
    generated_at: dt.datetime | None = None
    last_observed_date: dt.date | None = None
    data_age_days: int | None = None


class ErrorResponse(msgspec.Struct, frozen=True):
    """The body of every error answer (``_unexpected``); 400s add ``extra``."""

    status_code: int
    detail: str


def _answer(data: Any, description: str, example: Any) -> ResponseSpec:
    """A documented answer with one fixed example (Litestar's would be random)."""
    return ResponseSpec(
        data,
        description=description,
        generate_examples=False,
        examples=[Example(summary=description, value=example)],
    )


UNAVAILABLE = _answer(
    ErrorResponse,
    "No forecast to serve yet: none has been published, or the first one could not be read "
    "or was refused. `detail` says which; `/health` has the details for operators.",
    examples.UNAVAILABLE,
)


def _routes(
    source: ForecastSource[Responses], now: Clock, stale_after_days: int, language: Language
) -> list[HTTPRouteHandler]:
    """The handlers, closed over their forecast source.

    Closures rather than Litestar's dependency injection: injecting ``State`` cost about a
    third of the throughput of /seven-days-forecast (measured with benchmarks/serve.py).
    """

    def loaded() -> LoadedForecast[Responses]:
        current = source.current()
        if current is None:
            # In words for anyone: the file's path is for operators (/health, the log).
            raise ServiceUnavailableException(detail=source.public_problem or NOT_PUBLISHED)
        return current

    @get(
        "/seven-days-forecast",
        sync_to_thread=False,
        summary="The next 7 days (the old project's shape)",
        responses={
            200: _answer(list[LegacyForecastPoint], "7 consecutive days", examples.SEVEN_DAYS),
            503: UNAVAILABLE,
        },
    )
    def seven_days_forecast() -> ASGIResponse:
        """`[{"datetime", "prediction_rateTenth", "prediction_rate"}]`, pre-encoded."""
        return ASGIResponse(
            body=loaded().derived.seven_days, media_type=MediaType.JSON, headers=JSON_HEADERS
        )

    @get(
        "/forecast",
        sync_to_thread=False,
        summary="The forecast with provenance and staleness",
        responses={
            200: _answer(ForecastResponse, "The forecast", examples.FORECAST),
            503: UNAVAILABLE,
        },
    )
    def forecast() -> ForecastResponse:
        document = loaded().document
        return ForecastResponse(
            model=document.model,
            generated_at=document.generated_at,
            dagster_run_id=document.dagster_run_id,
            data=document.data,
            staleness=judge(document, now(), stale_after_days),
            forecast=document.forecast,
            quality=document.quality,
            live_accuracy=document.live_accuracy,
        )

    @get(
        "/history",
        sync_to_thread=False,
        summary="The recent observed rates, oldest first",
        responses={
            200: _answer(list[HistoryPoint], "The newest days, oldest first", examples.HISTORY),
            503: UNAVAILABLE,
        },
    )
    def history(
        limit: Annotated[
            int,
            Parameter(ge=1, le=HISTORY_LIMIT_MAX, description="How many of the newest days."),
        ] = 90,
    ) -> list[HistoryPoint]:
        return loaded().document.history[-limit:]

    @get(
        "/health",
        sync_to_thread=False,
        summary="Ready only when a valid, current forecast is loaded",
        description="For operators and monitors: `status` is `ready` only for a current "
        "forecast; a loaded forecast that is not current answers 200 with `status` `stale` or "
        "`clock_problem` and a `warning` (it is still served, said not current). `reason` "
        "names the document's file.",
        responses={
            200: ResponseSpec(
                HealthResponse,
                description="A forecast is loaded: `ready`, or served but `stale` or "
                "`clock_problem`",
                generate_examples=False,
                examples=[
                    Example(summary="A current forecast", value=examples.HEALTH_READY),
                    Example(summary="A stale forecast", value=examples.HEALTH_STALE),
                ],
            ),
            503: _answer(
                HealthResponse,
                "No forecast loaded: `reason` says why, naming the file",
                examples.HEALTH_UNAVAILABLE,
            ),
        },
    )
    def health() -> Response[HealthResponse]:
        current = source.current()
        if current is None:
            return Response(
                HealthResponse(status="unavailable", reason=source.problem), status_code=503
            )
        document = current.document
        staleness = judge(document, now(), stale_after_days)
        return Response(
            HealthResponse(
                status="ready" if staleness.status == "fresh" else staleness.status,
                reason=source.problem,  # set when a newer file was refused, the last good kept
                warning=warning(document, staleness),
                model_version=document.model.version,
                generated_at=document.generated_at,
                last_observed_date=document.data.last_observed_date,
                data_age_days=staleness.data_age_days,
            )
        )

    @get("/", sync_to_thread=False, media_type=MediaType.HTML, include_in_schema=False)
    def page(request: Request) -> ASGIResponse:
        """The page in the reader's language (``?lang=``, ``Accept-Language``, then
        ``OGRINE_LANGUAGE``), with ``?days=`` of history: each pre-rendered, written out."""
        lang = choose(
            request.query_params.get("lang"), request.headers.get("accept-language"), language
        )
        days = view(request.query_params.get("days"))
        # Caches must keep one copy per language asked for by the header.
        headers = {"content-language": lang, "vary": "Accept-Language"}
        current = source.current()
        if current is None:
            unreadable = source.public_problem != NOT_PUBLISHED
            return ASGIResponse(
                body=unavailable_page(lang, days, unreadable),
                media_type=MediaType.HTML,
                status_code=503,
                headers=headers,
            )
        staleness = judge(current.document, now(), stale_after_days)
        body = current.derived.page(lang, days, staleness)
        return ASGIResponse(body=body, media_type=MediaType.HTML, headers=headers)

    @get("/favicon.ico", sync_to_thread=False, include_in_schema=False)
    def favicon() -> ASGIResponse:
        """What browsers ask for on every page, the JSON ones too: a small PNG, cached."""
        return ASGIResponse(
            body=FAVICON_PNG, media_type="image/png", headers={"cache-control": "max-age=86400"}
        )

    return [seven_days_forecast, forecast, history, health, page, favicon]


def _unexpected(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, HTTPException):
        return Response(
            {
                "status_code": exc.status_code,
                "detail": exc.detail,
                **({"extra": exc.extra} if exc.extra else {}),
            },
            status_code=exc.status_code,
        )
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return Response(
        {"status_code": 500, "detail": "internal error; the service log has the details"},
        status_code=500,
    )


class ForecastApp(Litestar):
    """The app, answering HEAD wherever it answers GET: the same status and headers, no body.

    Monitors and caches probe with HEAD. Litestar routes HEAD only to handlers declared for
    it (and its own /schema handlers are GET only), so HEAD is turned into GET before
    routing, and the body is dropped on the way out.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:  # ASGI
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await super().__call__(scope, receive, send)
            return

        async def without_body(message: Any) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        as_get: Any = {**scope, "method": "GET"}
        await super().__call__(as_get, receive, without_body)


def _clock(fixed: dt.datetime | None) -> Clock:
    """The real clock, or the instant ``OGRINE_NOW`` fixes."""
    if fixed is None:
        return lambda: dt.datetime.now(dt.UTC)
    return lambda: fixed


def create_app(config: ServiceConfig | None = None, now: Clock | None = None) -> Litestar:
    """The app for ``config`` (default: from the environment); ``now`` is injectable for tests."""
    config = config or ServiceConfig.from_env()
    cors = None
    if config.cors_origins:
        # Credentials are never allowed, so a "*" origin cannot leak them.
        cors = CORSConfig(
            allow_origins=list(config.cors_origins), allow_methods=["GET"], allow_credentials=False
        )
    clock = now or _clock(config.fixed_now)
    source = ForecastSource(
        config.forecast_path,
        lambda document: derive(document, judge(document, clock(), config.stale_after_days)),
    )
    return ForecastApp(
        route_handlers=_routes(source, clock, config.stale_after_days, config.language),
        cors_config=cors,
        exception_handlers={Exception: _unexpected},
        openapi_config=OpenAPIConfig(
            title="ogrine_assets forecast service",
            version="1",
            path="/schema",
            # The bundled OpenAPI UIs load JavaScript from CDNs; the JSON spec works offline.
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
    )
