"""Use cases for classification: the classify stage, steward decisions, scan rule sets.

A rescan never overrides a human decision: confirmed and rejected labels stay as they are;
only ``suggested`` ones are refreshed or withdrawn. A table is re-evaluated when its shape
(fingerprint) or the rules that apply to its source changed since it was last classified.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sounding import __version__
from sounding.connectors.base import Profiler
from sounding.domain.assets import AssetType, ObjectRef
from sounding.domain.auth import Permission, Principal
from sounding.domain.classification import (
    ClassificationResult,
    ColumnClassification,
    ColumnClassifications,
    LabeledColumn,
    RuleSetRecord,
)
from sounding.domain.documents import load_yaml
from sounding.domain.events import EventKind
from sounding.domain.urn import split_qualified
from sounding.errors import InvalidInputError, NotFoundError, SoundingError, SourceError
from sounding.scanning.classification import taxonomy
from sounding.scanning.classification.engine import classify_column
from sounding.scanning.classification.loader import builtin_ruleset, ruleset_from_dict
from sounding.scanning.classification.rules import RuleSet
from sounding.services import catalog, events
from sounding.services.context import Context
from sounding.services.sources import config_for, get_row, skipped, unreachable
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit, utcnow
from sounding.store.repos import scanning as repo

logger = logging.getLogger(__name__)

SUGGESTED, CONFIRMED, REJECTED = "suggested", "confirmed", "rejected"
LABEL_RE = re.compile(r"[A-Za-z]\w*(\.\w+)+")
SAMPLE_LIMIT = 1000
Progress = Callable[[int, int], None]


def effective_ruleset(ctx: Context, source_id: int) -> tuple[RuleSet, str]:
    """The built-in rules plus the source's rule sets, and a hash that changes with them."""
    with ctx.db.read() as conn:
        customs = repo.rule_sets_of(conn, source_id)
    sets = [ruleset_from_dict(r["definition"], source=r["name"]) for r in customs]
    ruleset = builtin_ruleset().combine(*sets)
    ident = [f"builtin:{__version__}", *(f"{r['name']}:{r['version']}" for r in customs)]
    return ruleset, hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:32]


def _label_event(column_id: int, label: str, status: str, confidence: float) -> events.NewEvent:
    """The catalog event of a label new on a column (suggested by a scan or set by hand)."""
    return events.NewEvent(
        EventKind.SENSITIVE_LABEL,
        f"New label {label} ({status})",
        asset_id=column_id,
        payload={"label": label, "status": status, "confidence": round(confidence, 4)},
    )


def _apply_labels(
    conn: Any,
    column_id: int,
    results: Sequence[ClassificationResult],
    existing: list[Any],
    scan_id: int | None,
    now: Any,
    new_events: list[events.NewEvent],
) -> int:
    """Refresh one column's suggestions; returns how many labels it now suggests. The events
    of labels new on it are added to ``new_events``."""
    by_label = {e["label"]: e for e in existing}
    found = {r.label for r in results}
    for r in results:
        old = by_label.get(r.label)
        values = {
            "confidence": round(r.confidence, 4),
            "rule": r.rule,
            "evidence": r.evidence.to_dict(),
            "scan_run_id": scan_id,
            "updated_at": now,
        }
        if old is None:
            repo.insert_classifications(
                conn,
                [
                    {
                        **values,
                        "asset_id": column_id,
                        "label": r.label,
                        "status": SUGGESTED,
                        "created_at": now,
                    }
                ],
            )
            new_events.append(_label_event(column_id, r.label, SUGGESTED, r.confidence))
        elif old["status"] == SUGGESTED:
            repo.update_classification(conn, old["id"], values)
    stale = [e["id"] for e in existing if e["status"] == SUGGESTED and e["label"] not in found]
    repo.delete_classifications(conn, stale)
    return len(found)


def classify_source(
    ctx: Context,
    source: str,
    scan_id: int | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """The classify stage: sample each table's columns in the source and label them."""
    src = get_row(ctx, source)
    ruleset, rhash = effective_ruleset(ctx, src["id"])
    with ctx.db.read() as conn:
        objects = asset_repo.objects_of(conn, src["id"])
        states = repo.states(conn, src["id"])
    out: dict[str, Any] = {
        "objects": len(objects),
        "classified": 0,
        "skipped_unchanged": 0,
        "labels": 0,
        "failures": [],
    }
    with ctx.registry.open(config_for(ctx, src)) as connector:
        if not isinstance(connector, Profiler):
            raise InvalidInputError(f"Source '{source}' cannot be sampled for classification")
        gone: SourceError | None = None
        for done, obj in enumerate(objects, 1):
            if not force and states.get(obj["id"]) == (rhash, obj["fingerprint"]):
                out["skipped_unchanged"] += 1
            elif gone is not None:
                if len(out["failures"]) < 100:
                    out["failures"].append({"target": obj["urn"], "error": skipped(source, gone)})
            elif obj["columns"]:
                try:
                    out["labels"] += classify_object(
                        ctx, connector, obj, ruleset, rhash, scan_id, out["failures"]
                    )
                    out["classified"] += 1
                except SourceError as exc:  # the source itself is gone
                    if len(out["failures"]) < 100:
                        out["failures"].append({"target": obj["urn"], "error": exc.message})
                    gone = exc
            if progress:
                progress(done, len(objects))
    return out


def classify_object(
    ctx: Context,
    connector: Profiler,
    obj: dict[str, Any],
    ruleset: RuleSet,
    rhash: str,
    scan_id: int | None,
    failures: list[Any],
) -> int:
    ref = ObjectRef(AssetType(obj["type"]), split_qualified(obj["qualified_name"]))
    cols = obj["columns"]
    try:
        values = connector.sample(ref, [c["name"] for c in cols], SAMPLE_LIMIT)
    except SoundingError as exc:
        if unreachable(exc):
            raise  # not this object's fault: the caller stops asking the source
        if len(failures) < 100:
            failures.append({"target": obj["urn"], "error": exc.message})
        return 0
    results = {
        c["id"]: classify_column(c["name"], c["data_type"], values.get(c["name"], []), ruleset)
        for c in cols
    }
    now, labels = utcnow(), 0
    new_events: list[events.NewEvent] = []
    with ctx.db.write() as conn:
        existing = repo.labels_for(conn, [c["id"] for c in cols])
        for col_id, found in results.items():
            labels += _apply_labels(
                conn, col_id, found, existing.get(col_id, []), scan_id, now, new_events
            )
        events.publish_many(conn, new_events)
        repo.set_state(conn, obj["id"], rhash, obj["fingerprint"], now)
    return labels


def _fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The stored classification row's fields that every classification record has."""
    return {
        "label": row["label"],
        "confidence": row["confidence"],
        "status": row["status"],
        "rule": row.get("rule"),
        "evidence": row.get("evidence"),
        "decided_by": row.get("decided_by"),
        "decided_at": row.get("decided_at"),
        "note": row.get("note"),
        "updated_at": row["updated_at"],
    }


def asset_classifications(ctx: Context, actor: Principal, ref: str) -> ColumnClassifications:
    """Labels of a column, or of every column of a table (each item names its column)."""
    asset = catalog.get_asset(ctx, actor, ref)
    cols = [asset] if asset.type == AssetType.COLUMN.value else list(asset.columns)
    with ctx.db.read() as conn:
        found = repo.labels_for(conn, [c.id for c in cols])
    items = tuple(
        ColumnClassification(**_fields(r), column=c.name, urn=c.urn)
        for c in cols
        for r in found.get(c.id, [])
    )
    return ColumnClassifications(items, len(items))


def decide(
    ctx: Context, actor: Principal, ref: str, label: str, status: str, note: str | None = None
) -> ColumnClassifications:
    """A steward confirms or rejects a label on a column (a new label can be confirmed too)."""
    actor.require_somewhere(Permission.CATALOG_WRITE)
    if status not in (CONFIRMED, REJECTED):
        raise InvalidInputError("status must be confirmed or rejected")
    asset = catalog.get_asset(ctx, actor, ref, children=False)
    catalog.require_on(ctx, actor, Permission.CATALOG_WRITE, asset)
    if asset.type != AssetType.COLUMN.value:
        raise InvalidInputError(f"Labels belong to columns; {asset.urn} is a {asset.type}")
    if taxonomy.get_label(label) is None and not LABEL_RE.fullmatch(label):
        raise InvalidInputError(
            f"Invalid label {label!r}: use a taxonomy label (GET /api/v1/classifications/labels) "
            "or a dotted name of your own such as Custom.EmployeeBadge"
        )
    now = utcnow()
    with ctx.db.write() as conn:
        existing = {r["label"]: r for r in repo.labels_for(conn, [asset.id]).get(asset.id, [])}
        values = {
            "status": status,
            "decided_by": actor.name,
            "decided_at": now,
            "note": note,
            "updated_at": now,
        }
        if label in existing:
            repo.update_classification(conn, existing[label]["id"], values)
        else:
            repo.insert_classifications(
                conn,
                [
                    {
                        **values,
                        "asset_id": asset.id,
                        "label": label,
                        "confidence": 1.0,
                        "rule": "manual",
                        "evidence": {"source": "steward"},
                        "created_at": now,
                    }
                ],
            )
            if status == CONFIRMED:
                events.publish_many(conn, [_label_event(asset.id, label, status, 1.0)])
        audit.record(
            conn,
            actor.name,
            f"classification.{status[:-2]}",
            "asset",
            asset.urn,
            {"label": label, "note": note},
        )
    return asset_classifications(ctx, actor, str(asset.id))


def list_classifications(
    ctx: Context,
    actor: Principal,
    label: str | None,
    status: str | None,
    source: str | None,
    limit: int,
    offset: int,
) -> tuple[list[LabeledColumn], int]:
    actor.require(Permission.CATALOG_READ)
    source_id = get_row(ctx, source)["id"] if source else None
    with ctx.db.read() as conn:
        rows, total = repo.by_label(conn, label, status, source_id, limit, offset)
    return [
        LabeledColumn(
            **_fields(r),
            urn=r["urn"],
            qualified_name=r["qualified_name"],
            column=r["column"],
            source=r["source"],
        )
        for r in rows
    ], total


def labels() -> list[dict[str, str]]:
    return [
        {"name": lb.name, "description": lb.description, "detection": lb.detection}
        for lb in taxonomy.TAXONOMY.values()
    ]


# --- rule sets -------------------------------------------------------------------------------


def _rule_set_record(ctx: Context, row: Mapping[str, Any]) -> RuleSetRecord:
    with ctx.db.read() as conn:
        used = repo.sources_using(conn, row["id"])
    return RuleSetRecord(
        name=row["name"],
        description=row["description"],
        version=row["version"],
        definition=row["definition"],
        sources=tuple(used),
        created_by=row["created_by"],
        updated_at=row["updated_at"],
    )


def put_rule_set(
    ctx: Context, actor: Principal, definition: Any, sources: Sequence[str] = ()
) -> RuleSetRecord:
    """Create or replace a rule set (validated first) and attach it to ``sources``."""
    actor.require(Permission.SOURCE_MANAGE)
    ruleset = ruleset_from_dict(definition, source="rule set")
    if not ruleset.name or ruleset.name == "<dict>":
        raise InvalidInputError("A rule set needs a 'name'", field="name")
    targets = [get_row(ctx, s) for s in sources]
    with ctx.db.write() as conn:
        rid, created = repo.upsert_rule_set(
            conn, ruleset.name, ruleset.description or None, definition, actor.name, utcnow()
        )
        for src in targets:
            repo.attach(conn, src["id"], rid)
        audit.record(
            conn,
            actor.name,
            "ruleset.create" if created else "ruleset.update",
            "rule_set",
            ruleset.name,
            {"sources": list(sources)},
        )
        row = repo.rule_set(conn, ruleset.name)
    assert row is not None
    return _rule_set_record(ctx, row)


def apply_rule_file(
    ctx: Context, actor: Principal, text: str, sources: Sequence[str] = ()
) -> RuleSetRecord:
    data = load_yaml(text, "Rule file")
    return put_rule_set(ctx, actor, data, sources)


def list_rule_sets(ctx: Context, actor: Principal) -> list[RuleSetRecord]:
    actor.require(Permission.SOURCE_READ)
    with ctx.db.read() as conn:
        rows = repo.rule_sets(conn)
    return [_rule_set_record(ctx, r) for r in rows]


def get_rule_set(ctx: Context, actor: Principal, name: str) -> RuleSetRecord:
    actor.require(Permission.SOURCE_READ)
    with ctx.db.read() as conn:
        row = repo.rule_set(conn, name)
    if row is None:
        raise NotFoundError(f"Rule set '{name}' not found", rule_set=name)
    return _rule_set_record(ctx, row)


def delete_rule_set(ctx: Context, actor: Principal, name: str) -> None:
    actor.require(Permission.SOURCE_MANAGE)
    row = get_rule_set(ctx, actor, name)
    with ctx.db.write() as conn:
        stored = repo.rule_set(conn, name)
        assert stored is not None
        repo.delete_rule_set(conn, stored["id"])
        audit.record(
            conn, actor.name, "ruleset.delete", "rule_set", name, {"sources": list(row.sources)}
        )
