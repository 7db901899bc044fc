"""Use cases for data sources: register, list, change, remove, test a connection."""

from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa

from sounding.connectors.base import (
    ConnectorFactory,
    LoginChecker,
    ResolvesLocalPaths,
    SourceConfig,
)
from sounding.domain.auth import Permission, Principal
from sounding.domain.profiling import SamplePolicy
from sounding.domain.sources import SourceTestResult
from sounding.domain.urn import quote_part
from sounding.errors import (
    ConflictError,
    ConnectionFailedError,
    InvalidInputError,
    NotFoundError,
    SoundingError,
    SourceTimeoutError,
)
from sounding.services import pools, versions
from sounding.services.context import Context
from sounding.services.secrets import redact_url
from sounding.services.source_paths import check_local_paths
from sounding.store import tables
from sounding.store.repos import audit, view_lineage
from sounding.store.repos import sources as repo

logger = logging.getLogger(__name__)

EXTERNAL_KIND = "external"  # sources OpenLineage reports: never opened by a connector
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A source as the API shows it: never the encrypted or plain URL, only the redacted one."""
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "url": redact_url(row["url_redacted"]),  # stored redacted; again in case of old rows
        "include": row["include_pattern"],
        "exclude": row["exclude_pattern"],
        "options": row["options"] or {},
        "description": row["description"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "last_scan_at": row["last_scan_at"],
        "revision": row["row_version"],
    }


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise InvalidInputError(
            f"Invalid source name {name!r}: use 1-100 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit",
            field="name",
        )


OPTION_TYPES: dict[str, type] = {
    "profile": bool,
    "classify": bool,
    "sample": str,
    "statement_timeout": float,
    "connect_timeout": float,
    "max_concurrent": int,
    "application_name": str,
}
APPLICATION_NAME_MAX = 63  # PostgreSQL keeps the first 63 bytes
MAX_TIMEOUT_SECONDS = 86400


def _check_seconds(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(
            f"Source option {key!r} must be a number of seconds", field=f"options.{key}"
        )
    if not 0 < value <= MAX_TIMEOUT_SECONDS:
        raise InvalidInputError(
            f"Source option {key!r} must be between 0 and {MAX_TIMEOUT_SECONDS} seconds "
            f"(got {value})",
            field=f"options.{key}",
        )


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """What a source may carry: scan-stage defaults (profile, classify: bools; sample: a
    policy), limits (statement_timeout, connect_timeout: seconds), ``max_concurrent``, the
    most workflow tasks on the source at once (all executions), and ``application_name``, what
    a PostgreSQL source's ``pg_stat_activity`` shows for Sounding's connections to it."""
    for key, value in options.items():
        expected = OPTION_TYPES.get(key)
        if expected is None:
            raise InvalidInputError(
                f"Unknown source option {key!r}; known: {', '.join(OPTION_TYPES)}",
                field=f"options.{key}",
            )
        if expected is float:
            _check_seconds(key, value)
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise InvalidInputError(
                f"Source option {key!r} must be a {expected.__name__}", field=f"options.{key}"
            )
        if key == "application_name" and not (
            0 < len(value) <= APPLICATION_NAME_MAX and value.isascii() and value.isprintable()
        ):
            raise InvalidInputError(
                f"Source option 'application_name' must be 1 to {APPLICATION_NAME_MAX} "
                "printable ASCII characters",
                field=f"options.{key}",
            )
        if key == "max_concurrent" and options[key] < 1:
            raise InvalidInputError(
                "Source option 'max_concurrent' must be at least 1", field=f"options.{key}"
            )
    if "sample" in options:
        SamplePolicy.parse(options["sample"])
    return options


def unreachable(exc: SoundingError) -> bool:
    """Whether the source itself failed, not one object of it: it cannot be connected to, or
    it stopped answering. Every further request would wait and fail the same way, so a stage
    fails its remaining objects at once instead."""
    if isinstance(exc, SourceTimeoutError):
        return not exc.details.get("answered", False)
    return isinstance(exc, ConnectionFailedError)


def skipped(source: str, exc: SoundingError) -> str:
    return f"Skipped: source {source!r} stopped answering ({exc.message})"


def _resolve(ctx: Context, url: str) -> tuple[str, ConnectorFactory]:
    """The URL as stored (a local file or folder made absolute; it must exist) and the
    factory of its connector."""
    url = url.strip()
    factory = ctx.registry.factory_for(url)
    check_local_paths(ctx.settings, factory, url)  # the policy first: /etc/x is refused as such
    if isinstance(factory, ResolvesLocalPaths):
        url = factory.resolve_url(url)
    return url, factory


def config_for(ctx: Context, row: dict[str, Any]) -> SourceConfig:
    """What a connector needs to open the source; refuses a local path the current policy
    forbids (a source registered before SOUNDING_FILE_SOURCE_ROOTS was set, say)."""
    url = ctx.secrets.decrypt(row["url_encrypted"])
    if row["kind"] != EXTERNAL_KIND:
        check_local_paths(ctx.settings, ctx.registry.factory_for(url), url)
    options = row["options"] or {}
    return SourceConfig(
        name=row["name"],
        url=url,
        include=row["include_pattern"],
        exclude=row["exclude_pattern"],
        options=options,
        statement_timeout=float(
            options.get("statement_timeout", ctx.settings.source_statement_timeout)
        ),
    )


def get_row(ctx: Context, name: str) -> dict[str, Any]:
    with ctx.db.read() as conn:
        row = repo.get_by_name(conn, name)
    if row is None:
        raise NotFoundError(f"Source '{name}' not found; see `sounding source list`", source=name)
    return row


def add(
    ctx: Context,
    actor: Principal,
    name: str,
    url: str,
    include: str | None = None,
    exclude: str | None = None,
    options: dict[str, Any] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    actor.require(Permission.SOURCE_MANAGE)
    _check_name(name)
    if not url or not url.strip():
        raise InvalidInputError("The source URL is empty", field="url")
    with ctx.db.read() as conn:
        if repo.get_by_name(conn, name) is not None:
            raise ConflictError(f"A source named '{name}' already exists", source=name)
    SourceConfig(name, url, include, exclude, options or {})  # validates the patterns
    check_options(options or {})
    url, factory = _resolve(ctx, url)
    values = {
        "name": name,
        "kind": factory.kind,
        "url_encrypted": ctx.secrets.encrypt(url),
        "url_redacted": redact_url(url),
        "include_pattern": include or None,
        "exclude_pattern": exclude or None,
        "options": options or {},
        "description": description,
    }
    with ctx.db.write() as conn:
        if repo.get_by_name(conn, name) is not None:
            raise ConflictError(f"A source named '{name}' already exists", source=name)
        try:
            source_id = repo.insert(conn, values)
        except sa.exc.IntegrityError as exc:
            raise ConflictError(f"A source named '{name}' already exists", source=name) from exc
        audit.record(conn, actor.name, "source.create", "source", name, {"kind": factory.kind})
        row = repo.get_by_id(conn, source_id)
    assert row is not None
    pools.refresh(ctx)  # the engine's per-source caps (option max_concurrent)
    return {**public(row), "warnings": login_warnings(ctx, config_for(ctx, row))}


def login_warnings(ctx: Context, config: SourceConfig) -> list[str]:
    """Best effort, when a source is added: is its login a superuser or allowed to read
    server files? An unreachable source is not an error here (``test`` reports it)."""
    try:
        with ctx.registry.open(config) as connector:
            if isinstance(connector, LoginChecker):
                return connector.login_warnings()
    except SoundingError as exc:
        logger.info("Could not check the login of source %r: %s", config.name, exc.message)
    return []


def list_sources(ctx: Context, actor: Principal, limit: int, offset: int) -> tuple[list[Any], int]:
    actor.require(Permission.SOURCE_READ)
    with ctx.db.read() as conn:
        rows, total = repo.list_all(conn, limit, offset)
    return [public(r) for r in rows], total


def get(ctx: Context, actor: Principal, name: str) -> dict[str, Any]:
    actor.require(Permission.SOURCE_READ)
    return public(get_row(ctx, name))


def update(
    ctx: Context,
    actor: Principal,
    name: str,
    changes: dict[str, Any],
    *,
    if_match: str | None = None,
) -> dict[str, Any]:
    actor.require(Permission.SOURCE_MANAGE)
    row = get_row(ctx, name)
    values: dict[str, Any] = {}
    if changes.get("url"):
        url, factory = _resolve(ctx, str(changes["url"]))
        values["kind"] = factory.kind
        values["url_encrypted"] = ctx.secrets.encrypt(url)
        values["url_redacted"] = redact_url(url)
    for key, column in (("include", "include_pattern"), ("exclude", "exclude_pattern")):
        if key in changes:
            values[column] = changes[key] or None
    if changes.get("options") is not None:
        values["options"] = check_options(changes["options"])
    if "description" in changes:
        values["description"] = changes["description"]
    SourceConfig(
        name,
        "x",
        values.get("include_pattern", row["include_pattern"]),
        values.get("exclude_pattern", row["exclude_pattern"]),
    )
    with ctx.db.write() as conn:
        versions.check(conn, tables.sources, row["id"], if_match, f"Source {name!r}")
        repo.update(conn, row["id"], values)
        audit.record(conn, actor.name, "source.update", "source", name, {"fields": sorted(changes)})
        new = repo.get_by_id(conn, row["id"])
    assert new is not None
    pools.refresh(ctx)
    return public(new)


def remove(ctx: Context, actor: Principal, name: str, *, if_match: str | None = None) -> None:
    """Remove a source and everything cataloged from it."""
    actor.require(Permission.SOURCE_MANAGE)
    row = get_row(ctx, name)
    with ctx.db.write() as conn:
        versions.check(conn, tables.sources, row["id"], if_match, f"Source {name!r}")
        repo.delete(conn, row["id"])
        view_lineage.forget_prefix(conn, f"urn:sounding:{quote_part(name)}:")
        audit.record(conn, actor.name, "source.delete", "source", name)
    pools.refresh(ctx)


def unsaved_config(
    ctx: Context, url: str, options: dict[str, Any] | None = None, name: str = "new"
) -> SourceConfig:
    """What a connector needs to open a source not saved yet (what a form holds), its URL
    checked as :func:`add` checks it (the connector's own check, the local path policy)."""
    if not url or not url.strip():
        raise InvalidInputError("The source URL is empty", field="url")
    options = check_options(dict(options or {}))
    url, _ = _resolve(ctx, url)
    timeout = float(options.get("statement_timeout", ctx.settings.source_statement_timeout))
    return SourceConfig(name=name, url=url, options=options, statement_timeout=timeout)


def test_connection(ctx: Context, actor: Principal, name: str) -> SourceTestResult:
    """Connect to the source; returns what the connector reports or raises ConnectionFailed."""
    actor.require(Permission.SOURCE_MANAGE)
    config = config_for(ctx, get_row(ctx, name))
    with ctx.registry.open(config) as connector:
        return tested(name, connector.test())


def tested(name: str, report: dict[str, Any]) -> SourceTestResult:
    """A connector's test report as a record: its warnings apart from its facts."""
    facts = dict(report)
    warnings = [str(w) for w in facts.pop("warnings", None) or []]
    facts.pop("ok", None)
    return SourceTestResult(str(facts.pop("source", name)), warnings, facts)
