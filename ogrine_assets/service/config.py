"""Service configuration from the environment (the same variables as the pipeline)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from ogrine_assets.language import DEFAULT_LANGUAGE, Language
from ogrine_assets.settings import Settings, instant


@dataclass(frozen=True)
class ServiceConfig:
    forecast_path: Path
    stale_after_days: int = 3
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    # "Now" fixed by OGRINE_NOW, as for every other part (tests, demos, the soak): the
    # service judges staleness against it. None: the real clock.
    fixed_now: dt.datetime | None = None
    # The page's language when neither ?lang= nor Accept-Language names one (OGRINE_LANGUAGE).
    language: Language = DEFAULT_LANGUAGE

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServiceConfig:
        env = dict(os.environ) if environ is None else environ
        settings = Settings.from_env(env)
        origins = tuple(
            o.strip() for o in env.get("OGRINE_CORS_ORIGINS", "").split(",") if o.strip()
        )
        return cls(
            forecast_path=settings.forecast_path,
            stale_after_days=settings.freshness_max_age_days,
            cors_origins=origins,
            fixed_now=instant(settings.fixed_now) if settings.fixed_now else None,
            language=settings.language,
        )
