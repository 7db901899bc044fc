"""PostgreSQL: the catalog from three ``pg_catalog`` queries per batch of objects of one schema.

Paths are ``(database, schema, relation)``; every schema of the URL's database is scanned
except ``information_schema`` and the reserved ``pg_*`` ones. Types are what
``format_type()`` prints, defaults what ``pg_get_expr()`` prints. Row counts are the planner's
estimate (``pg_class.reltuples``); a table never analyzed (``-1``) is counted exactly when it is
small, and otherwise has no count rather than a wrong one. Partitions are described through
their partitioned parent and not listed themselves.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from sounding.connectors.base import SourceConfig
from sounding.connectors.deadlines import WATCHDOG, client_deadline, whole_seconds
from sounding.connectors.profiling_run import Run, cap_note, is_full
from sounding.connectors.sql_backend import SEED, Prepared, SqlBackend, count_rows, relation
from sounding.connectors.sql_catalog import Described, quote_path, run_quoted
from sounding.connectors.sql_engine import (
    connect_timeout,
    shutdown,
    watch_dialect,
    watch_statements,
)
from sounding.connectors.sql_privileges import postgres_login_warnings
from sounding.domain.assets import (
    AssetType,
    DiscoveredColumn,
    DiscoveredObject,
    ForeignKeyRef,
    ObjectRef,
    QueryLogEntry,
)
from sounding.domain.dialects.postgresql import POSTGRESQL
from sounding.domain.profiling import SampleKind, SamplePolicy
from sounding.errors import SourceError

logger = logging.getLogger(__name__)

EXACT_COUNT_MAX_BYTES = 8 * 1024 * 1024
"""A never-analyzed table whose heap is at most this big is counted with ``count(*)``..."""
EXACT_COUNT_BUDGET_BYTES = 64 * 1024 * 1024
"""... as long as the tables counted in one batch hold no more than this in all."""
LOCK_TIMEOUT_MS = 5000
"""Sizes and counts take a share lock on each table; never queue long behind an exclusive one
(an ALTER TABLE in progress): that object fails instead of the scan hanging."""

_KINDS = {"r": AssetType.TABLE, "p": AssetType.TABLE, "f": AssetType.TABLE}
_KINDS |= {"v": AssetType.VIEW, "m": AssetType.VIEW}
_KIND_NAMES = {"p": "partitioned table", "f": "foreign table", "m": "materialized view"}

_USER_SCHEMAS = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"

_LIST = sa.text(
    "SELECT n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND NOT c.relispartition AND {_USER_SCHEMAS}"
)

_SCOPE = "n.nspname = :schema AND c.relname = ANY(CAST(:names AS text[]))"

_RELATIONS = sa.text(f"""
SELECT c.relname, c.relkind, pg_catalog.obj_description(c.oid, 'pg_class'),
  CASE WHEN c.relkind = 'p' THEN (
      SELECT CASE WHEN bool_and(p.reltuples >= 0) THEN sum(p.reltuples) END
      FROM pg_catalog.pg_partition_tree(c.oid) t JOIN pg_catalog.pg_class p ON p.oid = t.relid
      WHERE t.isleaf)
    WHEN c.relkind IN ('r', 'm') THEN c.reltuples END,
  CASE WHEN c.relkind IN ('r', 'm') THEN pg_catalog.pg_total_relation_size(c.oid)
    WHEN c.relkind = 'p' THEN (
      SELECT sum(pg_catalog.pg_total_relation_size(t.relid))::bigint
      FROM pg_catalog.pg_partition_tree(c.oid) t) END,
  CASE WHEN c.relkind = 'r' THEN pg_catalog.pg_relation_size(c.oid) END,
  CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE {_SCOPE} AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
""")

# defaults and comments joined rather than looked up per column (what ``col_description``
# does): a quarter less time on wide catalogs
_COLUMNS = sa.text(f"""
SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
  CASE WHEN a.atthasdef AND a.attgenerated = '' THEN
    pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
  ds.description
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = a.attrelid
  AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = a.attnum
WHERE {_SCOPE} AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
""")

_KEY_COLUMNS = """ARRAY(
    SELECT a.attname::text FROM unnest(co.{keys}) WITH ORDINALITY AS k(num, pos)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = co.{rel} AND a.attnum = k.num
    ORDER BY k.pos)"""

_CONSTRAINTS = sa.text(f"""
SELECT c.relname, co.conname, co.contype,
  {_KEY_COLUMNS.format(keys="conkey", rel="conrelid")},
  rn.nspname, rc.relname,
  {_KEY_COLUMNS.format(keys="confkey", rel="confrelid")}
FROM pg_catalog.pg_constraint co
JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = co.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE {_SCOPE} AND co.contype IN ('p', 'f')
ORDER BY c.relname, co.conname
""")


class PostgresCatalog:
    container_types: tuple[AssetType, ...] = (AssetType.DATABASE, AssetType.SCHEMA)
    row_count_estimates: bool = True
    has_logins: bool = True

    def login_warnings(self, conn: sa.Connection) -> list[str]:
        return postgres_login_warnings(conn)

    def facts(self, conn: sa.Connection) -> dict[str, Any]:
        database, version = conn.execute(
            sa.text("SELECT current_database(), current_setting('server_version')")
        ).one()
        schemas = conn.execute(
            sa.text(
                f"SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE {_USER_SCHEMAS} "
                "ORDER BY n.nspname"
            )
        ).scalars()
        return {
            "dialect": "postgresql",
            "server_version": version,
            "databases": [database],
            "schemas": list(schemas),
        }

    def list_objects(self, conn: sa.Connection) -> list[ObjectRef]:
        database = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        return [
            ObjectRef(_KINDS[kind], (database, schema, name))
            for schema, name, kind in conn.execute(_LIST)
        ]

    def describe_batch(
        self, conn: sa.Connection, container: tuple[str, ...], refs: Sequence[ObjectRef]
    ) -> dict[str, Described]:
        database, schema = container
        params = {"schema": schema, "names": sorted({ref.name for ref in refs})}
        set_lock_timeout(conn)
        relations = conn.execute(_RELATIONS, params).all()
        primary_keys: dict[str, tuple[str, ...]] = {}
        foreign_keys: dict[str, list[ForeignKeyRef]] = {}
        for table, con_name, con_type, cols, ref_schema, ref_table, ref_cols in conn.execute(
            _CONSTRAINTS, params
        ).all():
            if con_type == "p":
                primary_keys[table] = tuple(cols)
            else:
                foreign_keys.setdefault(table, []).append(
                    ForeignKeyRef(
                        columns=tuple(cols),
                        referred_path=(database, ref_schema, ref_table),
                        referred_columns=tuple(ref_cols),
                        name=con_name,
                    )
                )
        columns: dict[str, list[DiscoveredColumn]] = {}
        for table, name, data_type, not_null, default, comment in conn.execute(
            _COLUMNS, params
        ).all():  # one fetchall: iterating a result fetches row by row
            table_columns = columns.setdefault(table, [])
            table_columns.append(
                DiscoveredColumn(
                    name=name,
                    data_type=data_type,
                    nullable=not not_null,
                    ordinal=len(table_columns) + 1,
                    default=default,
                    is_primary_key=name in primary_keys.get(table, ()),
                    comment=comment,
                )
            )
        never_analyzed = _worth_counting(
            (name, heap)
            for name, kind, _, rows, _, heap, _ in relations
            if kind == "r" and rows < 0
        )
        exact = _exact_counts(conn, schema, never_analyzed)
        results: dict[str, Described] = {}
        for name, kind, comment, rows, size, _, view_sql in relations:
            key = primary_keys.get(name, ())
            count, is_exact = _row_count(rows, exact.get(name))
            results[name] = DiscoveredObject(
                ref=ObjectRef(_KINDS[kind], (database, schema, name)),
                columns=tuple(columns.get(name, ())),
                primary_key=key,
                foreign_keys=tuple(foreign_keys.get(name, ())),
                view_sql=view_sql.strip() if view_sql else None,
                comment=comment,
                row_count=count,
                row_count_exact=is_exact,
                size_bytes=int(size) if size is not None else None,
                properties={"kind": _KIND_NAMES[kind]} if kind in _KIND_NAMES else {},
            )
        return results


def _row_count(estimate: float | None, exact: int | None) -> tuple[int | None, bool]:
    if exact is not None:
        return exact, True
    if estimate is None or estimate < 0:
        return None, False
    return round(estimate), False


def _worth_counting(tables: Iterable[tuple[str, int]]) -> list[str]:
    """Never-analyzed tables cheap enough to count, smallest first, within the budget."""
    chosen: list[str] = []
    spent = 0
    for name, heap in sorted(tables, key=lambda t: t[1]):
        if heap > EXACT_COUNT_MAX_BYTES or spent + heap > EXACT_COUNT_BUDGET_BYTES:
            break
        chosen.append(name)
        spent += heap
    return chosen


def _exact_counts(conn: sa.Connection, schema: str, tables: Sequence[str]) -> dict[str, int]:
    """``count(*)`` of small never-analyzed tables, 50 per statement and transaction (so few
    locks are held at a time); a chunk that fails (no privilege, lock timeout) stays uncounted.
    """
    counts: dict[str, int] = {}
    for start in range(0, len(tables), 50):
        chunk = tables[start : start + 50]
        sql = " UNION ALL ".join(
            f"SELECT {i}, count(*) FROM {quote_path(conn, schema, table)}"
            for i, table in enumerate(chunk)
        )
        try:
            set_lock_timeout(conn)
            rows = run_quoted(conn, sql).all()
        except sa.exc.DBAPIError as exc:
            logger.info("Could not count rows in schema %s: %s", schema, exc.orig)
            rows = []
        finally:
            conn.rollback()
        counts.update({chunk[i]: int(count) for i, count in rows})
    return counts


def set_lock_timeout(conn: sa.Connection) -> None:
    """Wait at most LOCK_TIMEOUT for a table another session has locked (e.g. an ALTER)."""
    conn.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'"))


# --- engine: the server's statement_timeout, keepalives, a watchdog for a silent server ---


def postgres_engine(url: sa.URL, config: SourceConfig) -> sa.Engine:
    timeout = config.statement_timeout
    connect_args: dict[str, Any] = {
        "connect_timeout": max(2, math.ceil(connect_timeout(config))),  # whole seconds, >= 2
        # per source (an option), so pg_stat_activity tells its connections apart
        "application_name": str(config.options.get("application_name") or "sounding"),
        "keepalives": 1,
        "keepalives_idle": whole_seconds(min(timeout, 30)),
        "keepalives_interval": whole_seconds(min(timeout, 10) / 3),
        "keepalives_count": 3,
        "tcp_user_timeout": math.ceil(client_deadline(timeout) * 1000),
    }
    engine = sa.create_engine(url, connect_args=connect_args, pool_size=2, max_overflow=2)
    watch_statements(engine, client_deadline(timeout), shutdown)
    watch_dialect(engine.dialect, client_deadline(timeout), shutdown)
    sa.event.listen(engine, "connect", _statement_limit(timeout))
    return engine


def _statement_limit(timeout: float) -> Any:
    """``SET statement_timeout`` on each new connection (not a startup ``options``
    parameter, which poolers such as PgBouncer refuse), itself under a deadline."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        with WATCHDOG.watch(client_deadline(timeout), lambda: shutdown(dbapi_conn)):
            dbapi_conn.execute(f"SET statement_timeout = {math.ceil(timeout * 1000)}")
            dbapi_conn.commit()

    return on_connect


# --- query log: pg_stat_statements ------------------------------------------------------


def read_query_log(conn: sa.Connection, limit: int, source: str) -> list[QueryLogEntry]:
    """This database's statements in ``pg_stat_statements``, most run first."""
    installed = conn.exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
    ).first()
    if installed is None:
        raise SourceError(
            f"pg_stat_statements is not installed on source {source!r}: add it to "
            "shared_preload_libraries and run CREATE EXTENSION pg_stat_statements, or "
            "give a log file (--file)",
            source=source,
        )
    # the view covers every database of the server and has a row per (user, query):
    # keep this database's statements, one row per query id with the calls summed
    rows = conn.exec_driver_sql(
        "SELECT queryid::text, min(query), sum(calls) FROM pg_stat_statements "
        "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND queryid IS NOT NULL "
        "AND query ~* '^\\s*(insert|create|merge|update|with|select)' "
        "GROUP BY queryid ORDER BY sum(calls) DESC LIMIT %(limit)s",
        {"limit": limit},
    ).all()
    return [QueryLogEntry(str(q), int(c), str(i)) for i, q, c in rows]


# --- sampling ---------------------------------------------------------------------------

PG_EXACT_DISTINCT_MAX_ROWS = 10_000_000
"""Above this many rows (planner estimate) a full PostgreSQL profile takes distinct counts from
``pg_stats`` instead of ``count(DISTINCT)``."""
PG_SYSTEM_SAMPLE_MIN_ROWS = 1_000_000
"""From this many rows a percent sample reads whole pages (SYSTEM) rather than every row."""


def _pg_relation_stats(conn: sa.Connection, ref: ObjectRef) -> tuple[float, str]:
    """(reltuples, relkind); reltuples is -1 for a table never analyzed."""
    row = conn.execute(
        sa.text(
            "SELECT c.reltuples, c.relkind FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relname = :name"
        ),
        {"schema": ref.path[1], "name": ref.name},
    ).first()
    return (float(row[0]), str(row[1])) if row is not None else (-1.0, "v")


def _prepare_postgres(
    conn: sa.Connection, run: Run, ref: ObjectRef, policy: SamplePolicy
) -> Prepared:
    rel = relation(conn, ref)
    prepared = Prepared(rel)
    estimate, relkind = _pg_relation_stats(conn, ref)
    if is_full(policy):
        if estimate > PG_EXACT_DISTINCT_MAX_ROWS:
            prepared.distinct_estimates = _pg_distinct(conn, ref, estimate)
            prepared.notes.append(
                f"distinct counts are the planner's estimates (pg_stats.n_distinct): about "
                f"{estimate:.0f} rows, over {PG_EXACT_DISTINCT_MAX_ROWS} are not counted exactly"
            )
        return prepared
    pages = relkind in ("r", "m", "p")  # TABLESAMPLE needs a table, not a view
    if pages and estimate >= 0:
        prepared.row_count, prepared.estimate = round(estimate), True
    else:
        prepared.row_count = count_rows(run, rel)
    if policy.kind == SampleKind.PERCENT:
        _pg_percent(prepared, rel, policy.value or 0, pages)
    else:
        _pg_capped(run, prepared, rel, int(policy.value or 0), pages)
    return prepared


def _pg_percent(prepared: Prepared, rel: str, percent: float, pages: bool) -> None:
    if pages:
        total = prepared.row_count or 0
        method = "SYSTEM" if total >= PG_SYSTEM_SAMPLE_MIN_ROWS else "BERNOULLI"
        clause = f"TABLESAMPLE {method} ({percent!r}) REPEATABLE ({SEED})"
        prepared.source, prepared.method = f"(SELECT * FROM {rel} {clause})", clause
        return
    hashed = f"abs(mod(hashtextextended(CAST(r AS text), {SEED}), 1000000))"
    prepared.source = f"(SELECT * FROM {rel} AS r WHERE {hashed} < {round(percent * 10000)})"
    prepared.method = f"row-hash filter ({percent:g}%)"


def _pg_capped(run: Run, prepared: Prepared, rel: str, cap: int, pages: bool) -> None:
    total = prepared.row_count or 0
    if total <= cap:  # maybe so: the planner's estimate may be stale
        total = count_rows(run, rel) if prepared.estimate else total
        prepared.row_count, prepared.estimate = total, False
        if total <= cap:
            prepared.notes.append(cap_note(cap, total))
            prepared.row_count = None
            return
    if pages:  # a little more than the cap, cut to it
        percent = min(100.0, 100 * (cap + 4 * math.sqrt(cap) + 10) / max(total, 1))
        clause = f"TABLESAMPLE BERNOULLI ({percent:.6f}) REPEATABLE ({SEED})"
        prepared.source = f"(SELECT * FROM {rel} {clause} LIMIT {cap})"
        prepared.method = f"{clause} LIMIT {cap}"
        return
    order = f"hashtextextended(CAST(r AS text), {SEED})"
    prepared.source = f"(SELECT * FROM {rel} AS r ORDER BY {order} LIMIT {cap})"
    prepared.method = f"ORDER BY row hash LIMIT {cap}"


def _pg_distinct(conn: sa.Connection, ref: ObjectRef, rows: float) -> dict[str, int]:
    """Distinct counts from the planner's statistics (negative n_distinct: a share of rows)."""
    found: dict[str, int] = {}
    for name, n_distinct in conn.execute(
        sa.text(
            "SELECT attname, n_distinct FROM pg_catalog.pg_stats "
            "WHERE schemaname = :schema AND tablename = :name"
        ),
        {"schema": ref.path[1], "name": ref.name},
    ):
        value = float(n_distinct)
        count = round(-value * rows) if value < 0 else round(value)
        found[name] = max(found.get(name, 0), count)
    return found


_QUERY_CANCELED = "57014"  # SQLSTATE of a statement statement_timeout cancelled


def _timed_out(error: BaseException) -> bool | None:
    return True if getattr(error, "sqlstate", None) == _QUERY_CANCELED else None


BACKEND = SqlBackend(
    dialect=POSTGRESQL,
    catalog=lambda _url: PostgresCatalog(),
    engine=postgres_engine,
    prepare_sample=_prepare_postgres,
    query_log=read_query_log,
    before_profile=set_lock_timeout,
    timed_out=_timed_out,
)
