"""The classification review queue: labels across the catalog, filtered, with their evidence
and a few sample values of the column, and decisions on one or many at once.

A decision names the status the steward saw (``seen``): a label that another steward (or a
rescan) changed meanwhile is left as it is and reported, never decided blind. Sample values
come from the column's newest profile and are masked, as profiles are, for a caller without
``pii:read`` (every column in the queue carries a label, so every one is sensitive).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.profiling import mask_column_profile
from sounding.errors import InvalidInputError
from sounding.services import catalog, profiling
from sounding.services.classification import CONFIRMED, REJECTED, SUGGESTED
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store.repos import audit, utcnow
from sounding.store.repos import scanning as repo

STATUSES = (SUGGESTED, CONFIRMED, REJECTED)
MAX_SAMPLES = 5
MAX_BATCH = 500  # labels decided in one request


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One label on one column, as the queue shows it."""

    id: int
    column_id: int
    table_id: int | None
    urn: str
    qualified_name: str
    column: str
    source: str
    data_type: str | None
    label: str
    confidence: float
    status: str
    rule: str | None
    evidence: Mapping[str, Any]
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    samples: tuple[str, ...] = ()
    masked: bool = False

    @property
    def pending(self) -> bool:
        return self.status == SUGGESTED

    @property
    def table(self) -> str:
        """The qualified name of the column's table (its name without the column)."""
        head, _, _ = self.qualified_name.rpartition(".")
        return head or self.qualified_name


@dataclass(frozen=True, slots=True)
class ReviewFacets:
    labels: dict[str, int]
    sources: dict[str, int]


@dataclass(frozen=True, slots=True)
class Decisions:
    """What one request decided, and what it left because it had changed meanwhile."""

    status: str
    decided: list[ReviewItem] = field(default_factory=list)
    stale: list[ReviewItem] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)


def _samples(profile: Mapping[str, Any] | None, reveal: bool) -> tuple[tuple[str, ...], bool]:
    if not profile:
        return (), False
    shown = profile if reveal else mask_column_profile(profile)
    tops = shown.get("top_values") or []
    values = [t.get("value") if isinstance(t, Mapping) else t for t in tops]
    if not values:
        values = [shown.get(k) for k in ("min", "max") if shown.get(k) is not None]
    texts = tuple(str(v)[:80] for v in values[:MAX_SAMPLES] if v is not None)
    return texts, bool(texts) and not reveal


def _revealing(ctx: Context, actor: Principal, column_ids: Sequence[int]) -> set[int]:
    """The columns among ``column_ids`` whose samples ``actor`` may see unmasked: all with
    ``pii:read`` held globally, those in a scope a policy reveals, else none."""
    if actor.can(Permission.PII_READ):
        return set(column_ids)
    if not actor.can_somewhere(Permission.PII_READ):
        return set()
    found = set()
    for cid in column_ids:
        column = catalog.get_asset(ctx, actor, cid, children=False)
        if profiling.may_reveal(ctx, actor, column):
            found.add(cid)
    return found


def _items(ctx: Context, actor: Principal, rows: Sequence[dict[str, Any]]) -> list[ReviewItem]:
    ids = sorted({int(r["asset_id"]) for r in rows})
    reveal = _revealing(ctx, actor, ids)
    with ctx.db.read() as conn:
        profiles = repo.newest_profiles(conn, ids)
    out = []
    reads: list[profiling.UnmaskedRead] = []
    for r in rows:
        shown = int(r["asset_id"]) in reveal
        samples, masked = _samples(profiles.get(int(r["asset_id"])), shown)
        if shown and samples:
            fields = ("top_values",) if profiles[int(r["asset_id"])].get("top_values") else ()
            reads.append(
                profiling.UnmaskedRead(
                    str(r["urn"]), (str(r["column"]),), fields or ("min", "max"), "review"
                )
            )
        out.append(
            ReviewItem(
                id=int(r["id"]),
                column_id=int(r["asset_id"]),
                table_id=r.get("table_id"),
                urn=str(r["urn"]),
                qualified_name=str(r["qualified_name"]),
                column=str(r["column"]),
                source=str(r["source"]),
                data_type=r.get("data_type"),
                label=str(r["label"]),
                confidence=float(r["confidence"]),
                status=str(r["status"]),
                rule=r.get("rule"),
                evidence=r.get("evidence") or {},
                decided_by=r.get("decided_by"),
                decided_at=r.get("decided_at"),
                note=r.get("note"),
                samples=samples,
                masked=masked,
            )
        )
    profiling.audit_unmasked(ctx, actor, reads)
    return out


def _check(status: str | None, lo: float | None, hi: float | None) -> None:
    if status is not None and status not in STATUSES:
        raise InvalidInputError(
            f"Unknown status {status!r}; choose one of: {', '.join(STATUSES)}", field="status"
        )
    for name, value in (("min_confidence", lo), ("max_confidence", hi)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise InvalidInputError(f"{name} is between 0 and 1", field=name)
    if lo is not None and hi is not None and lo > hi:
        raise InvalidInputError(
            "The lowest confidence is above the highest", field="min_confidence"
        )


def queue(
    ctx: Context,
    actor: Principal,
    *,
    label: str | None = None,
    status: str | None = SUGGESTED,
    source: str | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ReviewItem], int]:
    """Labels across the catalog (pending ones by default), by table then label."""
    actor.require(Permission.CATALOG_READ)
    _check(status, min_confidence, max_confidence)
    source_id = int(get_row(ctx, source)["id"]) if source else None
    with ctx.db.read() as conn:
        rows, total = repo.review_page(
            conn,
            label=label,
            status=status,
            source_id=source_id,
            min_confidence=min_confidence,
            max_confidence=max_confidence,
            limit=limit,
            offset=offset,
        )
    return _items(ctx, actor, rows), total


def facets(ctx: Context, actor: Principal, status: str | None, source: str | None) -> ReviewFacets:
    """Counts per label (within ``source``) and per source, of labels of ``status``."""
    actor.require(Permission.CATALOG_READ)
    _check(status, None, None)
    with ctx.db.read() as conn:
        by_label, by_source = repo.review_counts(conn, status, source)
    return ReviewFacets(labels=by_label, sources=by_source)


def items(ctx: Context, actor: Principal, ids: Sequence[int]) -> list[ReviewItem]:
    """The labels ``ids`` as the queue shows them (in that order; unknown ids left out)."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        rows = repo.review_rows(conn, list(dict.fromkeys(ids)))
    return _items(ctx, actor, rows)


def decide(
    ctx: Context,
    actor: Principal,
    seen: Mapping[int, str],
    status: str,
    note: str | None = None,
) -> Decisions:
    """Confirm or reject the labels ``seen`` (id → the status the steward saw). A label whose
    status is no longer the one seen is left as it is and reported in ``stale``; every
    decision is in the audit log, as the API's are."""
    actor.require(Permission.CATALOG_WRITE)
    if status not in (CONFIRMED, REJECTED):
        raise InvalidInputError("A decision is confirmed or rejected", field="status")
    if not seen:
        raise InvalidInputError("Select at least one label to decide", field="id")
    if len(seen) > MAX_BATCH:
        raise InvalidInputError(f"At most {MAX_BATCH} labels at once", field="id")
    ids = list(seen)
    now = utcnow()
    decided: list[int] = []
    stale: list[int] = []
    with ctx.db.write() as conn:
        rows = {int(r["id"]): r for r in repo.review_rows(conn, ids)}
        for cid in ids:
            row = rows.get(cid)
            if row is None:
                continue
            if row["status"] != seen[cid]:
                stale.append(cid)
                continue
            repo.update_classification(
                conn,
                cid,
                {
                    "status": status,
                    "decided_by": actor.name,
                    "decided_at": now,
                    "note": note,
                    "updated_at": now,
                },
            )
            audit.record(
                conn,
                actor.name,
                f"classification.{status[:-2]}",
                "asset",
                row["urn"],
                {"label": row["label"], "note": note},
            )
            decided.append(cid)
    shown = {i.id: i for i in items(ctx, actor, decided + stale)}
    return Decisions(
        status=status,
        decided=[shown[i] for i in decided if i in shown],
        stale=[shown[i] for i in stale if i in shown],
        missing=[i for i in ids if i not in rows],
    )
