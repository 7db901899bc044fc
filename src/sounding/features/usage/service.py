"""Use cases for usage: record views and searches, ingest query-log calls, keep popularity.

Recording never writes on the request's path: views and search hits are counted in memory
(a thread-safe :class:`UsageRecorder`, the context's part ``ctx.part(UsageRecorder)``) and
flushed in one write transaction every ``SOUNDING_USAGE_FLUSH_SECONDS`` in a server, before
analytics reads, and when the context stops. So ``GET /api/v1/assets/{ref}`` stays a read
and never waits for SQLite's single writer.

Each flush adds the counts (``usage_daily``), the distinct users, the search queries, and
recomputes the popularity (``records.popularity``) of the assets it touched, noting those
whose popularity changed noticeably in the search outbox so search ranking follows. Once a UTC
day, the first flush also recomputes every asset with usage in the window (decay).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sounding.domain.assets import QueryLogEntry
from sounding.domain.auth import Permission, Principal
from sounding.domain.search import GLOSSARY_TERM
from sounding.errors import InvalidInputError
from sounding.features.usage import repo
from sounding.features.usage.records import (
    WINDOW_DAYS,
    AssetUsage,
    DailyUse,
    QueryUsageAdded,
    UsageKind,
    UsedAsset,
    changed_enough,
    popularity,
)
from sounding.features.usage.repo import CountKey
from sounding.lineage.parse import parse_lineage
from sounding.services import catalog, lineage, querylog
from sounding.services.context import Context, RuntimePart
from sounding.services.sources import get_row
from sounding.store.repos import audit, utcnow

logger = logging.getLogger(__name__)

QUERY_TEXT_MAX = 500


class UsageRecorder(RuntimePart):
    """In-memory usage counts of one process, flushed to the store in one transaction (the
    context's part: ``ctx.part(UsageRecorder)``, started by ``Context.start`` through the
    feature's ``start`` hook, stopped and flushed by ``Context.stop``)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._lock = threading.Lock()
        self.flush_lock = threading.Lock()  # one flush at a time (periodic thread vs. reads)
        self._counts: Counter[CountKey] = Counter()
        self._users: defaultdict[CountKey, set[str]] = defaultdict(set)
        self._queries: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_full_refresh: date | None = None

    # --- recording (called on request threads) ---------------------------------------------

    def add_use(self, asset_id: int, kind: UsageKind, user: str | None, count: int = 1) -> None:
        key = (asset_id, utcnow().date(), kind.value)
        with self._lock:
            self._counts[key] += count
            if user:
                self._users[key].add(user)

    def add_query(self, query: str, user: str | None, mode: str, result_count: int) -> None:
        row = {
            "query": query[:QUERY_TEXT_MAX],
            "user_name": user,
            "mode": mode,
            "result_count": result_count,
            "at": utcnow(),
        }
        with self._lock:
            self._queries.append(row)

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(self._counts.values()) + len(self._queries)

    def drain(
        self,
    ) -> tuple[Counter[CountKey], dict[CountKey, set[str]], list[dict[str, Any]]]:
        with self._lock:
            out = (self._counts, dict(self._users), self._queries)
            self._counts, self._users, self._queries = Counter(), defaultdict(set), []
        return out

    def restore(
        self,
        counts: Counter[CountKey],
        users: dict[CountKey, set[str]],
        queries: list[dict[str, Any]],
    ) -> None:
        """Put back what a failed flush took, so the next flush writes it."""
        with self._lock:
            self._counts.update(counts)
            for key, names in users.items():
                self._users[key] |= names
            self._queries[:0] = queries

    # --- the periodic flusher ---------------------------------------------------------------

    def start_flushing(self) -> None:
        """Flush every ``SOUNDING_USAGE_FLUSH_SECONDS`` on a thread of its own (the server's
        ``Context.start`` calls this; elsewhere pending counts are written when it stops)."""
        if self._thread is not None or self._stop.is_set():
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sounding-usage-flush", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        interval = self._ctx.settings.usage_flush_seconds
        while not self._stop.wait(interval):
            try:
                write_pending(self._ctx, self)
            except Exception:  # keep flushing later; the counts were put back
                logger.exception("Failed to flush usage counts; will retry")

    def stop(self) -> None:
        """Stop the flusher and write what is pending (``Context.stop`` calls this)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            write_pending(self._ctx, self)
        except Exception:
            logger.exception("Failed to flush usage counts at shutdown")


def recorder(ctx: Context) -> UsageRecorder:
    """The context's recorder (``Context.stop`` flushes and stops it)."""
    return ctx.part(UsageRecorder)


def record_view(ctx: Context, actor: Principal, asset_id: int) -> None:
    """Count one view of an asset fetched through the API (in memory; flushed later)."""
    recorder(ctx).add_use(asset_id, UsageKind.VIEW, actor.name)


def record_search(
    ctx: Context, actor: Principal, q: str, page: dict[str, Any], offset: int, mode: str
) -> None:
    """Count a search: its query in the search log and each asset of its first page as a hit.

    Searches without words (filters only) and later pages are not counted.
    """
    if not q.strip() or offset > 0:
        return
    rec = recorder(ctx)
    rec.add_query(q.strip(), actor.name, mode, int(page.get("total", 0)))
    for item in page.get("items", []):
        if item.get("type") != GLOSSARY_TERM and isinstance(item.get("id"), int):
            rec.add_use(item["id"], UsageKind.SEARCH_HIT, actor.name)


# --- flushing and popularity --------------------------------------------------------------


def _window_start(today: date) -> date:
    return today - timedelta(days=WINDOW_DAYS - 1)


def refresh_popularity(conn: Any, touched: Iterable[int], now: datetime) -> int:
    """Recompute popularity of the assets ``touched`` usage affects; returns how many changed."""
    today = now.date()
    targets = sorted(repo.roll_up_targets(conn, touched))
    if not targets:
        return 0
    usage = repo.usage_of(conn, targets, _window_start(today))
    old = repo.popularity_for(conn, targets)
    changed = {}
    for asset_id in targets:
        score = popularity(usage.get(asset_id, []), today)
        if changed_enough(old.get(asset_id, 0.0), score):
            changed[asset_id] = score
    repo.save_popularity(conn, changed, now)
    return len(changed)


def flush(ctx: Context) -> int:
    """Write the buffered usage in one transaction; returns how many uses were written."""
    return write_pending(ctx, recorder(ctx))


def write_pending(ctx: Context, rec: UsageRecorder) -> int:
    """What ``flush`` does, for a given recorder (the one ``Context.close`` is stopping)."""
    with rec.flush_lock:
        now = utcnow()
        daily = rec.last_full_refresh != now.date()
        counts, users, queries = rec.drain()
        if not (counts or queries or daily):
            return 0
        try:
            with ctx.db.write() as conn:
                alive = repo.existing_ids(conn, (a for a, _, _ in counts))
                counts = Counter({k: n for k, n in counts.items() if k[0] in alive})
                users = {k: names for k, names in users.items() if k[0] in alive}
                repo.add_counts(conn, counts)
                repo.add_users(conn, users)
                repo.prune_users(conn, now.date())
                repo.add_search_queries(conn, queries)
                touched = {a for a, _, _ in counts}
                if daily:
                    touched |= repo.assets_with_usage(conn, _window_start(now.date()))
                refresh_popularity(conn, touched, now)
        except Exception:
            rec.restore(counts, users, queries)
            raise
        if daily:
            rec.last_full_refresh = now.date()
    return sum(counts.values()) + len(queries)


def popularity_for(ctx: Context, asset_ids: Sequence[int]) -> dict[int, float]:
    """Popularity per asset (0.0 when never used), for search ranking."""
    with ctx.db.read() as conn:
        return repo.popularity_for(conn, asset_ids)


# --- query logs ---------------------------------------------------------------------------


def ingest_query_usage(
    ctx: Context, actor: Principal, source: str, file: str | None = None
) -> QueryUsageAdded:
    """Add the calls of a source's query log (``pg_stat_statements``, or a log file) as
    ``query`` usage of the tables and views each statement reads or writes.

    Idempotent: the calls last seen per statement are kept, and only the increase is added
    (a counter that went down, after ``pg_stat_statements_reset()``, counts from zero).
    """
    actor.require(Permission.SCAN_RUN)
    src = get_row(ctx, source)
    entries = querylog.log_entries(ctx, src, file)
    if file is not None:  # counted per file: a new (rotated) log's statements are all new
        where = str(Path(file).resolve())
        entries = [(_file_key(where, key), e) for key, e in entries]
    return apply_query_log(ctx, actor, src, entries)


def _file_key(where: str, key: str) -> str:
    digest = hashlib.sha1(f"{where}\0{key}".encode(), usedforsecurity=False).hexdigest()
    return f"qf:{digest}"


def _calls_per_key(entries: Sequence[tuple[str, QueryLogEntry]]) -> dict[str, tuple[str, int]]:
    """key -> (statement, calls); a log file's repeated statement is one call per occurrence."""
    out: dict[str, tuple[str, int]] = {}
    for key, e in entries:
        before = out.get(key, (e.query, 0))[1]
        out[key] = (e.query, before + (e.calls if e.calls is not None else 1))
    return out


def apply_query_log(
    ctx: Context,
    actor: Principal,
    src: dict[str, Any],
    entries: Sequence[tuple[str, QueryLogEntry]],
) -> QueryUsageAdded:
    """Map each statement's new calls to the assets it names and add them as usage."""
    index = lineage.load_source_index(ctx, src["id"])
    schema, dialect = lineage.schema_for_parser(index), lineage.dialect_of(src)
    with ctx.db.read() as conn:
        seen = repo.query_state(conn, src["id"])
    per_asset: Counter[int] = Counter()
    unresolved: set[str] = set()
    calls_now = _calls_per_key(entries)
    new_calls = mapped = unparsed = 0
    for key, (statement, calls) in calls_now.items():
        delta = calls - seen.get(key, 0)
        if delta < 0:  # the engine's counters were reset
            delta = calls
        if delta == 0:
            continue
        new_calls += delta
        result = parse_lineage(statement, dialect, schema)
        if result.errors:
            unparsed += 1
        hits = set()
        for name in {*result.sources, *result.targets}:
            row = index.find(name)
            if row is None:
                unresolved.add(name)
            else:
                hits.add(int(row["id"]))
        mapped += bool(hits)
        for asset_id in hits:
            per_asset[asset_id] += delta
    now = utcnow()
    with ctx.db.write() as conn:
        kind = UsageKind.QUERY.value
        repo.add_counts(conn, {(a, now.date(), kind): n for a, n in per_asset.items()})
        repo.save_query_state(conn, src["id"], {k: c for k, (_, c) in calls_now.items()}, now)
        refresh_popularity(conn, per_asset, now)
        summary = {
            "statements": len(calls_now),
            "new_calls": new_calls,
            "mapped_statements": mapped,
            "assets": len(per_asset),
            "unparsed": unparsed,
        }
        audit.record(conn, actor.name, "usage.ingest", "source", src["name"], summary)
    return QueryUsageAdded(**summary, unresolved=tuple(sorted(unresolved)[:100]))


# --- reading ------------------------------------------------------------------------------


def asset_usage(ctx: Context, actor: Principal, ref: str, days: int = 30) -> AssetUsage:
    """One asset's popularity and its own usage per day over the last ``days`` UTC days."""
    actor.require(Permission.CATALOG_READ)
    if not 1 <= days <= 366:
        raise InvalidInputError("days must be between 1 and 366", field="days")
    row = catalog.get_asset(ctx, actor, ref, include_deleted=True)
    flush(ctx)
    since = utcnow().date() - timedelta(days=days - 1)
    with ctx.db.read() as conn:
        rows = repo.daily_usage(conn, row.id, since)
        score = repo.popularity_for(conn, [row.id])[row.id]
    totals = {k.value: 0 for k in UsageKind}
    for r in rows:
        totals[r["kind"]] += int(r["count"])
    return AssetUsage(
        asset=UsedAsset(id=row.id, urn=row.urn, name=row.name, type=row.type),
        days=days,
        popularity=score,
        totals=totals,
        daily=tuple(
            DailyUse(
                day=r["day"].isoformat(),
                kind=str(r["kind"]),
                count=int(r["count"]),
                users=int(r["users"]),
            )
            for r in rows
        ),
    )
