"""Use cases for the business glossary: terms in a hierarchy, their status, import and export.

Links between terms and assets, and suggested links, are in :mod:`sounding.features.glossary.links`.
Every change is audit-logged in its own transaction; database triggers note it in the search
outbox so the search index picks it up (see the ``glossary_0001`` migration).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.glossary import repo
from sounding.features.glossary import terms as g
from sounding.features.glossary.records import (
    GlossaryImportResult,
    GlossaryTerm,
    GlossaryTermDetail,
    GlossaryTreeNode,
)
from sounding.features.glossary.tables import glossary_terms
from sounding.services import versions
from sounding.services.context import Context
from sounding.store.repos import audit, utcnow

logger = logging.getLogger(__name__)

EDITABLE = (
    "name",
    "parent",
    "definition",
    "synonyms",
    "abbreviations",
    "examples",
    "classifications",
    "related",
    "owner",
    "steward",
    "status",
)
LISTS = ("synonyms", "abbreviations", "examples", "classifications")


def public(row: Mapping[str, Any], related: Sequence[str] = ()) -> GlossaryTerm:
    """The term of a stored row; ``related`` are the paths of its related terms."""
    return GlossaryTerm(
        id=row["id"],
        urn=g.term_urn(row["id"]),
        name=row["name"],
        path=row["path"],
        parent_id=row["parent_id"],
        definition=row["definition"],
        synonyms=list(row["synonyms"] or []),
        abbreviations=list(row["abbreviations"] or []),
        examples=list(row["examples"] or []),
        classifications=list(row["classifications"] or []),
        related=sorted(related),
        owner=row["owner"],
        steward=row["steward"],
        status=row["status"],
        approved_by=row["approved_by"],
        approved_at=row["approved_at"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revision=row["row_version"],
    )


def _with_related(conn: Any, rows: Sequence[Mapping[str, Any]]) -> list[GlossaryTerm]:
    rel = repo.related_ids(conn, [r["id"] for r in rows])
    paths = repo.terms_by_ids(conn, sorted({i for ids in rel.values() for i in ids}))
    return [public(r, [paths[i]["path"] for i in rel.get(r["id"], []) if i in paths]) for r in rows]


def find_row(conn: Any, ref: str | int) -> dict[str, Any]:
    """A term by id or path (``/Finance/Revenue``), or NotFoundError."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit():
        row = repo.get_term(conn, int(text))
    elif g.looks_like_path(text):
        row = repo.term_by_key(conn, g.path_key(g.join_path(g.split_path(text))))
    else:
        raise InvalidInputError(f"Give a term id or a path such as /Finance/Revenue, not {ref!r}")
    if row is None:
        raise NotFoundError(f"Glossary term {text!r} not found", term=text)
    return row


def get_term(ctx: Context, actor: Principal, ref: str | int) -> GlossaryTermDetail:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        row = find_row(conn, ref)
        term = _with_related(conn, [row])[0]
        children = sorted(r["path"] for r in repo.children(conn, row["id"]))
    return GlossaryTermDetail(**asdict(term), children=children)


def list_terms(
    ctx: Context,
    actor: Principal,
    *,
    q: str | None = None,
    status: str | None = None,
    parent: str | None = None,
    under: str | None = None,
    owner: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[GlossaryTerm], int]:
    """Terms by path; ``parent`` lists direct children, ``under`` a whole subtree."""
    actor.require(Permission.CATALOG_READ)
    if status is not None and status not in g.STATUSES:
        raise InvalidInputError(f"status must be one of {', '.join(g.STATUSES)}", field="status")
    with ctx.db.read() as conn:
        parent_id = find_row(conn, parent)["id"] if parent else None
        under_key = g.path_key(g.join_path(g.split_path(under))) if under else None
        rows, total = repo.list_terms(
            conn,
            q=q,
            status=status,
            parent_id=parent_id,
            under=under_key,
            owner=owner,
            limit=limit,
            offset=offset,
        )
        return _with_related(conn, rows), total


def tree(ctx: Context, actor: Principal, status: str | None = None) -> list[GlossaryTreeNode]:
    """Every term nested under its parent (``children``), siblings by name."""
    actor.require(Permission.CATALOG_READ)
    if status is not None and status not in g.STATUSES:
        raise InvalidInputError(f"status must be one of {', '.join(g.STATUSES)}", field="status")
    with ctx.db.read() as conn:
        rows = repo.all_terms(conn)
    keep = [
        {k: r[k] for k in ("id", "name", "path", "parent_id", "status", "definition")}
        for r in rows
        if status is None or r["status"] == status
    ]
    ids = {r["id"] for r in keep}
    for r in keep:  # a filtered-out parent puts its children at the top
        if r["parent_id"] not in ids:
            r["parent_id"] = None
    return [_node(n) for n in g.build_tree(keep)]


def _node(node: Mapping[str, Any]) -> GlossaryTreeNode:
    return GlossaryTreeNode(
        id=node["id"],
        name=node["name"],
        path=node["path"],
        parent_id=node["parent_id"],
        status=node["status"],
        definition=node["definition"],
        children=[_node(c) for c in node["children"]],
    )


# --- writing --------------------------------------------------------------------------------


def _clean_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInputError(
            f"Cannot set {', '.join(unknown)}; editable fields: {', '.join(EDITABLE)}"
        )
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in LISTS or key == "related":
            out[key] = g.clean_list(value, key)
        elif key == "name":
            out[key] = g.check_name(value)
        elif key in ("definition", "owner", "steward"):
            if value is not None and not isinstance(value, str):
                raise InvalidInputError(f"{key} must be text", field=key)
            out[key] = value.strip() or None if isinstance(value, str) else None
        else:
            out[key] = value
    return out


def _resolve_related(conn: Any, refs: Sequence[str]) -> list[int]:
    return [find_row(conn, r)["id"] for r in refs]


def _place(conn: Any, term_id: int | None, name: str, parent_id: int | None) -> str:
    """The path of ``name`` under ``parent_id``; refuses duplicates and cycles."""
    parent = repo.get_term(conn, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise NotFoundError(f"Parent term {parent_id} not found", term=parent_id)
    g.check_parent(term_id, parent_id, repo.parents(conn))
    path = g.child_path(parent["path"] if parent else None, name)
    if len(path.strip("/").split("/")) > g.MAX_DEPTH:
        raise InvalidInputError(f"Term path {path} is deeper than {g.MAX_DEPTH}", field="parent")
    siblings = [s["name"] for s in repo.children(conn, parent_id) if s["id"] != term_id]
    g.check_sibling_names(name, siblings, path)
    return path


def _repath_subtree(conn: Any, term_id: int, path: str) -> None:
    for child in repo.children(conn, term_id):
        child_path = g.child_path(path, child["name"])
        repo.update_term(
            conn, child["id"], {"path": child_path, "path_key": g.path_key(child_path)}
        )
        _repath_subtree(conn, child["id"], child_path)


def create_term(ctx: Context, actor: Principal, data: Mapping[str, Any]) -> GlossaryTermDetail:
    """A new draft term. ``parent`` (id or path) places it; or give its full ``path``."""
    actor.require(Permission.CATALOG_WRITE)
    data = dict(data)
    path = data.pop("path", None)
    if path is not None:
        if "name" in data or "parent" in data:
            raise InvalidInputError("Give either a path, or a name and a parent")
        parts = g.split_path(path)
        data["name"] = parts[-1]
        data["parent"] = g.join_path(parts[:-1]) if len(parts) > 1 else None
    if data.get("status") not in (None, g.DRAFT):
        raise InvalidInputError("New terms start as draft; approve them afterwards")
    values = _clean_changes({k: v for k, v in data.items() if k != "status"})
    if "name" not in values:
        raise InvalidInputError("A term needs a name", field="name")
    now = utcnow()
    with ctx.db.write() as conn:
        parent_id = find_row(conn, values["parent"])["id"] if values.get("parent") else None
        path = _place(conn, None, values["name"], parent_id)
        related = _resolve_related(conn, values.pop("related", []))
        values.pop("parent", None)
        term_id = repo.insert_term(
            conn,
            {
                **{k: [] for k in LISTS},
                **values,
                "parent_id": parent_id,
                "path": path,
                "path_key": g.path_key(path),
                "status": g.DRAFT,
                "created_by": actor.name,
                "created_at": now,
                "updated_at": now,
            },
        )
        repo.set_related(conn, term_id, related)
        audit.record(conn, actor.name, "glossary.term.create", "glossary_term", path, {})
    return get_term(ctx, actor, term_id)


def update_term(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    changes: Mapping[str, Any],
    *,
    if_match: str | None = None,
) -> GlossaryTermDetail:
    """Edit a term; renaming or moving it moves its whole subtree. ``status`` here may only
    return a term to draft (approve and deprecate have their own calls)."""
    actor.require(Permission.CATALOG_WRITE)
    values = _clean_changes(changes)
    status = values.pop("status", None)
    if status not in (None, g.DRAFT):
        raise InvalidInputError("Use approve or deprecate to change a term's status to those")
    with ctx.db.write() as conn:
        row = find_row(conn, ref)
        versions.check(conn, glossary_terms, row["id"], if_match, f"Glossary term {row['path']}")
        if "parent" in values or "name" in values:
            parent = values.pop("parent", ...)
            parent_id = row["parent_id"]
            if parent is not ...:
                parent_id = find_row(conn, parent)["id"] if parent else None
            name = values.get("name", row["name"])
            path = _place(conn, row["id"], name, parent_id)
            values.update(parent_id=parent_id, path=path, path_key=g.path_key(path))
            _repath_subtree(conn, row["id"], path)
        if "related" in values:
            repo.set_related(conn, row["id"], _resolve_related(conn, values.pop("related")))
        if status is not None:
            g.check_transition(row["status"], status, row["path"])
            values["status"] = status
        repo.update_term(conn, row["id"], {**values, "updated_at": utcnow()})
        audit.record(
            conn,
            actor.name,
            "glossary.term.update",
            "glossary_term",
            values.get("path", row["path"]),
            {"fields": sorted(changes), "previous_path": row["path"]},
        )
    return get_term(ctx, actor, row["id"])


def set_status(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    status: str,
    note: str | None = None,
    *,
    if_match: str | None = None,
) -> GlossaryTermDetail:
    """Approve (recording who and when), deprecate, or return a term to draft."""
    actor.require(Permission.CATALOG_WRITE)
    now = utcnow()
    with ctx.db.write() as conn:
        row = find_row(conn, ref)
        versions.check(conn, glossary_terms, row["id"], if_match, f"Glossary term {row['path']}")
        g.check_transition(row["status"], status, row["path"])
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status == g.APPROVED:
            values.update(approved_by=actor.name, approved_at=now)
        repo.update_term(conn, row["id"], values)
        action = {g.APPROVED: "approve", g.DEPRECATED: "deprecate", g.DRAFT: "draft"}[status]
        audit.record(
            conn,
            actor.name,
            f"glossary.term.{action}",
            "glossary_term",
            row["path"],
            {"from": row["status"], "note": note},
        )
    return get_term(ctx, actor, row["id"])


def delete_term(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    recursive: bool = False,
    *,
    if_match: str | None = None,
) -> int:
    """Delete a term (and its links); with ``recursive`` its descendants too. Returns how
    many terms were deleted."""
    actor.require(Permission.CATALOG_WRITE)
    with ctx.db.write() as conn:
        row = find_row(conn, ref)
        versions.check(conn, glossary_terms, row["id"], if_match, f"Glossary term {row['path']}")
        order = _subtree(conn, row["id"])
        if len(order) > 1 and not recursive:
            raise ConflictError(
                f"Term {row['path']} has {len(order) - 1} descendant term(s); "
                "delete them first or delete recursively",
                path=row["path"],
            )
        for term_id in reversed(order):  # children before parents
            repo.delete_term(conn, term_id)
        audit.record(
            conn,
            actor.name,
            "glossary.term.delete",
            "glossary_term",
            row["path"],
            {"terms": len(order)},
        )
    return len(order)


def _subtree(conn: Any, term_id: int) -> list[int]:
    out = [term_id]
    for child in repo.children(conn, term_id):
        out += _subtree(conn, child["id"])
    return out


# --- files ----------------------------------------------------------------------------------


def export_terms(ctx: Context, actor: Principal, fmt: str = "csv") -> str:
    """The whole glossary as CSV or JSON (the format ``import_terms`` reads)."""
    actor.require(Permission.CATALOG_READ)
    if fmt not in ("csv", "json"):
        raise InvalidInputError(f"Unknown format {fmt!r}: use csv or json", field="format")
    with ctx.db.read() as conn:
        terms = [asdict(t) for t in _with_related(conn, repo.all_terms(conn))]
    return g.to_csv(terms) if fmt == "csv" else g.to_json(terms)


def import_terms(
    ctx: Context, actor: Principal, text: str, fmt: str = "csv"
) -> GlossaryImportResult:
    """Create or update terms by path from a CSV or JSON file, all or nothing.

    Missing ancestors are created as drafts; ``related`` may name terms of the file or of the
    glossary; a ``status`` of approved records the importer as approver."""
    actor.require(Permission.CATALOG_WRITE)
    records = g.ancestors_first(g.parse(text, fmt))
    counts = {"created": 0, "updated": 0, "ancestors_created": 0}
    with ctx.db.write() as conn:
        ids: dict[str, int] = {}
        for rec in records:
            ids[g.path_key(rec.path)] = _import_one(conn, actor, rec, counts)
        errors: list[dict[str, Any]] = []
        related: dict[int, set[int]] = {}  # the file's word on each term it gives related for
        for rec in records:
            if "related" not in rec.fields:
                continue
            mine = related.setdefault(ids[g.path_key(rec.path)], set())
            for path in rec.related:
                key = g.path_key(path)
                found = ids.get(key) or (repo.term_by_key(conn, key) or {}).get("id")
                if found is None:
                    errors.append({"loc": ["line", rec.line], "msg": f"unknown related {path}"})
                else:
                    mine.add(found)
        for term_id, others in list(related.items()):  # kept both ways: A lists B, B lists none
            for other in others:
                if other in related:
                    related[other].add(term_id)
        for term_id, others in related.items():
            repo.set_related(conn, term_id, sorted(others))
        if errors:
            raise InvalidInputError(
                f"Related term {errors[0]['msg'][len('unknown related ') :]} (line "
                f"{errors[0]['loc'][1]}) is neither in the file nor in the glossary",
                errors=errors,
            )
        audit.record(
            conn, actor.name, "glossary.import", "glossary", fmt, {**counts, "terms": len(records)}
        )
    return GlossaryImportResult(**counts, terms=len(records))


def _import_one(conn: Any, actor: Principal, rec: g.TermRecord, counts: dict[str, int]) -> int:
    now = utcnow()
    parent_id: int | None = None
    for depth in range(1, len(rec.parts)):
        prefix = g.join_path(rec.parts[:depth])
        found = repo.term_by_key(conn, g.path_key(prefix))
        if found is None:
            parent_id = repo.insert_term(
                conn,
                {
                    **{k: [] for k in LISTS},
                    "name": rec.parts[depth - 1],
                    "parent_id": parent_id,
                    "path": prefix,
                    "path_key": g.path_key(prefix),
                    "status": g.DRAFT,
                    "created_by": actor.name,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            counts["ancestors_created"] += 1
        else:
            parent_id = found["id"]
    values: dict[str, Any] = {
        "definition": rec.definition,
        "synonyms": list(rec.synonyms),
        "abbreviations": list(rec.abbreviations),
        "examples": list(rec.examples),
        "classifications": list(rec.classifications),
        "owner": rec.owner,
        "steward": rec.steward,
        "updated_at": now,
    }
    existing = repo.term_by_key(conn, g.path_key(rec.path))
    if existing is not None:  # columns the file does not have keep their values
        values = {k: v for k, v in values.items() if k in rec.fields or k == "updated_at"}
    status = rec.status or (existing["status"] if existing else g.DRAFT)
    values["status"] = status
    if status == g.APPROVED and (existing is None or existing["status"] != g.APPROVED):
        values.update(approved_by=actor.name, approved_at=now)
    if existing is not None:
        repo.update_term(conn, existing["id"], values)
        counts["updated"] += 1
        return int(existing["id"])
    counts["created"] += 1
    return repo.insert_term(
        conn,
        {
            **values,
            "name": rec.parts[-1],
            "parent_id": parent_id,
            "path": rec.path,
            "path_key": g.path_key(rec.path),
            "created_by": actor.name,
            "created_at": now,
        },
    )
