"""What the web UI's asset page shows, read in a few queries whatever the asset's width.

The page of a 1,000-column table must answer in well under a second: :func:`asset_view`
reads the asset with its columns, their labels and the newest profile once each (no query
per column), and applies the profiles' masking rule (a column with a label that is not
rejected is sensitive; its value figures are masked unless the caller holds ``pii:read``)
exactly as ``GET /api/v1/assets/{ref}/profile`` does. The core's other tabs (lineage,
history) are in the functions below, each one tab's worth; the features' tabs are in their
packages (``features/quality/asset_tab.py``, ``features/compliance/findings.py``
``asset_findings``, ``features/usage/service.py`` ``asset_usage``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sounding.domain.assets import AssetType
from sounding.domain.auth import Permission, Principal
from sounding.domain.profiling import mask_column_profile
from sounding.errors import InvalidInputError, NotFoundError
from sounding.services import catalog, classification, lineage, profiling, versions
from sounding.services.context import Context
from sounding.services.gcpause import paused_gc
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import scanning as scan_repo

OBJECT_TYPES = (AssetType.TABLE.value, AssetType.VIEW.value, AssetType.DATASET.value)
REVIEWABLE = ("suggested",)  # a label a steward has not decided yet
MAX_SAMPLES = 5


@dataclass(frozen=True, slots=True)
class Crumb:
    """One level of the hierarchy above (and including) the asset."""

    id: int
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class ColumnLabel:
    """A classification label of one column, with why it was proposed."""

    label: str
    status: str
    confidence: float | None
    rule: str | None
    evidence: dict[str, Any]
    decided_by: str | None
    decided_at: datetime | None
    note: str | None

    @property
    def pending(self) -> bool:
        return self.status in REVIEWABLE


@dataclass(frozen=True, slots=True)
class ColumnView:
    """A column as the schema and profile tabs show it; ``profile`` is already masked for a
    caller who may not read sensitive values (``masked`` says so)."""

    id: int
    name: str
    urn: str
    ordinal: int | None
    data_type: str | None
    nullable: bool | None
    is_primary_key: bool
    foreign_key: str | None
    description: str | None
    labels: tuple[ColumnLabel, ...]
    profile: Mapping[str, Any] | None
    sensitive: bool
    masked: bool

    @property
    def null_percent(self) -> float | None:
        ratio = (self.profile or {}).get("null_ratio")
        return round(float(ratio) * 100, 1) if isinstance(ratio, int | float) else None

    @property
    def distinct(self) -> int | None:
        value = (self.profile or {}).get("distinct_count")
        return int(value) if isinstance(value, int | float) else None

    @property
    def samples(self) -> list[Any]:
        """A few values of the column from its profile (its top values, else its extremes):
        masked (``***``) unless the caller may read them."""
        prof = self.profile or {}
        tops = prof.get("top_values") or []
        values = [t.get("value") if isinstance(t, Mapping) else t for t in tops][:MAX_SAMPLES]
        if not values:
            values = [prof[k] for k in ("min", "max") if prof.get(k) is not None]
        return values

    @property
    def pending_labels(self) -> int:
        return sum(1 for lab in self.labels if lab.pending)

    def histogram_bars(
        self, width: float = 240, height: float = 56
    ) -> list[tuple[str, str, str, str, str]]:
        """SVG bars of the column's histogram: (x, y, width, height, tooltip), each already
        formatted (bin bounds are masked with the rest of a sensitive profile)."""
        bins = [b for b in (self.profile or {}).get("histogram") or [] if isinstance(b, Mapping)]
        counts: list[float] = []
        for b in bins:
            count = b.get("count")
            counts.append(float(count) if isinstance(count, int | float) else 0.0)
        top = max(counts, default=0)
        if not bins or not top:
            return []
        step = width / len(bins)
        out = []
        for i, (b, count) in enumerate(zip(bins, counts, strict=True)):
            h = count / top * height
            out.append(
                (
                    f"{i * step + 1:.1f}",
                    f"{height + 2 - h:.1f}",
                    f"{max(step - 2, 1):.1f}",
                    f"{h:.1f}",
                    f"{b.get('low')} to {b.get('high')}: {count:g}",
                )
            )
        return out


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    """When the newest profile was taken and on how many rows."""

    created_at: datetime
    row_count: int | None
    sampled_rows: int | None
    method: str | None


@dataclass(frozen=True, slots=True)
class AssetView:
    """The asset page's header and its columns."""

    asset: Mapping[str, Any]
    etag: str
    crumbs: tuple[Crumb, ...]
    columns: tuple[ColumnView, ...]
    profile: ProfileInfo | None
    pii_visible: bool
    pending_labels: int = field(default=0)
    editable: bool = False  # catalog:write on this asset (globally or by a policy on its scope)

    @property
    def is_object(self) -> bool:
        return str(self.asset["type"]) in OBJECT_TYPES


def _crumbs(ctx: Context, row: Mapping[str, Any]) -> tuple[Crumb, ...]:
    chain = [Crumb(int(row["id"]), str(row["name"]), str(row["type"]))]
    parent = row.get("parent_id")
    with ctx.db.read() as conn:
        for _ in range(8):  # source > database > schema > table > column at most
            if parent is None:
                break
            found = asset_repo.get(conn, asset_id=int(parent))
            if found is None:
                break
            chain.append(Crumb(int(found["id"]), str(found["name"]), str(found["type"])))
            parent = found["parent_id"]
    return tuple(reversed(chain))


def _foreign_keys(asset: Mapping[str, Any]) -> dict[str, str]:
    """Column name -> "other_table.column" it references, from the table's foreign keys."""
    out: dict[str, str] = {}
    for fk in asset.get("foreign_keys") or []:
        if not isinstance(fk, Mapping):
            continue
        cols = fk.get("columns") or []
        refs = fk.get("referred_columns") or []
        urn = str(fk.get("referred_urn") or "")
        table = urn.rsplit(":", 1)[-1].rsplit(".", 1)[-1] if urn else ""
        for i, col in enumerate(cols):
            target = refs[i] if i < len(refs) else ""
            out[str(col)] = f"{table}.{target}" if target else str(table)
    return out


def _label(row: Mapping[str, Any]) -> ColumnLabel:
    return ColumnLabel(
        label=str(row["label"]),
        status=str(row["status"]),
        confidence=row.get("confidence"),
        rule=row.get("rule"),
        evidence=dict(row.get("evidence") or {}),
        decided_by=row.get("decided_by"),
        decided_at=row.get("decided_at"),
        note=row.get("note"),
    )


class _ProfileCache:
    """Parsed profiles by id. A profile row is written once and never changed, so its id
    names its content: the page of a 1,000-column table parses its (~0.7 MB) profile once,
    not on every view. Small and bounded; per process."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self.items: OrderedDict[tuple[str, int, int, Any], dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, ctx: Context, asset_id: int) -> dict[str, Any] | None:
        with ctx.db.read() as conn:
            newest = scan_repo.latest_profile_key(conn, asset_id)
            if newest is None:
                return None
            key = (str(ctx.db.engine.url), asset_id, *newest)
            with self.lock:
                if key in self.items:
                    self.items.move_to_end(key)
                    return self.items[key]
            row = scan_repo.get_profile(conn, newest[0])
        if row is None:
            return None
        with self.lock:
            self.items[key] = row
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return row


PROFILES = _ProfileCache()


def asset_view(ctx: Context, actor: Principal, ref: str | int) -> AssetView:
    """The asset, its breadcrumb, and (for a table, view or dataset) every column with its
    labels and its newest profile, masked as the API masks it."""
    with paused_gc():  # thousands of short-lived rows and records for a wide table
        return _asset_view(ctx, actor, ref)


def _summary(row: Mapping[str, Any]) -> dict[str, Any]:
    props = row.get("source_properties") or {}
    return {
        **{k: v for k, v in row.items() if k != "source_properties"},
        "description": row.get("description") or props.get("comment"),
        "is_primary_key": bool(row.get("is_primary_key")),
    }


def _asset_view(ctx: Context, actor: Principal, ref: str | int) -> AssetView:
    record = catalog.get_asset(ctx, actor, ref, children=False)
    asset = record.public()
    with ctx.db.read() as conn:
        kids = [_summary(k) for k in asset_repo.child_summaries(conn, int(asset["id"]))]
    asset["children"] = kids
    if asset["type"] in OBJECT_TYPES:
        asset["columns"] = kids
    crumbs = _crumbs(ctx, asset)
    reveal = profiling.may_reveal(ctx, actor, record)  # globally or by a policy on its scope
    cols: list[Mapping[str, Any]] = list(asset.get("columns") or [])
    if asset["type"] == AssetType.COLUMN.value:
        cols = [asset]
    ids = [int(c["id"]) for c in cols]
    profile_row: dict[str, Any] | None = None
    with ctx.db.read() as conn:
        labels = scan_repo.labels_for(conn, ids) if ids else {}
    owner_id = asset["parent_id"] if asset["type"] == AssetType.COLUMN.value else asset["id"]
    if ids and owner_id is not None:
        profile_row = PROFILES.get(ctx, int(owner_id))
    by_name: dict[str, Mapping[str, Any]] = {}
    info = None
    if profile_row is not None:
        prof = profile_row["profile"] or {}
        by_name = {str(c.get("name")): c for c in prof.get("columns") or []}
        info = ProfileInfo(
            created_at=profile_row["created_at"],
            row_count=prof.get("row_count", profile_row.get("row_count")),
            sampled_rows=prof.get("sampled_rows"),
            method=prof.get("sample_method"),
        )
    fks = _foreign_keys(asset)
    views = []
    unmasked: list[Mapping[str, Any]] = []
    for c in cols:
        mine = tuple(_label(r) for r in labels.get(int(c["id"]), []))
        sensitive = any(lab.status != "rejected" for lab in mine)
        prof_col = by_name.get(str(c["name"]))
        masked = bool(prof_col) and sensitive and not reveal
        shown = mask_column_profile(prof_col) if masked and prof_col else prof_col
        if prof_col and sensitive and reveal:
            unmasked.append(prof_col)
        views.append(
            ColumnView(
                id=int(c["id"]),
                name=str(c["name"]),
                urn=str(c["urn"]),
                ordinal=c.get("ordinal"),
                data_type=c.get("data_type"),
                nullable=c.get("nullable"),
                is_primary_key=bool(c.get("is_primary_key")),
                foreign_key=fks.get(str(c["name"])),
                description=c.get("description"),
                labels=mine,
                profile=shown,
                sensitive=sensitive,
                masked=masked,
            )
        )
    if unmasked:
        names = tuple(str(c.get("name")) for c in unmasked)
        fields = profiling.value_fields([dict(c) for c in unmasked])
        read = profiling.UnmaskedRead(str(asset["urn"]), names, fields, "asset page")
        profiling.audit_unmasked(ctx, actor, [read])
    return AssetView(
        asset=asset,
        etag=versions.etag_of(asset),
        crumbs=crumbs,
        columns=tuple(views),
        profile=info,
        pii_visible=reveal,
        pending_labels=sum(v.pending_labels for v in views),
        editable=catalog.can(ctx, actor, Permission.CATALOG_WRITE, record),
    )


def column_of(view: AssetView, column_id: int) -> ColumnView:
    """One column of the page's asset (a column id of another table is refused)."""
    for col in view.columns:
        if col.id == column_id:
            return col
    raise NotFoundError(
        f"Column {column_id} is not a column of {view.asset['urn']}", asset=str(column_id)
    )


def decide_label(
    ctx: Context,
    actor: Principal,
    table_ref: str | int,
    column_id: int,
    label: str,
    status: str,
    note: str | None = None,
) -> ColumnView:
    """Confirm or reject a label of one of the asset's columns; the column as it is now
    (``catalog:write`` on the column: ``classification.decide`` checks its scopes)."""
    actor.require_somewhere(Permission.CATALOG_WRITE)
    column_of(asset_view(ctx, actor, table_ref), column_id)
    classification.decide(ctx, actor, str(column_id), label, status, note)
    return column_of(asset_view(ctx, actor, table_ref), column_id)


# --- the other tabs --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineageTab:
    upstream: tuple[Mapping[str, Any], ...]
    downstream: tuple[Mapping[str, Any], ...]
    downstream_total: int
    truncated: bool


def lineage_tab(ctx: Context, actor: Principal, view: AssetView) -> LineageTab:
    """The assets one hop up and down, and how many are downstream in all."""
    ref = str(view.asset["id"])
    graph = asdict(lineage.lineage_graph(ctx, actor, ref, direction="both", depth=1, level="table"))
    ups = sorted(
        (n for n in graph["nodes"] if (n.get("distance") or 0) < 0),
        key=lambda n: str(n["qualified_name"]),
    )
    downs = sorted(
        (n for n in graph["nodes"] if (n.get("distance") or 0) > 0),
        key=lambda n: str(n["qualified_name"]),
    )
    total = lineage.impact(ctx, actor, ref).total
    return LineageTab(tuple(ups), tuple(downs), int(total), bool(graph["truncated"]))


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    id: int
    event_type: str
    created_at: datetime
    scan_run_id: int | None
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, str, Any, Any], ...]  # (column or "", field, old, new)
    columns: tuple[str, ...]


def _diff_changes(diff: Mapping[str, Any]) -> list[tuple[str, str, Any, Any]]:
    out: list[tuple[str, str, Any, Any]] = []
    for col, fields in (diff.get("changed_columns") or {}).items():
        for name, change in (fields or {}).items():
            if isinstance(change, Mapping):
                out.append((str(col), str(name), change.get("old"), change.get("new")))
    for name, change in diff.items():
        if isinstance(change, Mapping) and set(change) <= {"old", "new"} and change:
            out.append(("", str(name), change.get("old"), change.get("new")))
    return out


def history_tab(view: AssetView) -> tuple[HistoryEvent, ...]:
    """Discovery events of the asset, newest first, with the schema diff each carried."""
    events = []
    for e in view.asset.get("events") or []:
        diff = e.get("diff") or {}
        events.append(
            HistoryEvent(
                id=int(e["id"]),
                event_type=str(e["event_type"]),
                created_at=e["created_at"],
                scan_run_id=e.get("scan_run_id"),
                added=tuple(str(x) for x in diff.get("added_columns") or []),
                removed=tuple(str(x) for x in diff.get("removed_columns") or []),
                changed=tuple(_diff_changes(diff)),
                columns=tuple(str(x) for x in diff.get("columns") or []),
            )
        )
    return tuple(events)


# --- editing the header ------------------------------------------------------------------------

TEXT_FIELDS = ("description", "owner", "steward", "domain")
CHOICE_FIELDS = {"criticality": catalog.CRITICALITY, "lifecycle": catalog.LIFECYCLE}
EDITABLE = (*TEXT_FIELDS, *CHOICE_FIELDS)
MAX_TEXT = {"description": 20_000, "owner": 200, "steward": 200, "domain": 200}


def set_field(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    name: str,
    value: str,
    revision: int | None,
) -> Mapping[str, Any]:
    """Set one curated field from a form (blank clears it). With ``revision`` (the one the
    form was rendered with) the write happens only if nobody changed the asset since:
    :class:`~sounding.errors.PreconditionFailedError` otherwise."""
    if name not in EDITABLE:
        raise InvalidInputError(
            f"Cannot edit {name!r} here; editable: {', '.join(EDITABLE)}", field="field"
        )
    text = value.strip()
    if len(text) > MAX_TEXT.get(name, 200):
        raise InvalidInputError(
            f"{name} is longer than {MAX_TEXT.get(name, 200)} characters", field=name
        )
    asset = catalog.get_asset(ctx, actor, ref, children=False)
    if_match = versions.etag(asset.id, revision) if revision is not None else None
    return catalog.update_asset(ctx, actor, ref, {name: text or None}, if_match=if_match).public()


def set_property(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    name: str,
    value: str,
    revision: int | None,
) -> Mapping[str, Any]:
    """Set one custom property from a form (blank removes it), checked against its typed
    definition by the catalog; with ``revision`` only if nobody changed the asset since."""
    key = name.strip()
    if not key or len(key) > 200:
        raise InvalidInputError("A property name has 1-200 characters", field="name")
    asset = catalog.get_asset(ctx, actor, ref, children=False)
    values = dict(asset.custom_properties)
    if value.strip():
        values[key] = value.strip()
    else:
        values.pop(key, None)
    if_match = versions.etag(asset.id, revision) if revision is not None else None
    changes = {"custom_properties": values}
    return catalog.update_asset(ctx, actor, ref, changes, if_match=if_match).public()


def edit_list(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    kind: str,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> Mapping[str, Any]:
    """Add or remove tags or glossary terms (``kind`` ``tags`` or ``terms``): changes to the
    list as stored, so two stewards adding at once both keep theirs."""
    if kind not in ("tags", "terms"):
        raise InvalidInputError("kind must be tags or terms", field="kind")
    changes: dict[str, Any] = {}
    if add:
        changes[f"add_{kind}"] = list(add)
    if remove:
        changes[f"remove_{kind}"] = list(remove)
    if not changes:
        raise InvalidInputError(f"Give a {kind[:-1]} to add or remove", field=kind)
    return catalog.update_asset(ctx, actor, ref, changes).public()
