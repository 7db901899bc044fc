"""Use cases for collections: list mine and those shared with me, read one with its items,
create, edit, share, delete, add and remove assets.

Any catalog reader may make collections of their own. A collection is seen by its owner,
by every catalog reader when its visibility is ``shared``, by the users named in
``shared_with`` when it is ``users``, and by admins; to anyone else it does not exist
(``NotFoundError``, a 404, so that its name does not leak). Only its owner or an admin edits
or deletes it (``PermissionDeniedError``, a 403, for the others who see it). An asset deleted
from its source stays listed, marked removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.auth import Permission, Principal
from sounding.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from sounding.features.collections import repo
from sounding.features.collections.records import (
    PRIVATE,
    USERS,
    VISIBILITIES,
    Collection,
    CollectionItem,
    ItemsAdded,
    ItemsRemoved,
)
from sounding.services.context import Context
from sounding.store.repos import audit, utcnow

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_NOTE = 2000
MAX_ITEMS = 10_000  # assets in one collection
MAX_PER_USER = 500  # collections one user owns
MAX_SHARED_WITH = 200  # users one collection is shared with
MAX_URNS = 1000  # URNs added or removed in one call
MAX_URN = 2000
FIELDS = ("name", "description", "visibility", "shared_with")


def _record(row: Mapping[str, Any], shared_with: Sequence[str], actor: Principal) -> Collection:
    return Collection(
        id=int(row["id"]),
        name=row["name"],
        description=row["description"],
        owner=row["owner"],
        visibility=row["visibility"],
        shared_with=tuple(shared_with),
        item_count=int(row["item_count"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revision=int(row["row_version"]),
        can_edit=_may_edit(row, actor),
    )


def _may_edit(row: Mapping[str, Any], actor: Principal) -> bool:
    return bool(row["owner"] == actor.name or actor.can(Permission.ADMIN))


def _may_see(conn: Connection, row: Mapping[str, Any], actor: Principal) -> bool:
    if _may_edit(row, actor) or row["visibility"] == "shared":
        return True
    if row["visibility"] == USERS:
        return actor.name in repo.shares(conn, [int(row["id"])])[int(row["id"])]
    return False


def _id(ref: str | int) -> int:
    text = str(ref).strip()
    if isinstance(ref, int) or (text.isascii() and text.isdigit() and len(text) < 12):
        return int(text)
    raise NotFoundError(f"Collection {text!r} not found (give its id)", collection=text)


def _visible(conn: Connection, actor: Principal, ref: str | int) -> dict[str, Any]:
    """The collection's row, or ``NotFoundError`` when it does not exist or ``actor`` may not
    see it (the same answer for both)."""
    collection_id = _id(ref)
    row = repo.get(conn, collection_id)
    if row is None or not _may_see(conn, row, actor):
        raise NotFoundError(
            f"Collection {collection_id} not found (sounding collections list shows yours "
            "and those shared with you)",
            collection=str(collection_id),
        )
    return row


def _editable(conn: Connection, actor: Principal, ref: str | int) -> dict[str, Any]:
    row = _visible(conn, actor, ref)
    if not _may_edit(row, actor):
        raise PermissionDeniedError(
            f"Collection {row['id']} ({row['name']!r}) belongs to {row['owner']}: only its "
            "owner or an admin may change it",
            collection=str(row["id"]),
            user=actor.name,
        )
    return row


def _one(conn: Connection, actor: Principal, row: Mapping[str, Any]) -> Collection:
    return _record(row, repo.shares(conn, [int(row["id"])])[int(row["id"])], actor)


def list_collections(
    ctx: Context,
    actor: Principal,
    *,
    limit: int,
    offset: int,
    scope: str = "all",
    q: str | None = None,
) -> tuple[list[Collection], int]:
    """The actor's collections (first) and those shared with them, by name; ``scope``
    ``mine`` or ``shared`` keeps one of the two."""
    actor.require(Permission.CATALOG_READ)
    if scope not in ("all", "mine", "shared"):
        raise InvalidInputError("scope must be one of: all, mine, shared", field="scope")
    with ctx.db.read() as conn:
        rows, total = repo.list_collections(
            conn, user=actor.name, scope=scope, limit=limit, offset=offset, q=q
        )
        shared = repo.shares(conn, [int(r["id"]) for r in rows])
    return [_record(r, shared[int(r["id"])], actor) for r in rows], total


def get_collection(ctx: Context, actor: Principal, ref: str | int) -> Collection:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        return _one(conn, actor, _visible(conn, actor, ref))


def list_items(
    ctx: Context, actor: Principal, ref: str | int, *, limit: int, offset: int
) -> tuple[Collection, list[CollectionItem]]:
    """The collection and a page of its items, in order."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        row = _visible(conn, actor, ref)
        found = repo.items(conn, int(row["id"]), limit=limit, offset=offset)
        collection = _one(conn, actor, row)
    return collection, [
        CollectionItem(
            position=int(r["position"]),
            urn=r["urn"],
            asset_id=r["asset_id"],
            name=r["name"],
            type=r["type"],
            source=r["source"],
            domain=r["domain"],
            removed=r["asset_id"] is None or r["deleted_at"] is not None,
            note=r["note"],
            added_by=r["added_by"],
            added_at=r["added_at"],
        )
        for r in found
    ]


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidInputError(
            f"Cannot set {', '.join(unknown)}; a collection has: {', '.join(FIELDS)}"
        )


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("A collection needs a name", field="name")
    name = " ".join(value.split())
    if len(name) > MAX_NAME:
        raise InvalidInputError(f"name is longer than {MAX_NAME} characters", field="name")
    return name


def _description(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInputError(
            f"description is longer than {MAX_DESCRIPTION} characters", field="description"
        )
    return text or None


def _visibility(value: Any) -> str:
    if value not in VISIBILITIES:
        raise InvalidInputError(
            f"Unknown visibility {value!r}; one of: {', '.join(VISIBILITIES)}",
            field="visibility",
        )
    return str(value)


def _users(value: Any, owner: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInputError("shared_with must be a list of user names", field="shared_with")
    out: list[str] = []
    for v in value:
        name = str(v).strip()
        if len(name) > MAX_NAME:
            raise InvalidInputError(
                f"shared_with: {name[:40]!r}... is longer than {MAX_NAME} characters",
                field="shared_with",
            )
        if name and name != owner and name not in out:
            out.append(name)
    if len(out) > MAX_SHARED_WITH:
        raise InvalidInputError(
            f"A collection is shared with at most {MAX_SHARED_WITH} users", field="shared_with"
        )
    return sorted(out)


def _check_sharing(visibility: str, users: Sequence[str]) -> None:
    if visibility == USERS and not users:
        raise InvalidInputError(
            "visibility 'users' needs shared_with: the users to share it with",
            field="shared_with",
        )


def _check_free(conn: Connection, owner: str, name: str, collection_id: int | None) -> None:
    found = repo.id_by_name(conn, owner, name.casefold())
    if found is not None and found != collection_id:
        raise ConflictError(
            f"You have a collection named {name!r} already (names ignore case)", field="name"
        )


def create_collection(ctx: Context, actor: Principal, data: Mapping[str, Any]) -> Collection:
    """A new, empty collection owned by ``actor``: ``name`` (required), ``description``,
    ``visibility`` (``private`` unless given), ``shared_with``."""
    actor.require(Permission.CATALOG_READ)
    _check_keys(data)
    name = _name(data.get("name"))
    description = _description(data.get("description"))
    visibility = _visibility(data.get("visibility") or PRIVATE)
    users = _users(data.get("shared_with"), actor.name) if visibility == USERS else []
    _check_sharing(visibility, users)
    now = utcnow()
    with ctx.db.write() as conn:
        if repo.count_owned(conn, actor.name) >= MAX_PER_USER:
            raise ConflictError(
                f"You have {MAX_PER_USER} collections, the most one user may have; delete one first"
            )
        _check_free(conn, actor.name, name, None)
        collection_id = repo.insert(
            conn,
            {
                "owner": actor.name,
                "name": name,
                "name_key": name.casefold(),
                "description": description,
                "visibility": visibility,
                "created_at": now,
                "updated_at": now,
            },
        )
        repo.set_shares(conn, collection_id, users)
        audit.record(
            conn,
            actor.name,
            "collection.create",
            "collection",
            str(collection_id),
            {"name": name, "visibility": visibility},
        )
        row = repo.get(conn, collection_id)
        assert row is not None
        return _one(conn, actor, row)


def update_collection(
    ctx: Context, actor: Principal, ref: str | int, data: Mapping[str, Any]
) -> Collection:
    """Change the name, description or sharing of a collection its owner (or an admin)
    edits. ``shared_with`` is the whole new list; making it private or shared with everyone
    forgets the list."""
    actor.require(Permission.CATALOG_READ)
    _check_keys(data)
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _name(data["name"])
        values["name_key"] = values["name"].casefold()
    if "description" in data:
        values["description"] = _description(data["description"])
    if "visibility" in data:
        values["visibility"] = _visibility(data["visibility"])
    with ctx.db.write() as conn:
        row = _editable(conn, actor, ref)
        collection_id = int(row["id"])
        if "name" in values:
            _check_free(conn, row["owner"], values["name"], collection_id)
        visibility = values.get("visibility", row["visibility"])
        if "shared_with" in data:
            users = _users(data["shared_with"], row["owner"])
        else:
            users = repo.shares(conn, [collection_id])[collection_id]
        if visibility != USERS:
            if "shared_with" in data and users and "visibility" not in data:
                visibility = values["visibility"] = USERS  # naming users shares with them
            else:
                users = []
        _check_sharing(visibility, users)
        values["updated_at"] = utcnow()
        repo.update(conn, collection_id, values)
        repo.set_shares(conn, collection_id, users)
        audit.record(
            conn,
            actor.name,
            "collection.update",
            "collection",
            str(collection_id),
            {"fields": sorted(data), "visibility": visibility},
        )
        updated = repo.get(conn, collection_id)
        assert updated is not None
        return _one(conn, actor, updated)


def delete_collection(ctx: Context, actor: Principal, ref: str | int) -> None:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.write() as conn:
        row = _editable(conn, actor, ref)
        repo.delete(conn, int(row["id"]))
        audit.record(
            conn,
            actor.name,
            "collection.delete",
            "collection",
            str(row["id"]),
            {"name": row["name"], "owner": row["owner"]},
        )


def _urns(urns: Any) -> list[str]:
    if not isinstance(urns, list | tuple) or not urns:
        raise InvalidInputError("urns must be a non-empty list of asset URNs", field="urns")
    if len(urns) > MAX_URNS:
        raise InvalidInputError(f"At most {MAX_URNS} URNs in one call", field="urns")
    out: list[str] = []
    for u in urns:
        urn = str(u).strip()
        if not urn or len(urn) > MAX_URN:
            raise InvalidInputError(
                f"urns: {urn[:60]!r} is not an asset URN (1..{MAX_URN} characters)",
                field="urns",
            )
        if urn not in out:
            out.append(urn)
    return out


def add_items(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    urns: Sequence[str],
    *,
    note: str | None = None,
) -> ItemsAdded:
    """Append the assets of ``urns`` (in that order) to the collection, all or none: an
    unknown URN refuses the whole call. Assets it holds already stay where they are."""
    actor.require(Permission.CATALOG_READ)
    wanted = _urns(urns)
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        raise InvalidInputError(f"note is longer than {MAX_NOTE} characters", field="note")
    with ctx.db.write() as conn:
        # lock first: the count and the last position read below are then this write's own
        repo.lock(conn, _id(ref))
        row = _editable(conn, actor, ref)
        collection_id = int(row["id"])
        found = repo.assets_by_urn(conn, wanted)
        ids = {u: a[0] for u, a in found.items()}
        unknown = [u for u in wanted if u not in ids]
        if unknown:
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            raise InvalidInputError(
                f"No asset {', '.join(map(repr, unknown[:3]))}{more}: nothing was added "
                "(search or sounding assets list shows URNs)",
                field="urns",
            )
        present = repo.item_asset_ids(conn, collection_id, list(ids.values()))
        new = [u for u in wanted if ids[u] not in present]
        held = int(row["item_count"])
        if held + len(new) > MAX_ITEMS:
            raise InvalidInputError(
                f"A collection holds at most {MAX_ITEMS} assets: it has {held}, and "
                f"{len(new)} more would not fit",
                field="urns",
            )
        start = repo.last_position(conn, collection_id)
        now = utcnow()
        repo.add_items(
            conn,
            [
                {
                    "collection_id": collection_id,
                    "asset_id": ids[u],
                    "urn": u,
                    "name": found[u][1],
                    "type": found[u][2],
                    "position": start + i + 1,
                    "note": text,
                    "added_by": actor.name,
                    "added_at": now,
                }
                for i, u in enumerate(new)
            ],
        )
        if new:
            repo.update(conn, collection_id, {"updated_at": now})
            audit.record(
                conn,
                actor.name,
                "collection.add",
                "collection",
                str(collection_id),
                {"urns": new[:100], "count": len(new)},
            )
        updated = repo.get(conn, collection_id)
        assert updated is not None
        return ItemsAdded(
            collection=_one(conn, actor, updated),
            added=tuple(new),
            already_present=tuple(u for u in wanted if ids[u] in present),
        )


def remove_items(
    ctx: Context, actor: Principal, ref: str | int, urns: Sequence[str]
) -> ItemsRemoved:
    """Take the assets of ``urns`` out of the collection (those it does not hold are
    reported, not an error)."""
    actor.require(Permission.CATALOG_READ)
    wanted = _urns(urns)
    with ctx.db.write() as conn:
        row = _editable(conn, actor, ref)
        collection_id = int(row["id"])
        held = repo.item_urns(conn, collection_id, wanted)
        gone = [u for u in wanted if u in held]
        repo.remove_items(conn, collection_id, gone)
        if gone:
            repo.update(conn, collection_id, {"updated_at": utcnow()})
            audit.record(
                conn,
                actor.name,
                "collection.remove",
                "collection",
                str(collection_id),
                {"urns": gone[:100], "count": len(gone)},
            )
        updated = repo.get(conn, collection_id)
        assert updated is not None
        return ItemsRemoved(
            collection=_one(conn, actor, updated),
            removed=tuple(gone),
            not_present=tuple(u for u in wanted if u not in held),
        )


def holding(ctx: Context, actor: Principal, asset_id: int) -> list[tuple[Collection, bool]]:
    """The collections ``actor`` may edit (their own, up to 200), each with whether it holds
    the asset: what the asset page's "Add to collection" control offers."""
    mine, _ = list_collections(ctx, actor, limit=200, offset=0, scope="mine")
    with ctx.db.read() as conn:
        inside = repo.containing(conn, asset_id, [c.id for c in mine])
    return [(c, c.id in inside) for c in mine]
