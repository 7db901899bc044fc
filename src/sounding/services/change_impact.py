"""Change impact: the schema changes scans found, and what each reaches downstream.

A scan's discovery records events (``created``, ``schema_changed``, ``deleted``, ...). The
breaking ones are changes (``domain.changes.ChangeKind``): a column dropped, renamed, retyped
or otherwise changed (nullability, primary key), a table, view or dataset dropped. A column's
change follows column-level lineage from that column; an object's, table-level lineage.

The walk happens when the scan runs, right after discovery (:func:`record_scan`): the scan's
lineage stage then re-derives the views' edges, and a view redefined without a dropped
column no longer reads it, so the edges that say who read it exist only before that stage.
Assets the same scan deleted (the view's own copy of the column) are walked through. The
walk is kept in ``change_impacts``; owners and quality rules are read when asked, so an owner
set after the scan shows. An event recorded before this existed is walked over today's lineage
(``recorded`` is false).

A rename is recognised within one scan and one table: a dropped column and an added one at
the same position with the same type. Ordinal-only changes (the columns after a dropped
one move up) are not changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.changes import (
    AffectedAsset,
    ChangedAsset,
    ChangeImpact,
    ChangeKind,
    ImpactRule,
)
from sounding.domain.events import EventKind
from sounding.domain.timestamps import as_utc
from sounding.errors import InvalidInputError
from sounding.services import events, features
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store.repos import changes as repo
from sounding.store.repos import utcnow

logger = logging.getLogger(__name__)

MAX_DEPTH = 10
"""Hops walked downstream from a changed asset."""

MAX_AFFECTED = 500
"""Downstream assets kept per change (``truncated`` says when there were more)."""

MAX_CHANGES = 1000
"""The most changes one call answers."""

_SCHEMA_KEYS = ("data_type", "nullable", "is_primary_key")  # not "ordinal": a shift is no change


@dataclass(frozen=True, slots=True)
class _Change:
    """A breaking event read as a change, before its impact is attached."""

    event: dict[str, Any]
    kind: ChangeKind
    level: str
    old_type: str | None = None
    new_type: str | None = None
    new_name: str | None = None


def _diff(event: Mapping[str, Any]) -> dict[str, Any]:
    try:
        diff = json.loads(event["diff_text"] or "{}")
    except ValueError:
        return {}
    return diff if isinstance(diff, dict) else {}


def _classify(event: Mapping[str, Any]) -> tuple[ChangeKind, str] | None:
    """The change an event is, with the lineage level to walk; None if it breaks nothing."""
    is_column = event["type"] == "column"
    if event["event_type"] == "deleted" and is_column:
        return ChangeKind.COLUMN_DROPPED, "column"
    if event["event_type"] == "deleted":
        return ChangeKind.TABLE_DROPPED, "table"
    if not is_column:
        return None  # an object's schema_changed: its columns' own events say what changed
    text = event["diff_text"] or ""
    if not any(f'"{k}"' in text for k in _SCHEMA_KEYS):
        return None  # most often an ordinal shift: told without decoding the JSON
    diff = _diff(event)
    if "data_type" in diff:
        return ChangeKind.COLUMN_RETYPED, "column"
    if any(k in diff for k in _SCHEMA_KEYS):
        return ChangeKind.COLUMN_CHANGED, "column"
    return None


def _changes(conn: Any, events: Iterable[Mapping[str, Any]], limit: int) -> list[_Change]:
    """The first ``limit`` events that are changes, renames recognised."""
    picked: list[tuple[dict[str, Any], ChangeKind, str]] = []
    for event in events:
        found = _classify(event)
        if found is not None:
            picked.append((dict(event), *found))
            if len(picked) >= limit:
                break
    dropped = [
        (int(e["scan_run_id"]), int(e["parent_id"]))
        for e, kind, _ in picked
        if kind == ChangeKind.COLUMN_DROPPED and e["scan_run_id"] and e["parent_id"]
    ]
    table_diffs = repo.table_changes(conn, dropped)
    added: dict[int, list[dict[str, Any]]] = {}
    wanted = {t for (s, t), d in table_diffs.items() if d.get("added_columns")}
    for col in repo.live_columns(conn, sorted(wanted)):
        added.setdefault(int(col["parent_id"]), []).append(col)
    out: list[_Change] = []
    for event, kind, level in picked:
        if kind == ChangeKind.COLUMN_RETYPED:
            diff = _diff(event)
            types = diff["data_type"] if isinstance(diff["data_type"], Mapping) else {}
            out.append(_Change(event, kind, level, types.get("old"), types.get("new")))
            continue
        if kind == ChangeKind.COLUMN_DROPPED:
            key = (event["scan_run_id"], event["parent_id"])
            table_diff = table_diffs.get(key) if all(key) else None
            new_name = _renamed_to(event, table_diff, added.get(event["parent_id"], []))
            if new_name is not None:
                out.append(_Change(event, ChangeKind.COLUMN_RENAMED, level, new_name=new_name))
                continue
        out.append(_Change(event, kind, level))
    return out


def _renamed_to(
    dropped: Mapping[str, Any], table_diff: Mapping[str, Any] | None, columns: Sequence[Any]
) -> str | None:
    """The added column of the same scan that takes the dropped one's place and type."""
    if not table_diff:
        return None
    names = set(table_diff.get("added_columns") or [])
    same = [
        c
        for c in columns
        if c["name"] in names
        and c["ordinal"] == dropped["ordinal"]
        and c["data_type"] == dropped["data_type"]
    ]
    return str(same[0]["name"]) if len(same) == 1 else None


Walked = dict[int, tuple[list[tuple[int, int]], bool]]  # start -> ([(node, hops)], truncated)


def _walk(conn: Any, starts: Sequence[int], level: str, gone_since: datetime | None) -> Walked:
    """Breadth-first downstream from each start at once: one query per level for all of them
    (a scan that dropped thousands of columns walks them in a handful of queries). Each start
    reaches at most ``MAX_AFFECTED`` assets within ``MAX_DEPTH`` hops; cycle-safe."""
    reached: dict[int, dict[int, int]] = {s: {s: 0} for s in starts}
    truncated = dict.fromkeys(starts, False)
    frontier: dict[int, list[int]] = {s: [s] for s in reached}
    for hops in range(1, MAX_DEPTH + 1):
        nodes = sorted({n for nodes in frontier.values() for n in nodes})
        if not nodes:
            break
        below: dict[int, list[int]] = {}
        for edge in repo.downstream_edges(conn, nodes, level, gone_since):
            below.setdefault(int(edge["source_id"]), []).append(int(edge["target_id"]))
        nxt: dict[int, list[int]] = {}
        for start, near in frontier.items():
            seen, grown = reached[start], []
            for node in near:
                for target in below.get(node, ()):
                    if target in seen:
                        continue
                    if len(seen) > MAX_AFFECTED:
                        truncated[start] = True
                        break
                    seen[target] = hops
                    grown.append(target)
            if grown:
                nxt[start] = grown
        frontier = nxt
    return {
        start: (
            sorted(((n, d) for n, d in seen.items() if d > 0), key=lambda p: (p[1], p[0])),
            truncated[start],
        )
        for start, seen in reached.items()
    }


def record_scan(ctx: Context, scan_id: int) -> int:
    """Walk and keep the downstream of each change a scan's discovery recorded, before its
    lineage stage runs; returns how many changes were walked."""
    with ctx.db.read() as conn:
        breaking = list(repo.breaking_events(conn, [scan_id], _SCHEMA_KEYS))
        changes = _changes(conn, breaking, len(breaking) or 1)
        if not changes:
            return 0
        started = repo.scan_started(conn, scan_id)
        walked: Walked = {}
        for level in ("column", "table"):
            starts = repo.with_edges(conn, _starts(changes, level), level)
            walked |= _walk(conn, sorted(starts), level, started)
        now = utcnow()
        rows = []
        for change in changes:
            found, truncated = walked.get(int(change.event["asset_id"]), ([], False))
            rows.append(
                {
                    "event_id": int(change.event["event_id"]),
                    "level": change.level,
                    "downstream": [[node, d] for node, d in found],
                    "truncated": truncated,
                    "computed_at": now,
                }
            )
    with ctx.db.write() as conn:
        repo.save(conn, rows)
        events.publish_many(
            conn,
            [_event(c, walked.get(int(c.event["asset_id"]), ([], False))) for c in changes],
            {int(c.event["asset_id"]): c.event for c in changes},
        )
    return len(rows)


ALERT_DOWNSTREAM = 20  # downstream asset ids an event's payload lists, nearest first


def _event(change: _Change, walked: tuple[list[tuple[int, int]], bool]) -> events.NewEvent:
    """The catalog event of one breaking change, with how far it reaches downstream."""
    found, truncated = walked
    event = change.event
    detail = {
        ChangeKind.COLUMN_RETYPED: f" ({change.old_type} → {change.new_type})",
        ChangeKind.COLUMN_RENAMED: f" (now {change.new_name})",
    }.get(change.kind, "")
    return events.NewEvent(
        EventKind.SCHEMA_CHANGE,
        f"{change.kind.value.replace('_', ' ')}: {event['qualified_name']}{detail}"
        f", {len(found)}{'+' if truncated else ''} downstream",
        asset_id=int(event["asset_id"]),
        payload={
            "change": change.kind.value,
            "scan_id": int(event["scan_run_id"]) if event["scan_run_id"] else None,
            "old_type": change.old_type,
            "new_type": change.new_type,
            "new_name": change.new_name,
            "downstream_total": len(found),
            "downstream_truncated": truncated,
            "downstream": [node for node, _ in found[:ALERT_DOWNSTREAM]],
        },
    )


def _starts(changes: Sequence[_Change], level: str) -> list[int]:
    return [int(c.event["asset_id"]) for c in changes if c.level == level]


def _rule(row: Mapping[str, Any], table_urn: str) -> ImpactRule:
    return ImpactRule(
        int(row["id"]), str(row["name"]), str(row["kind"]), table_urn, row["column_name"]
    )


@dataclass(frozen=True, slots=True)
class _Catalog:
    """The assets, their tables and the tables' active rules an answer names."""

    rows: dict[int, dict[str, Any]]
    rules: dict[int, list[dict[str, Any]]]  # table id -> its active rules

    def object_of(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        if row["type"] == "column" and row["parent_id"] in self.rows:
            return self.rows[row["parent_id"]]
        return row

    def owner(self, row: Mapping[str, Any]) -> str | None:
        owner = row["owner"] or self.object_of(row)["owner"]
        return str(owner) if owner else None

    def rules_on(self, row: Mapping[str, Any]) -> tuple[ImpactRule, ...]:
        """A column's rules (those naming it), or all of a table's."""
        obj = self.object_of(row)
        rules = self.rules.get(int(obj["id"]), [])
        if row["type"] == "column":
            name = str(row["name"]).lower()
            rules = [r for r in rules if (r["column_name"] or "").lower() == name]
        return tuple(_rule(r, str(obj["urn"])) for r in rules)


def _active_rules(conn: Any, table_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The features' rules on these tables (the quality feature's ``impact_rules`` hook)."""
    found: list[dict[str, Any]] = []
    for feature in features.load():
        if feature.impact_rules is not None:
            found += feature.impact_rules(conn, table_ids)
    return found


def _load(conn: Any, ids: Iterable[int]) -> _Catalog:
    rows = repo.assets_by_id(conn, sorted(set(ids)))
    parents = {int(r["parent_id"]) for r in rows.values() if r["type"] == "column"}
    rows |= repo.assets_by_id(conn, sorted(parents - set(rows)))
    objects = [i for i, r in rows.items() if r["type"] != "column"]
    rules: dict[int, list[dict[str, Any]]] = {}
    for rule in _active_rules(conn, objects):
        rules.setdefault(int(rule["asset_id"]), []).append(rule)
    return _Catalog(rows, rules)


def _build(conn: Any, changes: Sequence[_Change], max_affected: int) -> list[ChangeImpact]:
    kept = repo.recorded(conn, [int(c.event["event_id"]) for c in changes])
    live: Walked = {}  # recorded before change impacts were: today's lineage is all there is
    for level in ("column", "table"):
        unrecorded = [c for c in changes if int(c.event["event_id"]) not in kept]
        live |= _walk(conn, _starts(unrecorded, level), level, None)
    walks: dict[int, tuple[list[tuple[int, int]], bool, bool]] = {}
    for change in changes:
        event_id = int(change.event["event_id"])
        record = kept.get(event_id)
        if record is not None:
            found = [(int(n), int(d)) for n, d in record["downstream"]]
            walks[event_id] = (found, bool(record["truncated"]), True)
        else:
            found, truncated = live[int(change.event["asset_id"])]
            walks[event_id] = (found, truncated, False)
    causes = _causes(changes, walks)
    ids = [int(c.event["asset_id"]) for c in changes]
    ids += [n for found, _, _ in walks.values() for n, _ in found[:max_affected]]
    catalog = _load(conn, ids)
    out = []
    for change in changes:
        event = change.event
        found, truncated, recorded = walks[int(event["event_id"])]
        changed = catalog.rows[int(event["asset_id"])]
        affected = []
        for node, distance in found[:max_affected]:
            row = catalog.rows.get(node)
            if row is None:  # removed from the catalog since
                continue
            affected.append(
                AffectedAsset(
                    urn=row["urn"],
                    name=row["name"],
                    qualified_name=row["qualified_name"],
                    type=row["type"],
                    distance=distance,
                    owner=catalog.owner(row),
                    object_urn=str(catalog.object_of(row)["urn"]),
                    gone=row["deleted_at"] is not None,
                    rules=catalog.rules_on(row),
                )
            )
        out.append(
            ChangeImpact(
                event_id=int(event["event_id"]),
                scan_id=event["scan_run_id"],
                source=str(event["source"]),
                at=as_utc(event["created_at"]),
                kind=change.kind,
                asset=ChangedAsset(
                    urn=str(event["urn"]),
                    name=str(event["name"]),
                    qualified_name=str(event["qualified_name"]),
                    type=str(event["type"]),
                    owner=catalog.owner(changed),
                    explorable=catalog.object_of(changed)["deleted_at"] is None,
                ),
                level=change.level,
                old_type=change.old_type,
                new_type=change.new_type,
                new_name=change.new_name,
                rules=catalog.rules_on(changed),
                affected=tuple(sorted(affected, key=lambda a: (a.distance, a.qualified_name))),
                affected_total=len(found),
                truncated=truncated,
                recorded=recorded,
                caused_by=causes.get(int(event["event_id"])),
            )
        )
    return out


def _causes(
    changes: Sequence[_Change], walks: Mapping[int, tuple[list[tuple[int, int]], bool, bool]]
) -> dict[int, int]:
    """event id -> the event of the nearest change of the same scan whose impact holds it."""
    changed = {
        (c.event["scan_run_id"], int(c.event["asset_id"])): int(c.event["event_id"])
        for c in changes
        if c.event["scan_run_id"] is not None
    }
    nearest: dict[int, tuple[int, int]] = {}  # event id -> (hops, cause)
    for change in changes:
        scan, cause = change.event["scan_run_id"], int(change.event["event_id"])
        if scan is None:
            continue
        for node, hops in walks[cause][0]:
            event = changed.get((scan, node))
            if (
                event is not None
                and event != cause
                and (hops, cause) < nearest.get(event, (MAX_DEPTH + 1, 0))
            ):
                nearest[event] = (hops, cause)
    return {event: cause for event, (_, cause) in nearest.items()}


def impact_since(
    ctx: Context,
    principal: Principal,
    since: datetime,
    source: str | None = None,
    limit: int = 100,
) -> list[ChangeImpact]:
    """The changes scans found at or after ``since`` (of one source, or all), newest first,
    at most ``limit`` (1..1000), each with its downstream impact. ``NotFoundError`` for an
    unknown source, ``InvalidInputError`` for a limit out of range."""
    return impact_page(ctx, principal, since, source, limit)[0]


def impact_page(
    ctx: Context,
    principal: Principal,
    since: datetime,
    source: str | None = None,
    limit: int = 100,
) -> tuple[list[ChangeImpact], bool]:
    """:func:`impact_since`, and whether more changes than ``limit`` happened since."""
    principal.require(Permission.CATALOG_READ)
    if not 1 <= limit <= MAX_CHANGES:
        raise InvalidInputError(f"limit must be between 1 and {MAX_CHANGES}", field="limit")
    try:
        since = as_utc(since)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the first UTC instant
        raise InvalidInputError(
            "since is out of range once in UTC; give a time between years 1 and 9999",
            field="since",
        ) from None
    source_id = int(get_row(ctx, source)["id"]) if source is not None else None
    with ctx.db.read() as conn:
        scan_ids = repo.scans_since(conn, since, source_id)
        changes = _changes(
            conn, repo.breaking_events(conn, scan_ids, _SCHEMA_KEYS, since), limit + 1
        )
        return _build(conn, changes[:limit], MAX_AFFECTED), len(changes) > limit


def impact_of_scan(
    ctx: Context, scan_id: int, limit: int = 100, max_affected: int = MAX_AFFECTED
) -> list[ChangeImpact]:
    """The changes one scan found, with their impact (the ``source_changed`` trigger's
    payload: no caller to check, the scheduler acts for the system)."""
    with ctx.db.read() as conn:
        changes = _changes(conn, repo.breaking_events(conn, [scan_id], _SCHEMA_KEYS), limit)
        return _build(conn, changes, max_affected)
