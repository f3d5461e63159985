"""Where everything lives, resolved once from the environment.

One variable, ``OGRINE_HOME``, roots all local state so that a laptop needs no server;
each part can be pointed elsewhere on its own. Nothing here touches the disk: ``local/``
makes what a run needs.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, TypeVar
from urllib.parse import urlsplit

from ogrine_assets.language import DEFAULT_LANGUAGE, LANGUAGES, Language, language

DEFAULT_HOME = Path.home() / ".ogrine"
LOCK_WAIT_SECONDS = 1800.0  # how long a run launched by Dagster waits for the home's lock
FETCH_DEADLINE_SECONDS = 300.0  # one whole fetch from the upstream, retries included
FETCH_MAX_BYTES = 64 * 2**20  # received, and after decompression: far above a real answer
NOTIFY_DEADLINE_SECONDS = 10.0  # every webhook of one publication, retries included
OURS = ("OGRINE_", "DAGSTER_", "MLFLOW_")  # the prefixes of every setting this reads
# The ports ``ogrine up`` serves each part on (OGRINE_<PART>_PORT, its --<part>-port).
DEFAULT_PORTS = {"dagster": 3000, "mlflow": 5000, "service": 8080}

T = TypeVar("T")


class SettingsError(ValueError):
    """A setting's value is not one it can take; the message names the variable, the value
    and what is allowed, in one line, so it is said before anything runs."""


def _setting(
    env: Mapping[str, str],
    name: str,
    default: T,
    parse: Callable[[str], T],
    allowed: str,
    *,
    secret: bool = False,
) -> T:
    """``env[name]`` parsed, or ``default`` when unset or empty; a value ``parse`` refuses
    (by raising ``ValueError``) is a ``SettingsError`` that says what is allowed, and the
    value unless it is a ``secret`` (a webhook URL)."""
    raw = env.get(name) or ""
    if not raw:
        return default
    try:
        return parse(raw.strip())
    except ValueError:
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        said = name if secret else f"{name}={shown!r}"
        raise SettingsError(f"{said} is not allowed: {allowed}") from None


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(raw)
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError(raw)
    return value


def _seconds(*, zero_allowed: bool) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero_allowed):
            raise ValueError(raw)
        return value

    return parse


def instant(text: str) -> dt.datetime:
    """An ISO 8601 instant, in UTC when it names no offset: how every part reads
    ``OGRINE_NOW`` and the instants the project writes."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def current_time(fixed_now: str | None) -> dt.datetime:
    """Now as every part sees it: the instant ``OGRINE_NOW`` fixes, else the real clock."""
    return dt.datetime.now(dt.UTC) if fixed_now is None else instant(fixed_now)


def _instant(raw: str) -> str:
    instant(raw)  # refused here, before anything reads it
    return raw


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(raw)
    return raw


class _Players(TypedDict):
    language: Language
    page_url: str
    notify_url: str | None
    notify_language: Language
    notify_deadline_seconds: float


def _players(env: Mapping[str, str], page_port: int) -> _Players:
    """The settings of what players read (``Settings.language`` and after)."""
    languages = " or ".join(LANGUAGES)
    page_url = _setting(
        env,
        "OGRINE_PAGE_URL",
        f"http://127.0.0.1:{page_port}/",
        _http_url,
        "an http:// or https:// URL",
    )
    page_language = _setting(env, "OGRINE_LANGUAGE", DEFAULT_LANGUAGE, language, languages)
    return {
        "language": page_language,
        "page_url": page_url,
        "notify_url": _setting(
            env, "OGRINE_NOTIFY_URL", None, _http_url, "an http:// or https:// URL", secret=True
        ),
        "notify_language": _setting(
            env, "OGRINE_NOTIFY_LANGUAGE", page_language, language, languages
        ),
        "notify_deadline_seconds": _setting(
            env,
            "OGRINE_NOTIFY_DEADLINE_SECONDS",
            NOTIFY_DEADLINE_SECONDS,
            _seconds(zero_allowed=False),
            "a finite number of seconds > 0",
        ),
    }


def environment_without_ours() -> dict[str, str]:
    """This process's environment without any ``OURS`` setting: the start of a child's
    environment that must point only where it is told (a scratch home, a test's)."""
    return {key: value for key, value in os.environ.items() if not key.startswith(OURS)}


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; docs/configuration.md describes each variable."""

    home: Path
    dagster_home: Path
    mlflow_tracking_uri: str
    mlflow_artifact_root: str | None
    mlflow_ui_url: str
    api_url: str | None
    forecast_path: Path
    storage_dir: Path
    archive_dir: Path
    log_dir: Path
    freshness_max_age_days: int
    fixed_now: str | None = None
    lock_wait_seconds: float = LOCK_WAIT_SECONDS
    fetch_deadline_seconds: float = FETCH_DEADLINE_SECONDS
    fetch_max_bytes: int = FETCH_MAX_BYTES
    # ``ogrine up``'s ports (its --*-port options override them): OGRINE_DAGSTER_PORT, …
    dagster_port: int = DEFAULT_PORTS["dagster"]
    mlflow_port: int = DEFAULT_PORTS["mlflow"]
    service_port: int = DEFAULT_PORTS["service"]
    # What players read: the page's language when neither ?lang nor Accept-Language says
    # (OGRINE_LANGUAGE), the page's address their notifications link to (OGRINE_PAGE_URL),
    # and one webhook without a subscribers.toml (OGRINE_NOTIFY_URL, OGRINE_NOTIFY_LANGUAGE);
    # how long all the webhooks of one publication may take (OGRINE_NOTIFY_DEADLINE_SECONDS).
    language: Language = DEFAULT_LANGUAGE
    page_url: str = f"http://127.0.0.1:{DEFAULT_PORTS['service']}/"
    notify_url: str | None = field(default=None, repr=False)  # a secret: never shown
    notify_language: Language = DEFAULT_LANGUAGE
    notify_deadline_seconds: float = NOTIFY_DEADLINE_SECONDS

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        """The settings of ``environ`` (this process's environment by default); a value
        that cannot be used raises ``SettingsError`` before anything runs."""
        env = os.environ if environ is None else environ
        home = Path(env.get("OGRINE_HOME") or DEFAULT_HOME).expanduser().resolve()
        mlflow_dir = home / "mlflow"
        tracking_uri = env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{mlflow_dir}/mlflow.db"
        # A local store keeps artifacts under OGRINE_HOME; a tracking server decides its own
        # (with --serve-artifacts, clients upload through it) unless told otherwise.
        artifact_root = env.get("OGRINE_MLFLOW_ARTIFACT_ROOT") or (
            (mlflow_dir / "artifacts").as_uri() if tracking_uri.startswith("sqlite:") else None
        )
        ports = {
            part: _setting(
                env, f"OGRINE_{part.upper()}_PORT", default, _port, "a TCP port, 1 to 65535"
            )
            for part, default in DEFAULT_PORTS.items()
        }
        return cls(
            home=home,
            dagster_home=Path(env.get("DAGSTER_HOME") or home / "dagster").expanduser(),
            mlflow_tracking_uri=tracking_uri,
            mlflow_artifact_root=artifact_root,
            mlflow_ui_url=_setting(
                env,
                "OGRINE_MLFLOW_UI_URL",
                f"http://127.0.0.1:{DEFAULT_PORTS['mlflow']}",
                _http_url,
                "an http:// or https:// URL",
            ).rstrip("/"),
            api_url=_setting(env, "OGRINE_API_URL", None, _http_url, "an http:// or https:// URL"),
            forecast_path=Path(
                env.get("OGRINE_FORECAST_PATH") or home / "forecast" / "forecast.json"
            ).expanduser(),
            storage_dir=Path(env.get("OGRINE_STORAGE_DIR") or home / "storage").expanduser(),
            archive_dir=Path(env.get("OGRINE_ARCHIVE_DIR") or home / "archive").expanduser(),
            log_dir=Path(env.get("OGRINE_LOG_DIR") or home / "logs").expanduser(),
            freshness_max_age_days=_setting(
                env,
                "OGRINE_FRESHNESS_MAX_AGE_DAYS",
                3,
                _positive_int,
                "a whole number of days >= 1",
            ),
            fixed_now=_setting(
                env,
                "OGRINE_NOW",
                None,
                _instant,
                "an ISO 8601 instant such as 2026-11-26T09:30:00+00:00",
            ),
            lock_wait_seconds=_setting(
                env,
                "OGRINE_LOCK_WAIT_SECONDS",
                LOCK_WAIT_SECONDS,
                _seconds(zero_allowed=True),
                "a finite number of seconds >= 0",
            ),
            fetch_deadline_seconds=_setting(
                env,
                "OGRINE_FETCH_DEADLINE_SECONDS",
                FETCH_DEADLINE_SECONDS,
                _seconds(zero_allowed=False),
                "a finite number of seconds > 0",
            ),
            fetch_max_bytes=_setting(
                env,
                "OGRINE_FETCH_MAX_BYTES",
                FETCH_MAX_BYTES,
                _positive_int,
                "a whole number of bytes >= 1",
            ),
            dagster_port=ports["dagster"],
            mlflow_port=ports["mlflow"],
            service_port=ports["service"],
            **_players(env, ports["service"]),
        )

    @property
    def subscribers_file(self) -> Path:
        """Who is notified of each publication (docs/notifications.md)."""
        return self.home / "subscribers.toml"

    @property
    def notification_records_file(self) -> Path:
        """Each subscriber's last delivery, as ``ogrine subscribers`` shows it."""
        return self.home / "notifications.json"

    @property
    def uses_local_mlflow_store(self) -> bool:
        return self.mlflow_tracking_uri.startswith("sqlite:")

    @property
    def local_mlflow_db(self) -> Path:
        """The SQLite file of a local MLflow store (``uses_local_mlflow_store``)."""
        return Path(self.mlflow_tracking_uri.removeprefix("sqlite:///"))
