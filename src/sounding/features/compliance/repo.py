"""Compliance findings and their history, evaluation runs, uploaded frameworks, and the catalog
facts they read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.compliance.tables import (
    compliance_evaluations,
    compliance_finding_events,
    compliance_findings,
    compliance_frameworks,
)
from sounding.store.repos import update_by_id
from sounding.store.tables import assets, sources
from sounding.store.tables_scanning import classifications

_CHUNK = 500
FACT_COLUMNS = (
    "id",
    "parent_id",
    "urn",
    "type",
    "name",
    "qualified_name",
    "description",
    "owner",
    "steward",
    "domain",
    "criticality",
    "tags",
    "custom_properties",
    "source_properties",
)

# --- catalog facts --------------------------------------------------------------------------


def catalog_rows(conn: Connection, source_id: int | None) -> list[dict[str, Any]]:
    """Live tables, views, datasets and columns with their curated fields and ``labels``
    (label -> status, rejected labels left out)."""
    query = sa.select(*(assets.c[c] for c in FACT_COLUMNS), sources.c.name.label("source")).join(
        sources, sources.c.id == assets.c.source_id
    )
    query = query.where(
        assets.c.deleted_at.is_(None), assets.c.type.in_(("table", "view", "dataset", "column"))
    )
    if source_id is not None:
        query = query.where(assets.c.source_id == source_id)
    rows = [{**dict(r), "labels": {}} for r in conn.execute(query).mappings()]
    by_id = {r["id"]: r for r in rows}
    label_q = sa.select(
        classifications.c.asset_id, classifications.c.label, classifications.c.status
    ).where(classifications.c.status != "rejected")
    if source_id is not None:
        label_q = label_q.join(assets, assets.c.id == classifications.c.asset_id).where(
            assets.c.source_id == source_id
        )
    for asset_id, label, status in conn.execute(label_q):
        if asset_id in by_id:
            by_id[asset_id]["labels"][label] = status
    return rows


def asset_ids_of(conn: Connection, source_id: int) -> set[int]:
    query = sa.select(assets.c.id).where(assets.c.source_id == source_id)
    return {int(r[0]) for r in conn.execute(query)}


# --- findings -------------------------------------------------------------------------------

FindingKey = tuple[int, str, str]


def findings_for(
    conn: Connection, frameworks: Sequence[str], source_id: int | None
) -> dict[FindingKey, dict[str, Any]]:
    """Every finding of ``frameworks`` (on ``source_id``'s assets), keyed for the diff."""
    query = sa.select(compliance_findings, assets.c.urn).join(
        assets, assets.c.id == compliance_findings.c.asset_id
    )
    query = query.where(compliance_findings.c.framework.in_(list(frameworks)))
    if source_id is not None:
        query = query.where(assets.c.source_id == source_id)
    return {
        (r["asset_id"], r["framework"], r["requirement_id"]): dict(r)
        for r in conn.execute(query).mappings()
    }


_INSERT_FINDING = sa.insert(compliance_findings)  # built once (see store/repos/audit.py)


def insert_finding(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(_INSERT_FINDING, values).inserted_primary_key
    assert key is not None
    return int(key[0])


def update_finding(conn: Connection, finding_id: int, values: dict[str, Any]) -> None:
    update_by_id(conn, compliance_findings, finding_id, values)


def insert_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append status changes to findings' history (never updated nor deleted)."""
    if rows:
        conn.execute(sa.insert(compliance_finding_events), list(rows))


def finding_events(conn: Connection, finding_id: int) -> list[dict[str, Any]]:
    """One finding's history, oldest first."""
    query = (
        sa.select(compliance_finding_events)
        .where(compliance_finding_events.c.finding_id == finding_id)
        .order_by(compliance_finding_events.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def touch_findings(conn: Connection, ids: Sequence[int], now: datetime) -> None:
    """Findings seen failing again unchanged: only ``last_seen`` moves."""
    for i in range(0, len(ids), _CHUNK):
        conn.execute(
            sa.update(compliance_findings)
            .where(compliance_findings.c.id.in_(ids[i : i + _CHUNK]))
            # seen again is no change: the revision (ETag) stays
            .values(last_seen=now, row_version=compliance_findings.c.row_version)
        )


def _select_findings() -> sa.Select[Any]:
    return (
        sa.select(
            compliance_findings,
            assets.c.urn,
            assets.c.qualified_name,
            assets.c.type.label("asset_type"),
            sources.c.name.label("source"),
        )
        .join(assets, assets.c.id == compliance_findings.c.asset_id)
        .join(sources, sources.c.id == assets.c.source_id)
    )


def get_finding(conn: Connection, finding_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(_select_findings().where(compliance_findings.c.id == finding_id))
        .mappings()
        .first()
    )
    return dict(row) if row else None


@dataclass(frozen=True)
class FindingFilter:
    framework: str | None = None
    severity: str | None = None
    status: str | None = None
    source_id: int | None = None
    asset_id: int | None = None
    requirement_id: str | None = None
    acknowledged: bool | None = None  # None: either
    include_columns: bool = False  # asset_id: its columns' findings too


def list_findings(
    conn: Connection, f: FindingFilter, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    query = _select_findings()
    for column, value in (
        (compliance_findings.c.framework, f.framework),
        (compliance_findings.c.severity, f.severity),
        (compliance_findings.c.status, f.status),
        (assets.c.source_id, f.source_id),
        (compliance_findings.c.asset_id, None if f.include_columns else f.asset_id),
        (compliance_findings.c.requirement_id, f.requirement_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if f.acknowledged is not None:
        seen = compliance_findings.c.acknowledged_at
        query = query.where(seen.isnot(None) if f.acknowledged else seen.is_(None))
    if f.include_columns and f.asset_id is not None:
        query = query.where(
            sa.or_(compliance_findings.c.asset_id == f.asset_id, assets.c.parent_id == f.asset_id)
        )
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    severity_rank = sa.case(
        {"critical": 0, "high": 1, "medium": 2, "low": 3}, value=compliance_findings.c.severity
    )
    rows = conn.execute(
        query.order_by(
            compliance_findings.c.framework,
            severity_rank,
            compliance_findings.c.requirement_id,
            assets.c.qualified_name,
            compliance_findings.c.id,
        )
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


def open_counts(conn: Connection) -> list[dict[str, Any]]:
    """Open findings by framework and severity (for /metrics and analytics)."""
    query = (
        sa.select(
            compliance_findings.c.framework,
            compliance_findings.c.severity,
            sa.func.count().label("count"),
        )
        .join(assets, assets.c.id == compliance_findings.c.asset_id)
        .where(compliance_findings.c.status == "open", assets.c.deleted_at.is_(None))
        .group_by(compliance_findings.c.framework, compliance_findings.c.severity)
        .order_by(compliance_findings.c.framework, compliance_findings.c.severity)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


# --- evaluations ----------------------------------------------------------------------------


def insert_evaluation(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(
        sa.insert(compliance_evaluations).values(**values).returning(compliance_evaluations.c.id)
    )
    return int(result.scalar_one())


def evaluations(conn: Connection, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute(sa.select(sa.func.count()).select_from(compliance_evaluations))
    rows = conn.execute(
        sa.select(compliance_evaluations)
        .order_by(compliance_evaluations.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total.scalar_one())


# --- uploaded frameworks --------------------------------------------------------------------


def stored_frameworks(conn: Connection) -> list[dict[str, Any]]:
    query = sa.select(compliance_frameworks).order_by(compliance_frameworks.c.framework_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def upsert_framework(
    conn: Connection, framework_id: str, definition: Any, actor: str, now: datetime
) -> bool:
    """Store a framework definition; True when it is new."""
    table = compliance_frameworks
    exists = conn.execute(sa.select(table.c.id).where(table.c.framework_id == framework_id)).first()
    if exists is None:
        conn.execute(
            sa.insert(table).values(
                framework_id=framework_id,
                definition=definition,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
        )
        return True
    conn.execute(
        sa.update(table)
        .where(table.c.framework_id == framework_id)
        .values(definition=definition, updated_at=now)
    )
    return False


def delete_framework(conn: Connection, framework_id: str) -> bool:
    result = conn.execute(
        sa.delete(compliance_frameworks).where(compliance_frameworks.c.framework_id == framework_id)
    )
    return bool(result.rowcount)
