"""Service configuration from the environment (the same variables as the pipeline)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ogrine_assets.settings import Settings


@dataclass(frozen=True)
class ServiceConfig:
    forecast_path: Path
    stale_after_days: int = 3
    cors_origins: tuple[str, ...] = field(default_factory=tuple)

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
        )
