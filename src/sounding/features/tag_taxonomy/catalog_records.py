"""Tag groups in the catalog export and import: one ``tag_group`` record each (``name``,
``description``, ``apply_roles``, ``tags`` as ``[{name, description}]``), before the assets,
so that tags of a group that assets carry are defined when a file is imported."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from sounding.errors import InvalidInputError
from sounding.features.tag_taxonomy import repo, service
from sounding.services.features import CatalogRecords
from sounding.store.repos import audit, utcnow

KIND = "tag_group"
FIELDS = ("name", "description", "apply_roles", "tags")


def _tag(name: str, description: str | None) -> dict[str, Any]:
    return {"name": name, "description": description} if description else {"name": name}


def export(conn: Connection) -> list[dict[str, Any]]:
    """Every group by name, its tags by name."""
    rows, _ = repo.list_groups(conn, 1_000_000, 0)
    tags = repo.tags_of(conn, [r["id"] for r in rows])
    out = []
    for r in rows:
        rec: dict[str, Any] = {"kind": KIND, "name": r["name"]}
        if r["description"]:
            rec["description"] = r["description"]
        rec["apply_roles"] = sorted(r["apply_roles"] or [])
        if tags[r["id"]]:
            rec["tags"] = [_tag(t["name"], t["description"]) for t in tags[r["id"]]]
        out.append(rec)
    return out


def check(conn: Connection, rec: dict[str, Any]) -> None:
    del conn
    service._name(rec.get("name"), "name")
    if rec.get("description") is not None and not isinstance(rec["description"], str):
        raise InvalidInputError("description must be a string")
    if "apply_roles" in rec:
        service._roles(rec["apply_roles"])
    service._tags(rec.get("tags"), "tags")


def apply(conn: Connection, actor: str, rec: dict[str, Any]) -> str:
    """Create the group or set what differs; ``tags`` is the group's whole list."""
    name = service._name(rec["name"], "name")
    values: dict[str, Any] = {}
    if "description" in rec:
        values["description"] = str(rec["description"] or "").strip() or None
    if "apply_roles" in rec:
        values["apply_roles"] = service._roles(rec["apply_roles"])
    tags = service._tags(rec.get("tags"), "tags")
    row = repo.get(conn, name)
    now = utcnow()
    if row is None:
        group_id = repo.insert(
            conn,
            {
                "name": name,
                "description": values.get("description"),
                "apply_roles": values.get("apply_roles", list(service.DEFAULT_ROLES)),
                "created_by": actor,
                "created_at": now,
                "updated_at": now,
            },
        )
        repo.upsert_tags(conn, group_id, tags)
        audit.record(conn, actor, "tag_group.import", "tag_group", name, {"created": True})
        return "created"
    changed = sorted(
        k
        for k, v in values.items()
        if (sorted(row[k] or []) != sorted(v) if k == "apply_roles" else row[k] != v)
    )
    if "tags" in rec:
        now_tags = {t["name"]: t["description"] for t in repo.tags_of(conn, [row["id"]])[row["id"]]}
        wanted = dict(tags)
        if now_tags != wanted:
            repo.remove_tags(conn, row["id"], sorted(set(now_tags) - set(wanted)))
            repo.upsert_tags(conn, row["id"], [t for t in tags if now_tags.get(t[0], 0) != t[1]])
            changed.append("tags")
    if not changed:
        return "unchanged"
    repo.update(
        conn, row["id"], {**{k: values[k] for k in changed if k in values}, "updated_at": now}
    )
    audit.record(conn, actor, "tag_group.import", "tag_group", name, {"fields": changed})
    return "updated"


def providers() -> tuple[CatalogRecords, ...]:
    return (
        CatalogRecords(
            kind=KIND,
            fields=FIELDS,
            export=export,
            check=check,
            apply=apply,
            json_fields=("apply_roles", "tags"),
        ),
    )
