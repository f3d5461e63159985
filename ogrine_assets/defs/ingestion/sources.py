"""Where daily Ogrine rates come from: the upstream API over HTTP, or the embedded default."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod

import dagster as dg
import msgspec
from pydantic import Field

from ogrine_assets.rates.synthetic import SEED
from ogrine_assets.rates.upstream import Fetched, Limits, RetryPolicy
from ogrine_assets.settings import Settings


class RatesSource(dg.ConfigurableResource, ABC):
    """A source answers the bytes of the upstream's JSON envelope, and says what it is."""

    @abstractmethod
    def fetch(self, today: dt.date) -> Fetched:
        """The envelope's bytes as the upstream answers them on ``today`` (UTC); raises
        ``UpstreamError`` naming the cause when it cannot.

        The real upstream answers what it has; a source that stands in for it (synthetic,
        recorded) uses ``today`` to answer as the upstream would have on that day.
        """

    @abstractmethod
    def describe(self) -> str:
        """What the source is, in words a person reads in metadata and in the document."""

    @property
    def is_synthetic(self) -> bool:
        return False


class HttpRatesSource(RatesSource):
    """The Ogrine rates API over HTTP (``OGRINE_API_URL``), with timeouts and bounded retries."""

    api_url: str = Field(description="Full URL of GET /ogrineRates.")
    connect_timeout_seconds: float = Field(default=10.0)
    read_timeout_seconds: float = Field(default=30.0)
    max_attempts: int = Field(default=4, description="Attempts on connection errors, 429, 5xx.")
    backoff_base_seconds: float = Field(
        default=1.0, description="First backoff; doubles, jittered."
    )
    backoff_max_seconds: float = Field(
        default=30.0, description="Cap on any wait, Retry-After too."
    )
    deadline_seconds: float = Field(
        default=Limits.deadline_seconds, description="The whole fetch, retries included."
    )
    max_received_bytes: int = Field(
        default=Limits.max_received_bytes, description="Cap on the bytes received."
    )
    max_decoded_bytes: int = Field(
        default=Limits.max_decoded_bytes, description="Cap on the body once decompressed."
    )

    def fetch(self, today: dt.date) -> Fetched:
        from ogrine_assets.rates.client import fetch_rates  # httpx: for the step that fetches

        return fetch_rates(
            self.api_url,
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_seconds,
            retry=RetryPolicy(
                attempts=self.max_attempts,
                base_seconds=self.backoff_base_seconds,
                max_seconds=self.backoff_max_seconds,
            ),
            limits=Limits(
                deadline_seconds=self.deadline_seconds,
                max_received_bytes=self.max_received_bytes,
                max_decoded_bytes=self.max_decoded_bytes,
            ),
        )

    def describe(self) -> str:
        return f"Ogrine rates API at {self.api_url}"


class SyntheticRatesSource(RatesSource):
    """The embedded default: deterministic synthetic rates up to yesterday (UTC), offline."""

    seed: int = Field(
        default=SEED, description="The generator's seed; the default is the project's series."
    )

    def fetch(self, today: dt.date) -> Fetched:
        from ogrine_assets.rates.synthetic import synthetic_payload  # NumPy: for the step

        body = msgspec.json.encode(synthetic_payload(today, seed=self.seed))
        return Fetched(
            url="synthetic:ogrineRates", body=body, content_type="application/json", attempts=1
        )

    @property
    def is_synthetic(self) -> bool:
        return True

    def describe(self) -> str:
        return "SYNTHETIC embedded default (OGRINE_API_URL is unset): not real market data"


def rates_source_for(settings: Settings) -> RatesSource:
    """The HTTP source when OGRINE_API_URL is set, else the embedded synthetic default."""
    if settings.api_url:
        return HttpRatesSource(
            api_url=settings.api_url,
            deadline_seconds=settings.fetch_deadline_seconds,
            max_received_bytes=settings.fetch_max_bytes,
            max_decoded_bytes=settings.fetch_max_bytes,
        )
    return SyntheticRatesSource()
