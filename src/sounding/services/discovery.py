"""Discovery, the first scan stage: list, describe in batches, diff against the catalog,
write, report. The later stages are in ``scan_stages``.

Each batch of objects is written in one transaction (assets, events and scan progress
together), so a crash leaves the catalog consistent and a re-scan completes the work.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sounding.connectors.base import Connector, SourceConfig
from sounding.domain.assets import AssetType, DiscoveredObject, ObjectFailure, ObjectRef
from sounding.domain.events import EventKind
from sounding.domain.scans import EventType, ScanReport, ScanStatus
from sounding.domain.urn import make_urn
from sounding.errors import ConnectionFailedError, SoundingError
from sounding.scanning import discovery as diff
from sounding.services import change_impact, events
from sounding.services.context import Context
from sounding.services.gcpause import paused_gc
from sounding.services.sources import config_for, get_row
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import scans as scan_repo
from sounding.store.repos import sources as source_repo
from sounding.store.repos import utcnow

logger = logging.getLogger(__name__)

BATCH = 200
ALL_FIELDS = (*diff.SCHEMA_FIELDS, *diff.METADATA_FIELDS, *diff.STAT_FIELDS)
Progress = Callable[[str, int, int], None]  # (stage, done, total)
_LEVELS = (  # insertion order: parents before children; columns last
    (AssetType.SOURCE,),
    (AssetType.DATABASE,),
    (AssetType.SCHEMA,),
    (AssetType.TABLE, AssetType.VIEW, AssetType.DATASET),
    (AssetType.COLUMN,),
)
_LEVEL_OF = {kind: n for n, kinds in enumerate(_LEVELS) for kind in kinds}
_TYPE_VALUE = {kind: kind.value for kind in AssetType}  # StrEnum.value is a slow property


@dataclass
class _State:
    """What the scan knows of the catalog while it runs."""

    source: str
    source_id: int
    scan_id: int
    by_urn: dict[str, diff.ExistingAsset]
    children: dict[int, list[diff.ExistingAsset]]
    seen: set[str] = field(default_factory=set)
    failed_ids: list[int] = field(default_factory=list)


def _load_state(ctx: Context, source: str, source_id: int, scan_id: int) -> _State:
    with ctx.db.read() as conn:
        rows = asset_repo.load_index(conn, source_id)
    by_urn: dict[str, diff.ExistingAsset] = {}
    children: dict[int, list[diff.ExistingAsset]] = defaultdict(list)
    for r in rows:
        asset = diff.ExistingAsset(r.id, r.urn, r.type, r.parent_id, r.deleted, r.fields)
        by_urn[r.urn] = asset
        if r.parent_id is not None and r.type == AssetType.COLUMN.value:
            children[r.parent_id].append(asset)
    return _State(source, source_id, scan_id, by_urn, children)


def _row_base(state: _State, now: Any) -> dict[str, Any]:
    """What every inserted row of one write has in common; ``_row`` overlays the rest."""
    return {
        **dict.fromkeys(ALL_FIELDS),
        "source_id": state.source_id,
        "tags": [],
        "custom_properties": {},
        "first_seen": now,
        "last_seen": now,
        "updated_at": now,
    }


def _row(base: dict[str, Any], d: diff.DesiredAsset, parent_id: int | None) -> dict[str, Any]:
    return {
        **base,
        **d.fields,
        "parent_id": parent_id,
        "urn": d.urn,
        "type": _TYPE_VALUE[d.type],
        "name": d.name,
        "qualified_name": d.qualified_name,
    }


def _apply(ctx: Context, state: _State, plans: Sequence[diff.Plan], report: ScanReport) -> None:
    """Write plans (and progress) in one transaction."""
    now = utcnow()
    base = _row_base(state, now)
    new_ids: dict[str, int] = {}

    def id_of(urn: str) -> int:
        found = new_ids.get(urn)
        return found if found is not None else state.by_urn[urn].id

    inserts = [d for p in plans for d in p.inserts]
    by_level: list[list[diff.DesiredAsset]] = [[] for _ in _LEVELS]
    for d in inserts:
        by_level[_LEVEL_OF[d.type]].append(d)
    with ctx.db.write() as conn:
        for level in by_level:  # parents before children
            rows = [_row(base, d, id_of(d.parent_urn) if d.parent_urn else None) for d in level]
            new_ids.update(asset_repo.insert_many(conn, rows))
        updates = [
            (i, {**v, "last_seen": now, "updated_at": now}) for p in plans for i, v in p.updates
        ]
        asset_repo.update_many(conn, updates)
        asset_repo.set_deleted(conn, [i for p in plans for i in p.restores], None)
        asset_repo.set_deleted(conn, [i for p in plans for i in p.deletes], now)
        events = [
            {
                "asset_id": id_of(urn),
                "scan_run_id": state.scan_id,
                "event_type": kind.value,
                "diff": payload,
                "created_at": now,
            }
            for p in plans
            for urn, kind, payload in p.events
        ]
        asset_repo.insert_events(conn, events)
        scan_repo.update(conn, state.scan_id, {"objects_done": report.objects_done})
    for p in plans:
        report.created += len(p.inserts)
        report.deleted += len(p.deletes)
        report.restored += len(p.restores)
        for _urn, kind, _payload in p.events:
            if kind in (EventType.UPDATED, EventType.SCHEMA_CHANGED):
                report.count(kind)
    for level in by_level[:-1]:  # a column is only ever planned with its object, once
        for d in level:
            state.by_urn[d.urn] = diff.ExistingAsset(
                new_ids[d.urn], d.urn, d.type.value, None, False, {}
            )


def _plan_containers(
    state: _State, refs: Sequence[ObjectRef], types: Sequence[AssetType]
) -> diff.Plan:
    plan = diff.Plan()
    root = diff.DesiredAsset(
        diff.source_urn(state.source), AssetType.SOURCE, state.source, state.source, None, {}
    )
    wanted: dict[str, diff.DesiredAsset] = {root.urn: root}
    for ref in refs:
        for c in diff.container_assets(state.source, ref, types):
            wanted.setdefault(c.urn, c)
    for d in wanted.values():
        state.seen.add(d.urn)
        diff.plan_asset(d, state.by_urn.get(d.urn), plan)
    return plan


def _hydrate(ctx: Context, state: _State, object_ids: list[int]) -> None:
    """Replace the light index entries of these objects and their columns by full ones."""
    if not object_ids:
        return
    with ctx.db.read() as conn:
        rows = asset_repo.load_full(conn, object_ids)
    for r in rows:
        state.by_urn[r.urn] = diff.ExistingAsset(
            r.id, r.urn, r.type, r.parent_id, r.deleted, r.fields
        )
    wanted = set(object_ids)
    for parent in wanted:
        state.children[parent] = []
    for r in rows:
        if r.parent_id in wanted and r.type == AssetType.COLUMN.value:
            state.children[r.parent_id].append(state.by_urn[r.urn])


def _plan_batch(
    ctx: Context,
    state: _State,
    results: Sequence[DiscoveredObject | ObjectFailure],
    types: Sequence[AssetType],
    report: ScanReport,
) -> list[diff.Plan]:
    changed: list[tuple[DiscoveredObject, str, str]] = []
    for res in results:
        urn = make_urn(state.source, res.ref.path)
        state.seen.add(urn)
        existing = state.by_urn.get(urn)
        if isinstance(res, ObjectFailure):
            report.fail(urn, res.error, res.error_type)
            if existing is not None:
                _hydrate(ctx, state, [existing.id])
                state.failed_ids += [existing.id, *(c.id for c in state.children[existing.id])]
            continue
        fingerprint = res.fingerprint()
        if (
            existing is not None
            and not existing.deleted
            and existing.fields.get("fingerprint") == fingerprint
        ):
            report.objects_skipped_unchanged += 1
            continue
        changed.append((res, urn, fingerprint))
    _hydrate(ctx, state, [state.by_urn[u].id for _, u, _ in changed if u in state.by_urn])
    plans = []
    for res, urn, fingerprint in changed:
        desired = diff.desired_assets(state.source, res, types, fingerprint)
        existing = state.by_urn.get(urn)
        cols = state.children[existing.id] if existing is not None else []
        plans.append(diff.plan_object(desired, state.by_urn, cols))
    return plans


def _plan_vanished(ctx: Context, state: _State) -> diff.Plan:
    plan = diff.Plan()
    gone = [
        a.id
        for urn, a in state.by_urn.items()
        if not a.deleted and urn not in state.seen and a.type != AssetType.COLUMN.value
    ]
    _hydrate(ctx, state, gone)
    for urn, asset in list(state.by_urn.items()):
        if asset.deleted or urn in state.seen or asset.type == AssetType.COLUMN.value:
            continue
        plan.deletes.append(asset.id)
        cols = [c for c in state.children.get(asset.id, []) if not c.deleted]
        plan.deletes += [c.id for c in cols]
        payload = {"columns": [c.fields.get("name") for c in cols]} if cols else {}
        plan.events.append((urn, EventType.DELETED, payload))
    return plan


def scan_connector(
    ctx: Context,
    connector: Connector,
    state: _State,
    report: ScanReport,
    progress: Progress | None,
    config: SourceConfig | None = None,
) -> None:
    refs = connector.list_objects()
    for pattern, message in config.patterns.warnings if config is not None else ():
        report.warn(f"{pattern} pattern", message)
    report.objects_total = len(refs)
    with ctx.db.write() as conn:
        scan_repo.update(conn, state.scan_id, {"objects_total": len(refs)})
    if progress:
        progress("discover", 0, len(refs))
    types = connector.container_types
    _apply(ctx, state, [_plan_containers(state, refs, types)], report)
    batches = [refs[start : start + BATCH] for start in range(0, len(refs), BATCH)]

    def describe(batch: Sequence[ObjectRef]) -> list[DiscoveredObject | ObjectFailure]:
        return list(connector.describe(batch))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sounding-describe") as reader:
        ahead: Future[list[DiscoveredObject | ObjectFailure]] | None = None
        for n, batch in enumerate(batches):
            with paused_gc():
                results = ahead.result() if ahead is not None else describe(batch)
                ahead = None
                plans = _plan_batch(ctx, state, results, types, report)
                report.objects_done += len(batch)
                if n + 1 < len(batches) and any(p.inserts or p.updates for p in plans):
                    # a real write: read the next batch from the source (waiting on it,
                    # mostly) meanwhile. Not when there is little to write, as on a re-scan:
                    # two threads of Python then only take turns, and slower than one.
                    ahead = reader.submit(describe, batches[n + 1])
                _apply(ctx, state, plans, report)
            if progress:
                progress("discover", report.objects_done, report.objects_total)
    _apply(ctx, state, [_plan_vanished(ctx, state)], report)
    with ctx.db.write() as conn:
        asset_repo.touch_seen(conn, state.source_id, utcnow(), state.failed_ids)


def execute_scan(
    ctx: Context,
    scan_id: int,
    source_name: str,
    progress: Progress | None = None,
    then: Callable[[ScanReport], None] | None = None,
) -> dict[str, Any]:
    """Run a created scan run's discovery to the end, then ``then`` (the later stages, when
    they run in this thread: ``scan_stages.run_inline``) before the run is finished; failures
    are recorded on the run, then re-raised."""
    row = get_row(ctx, source_name)
    report = ScanReport(max_kept=ctx.settings.scan_max_failures_kept)
    with ctx.db.write() as conn:
        scan_repo.update(
            conn, scan_id, {"status": ScanStatus.RUNNING.value, "started_at": utcnow()}
        )
    try:
        state = _load_state(ctx, source_name, row["id"], scan_id)
        config = config_for(ctx, row)
        with ctx.registry.open(config) as connector:
            scan_connector(ctx, connector, state, report, progress, config)
        _record_impact(ctx, scan_id, report)
        if then is not None:
            then(report)
    except SoundingError as exc:
        unreachable = source_name if isinstance(exc, ConnectionFailedError) else None
        _finish(ctx, scan_id, row["id"], report, ScanStatus.FAILED, exc.message, unreachable)
        raise
    except Exception as exc:
        logger.exception("Scan %s of source '%s' crashed", scan_id, source_name)
        _finish(ctx, scan_id, row["id"], report, ScanStatus.FAILED, f"Internal error: {exc!r}")
        raise
    status = ScanStatus.COMPLETED_WITH_FAILURES if report.failures_total else ScanStatus.COMPLETED
    return _finish(ctx, scan_id, row["id"], report, status, None)


def _record_impact(ctx: Context, scan_id: int, report: ScanReport) -> None:
    """Walk the downstream of this scan's changes now, over the lineage the views had before
    the lineage stage re-derives it. A failure here is a warning: the scan itself stands."""
    if not (report.schema_changed or report.deleted):
        return
    try:
        change_impact.record_scan(ctx, scan_id)
    except Exception as exc:
        logger.exception("Recording the change impact of scan %s failed", scan_id)
        report.warn("change impact", f"not recorded: {exc}")


def _finish(
    ctx: Context,
    scan_id: int,
    source_id: int,
    report: ScanReport,
    status: ScanStatus,
    error: str | None,
    unreachable: str | None = None,
) -> dict[str, Any]:
    now = utcnow()
    with ctx.db.write() as conn:
        if unreachable is not None:  # the source's subscribers are told, with the scan's end
            events.publish(
                conn,
                EventKind.SOURCE_UNREACHABLE,
                f"Source {unreachable} unreachable: {error}",
                source=unreachable,
                payload={"scan_id": scan_id, "error": error},
            )
        scan_repo.update(
            conn,
            scan_id,
            {
                "status": status.value,
                "finished_at": now,
                "objects_total": report.objects_total,
                "objects_done": report.objects_done,
                "report": report.to_dict(),
                "error": error,
            },
        )
        if status != ScanStatus.FAILED:
            source_repo.update(conn, source_id, {"last_scan_at": now})
        run = scan_repo.get(conn, scan_id)
    assert run is not None
    for hook in list(ctx.scan_hooks):  # e.g. source_changed workflow triggers
        try:
            hook(run)
        except Exception:  # a trigger must never fail the scan that fired it
            logger.exception("A scan hook failed")
    return run
