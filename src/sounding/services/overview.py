"""The home page's figures in one read: what the catalog holds, how well it is described,
what waits for a steward, what discovery saw lately, and which scans run or failed.

Cheaper than :func:`sounding.services.analytics.catalog_analytics` (no usage, trends or
search log): only what the home page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sounding.domain.auth import Permission, Principal
from sounding.domain.changes import ChangeImpact
from sounding.domain.scans import ScanRun, ScanStatus
from sounding.domain.timestamps import as_utc
from sounding.services import change_impact, features, scans
from sounding.services.context import Context
from sounding.store.repos import analytics as analytics_repo
from sounding.store.repos import overview as repo

RECENT_EVENTS = 10
SCANS_LOOKED_AT = 50  # the newest scans, among which the running and failed ones are found
FAILED_WITHIN = timedelta(days=7)
CHANGES_WITHIN = timedelta(days=30)
CHANGES = 10  # breaking changes shown (the API and the lineage page have the rest)
ACTIVE = (ScanStatus.PENDING.value, ScanStatus.RUNNING.value)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Live objects (tables, views, datasets) having something, out of all of them."""

    key: str  # owned, described, classified, with_terms, with_lineage, with_quality_rules
    count: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.count / self.total, 1) if self.total else None

    @property
    def missing(self) -> int:
        return self.total - self.count


@dataclass(frozen=True, slots=True)
class Todo:
    """What waits for a steward, counted."""

    pending_classifications: int
    failing_rules: int
    erroring_rules: int
    open_critical_findings: int
    unowned_objects: int

    @property
    def total(self) -> int:
        return (
            self.pending_classifications
            + self.failing_rules
            + self.erroring_rules
            + self.open_critical_findings
            + self.unowned_objects
        )


@dataclass(frozen=True, slots=True)
class DiscoveryEvent:
    event_id: int
    event_type: str  # created, updated, schema_changed, deleted, restored
    at: datetime
    asset_id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    source: str
    deleted: bool  # the asset is deleted now


@dataclass(frozen=True, slots=True)
class ScanLine:
    id: int
    source: str
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: float
    error: str | None


@dataclass(frozen=True, slots=True)
class HomeOverview:
    assets_by_type: dict[str, int]  # every live asset, by type
    objects_by_source: dict[str, int]  # live tables, views and datasets per source
    coverage: tuple[Coverage, ...]
    todo: Todo
    recent_events: tuple[DiscoveryEvent, ...]
    running_scans: tuple[ScanLine, ...]
    failed_scans: tuple[ScanLine, ...]  # failed in the last FAILED_WITHIN
    last_finished_scan: ScanLine | None
    changes: tuple[ChangeImpact, ...]  # breaking schema changes in CHANGES_WITHIN, newest first
    more_changes: bool  # there were more than CHANGES

    @property
    def root_changes(self) -> tuple[ChangeImpact, ...]:
        """The changes not caused by another one listed (a view's copy of a dropped column
        is dropped because the column was): what to lead with."""
        listed = {c.event_id for c in self.changes}
        return tuple(c for c in self.changes if c.caused_by not in listed)

    @property
    def objects(self) -> int:
        return sum(self.objects_by_source.values())


def _scan(run: ScanRun) -> ScanLine:
    return ScanLine(
        id=run.id,
        source=run.source,
        status=run.status,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        progress=run.progress,
        error=run.error,
    )


def home(ctx: Context, actor: Principal) -> HomeOverview:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        by_type = analytics_repo.counts_by_type(conn)
        by_source = {r["source"]: int(r["count"]) for r in analytics_repo.objects_by_source(conn)}
        added = features.coverage()
        counts = analytics_repo.coverage_counts(conn, {q.key: q.asset_ids for q in added})
        todo: dict[str, int] = {}
        for feature in features.load():
            if feature.todo is not None:
                todo.update(feature.todo(conn))
        pending = repo.pending_classifications(conn)
        events = repo.recent_events(conn, RECENT_EVENTS)
    total = counts["total"]
    keys = ["owned", "described", "classified", "with_lineage"]
    for query in added:  # each after the figure it names (else last)
        keys.insert(keys.index(query.after) + 1 if query.after in keys else len(keys), query.key)
    runs, _ = scans.list_scans(ctx, actor, SCANS_LOOKED_AT, 0)
    now = datetime.now(UTC)
    changes, more = change_impact.impact_page(ctx, actor, now - CHANGES_WITHIN, limit=CHANGES)
    since = now - FAILED_WITHIN
    running = [_scan(r) for r in runs if r.status in ACTIVE]
    failed = [
        _scan(r)
        for r in runs
        if r.status == ScanStatus.FAILED.value and as_utc(r.finished_at or r.created_at) >= since
    ]
    return HomeOverview(
        assets_by_type=by_type,
        objects_by_source=by_source,
        coverage=tuple(Coverage(k, counts[k], total) for k in keys),
        todo=Todo(
            pending_classifications=pending,
            failing_rules=todo.get("failing_rules", 0),
            erroring_rules=todo.get("erroring_rules", 0),
            open_critical_findings=todo.get("open_critical_findings", 0),
            unowned_objects=total - counts["owned"],
        ),
        recent_events=tuple(
            DiscoveryEvent(
                event_id=int(e["event_id"]),
                event_type=str(e["event_type"]),
                at=as_utc(e["at"]),
                asset_id=int(e["id"]),
                urn=str(e["urn"]),
                name=str(e["name"]),
                qualified_name=str(e["qualified_name"]),
                type=str(e["type"]),
                source=str(e["source"]),
                deleted=e["deleted_at"] is not None,
            )
            for e in events
        ),
        running_scans=tuple(running),
        failed_scans=tuple(failed),
        last_finished_scan=next(
            (_scan(r) for r in runs if r.status not in ACTIVE and r.finished_at), None
        ),
        changes=tuple(changes),
        more_changes=more,
    )
