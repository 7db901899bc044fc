"""Use cases for the tag taxonomy, and the check the catalog calls when tags are applied.

A **group** (``tier``) defines **tags** (``gold``, ``silver``) that assets carry as
``tier.gold``, and names the roles that may apply them (``apply_roles``, default steward and
admin). When an asset gets a tag whose part before the first ``.`` is a group's name, the tag
must be one the group defines (an unknown one is an ``InvalidInputError``, 422) and the actor's
role one the group allows (``PermissionDeniedError``, 403). Every other tag — no ``.``, or a
prefix no group claims — stays a free tag, as before the taxonomy: stored tags are never
checked again, only tags being applied. Deleting a group makes its tags free again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.auth import Permission, Principal, Role
from sounding.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from sounding.features.tag_taxonomy import repo
from sounding.features.tag_taxonomy.records import TagGroup, TaxonomyTag
from sounding.services.context import Context
from sounding.store.repos import audit, utcnow

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,98}$")
MAX_TAGS = 500
DEFAULT_ROLES = (Role.ADMIN.value, Role.STEWARD.value)
FIELDS = ("name", "description", "apply_roles", "tags")
UPDATE_FIELDS = ("description", "apply_roles", "add_tags", "remove_tags")


def _record(row: Mapping[str, Any], tags: Sequence[Mapping[str, Any]]) -> TagGroup:
    return TagGroup(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        apply_roles=tuple(row["apply_roles"] or ()),
        tags=tuple(
            TaxonomyTag(
                name=t["name"], tag=f"{row['name']}.{t['name']}", description=t["description"]
            )
            for t in tags
        ),
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revision=row["row_version"],
    )


def _name(value: Any, field: str) -> str:
    text = str(value or "").strip().lower()
    if not NAME.match(text):
        raise InvalidInputError(
            f"{field} {str(value)!r} must be 1-99 characters: lower-case letters, digits, '_' "
            "or '-', starting with a letter or digit (no '.')",
            field=field,
        )
    return text


def _roles(value: Any) -> list[str]:
    if value is None:
        return list(DEFAULT_ROLES)
    if not isinstance(value, list | tuple):
        raise InvalidInputError("apply_roles must be a list of roles", field="apply_roles")
    known = [r.value for r in Role]
    out: list[str] = []
    for role in value:
        if role not in known:
            raise InvalidInputError(
                f"Unknown role {role!r}; roles: {', '.join(known)}", field="apply_roles"
            )
        if role not in out:
            out.append(role)
    return out


def _tags(value: Any, field: str) -> list[tuple[str, str | None]]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or len(value) > MAX_TAGS:
        raise InvalidInputError(f"{field} must be a list of at most {MAX_TAGS} tags", field=field)
    out: dict[str, str | None] = {}
    for item in value:
        name: Any
        description: Any
        if isinstance(item, str):
            name, description = item, None
        elif isinstance(item, Mapping):
            name, description = item.get("name"), item.get("description")
        else:
            raise InvalidInputError(f"{field}: each tag is a name or {{name, description}}")
        text = (str(description).strip() or None) if description is not None else None
        out[_name(name, "tag")] = text
    return list(out.items())


def _find(conn: Connection, name: str) -> dict[str, Any]:
    row = repo.get(conn, str(name).strip().lower())
    if row is None:
        raise NotFoundError(f"Tag group {name!r} not found", tag_group=str(name))
    return row


def list_groups(
    ctx: Context, actor: Principal, *, limit: int, offset: int
) -> tuple[list[TagGroup], int]:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        rows, total = repo.list_groups(conn, limit, offset)
        tags = repo.tags_of(conn, [r["id"] for r in rows])
    return [_record(r, tags[r["id"]]) for r in rows], total


def get_group(ctx: Context, actor: Principal, name: str) -> TagGroup:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        row = _find(conn, name)
        tags = repo.tags_of(conn, [row["id"]])[row["id"]]
    return _record(row, tags)


def create_group(ctx: Context, actor: Principal, data: Mapping[str, Any]) -> TagGroup:
    """A new group with its tags; ``apply_roles`` defaults to steward and admin."""
    actor.require(Permission.CATALOG_WRITE)
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidInputError(
            f"Cannot set {', '.join(unknown)}; a group has: {', '.join(FIELDS)}"
        )
    name = _name(data.get("name"), "name")
    roles = _roles(data.get("apply_roles"))
    tags = _tags(data.get("tags"), "tags")
    now = utcnow()
    with ctx.db.write() as conn:
        if repo.get(conn, name) is not None:
            raise ConflictError(f"A tag group named {name!r} exists already", field="name")
        group_id = repo.insert(
            conn,
            {
                "name": name,
                "description": (str(data.get("description") or "").strip() or None),
                "apply_roles": roles,
                "created_by": actor.name,
                "created_at": now,
                "updated_at": now,
            },
        )
        repo.upsert_tags(conn, group_id, tags)
        audit.record(conn, actor.name, "tag_group.create", "tag_group", name, {})
    return get_group(ctx, actor, name)


def update_group(ctx: Context, actor: Principal, name: str, data: Mapping[str, Any]) -> TagGroup:
    """Change the description or roles; ``add_tags`` adds (or re-describes) tags,
    ``remove_tags`` takes tags out of the group (assets keep them as stored)."""
    actor.require(Permission.CATALOG_WRITE)
    unknown = sorted(set(data) - set(UPDATE_FIELDS))
    if unknown:
        raise InvalidInputError(
            f"Cannot set {', '.join(unknown)}; editable: {', '.join(UPDATE_FIELDS)}"
        )
    values: dict[str, Any] = {}
    if "description" in data:
        values["description"] = str(data["description"] or "").strip() or None
    if "apply_roles" in data:
        values["apply_roles"] = _roles(data["apply_roles"])
    add = _tags(data.get("add_tags"), "add_tags")
    remove = [n for n, _ in _tags(data.get("remove_tags"), "remove_tags")]
    with ctx.db.write() as conn:
        row = _find(conn, name)
        repo.upsert_tags(conn, row["id"], add)
        repo.remove_tags(conn, row["id"], remove)
        values["updated_at"] = utcnow()
        repo.update(conn, row["id"], values)
        audit.record(
            conn, actor.name, "tag_group.update", "tag_group", row["name"], {"fields": sorted(data)}
        )
    return get_group(ctx, actor, row["name"])


def delete_group(ctx: Context, actor: Principal, name: str) -> None:
    """Delete a group; its tags become free tags (assets keep them)."""
    actor.require(Permission.CATALOG_WRITE)
    with ctx.db.write() as conn:
        row = _find(conn, name)
        repo.delete(conn, row["id"])
        audit.record(conn, actor.name, "tag_group.delete", "tag_group", row["name"], {})


def check_asset_tags(conn: Connection, actor: Principal, tags: Sequence[str]) -> None:
    """Refuse applying an unknown tag of a group (422) or one the actor's role may not apply
    (403); free tags pass."""
    prefixes = sorted({t.split(".", 1)[0].lower() for t in tags if "." in t})
    groups = repo.groups_by_name(conn, prefixes)
    if not groups:
        return
    defined = repo.tags_of(conn, [g["id"] for g in groups.values()])
    for tag in tags:
        prefix, _, rest = tag.partition(".")
        group = groups.get(prefix.lower())
        if group is None:
            continue
        names = [t["name"] for t in defined[group["id"]]]
        if rest.lower() not in names:
            offered = ", ".join(f"{group['name']}.{n}" for n in names) or "no tags yet"
            raise InvalidInputError(
                f"Unknown tag {tag!r}: group {group['name']!r} defines {offered}",
                field="tags",
                tag=tag,
            )
        if actor.role.value not in (group["apply_roles"] or []):
            raise PermissionDeniedError(
                f"User '{actor.name}' (role {actor.role.value}) may not apply {tag!r}: group "
                f"{group['name']!r} is applied by {', '.join(group['apply_roles']) or 'nobody'}",
                permission=f"tag:{group['name']}",
                user=actor.name,
            )
