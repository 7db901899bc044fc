"""Settings: one object, read from ``SOUNDING_*`` environment variables at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveFloat, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".sounding"


class Settings(BaseSettings):
    """Every setting Sounding reads. Documented in docs/configuration.md (checked by a test)."""

    model_config = SettingsConfigDict(env_prefix="SOUNDING_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    """Directory for the embedded store, the generated secret key and demo data."""

    database_url: str | None = None
    """SQLAlchemy URL of the metadata store; default ``sqlite:///<home>/sounding.db``."""

    secret_key: SecretStr | None = None
    """Fernet key encrypting source credentials; generated into ``<home>/secret.key`` if unset."""

    host: str = "127.0.0.1"
    """Address ``sounding serve`` listens on."""

    port: int = 8585
    """Port ``sounding serve`` listens on."""

    log_level: str = "INFO"
    """Python logging level name."""

    api_url: str = "http://127.0.0.1:8585"
    """Where CLI commands that act on a running server (execution pause/resume/cancel/retry)
    find it."""

    api_token: SecretStr | None = None
    """The API token those CLI commands send (a steward's or an admin's)."""

    search_model: str = "static"
    """Embeddings for semantic search: ``static`` (shipped, no torch), ``minilm`` (the
    optional ``minilm`` extra, needs torch) or ``none`` (keyword search only)."""

    scan_max_failures_kept: int = 100
    """How many per-object failures and warnings a scan report keeps (bounded lists)."""

    usage_flush_seconds: float = Field(default=30.0, gt=0)
    """How often the server writes the asset views and searches it counted in memory to the
    store (also written before analytics reads and at shutdown)."""

    executor: Literal["local", "dask"] = "local"
    """Where workflow tasks run: ``local`` (threads and asyncio in this process) or ``dask``
    (the workers of a Dask cluster; needs the ``dask`` extra)."""

    dask_scheduler: str | None = None
    """Address of the Dask scheduler (``tcp://host:8786``) for ``executor=dask``; unset starts
    a local cluster of worker processes on this machine."""

    resources: dict[str, PositiveFloat] = Field(default_factory=dict)
    """Engine-wide resource capacities workflow steps draw from, as JSON
    (``SOUNDING_RESOURCES='{"memory_gb": 16}'``); a step declares ``resources: {memory_gb: 4}``
    and waits until that much is free. A step naming a resource not listed here is refused
    when the workflow is applied."""

    default_source_limit: int | None = Field(default=None, gt=0)
    """At most this many workflow tasks at once on any one data source, across all
    executions; a source's ``max_concurrent`` option overrides it. Unset: no engine-wide cap."""

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'sounding.db'}"
