"""Where everything lives, resolved once from the environment.

One variable, ``OGRINE_HOME``, roots all local state so that a laptop needs no server;
each part can be pointed elsewhere on its own. Nothing here touches the disk: ``local/``
makes what a run needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path.home() / ".ogrine"
LOCK_WAIT_SECONDS = 1800.0  # how long a run launched by Dagster waits for the home's lock
FETCH_DEADLINE_SECONDS = 300.0  # one whole fetch from the upstream, retries included
FETCH_MAX_BYTES = 64 * 2**20  # received, and after decompression: far above a real answer
OURS = ("OGRINE_", "DAGSTER_", "MLFLOW_")  # the prefixes of every setting this reads


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

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("OGRINE_HOME") or DEFAULT_HOME).expanduser().resolve()
        mlflow_dir = home / "mlflow"
        tracking_uri = env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{mlflow_dir}/mlflow.db"
        # A local store keeps artifacts under OGRINE_HOME; a tracking server decides its own
        # (with --serve-artifacts, clients upload through it) unless told otherwise.
        artifact_root = env.get("OGRINE_MLFLOW_ARTIFACT_ROOT") or (
            (mlflow_dir / "artifacts").as_uri() if tracking_uri.startswith("sqlite:") else None
        )
        return cls(
            home=home,
            dagster_home=Path(env.get("DAGSTER_HOME") or home / "dagster").expanduser(),
            mlflow_tracking_uri=tracking_uri,
            mlflow_artifact_root=artifact_root,
            mlflow_ui_url=(env.get("OGRINE_MLFLOW_UI_URL") or "http://127.0.0.1:5000").rstrip("/"),
            api_url=env.get("OGRINE_API_URL") or None,
            forecast_path=Path(
                env.get("OGRINE_FORECAST_PATH") or home / "forecast" / "forecast.json"
            ).expanduser(),
            storage_dir=Path(env.get("OGRINE_STORAGE_DIR") or home / "storage").expanduser(),
            archive_dir=Path(env.get("OGRINE_ARCHIVE_DIR") or home / "archive").expanduser(),
            log_dir=Path(env.get("OGRINE_LOG_DIR") or home / "logs").expanduser(),
            freshness_max_age_days=int(env.get("OGRINE_FRESHNESS_MAX_AGE_DAYS") or 3),
            fixed_now=env.get("OGRINE_NOW") or None,
            lock_wait_seconds=float(env.get("OGRINE_LOCK_WAIT_SECONDS") or LOCK_WAIT_SECONDS),
            fetch_deadline_seconds=float(
                env.get("OGRINE_FETCH_DEADLINE_SECONDS") or FETCH_DEADLINE_SECONDS
            ),
            fetch_max_bytes=int(env.get("OGRINE_FETCH_MAX_BYTES") or FETCH_MAX_BYTES),
        )

    @property
    def uses_local_mlflow_store(self) -> bool:
        return self.mlflow_tracking_uri.startswith("sqlite:")

    @property
    def local_mlflow_db(self) -> Path:
        """The SQLite file of a local MLflow store (``uses_local_mlflow_store``)."""
        return Path(self.mlflow_tracking_uri.removeprefix("sqlite:///"))
