"""SQLAlchemy Core tables of the metadata store. Alembic migrations create them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sounding.domain.credentials import redact
from sounding.domain.timestamps import as_utc

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp that is always aware and in UTC, on every backend.

    SQLite keeps no zone (it hands back naive values) and PostgreSQL answers in the session's
    zone; both are normalized here, so every timestamp the store returns is UTC with a zone,
    and a naive value written is taken as UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


TS = UtcDateTime()
JSONType = sa.JSON(none_as_null=True)  # None is SQL NULL, not the JSON text "null"


def row_version() -> sa.Column[int]:
    """The revision of a row that API clients edit (its ETag): 1 when inserted, and one more
    on every UPDATE made through the table, whatever the code path (SQLAlchemy adds the
    increment unless the statement sets the column itself, as a "seen again" stamp does)."""
    return sa.Column(
        "row_version",
        sa.Integer,
        nullable=False,
        server_default="1",  # not a Python default: inserts leave the column alone
        onupdate=sa.literal_column("row_version + 1"),
    )


class RedactedText(sa.TypeDecorator[str]):
    """Text that never stores a credential: every value written goes through the one
    redaction. For error messages, which may quote a URL or a driver's DSN echo from code
    that is not ours (a task's exception, an unexpected failure)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return redact(value) if value else value


sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("url_encrypted", sa.Text, nullable=False),
    sa.Column("url_redacted", sa.Text, nullable=False),
    sa.Column("include_pattern", sa.Text),
    sa.Column("exclude_pattern", sa.Text),
    sa.Column("options", JSONType, nullable=False, default=dict),
    sa.Column("description", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("last_scan_at", TS),
    row_version(),
)

assets = sa.Table(
    "assets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    sa.Column("parent_id", sa.ForeignKey("assets.id", ondelete="CASCADE")),
    sa.Column("urn", sa.String(2000), nullable=False, unique=True),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("qualified_name", sa.String(2000), nullable=False),
    sa.Column("description", sa.Text),
    # columns
    sa.Column("data_type", sa.String(500)),
    sa.Column("nullable", sa.Boolean),
    sa.Column("ordinal", sa.Integer),
    sa.Column("default_value", sa.Text),
    sa.Column("is_primary_key", sa.Boolean),
    # tables / views / datasets
    sa.Column("foreign_keys", JSONType),
    sa.Column("view_sql", sa.Text),
    sa.Column("row_count", sa.BigInteger),
    sa.Column("row_count_exact", sa.Boolean),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("source_properties", JSONType),
    # curated metadata (never overwritten by scans)
    sa.Column("owner", sa.String(200)),
    sa.Column("steward", sa.String(200)),
    sa.Column("domain", sa.String(200)),
    sa.Column("tags", JSONType, nullable=False, default=list),
    sa.Column("criticality", sa.String(20)),
    sa.Column("lifecycle", sa.String(20)),
    sa.Column("custom_properties", JSONType, nullable=False, default=dict),
    sa.Column("first_seen", TS, nullable=False),
    sa.Column("last_seen", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("deleted_at", TS),
    row_version(),
    sa.Index(None, "source_id", "type"),
    sa.Index(None, "parent_id"),
    sa.Index(None, "name"),
)

asset_tags = sa.Table(
    "asset_tags",
    metadata,
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", sa.String(200), primary_key=True),
    sa.Index(None, "tag"),
)

scan_runs = sa.Table(
    "scan_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("triggered_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("started_at", TS),
    sa.Column("finished_at", TS),
    sa.Column("objects_total", sa.Integer, nullable=False, default=0),
    sa.Column("objects_done", sa.Integer, nullable=False, default=0),
    sa.Column("report", JSONType, nullable=False, default=dict),
    sa.Column("error", RedactedText),
    # the execution of ``scan:NAME`` that runs this scan; NULL for scans run in-process
    sa.Column("execution_id", sa.String(200)),
    sa.Index(None, "source_id", "created_at"),
    sa.Index(None, "execution_id"),
)

discovery_events = sa.Table(
    "discovery_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("scan_run_id", sa.ForeignKey("scan_runs.id", ondelete="SET NULL")),
    sa.Column("event_type", sa.String(30), nullable=False),
    sa.Column("diff", JSONType, nullable=False, default=dict),
    sa.Column("created_at", TS, nullable=False),
    sa.Index(None, "asset_id", "id"),
    sa.Index(None, "scan_run_id"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("target_type", sa.String(50)),
    sa.Column("target", sa.String(2000)),
    sa.Column("details", JSONType, nullable=False, default=dict),
    sa.Index(None, "at"),
)
