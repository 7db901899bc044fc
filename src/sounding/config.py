"""Settings: one object, read from ``SOUNDING_*`` environment variables at start-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    PositiveFloat,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sounding.domain.quality import parse_duration


def _default_home() -> Path:
    return Path.home() / ".sounding"


class Settings(BaseSettings):
    """Every setting Sounding reads. Documented in docs/configuration.md (checked by a test)."""

    model_config = SettingsConfigDict(env_prefix="SOUNDING_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    """Directory for the embedded store, the generated secret key and demo data."""

    database_url: str | None = None
    """SQLAlchemy URL of the metadata store; default ``sqlite:///<home>/sounding.db``."""

    store_max_size_mb: int | None = Field(default=None, gt=0)
    """Cap on the size of the embedded SQLite store, in MB (unset: no cap). A write that
    would grow it further fails as a whole with HTTP 507 (``StoreFullError``); reads go on.
    Not used with PostgreSQL, whose disk-full errors answer the same way."""

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

    source_statement_timeout: float = Field(default=300.0, gt=0, le=86400)
    """Seconds any one statement on a source may take before it fails with a timeout error
    (a source's own ``statement_timeout`` option wins). Also bounds how long a source that
    answers nothing at all (frozen, cut off) can hold a scan."""

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

    dask_worker_key: SecretStr | None = None
    """A Fernet key shared by the server and every Dask worker (and nothing else): source
    credentials travel to the workers sealed with it, never in clear. Needed with a
    ``dask_scheduler``; a local cluster the server starts itself gets a fresh key per start."""

    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """The largest request body the API accepts (413 above it; counted as it streams in, so
    chunked bodies are held to it too)."""

    max_import_body_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    """The largest body of an import endpoint (``POST /api/v1/glossary/terms/import``)."""

    max_json_depth: int = Field(default=64, ge=2, le=1000)
    """How deeply a JSON or YAML request body may nest objects and lists (422 deeper)."""

    max_sql_bytes: int = Field(default=1024 * 1024, ge=1)
    """The largest SQL text the API parses (lineage parse and ingest; 413 above it)."""

    sql_parse_seconds: float = Field(default=10.0, gt=0)
    """How long parsing one SQL text may take (422 past it: checked between statements and at
    the end; a worker still busy 2 s past it is killed)."""

    request_threads: int = Field(default=8, ge=2, le=256)
    """How many threads run the server's synchronous request work at once (others wait their
    turn). More threads than cores only contend for the interpreter lock: with 40 (the
    default of the web stack) a running workflow got a sliver of it and took 3x as long."""

    heavy_requests: int = Field(default=2, ge=1)
    """How many CPU-heavy requests (SQL parsing) run at once; others wait for a slot."""

    heavy_wait_seconds: float = Field(default=2.0, ge=0)
    """How long a CPU-heavy request waits for a slot before a 503 with ``Retry-After``."""

    allowed_callable_modules: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Python modules (comma-separated; each allows its submodules) whose functions workflows
    may name as ``custom`` step callables, planners and skip conditions, besides the
    functions installed plugins register. Empty by default: an API user can never name
    arbitrary code such as ``sys:exit``."""

    task_max_crashes: int = Field(default=3, ge=1)
    """A task whose attempts were cut short this many times by its worker or the server dying
    (``os._exit``, a crash, a kill) is quarantined: failed for good instead of resumed again."""

    execution_lease_seconds: float = Field(default=5.0, ge=1, le=600)
    """Several servers on one PostgreSQL store: how long a server's lease on an execution it
    runs lasts without a heartbeat. Once it has lapsed (the server died), another server takes
    the execution over; a takeover thus begins at most this long, plus one heartbeat, after
    the owner died. At least twice the heartbeat."""

    execution_heartbeat_seconds: float = Field(default=1.5, ge=0.1, le=300)
    """How often a server renews the leases of the executions it runs, takes over lapsed ones
    and carries out control requests other servers recorded for its executions."""

    @model_validator(mode="after")
    def _check_lease(self) -> Settings:
        if self.execution_heartbeat_seconds * 2 > self.execution_lease_seconds:
            raise ValueError(
                "SOUNDING_EXECUTION_HEARTBEAT_SECONDS must be at most half of "
                "SOUNDING_EXECUTION_LEASE_SECONDS (a lease must outlive two heartbeats)"
            )
        return self

    @field_validator("allowed_callable_modules", mode="before")
    @classmethod
    def _split_modules(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    token_expires_in: str = "90d"  # noqa: S105 (a lifetime, not a secret)
    """How long a new API token lives unless its creator says otherwise (``90d``, ``12h``,
    ``1w``...; ``never`` for tokens that do not expire). Applies to the bootstrap token too."""

    session_idle: str = "12h"
    """How long a web UI session lives without a request (``12h``, ``30m``, ``7d``...); each
    request moves its end. Logging out, a password change or disabling the user ends it."""

    @field_validator("session_idle")
    @classmethod
    def _check_session_idle(cls, value: str) -> str:
        parse_duration(value, "SOUNDING_SESSION_IDLE")
        return value

    file_source_roots: str = ""
    """Folders under which file sources may be registered, separated by ``,`` or ``:``
    (empty: anywhere except the store, ``SOUNDING_HOME`` and system folders)."""

    metrics_token: SecretStr | None = None
    """When set, ``GET /metrics`` answers only requests carrying ``Authorization: Bearer
    <this token>`` (or, with ``metrics_require_auth``, a user's API token)."""

    metrics_require_auth: bool = False
    """When true, ``GET /metrics`` needs an authenticated user's API token (any role)."""

    @field_validator("token_expires_in")
    @classmethod
    def _check_expiry(cls, value: str) -> str:
        if value.strip().lower() != "never":
            parse_duration(value, "SOUNDING_TOKEN_EXPIRES_IN")
        return value

    def file_source_root_paths(self) -> list[Path]:
        """``file_source_roots`` as resolved absolute folders."""
        parts = [p.strip() for p in re.split(r"[,:]", self.file_source_roots)]
        return [Path(p).expanduser().resolve() for p in parts if p]

    resources: dict[str, PositiveFloat] = Field(default_factory=dict)
    """Engine-wide resource capacities workflow steps draw from, as JSON
    (``SOUNDING_RESOURCES='{"memory_gb": 16}'``); a step declares ``resources: {memory_gb: 4}``
    and waits until that much is free. A step naming a resource not listed here is refused
    when the workflow is applied."""

    default_source_limit: int | None = Field(default=None, gt=0)
    """At most this many workflow tasks at once on any one data source, across all
    executions; a source's ``max_concurrent`` option overrides it. Unset: no engine-wide cap."""

    public_url: str | None = None
    """The address people reach this server's web UI at (``https://sounding.example.com``):
    links in alerts (webhook, Slack and e-mail bodies) are made absolute with it; unset, they
    stay paths such as ``/assets/...``."""

    smtp_host: str | None = None
    """The SMTP server e-mail deliveries go through (unset: e-mail deliveries fail with
    "SMTP is not configured" and are retried, so setting it later sends them)."""

    smtp_port: int = Field(default=587, ge=1, le=65535)
    """Its port."""

    smtp_username: str | None = None
    """The user to log in as (unset: no login)."""

    smtp_password: SecretStr | None = None
    """That user's password."""

    smtp_from: str = "sounding@localhost"
    """The ``From`` address of the e-mails Sounding sends."""

    smtp_starttls: bool = True
    """Upgrade the connection with STARTTLS before logging in and sending."""

    delivery_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """How long one webhook request or SMTP conversation may take before it counts as failed."""

    delivery_max_attempts: int = Field(default=6, ge=1, le=20)
    """How many times a delivery is tried before it is marked failed."""

    delivery_backoff_seconds: float = Field(default=30.0, ge=0.01, le=3600)
    """The wait before the first retry; each next one waits 4 times longer (30 s, 2 min,
    8 min, 32 min, ...), at most ``delivery_backoff_max_seconds``, give or take 20% jitter."""

    delivery_backoff_max_seconds: float = Field(default=6 * 3600.0, ge=0.01, le=7 * 86400)
    """The longest wait between two attempts of a delivery."""

    delivery_poll_seconds: float = Field(default=2.0, ge=0.05, le=300)
    """How often the server's delivery worker looks for deliveries that are due."""
    retention_attempts: str = "30d"
    """How long the task attempts and events of a finished execution are kept (``30d``,
    ``12w``...; ``never`` keeps them). The execution and its steps stay until
    ``retention_executions``."""

    retention_executions: str = "180d"
    """How long a finished execution is kept, with its steps, attempts, events and lease
    (``never`` keeps them). Running, paused and queued executions are never pruned."""

    retention_usage: str = "365d"
    """How long daily usage counts and the search query log are kept (``never`` keeps them)."""

    retention_audit: str = "never"
    """How long audit log entries are kept (default ``never``: kept forever)."""

    retention_alerts: str = "90d"
    """How long catalog events already dispatched, inbox notifications and finished (delivered
    or failed) deliveries are kept (``never`` keeps them)."""

    retention_interval: str = "1h"
    """How often ``sounding serve`` prunes what is past its retention (first run a few minutes
    after start); ``0`` or ``off`` disables the periodic prune (``sounding db prune`` still
    works)."""

    retention_batch_size: int = Field(default=1000, ge=10, le=10000)
    """Rows one prune transaction deletes at most: each batch is its own short transaction, so
    the API and the engine write between batches."""

    @field_validator(
        "retention_attempts",
        "retention_executions",
        "retention_usage",
        "retention_audit",
        "retention_alerts",
    )
    @classmethod
    def _check_retention(cls, value: str, info: ValidationInfo) -> str:
        if value.strip().lower() != "never":
            parse_duration(value, f"SOUNDING_{str(info.field_name).upper()}")
        return value

    @field_validator("retention_interval")
    @classmethod
    def _check_retention_interval(cls, value: str) -> str:
        if value.strip().lower() not in ("0", "off"):
            parse_duration(value, "SOUNDING_RETENTION_INTERVAL")
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'sounding.db'}"
