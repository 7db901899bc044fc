"""Lineage from query logs: pg_stat_statements, PostgreSQL server logs or SQL files.

Each statement that writes (INSERT, CREATE ... AS, MERGE, UPDATE ... FROM) owns its edges
under origin ``query_log``, keyed by the engine's query id or the statement's hash, so
reading the same log again changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from sounding.connectors.sql import SqlConnector
from sounding.domain.assets import QueryLogEntry
from sounding.domain.auth import Permission, Principal
from sounding.errors import InvalidInputError
from sounding.lineage.parse import parse_lineage
from sounding.lineage.querylog import statements_from_log
from sounding.services import lineage
from sounding.services.context import Context
from sounding.services.sources import config_for, get_row
from sounding.store.repos import audit, utcnow
from sounding.store.repos import lineage as repo

logger = logging.getLogger(__name__)


def log_entries(
    ctx: Context, src: dict[str, Any], file: str | None
) -> list[tuple[str, QueryLogEntry]]:
    """(key, entry) pairs from the file or the source's own log (``pg_stat_statements``).

    The key is the engine's query id (``pgss:<queryid>``) or the statement's hash (``ql:...``);
    entries from a file carry no ``calls`` (each occurrence is one call).
    """
    if file is not None:
        try:
            text = Path(file).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InvalidInputError(f"Cannot read query log {file}: {exc.strerror}") from exc
        return [
            ("ql:" + hashlib.sha1(s.encode(), usedforsecurity=False).hexdigest(), QueryLogEntry(s))
            for s in statements_from_log(text)
        ]
    with ctx.registry.open(config_for(ctx, src)) as connector:
        if not isinstance(connector, SqlConnector):
            raise InvalidInputError(
                f"Source '{src['name']}' keeps no query log; give a log file with --file"
            )
        return [(f"pgss:{e.query_id}", e) for e in connector.query_log()]


def _entries(ctx: Context, src: dict[str, Any], file: str | None) -> list[tuple[str, str]]:
    """(origin key, statement) pairs from the file or the source's own log."""
    return [(key, e.query) for key, e in log_entries(ctx, src, file)]


def ingest_query_log(
    ctx: Context, actor: Principal, source: str, file: str | None = None
) -> dict[str, Any]:
    actor.require(Permission.CATALOG_WRITE)
    src = get_row(ctx, source)
    entries = _entries(ctx, src, file)
    index = lineage.load_source_index(ctx, src["id"])
    schema, dialect = lineage.schema_for_parser(index), lineage.dialect_of(src)
    writing, edges_total, unresolved, failed = 0, 0, set(), 0
    now = utcnow()
    with ctx.db.write() as conn:
        for key, statement in entries:
            result = parse_lineage(statement, dialect, schema)
            if result.errors:
                failed += 1
            if not result.targets:
                continue
            writing += 1
            resolved = lineage.resolve(index, result, statement[:20000])
            unresolved |= resolved.unresolved
            repo.replace_origin(conn, "query_log", key, resolved.edges, now, actor.name)
            edges_total += len(resolved.edges)
        audit.record(
            conn,
            actor.name,
            "lineage.querylog",
            "source",
            source,
            {"statements": len(entries), "writing": writing, "edges": edges_total},
        )
    return {
        "statements": len(entries),
        "writing_statements": writing,
        "edges": edges_total,
        "unparsed": failed,
        "unresolved": sorted(unresolved),
    }
