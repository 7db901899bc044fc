"""Export and import the curated catalog: what people added, not what scans find.

A file is a list of records, as JSON Lines (one object a line) or CSV (one row a record, the
columns of :func:`csv_columns`; lists, objects and numbers as JSON text). Each record has a
``kind``:

- ``manual_asset``: an asset created by hand (``source``, ``type``, ``name``, ``parent``,
  ``properties``) with its curated fields;
- ``asset``: the curated fields of an asset a scan found (or of a manual source's root):
  ``description``, ``owner``, ``steward``, ``domain``, ``tags``, ``terms`` (glossary paths),
  ``criticality``, ``lifecycle``, ``custom_properties``;
- ``edge``: a lineage edge a person drew (``from``, ``to``, ``level``, ``description``);
- ``classification``: a label a person confirmed or rejected on a column;
- the kinds features register (``Feature.catalog_records``): the curated organisation the
  assets refer to, e.g. ``domain`` and ``tag_group`` before the asset records, and
  ``data_product`` (whose ports name assets) after them.

Export writes only fields with a value, in a stable order (the features' kinds that come
first, manual assets parents first, then assets, edges and decisions, each by URN, then the
features' kinds that name assets), so the same catalog always gives the same file. Import
checks and applies the records in the file's order, in one transaction, each against the
store as the records before it left it; when any record is wrong the transaction is rolled
back: nothing is written, and a 422 lists each line and what to fix. Each record writes only
what differs from the store, so importing the same file twice changes nothing the second
time. A field left out of a record is left as it is; ``tags`` and ``terms`` replace the
asset's whole lists.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.auth import Permission, Principal
from sounding.domain.urn import split_qualified
from sounding.errors import InvalidInputError, SoundingError, ValidationFailedError
from sounding.scanning.classification import taxonomy
from sounding.services import catalog, features, manual_assets
from sounding.services.context import Context
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit, utcnow
from sounding.store.repos import catalog_io as repo
from sounding.store.repos import scanning as label_repo

FORMATS = ("jsonl", "csv")
KINDS = ("manual_asset", "asset", "edge", "classification")  # the core's; see kinds()
CURATED = (
    "description",
    "owner",
    "steward",
    "domain",
    "tags",
    "terms",
    "criticality",
    "lifecycle",
    "custom_properties",
)
FIELDS: dict[str, tuple[str, ...]] = {
    "manual_asset": ("urn", "source", "type", "name", "parent", "properties", *CURATED),
    "asset": ("urn", *CURATED),
    "edge": ("from", "to", "level", "description"),
    "classification": ("urn", "label", "status", "note"),
}
JSON_FIELDS = ("tags", "terms", "custom_properties", "properties")
MAX_ROWS = 100_000
MAX_ERRORS = 200  # errors reported at once
_LABEL = re.compile(r"[A-Za-z]\w*(\.\w+)+")  # a label of one's own, as classification takes


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    created: int  # manual assets, edges, decisions, domains, groups, products new to the store
    updated: int  # records that changed something already there
    unchanged: int


def _providers() -> dict[str, features.CatalogRecords]:
    return {p.kind: p for p in features.catalog_records()}


def kinds() -> tuple[str, ...]:
    """Every kind of record, in the order an export lists them."""
    extra = features.catalog_records()
    return (
        *(p.kind for p in extra if not p.after_assets),
        *KINDS,
        *(p.kind for p in extra if p.after_assets),
    )


def fields_of(kind: str) -> tuple[str, ...]:
    """The fields of a kind of record besides ``kind``."""
    if kind in FIELDS:
        return FIELDS[kind]
    return _providers()[kind].fields


def csv_columns() -> tuple[str, ...]:
    """The CSV header: ``kind``, the core's fields, then those the features' kinds add."""
    names = [*FIELDS.values(), *(p.fields for p in features.catalog_records())]
    return ("kind", *dict.fromkeys(f for fs in names for f in fs))


def json_fields() -> frozenset[str]:
    """The CSV columns written as JSON text (lists, objects and numbers)."""
    return frozenset(JSON_FIELDS).union(*(p.json_fields for p in features.catalog_records()))


# --- export ----------------------------------------------------------------------------


def _curated(row: dict[str, Any], terms: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("description", "owner", "steward", "domain", "criticality", "lifecycle"):
        if row[name]:
            out[name] = row[name]
    if row["tags"]:
        out["tags"] = sorted(row["tags"])
    if terms:
        out["terms"] = sorted(terms)
    if row["custom_properties"]:
        out["custom_properties"] = row["custom_properties"]
    return out


def records(ctx: Context, actor: Principal) -> list[dict[str, Any]]:
    """The curated catalog as records, in the order a file lists them."""
    actor.require(Permission.CATALOG_READ)
    extra = features.catalog_records()
    with ctx.db.read() as conn:
        first = [r for p in extra if not p.after_assets for r in p.export(conn)]
        last = [r for p in extra if p.after_assets for r in p.export(conn)]
        rows = list(repo.live_assets(conn))
        terms = catalog.term_paths(conn, [r["id"] for r in rows])
        parents = repo.urns_of(conn, sorted({r["parent_id"] for r in rows if r["parent_id"]}))
        edges = repo.manual_edges(conn)
        decisions = repo.decisions(conn)
    manual, curated = [], []
    for row in rows:
        fields = _curated(row, terms.get(row["id"], []))
        if row["source_kind"] == manual_assets.MANUAL_KIND and row["type"] != "source":
            parent = parents.get(row["parent_id"] or 0)
            rec: dict[str, Any] = {
                "kind": "manual_asset",
                "urn": row["urn"],
                "source": row["source"],
                "type": row["type"],
                "name": row["name"],
            }
            if parent and row["type"] != "source" and parent != _root(row["source"]):
                rec["parent"] = parent
            if row["source_properties"]:
                rec["properties"] = row["source_properties"]
            manual.append((len(split_qualified(row["qualified_name"])), row["urn"], rec | fields))
        elif fields:
            curated.append({"kind": "asset", "urn": row["urn"], **fields})
    out = [*first, *(rec for _, _, rec in sorted(manual, key=lambda m: (m[0], m[1])))]
    out += sorted(curated, key=lambda r: str(r["urn"]))
    for e in sorted(edges, key=lambda e: (e["from_urn"], e["to_urn"], e["level"])):
        edge = {"kind": "edge", "from": e["from_urn"], "to": e["to_urn"], "level": e["level"]}
        if e["statement"]:
            edge["description"] = e["statement"]
        out.append(edge)
    for d in sorted(decisions, key=lambda d: (d["urn"], d["label"])):
        rec = {"kind": "classification", "urn": d["urn"], "label": d["label"]}
        rec["status"] = d["status"]
        if d["note"]:
            rec["note"] = d["note"]
        out.append(rec)
    return out + last


def _root(source: str) -> str:
    from sounding.domain.urn import make_urn

    return make_urn(source, ())


def export_text(ctx: Context, actor: Principal, fmt: str = "jsonl") -> str:
    """The curated catalog as a JSON Lines or CSV file."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"format must be one of {', '.join(FORMATS)}", field="format")
    recs = records(ctx, actor)
    if fmt == "jsonl":
        return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in recs)
    buf = io.StringIO()
    as_json = json_fields()
    writer = csv.DictWriter(buf, fieldnames=csv_columns(), lineterminator="\n")
    writer.writeheader()
    for r in recs:
        writer.writerow(
            {
                k: (json.dumps(v, sort_keys=True, ensure_ascii=False) if k in as_json else v)
                for k, v in r.items()
            }
        )
    return buf.getvalue()


# --- import ----------------------------------------------------------------------------


def parse(text: str, fmt: str) -> list[tuple[int, dict[str, Any] | str]]:
    """(line number, record) pairs, or (line, error message) for a line that is not one."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"format must be one of {', '.join(FORMATS)}", field="format")
    out: list[tuple[int, dict[str, Any] | str]] = []
    if fmt == "jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                out.append((n, f"not JSON ({exc.msg} at column {exc.colno})"))
                continue
            out.append((n, value if isinstance(value, dict) else "not a JSON object"))
    else:
        reader = csv.DictReader(io.StringIO(text))
        columns, as_json = csv_columns(), json_fields()
        unknown = sorted(set(reader.fieldnames or ()) - set(columns))
        if not reader.fieldnames or "kind" not in reader.fieldnames or unknown:
            raise InvalidInputError(
                "The CSV header must name a kind column and only these: "
                f"{', '.join(columns)}" + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
                field="file",
            )
        for row in reader:
            n = reader.line_num
            rec: dict[str, Any] = {}
            problem = None
            for key, value in row.items():
                if key is None or value in (None, ""):
                    continue
                if key in as_json:
                    try:
                        rec[key] = json.loads(value)
                    except json.JSONDecodeError:
                        problem = f"{key}: not JSON ({value[:40]!r})"
                else:
                    rec[key] = value
            out.append((n, problem or rec))
    if len(out) > MAX_ROWS:
        raise InvalidInputError(
            f"The file has {len(out)} records; at most {MAX_ROWS} per import: split it",
            field="file",
        )
    return out


class _Plan:
    """What the store will hold once the earlier records of the file are applied."""

    def __init__(self, conn: Connection, actor: Principal) -> None:
        self.conn = conn
        self.actor = actor
        self.new_urns: dict[str, str] = {}  # urn -> type of manual assets the file creates
        self.new_roots: set[str] = set()

    def type_of(self, urn: str) -> str | None:
        if urn in self.new_urns:
            return self.new_urns[urn]
        if urn in self.new_roots:
            return "source"
        row = asset_repo.get(self.conn, urn=urn)
        if row is None or row["deleted_at"] is not None:
            return None
        return str(row["type"])


def _str(rec: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = rec.get(key)
    if value is None:
        if required:
            raise InvalidInputError(f"{key} is required")
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{key} must be a string")
    return value


def _check_curated(
    plan: _Plan, rec: dict[str, Any], asset_type: str, current_tags: list[str]
) -> None:
    for key in ("description", "owner", "steward", "domain", "criticality", "lifecycle"):
        _str(rec, key)
    for key in ("owner", "steward"):
        if len(rec.get(key) or "") > 200:
            raise InvalidInputError(f"{key} is longer than 200 characters")
    if rec.get("criticality") not in (None, *catalog.CRITICALITY):
        raise InvalidInputError(
            f"criticality {rec['criticality']!r}: use {', '.join(catalog.CRITICALITY)}"
        )
    if rec.get("lifecycle") not in (None, *catalog.LIFECYCLE):
        raise InvalidInputError(
            f"lifecycle {rec['lifecycle']!r}: use {', '.join(catalog.LIFECYCLE)}"
        )
    if "domain" in rec:
        catalog.check_domain(plan.conn, rec["domain"])
    for key in ("tags", "terms"):
        if key in rec and (
            not isinstance(rec[key], list) or not all(isinstance(v, str) for v in rec[key])
        ):
            raise InvalidInputError(f"{key} must be a list of strings")
    tags = catalog._clean_list("tags", rec.get("tags") or [])
    # the tags it applies (not those the asset has): the taxonomy says which are known and
    # who may apply them, as for one asset's PATCH
    features.check_asset_tags(
        plan.conn, plan.actor, sorted({t for t in tags if t not in current_tags})
    )
    for term in rec.get("terms") or []:
        catalog.term_path(plan.conn, term)
    if "custom_properties" in rec:
        held = asset_repo.get(plan.conn, urn=rec["urn"]) if rec.get("urn") else None
        stored = held["custom_properties"] if held else None
        catalog.check_custom_properties(plan.conn, asset_type, rec["custom_properties"], stored)


def _check_kind(rec: dict[str, Any]) -> str:
    """The record's kind, known, with only that kind's fields."""
    kind = rec.get("kind")
    every = kinds()
    if not isinstance(kind, str) or kind not in every:
        raise InvalidInputError(f"kind {kind!r}: use one of {', '.join(every)}")
    unknown = sorted(set(rec) - {"kind", *fields_of(kind)})
    if unknown:
        raise InvalidInputError(
            f"unknown field {', '.join(unknown)} for a {kind}; its fields: "
            f"{', '.join(fields_of(kind))}"
        )
    return kind


def _check(plan: _Plan, rec: dict[str, Any]) -> None:
    """Raise a SoundingError saying what is wrong with the record (given the ones before)."""
    kind = _check_kind(rec)
    if kind == "manual_asset":
        source = _str(rec, "source", True)
        type_ = manual_assets.asset_type(_str(rec, "type", True) or "")
        name = (_str(rec, "name", True) or "").strip()
        urn = manual_assets.urn_for(source or "", type_, name)
        if rec.get("urn") not in (None, urn):
            raise InvalidInputError(
                f"urn {rec['urn']!r} does not match source, type and name ({urn})"
            )
        parent = _str(rec, "parent")
        spec = manual_assets.ManualAssetSpec(type=type_, name=name, source=source or "")
        manual_assets.check_spec(spec)
        if parent is not None and plan.type_of(parent) is None:
            raise InvalidInputError(
                f"parent {parent!r} is not in the catalog nor earlier in the file"
            )
        if not isinstance(rec.get("properties", {}), dict):
            raise InvalidInputError("properties must be an object")
        existing = asset_repo.get(plan.conn, urn=urn)
        if existing is None:
            src = manual_assets.source_kind(plan.conn, source or "")
            if src not in (None, manual_assets.MANUAL_KIND):
                raise InvalidInputError(
                    f"source {source!r} is scanned (kind {src}); manual assets go in a source "
                    "of kind manual"
                )
        _check_curated(plan, rec, type_, list(existing["tags"] or []) if existing else [])
        plan.new_urns[urn] = type_
        plan.new_roots.add(_root(source or ""))
    elif kind == "asset":
        urn = _str(rec, "urn", True) or ""
        found = plan.type_of(urn)
        if found is None:
            raise InvalidInputError(
                f"asset {urn!r} is not in the catalog: scan its source first (or add a "
                "manual_asset record before this one)"
            )
        row = asset_repo.get(plan.conn, urn=urn)
        _check_curated(plan, rec, found, list(row["tags"] or []) if row else [])
    elif kind == "edge":
        ends = [_str(rec, "from", True) or "", _str(rec, "to", True) or ""]
        types = [plan.type_of(u) for u in ends]
        for urn, t in zip(ends, types, strict=True):
            if t is None:
                raise InvalidInputError(f"edge end {urn!r} is not in the catalog")
        level = rec.get("level", "table")
        if (
            level not in ("table", "column")
            or (types[0] == "column") != (level == "column")
            or (types[1] == "column") != (level == "column")
        ):
            raise InvalidInputError("level must be column for two columns, table otherwise")
        _str(rec, "description")
    else:
        urn = _str(rec, "urn", True) or ""
        if plan.type_of(urn) != "column":
            raise InvalidInputError(
                f"{urn!r} is not a column in the catalog (labels go on columns)"
            )
        label = _str(rec, "label", True) or ""
        if taxonomy.get_label(label) is None and not _LABEL.fullmatch(label):
            raise InvalidInputError(
                f"label {label!r} is neither a taxonomy label nor a dotted name"
            )
        if rec.get("status") not in ("confirmed", "rejected"):
            raise InvalidInputError("status must be confirmed or rejected")
        _str(rec, "note")


def import_text(ctx: Context, actor: Principal, text: str, fmt: str = "jsonl") -> ImportResult:
    """Check and apply the records in the file's order, all in one transaction (or none: a
    422 listing each bad line with what to fix)."""
    actor.require(Permission.CATALOG_WRITE)
    parsed = parse(text, fmt)
    providers = _providers()
    with ctx.db.write() as conn:
        plan = _Plan(conn, actor)
        errors: list[RowError] = []
        good: list[dict[str, Any]] = []
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for line, rec in parsed:
            if isinstance(rec, str):
                errors.append(RowError(line, rec))
                continue
            # each record is checked against the store as the records before it left it
            # (a sub-domain's parent, an asset's domain, a product's ports), then applied; an
            # error anywhere rolls the whole transaction back below
            try:
                kind = _check_kind(rec)
                provider = providers.get(kind)
                if provider is not None:
                    provider.check(conn, rec)
                    outcome = provider.apply(conn, actor.name, rec)
                else:
                    _check(plan, rec)
                    outcome = _apply(ctx, conn, actor.name, rec)
            except SoundingError as exc:
                errors.append(RowError(line, exc.message))
                continue
            counts[outcome] += 1
            good.append(rec)
        if errors:
            raise ValidationFailedError(
                f"{len(errors)} of {len(parsed)} records are invalid; nothing was imported. "
                f"Line {errors[0].line}: {errors[0].message}",
                errors=[{"line": e.line, "message": e.message} for e in errors[:MAX_ERRORS]],
            )
        audit.record(
            conn, actor.name, "catalog.import", "catalog", None, {"rows": len(good), **counts}
        )
    return ImportResult(rows=len(good), **counts)


def _apply(ctx: Context, conn: Connection, actor: str, rec: dict[str, Any]) -> str:
    kind = rec["kind"]
    if kind == "manual_asset":
        type_ = manual_assets.asset_type(rec["type"])
        urn = manual_assets.urn_for(rec["source"], type_, rec["name"].strip())
        row = asset_repo.get(conn, urn=urn)
        if row is None:
            spec = manual_assets.ManualAssetSpec(
                type=type_,
                name=rec["name"],
                source=rec["source"],
                parent=rec.get("parent"),
                properties=rec.get("properties") or {},
            )
            asset_id = manual_assets.insert(ctx, conn, actor, manual_assets.check_spec(spec))
            _curate(conn, actor, asset_id, type_, rec)
            return "created"
        changed = False
        if "properties" in rec and (row["source_properties"] or {}) != rec["properties"]:
            asset_repo.update_curated(conn, row["id"], {"source_properties": rec["properties"]})
            changed = True
        return "updated" if _curate(conn, actor, row["id"], type_, rec) or changed else "unchanged"
    if kind == "asset":
        row = asset_repo.get(conn, urn=rec["urn"])
        assert row is not None
        return "updated" if _curate(conn, actor, row["id"], str(row["type"]), rec) else "unchanged"
    if kind == "edge":
        a = asset_repo.get(conn, urn=rec["from"])
        b = asset_repo.get(conn, urn=rec["to"])
        assert a is not None and b is not None
        return _edge(conn, actor, a, b, rec.get("level", "table"), rec.get("description"))
    return _decision(conn, actor, rec)


def _curate(
    conn: Connection, actor: str, asset_id: int, asset_type: str, rec: dict[str, Any]
) -> bool:
    """Set the record's curated fields where they differ; True when something changed."""
    row = asset_repo.get(conn, asset_id=asset_id)
    assert row is not None
    values: dict[str, Any] = {}
    for key in ("description", "owner", "steward", "criticality", "lifecycle"):
        if key in rec and row[key] != rec[key]:
            values[key] = rec[key]
    if "tags" in rec:
        tags = sorted(set(catalog._clean_list("tags", rec["tags"])))
        if sorted(row["tags"] or []) != tags:
            values["tags"] = tags
    if "custom_properties" in rec:
        props = catalog.check_custom_properties(
            conn, asset_type, rec["custom_properties"], row["custom_properties"]
        )
        if (row["custom_properties"] or {}) != props:
            values["custom_properties"] = props
    changed = bool(values)
    if "domain" in rec and row["domain"] != catalog.check_domain(conn, rec["domain"]):
        catalog.set_asset_domain(conn, [asset_id], rec["domain"])
        changed = True
    if "terms" in rec:
        now = set(catalog.term_paths(conn, [asset_id]).get(asset_id, []))
        wanted = {catalog.term_path(conn, t) for t in rec["terms"]}
        if now != wanted:
            catalog.edit_terms(conn, actor, asset_id, sorted(wanted - now), sorted(now - wanted))
            changed = True
    if values or changed:
        asset_repo.update_curated(conn, asset_id, values)
        audit.record(conn, actor, "asset.import", "asset", row["urn"], {"fields": sorted(values)})
    return changed


def _edge(
    conn: Connection,
    actor: str,
    a: dict[str, Any],
    b: dict[str, Any],
    level: str,
    description: str | None,
) -> str:
    from sounding.store.repos import lineage as lineage_repo

    added, _kept, _removed = lineage_repo.replace_origin(
        conn,
        "manual",
        f"{a['urn']}->{b['urn']}",
        [{"source_id": a["id"], "target_id": b["id"], "level": level, "statement": description}],
        utcnow(),
        actor,
    )
    return "created" if added else "unchanged"


def _decision(conn: Connection, actor: str, rec: dict[str, Any]) -> str:
    row = asset_repo.get(conn, urn=rec["urn"])
    assert row is not None
    now = utcnow()
    existing = {r["label"]: r for r in label_repo.labels_for(conn, [row["id"]]).get(row["id"], [])}
    old = existing.get(rec["label"])
    values = {
        "status": rec["status"],
        "decided_by": actor,
        "decided_at": now,
        "note": rec.get("note"),
        "updated_at": now,
    }
    if old is not None:
        if old["status"] == rec["status"] and old["note"] == rec.get("note"):
            return "unchanged"
        label_repo.update_classification(conn, old["id"], values)
        return "updated"
    label_repo.insert_classifications(
        conn,
        [
            {
                **values,
                "asset_id": row["id"],
                "label": rec["label"],
                "confidence": 1.0,
                "rule": "manual",
                "evidence": {"source": "catalog import"},
                "created_at": now,
            }
        ],
    )
    return "created"
