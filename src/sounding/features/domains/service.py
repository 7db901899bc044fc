"""Use cases for domains: list, read, create, edit and delete them; check an asset's domain.

A domain is referred to by its id or its name (names are unique without regard to case and
hold no ``/``; a name of digits only would read as an id, so names need a letter). An asset
belongs to at most one domain: ``assets.domain`` holds the domain's name, as it always did,
so API clients that read or write that field keep working; the catalog's
``check_domain`` (through this feature's :func:`check_asset_domain`) refuses a name that is
not a domain's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.auth import Permission, Principal
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.domains import repo
from sounding.features.domains.records import Domain, DomainDetail
from sounding.services import catalog
from sounding.services.context import Context
from sounding.store.repos import audit, utcnow

MAX_NAME = 200
MAX_OWNERS = 50
MAX_DEPTH = 20  # how deep domains nest
EDITABLE = ("name", "description", "owners", "parent")


def record(row: Mapping[str, Any]) -> Domain:
    return Domain(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        owners=tuple(row["owners"] or ()),
        parent=row["parent"],
        parent_id=row["parent_id"],
        asset_count=int(row["asset_count"]),
        subdomain_count=int(row["subdomain_count"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revision=row["row_version"],
    )


def _find(conn: Connection, ref: str | int) -> dict[str, Any]:
    text = str(ref).strip()
    if isinstance(ref, int) or (text.isascii() and text.isdigit()):
        row = repo.get(conn, domain_id=int(text))
    else:
        row = repo.get(conn, name=text)
    if row is None:
        raise NotFoundError(
            f"Domain {text!r} not found (give its id or name; sounding domains list shows them)",
            domain=text,
        )
    return row


def list_domains(
    ctx: Context,
    actor: Principal,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    parent: str | None = None,
    top: bool = False,
    owner: str | None = None,
) -> tuple[list[Domain], int]:
    """A page of domains by name: those whose name contains ``q``, the children of
    ``parent``, only the top-level ones (``top``), or those ``owner`` owns."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        parent_id = _find(conn, parent)["id"] if parent else None
        rows, total = repo.list_domains(
            conn, limit=limit, offset=offset, q=q, parent_id=parent_id, top=top, owner=owner
        )
    return [record(r) for r in rows], total


def get_domain(
    ctx: Context, actor: Principal, ref: str | int, *, asset_limit: int = 50
) -> DomainDetail:
    """A domain with its path, its sub-domains and its first ``asset_limit`` assets."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        row = _find(conn, ref)
        kids = repo.children(conn, row["id"])
        path = _path(conn, row["id"])
    items, _ = (
        catalog.list_assets(ctx, actor, limit=asset_limit, offset=0, domain=row["name"])
        if asset_limit
        else ([], 0)
    )
    base = record(row)
    return DomainDetail(
        **{name: getattr(base, name) for name in Domain.__dataclass_fields__},
        path=tuple(path),
        subdomains=tuple(record(k) for k in kids),
        assets=tuple(items),
    )


def _path(conn: Connection, domain_id: int) -> list[str]:
    names: list[str] = []
    current: int | None = domain_id
    while current is not None and len(names) <= MAX_DEPTH + 1:
        found = repo.parent_of(conn, current)
        if found is None:
            break
        current, name = found
        names.append(name)
    return names[:0:-1]  # the ancestors, top first, without the domain itself


def _clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("A domain needs a name", field="name")
    name = " ".join(value.split())
    if len(name) > MAX_NAME:
        raise InvalidInputError(f"name is longer than {MAX_NAME} characters", field="name")
    if "/" in name:
        raise InvalidInputError("A domain name cannot hold '/'; nest with parent", field="name")
    if name.isdigit():
        raise InvalidInputError(
            "A domain name needs a letter (digits alone read as an id)", field="name"
        )
    return name


def _clean_owners(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInputError("owners must be a list of user names", field="owners")
    out: list[str] = []
    for v in value:
        name = str(v).strip()
        if len(name) > MAX_NAME:
            raise InvalidInputError(
                f"owners: {name[:40]!r}... is longer than {MAX_NAME} characters", field="owners"
            )
        if name and name not in out:
            out.append(name)
    if len(out) > MAX_OWNERS:
        raise InvalidInputError(f"A domain has at most {MAX_OWNERS} owners", field="owners")
    return out


def _check_free(conn: Connection, name: str, domain_id: int | None) -> None:
    found = repo.get(conn, name=name)
    if found is not None and found["id"] != domain_id:
        raise ConflictError(
            f"A domain named {found['name']!r} exists already (names ignore case)", field="name"
        )


def _parent_id(conn: Connection, parent: Any, domain_id: int | None) -> int | None:
    """The id of the parent given by id or name, refusing a cycle and too deep a nesting."""
    if parent is None or (isinstance(parent, str) and not parent.strip()):
        return None
    if not isinstance(parent, str | int):
        raise InvalidInputError("parent must be a domain's id or name", field="parent")
    try:
        row = _find(conn, parent)
    except NotFoundError as e:
        raise InvalidInputError(f"Unknown parent domain {str(parent)!r}", field="parent") from e
    chain = [row["id"], *_ancestor_ids(conn, row["id"])]
    if domain_id is not None and domain_id in chain:
        raise InvalidInputError(
            f"Domain {row['name']!r} cannot be the parent: it is this domain or one of its "
            "sub-domains, which would make a cycle",
            field="parent",
        )
    if len(chain) >= MAX_DEPTH:
        raise InvalidInputError(f"Domains nest at most {MAX_DEPTH} deep", field="parent")
    return int(row["id"])


def _ancestor_ids(conn: Connection, domain_id: int) -> list[int]:
    out: list[int] = []
    found = repo.parent_of(conn, domain_id)
    while found is not None and found[0] is not None and len(out) <= MAX_DEPTH:
        out.append(found[0])
        found = repo.parent_of(conn, found[0])
    return out


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise InvalidInputError(
            f"Cannot set {', '.join(unknown)}; a domain has: {', '.join(EDITABLE)}"
        )


def _description(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def create_domain(ctx: Context, actor: Principal, data: Mapping[str, Any]) -> DomainDetail:
    """A new domain: ``name`` (required), ``description``, ``owners``, ``parent``."""
    actor.require(Permission.CATALOG_WRITE)
    _check_keys(data)
    name = _clean_name(data.get("name"))
    owners = _clean_owners(data.get("owners"))
    now = utcnow()
    with ctx.db.write() as conn:
        _check_free(conn, name, None)
        parent_id = _parent_id(conn, data.get("parent"), None)
        domain_id = repo.insert(
            conn,
            {
                "name": name,
                "name_key": name.casefold(),
                "description": _description(data.get("description")),
                "owners": owners,
                "parent_id": parent_id,
                "created_by": actor.name,
                "created_at": now,
                "updated_at": now,
            },
        )
        audit.record(conn, actor.name, "domain.create", "domain", name, {"parent": parent_id})
    return get_domain(ctx, actor, domain_id)


def update_domain(
    ctx: Context, actor: Principal, ref: str | int, data: Mapping[str, Any]
) -> DomainDetail:
    """Change a domain's name, description, owners or parent; renaming it renames it on its
    assets in the same transaction."""
    actor.require(Permission.CATALOG_WRITE)
    _check_keys(data)
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _clean_name(data["name"])
        values["name_key"] = values["name"].casefold()
    if "owners" in data:
        values["owners"] = _clean_owners(data["owners"])
    if "description" in data:
        values["description"] = _description(data["description"])
    with ctx.db.write() as conn:
        row = _find(conn, ref)
        if "parent" in data:
            values["parent_id"] = _parent_id(conn, data["parent"], row["id"])
        renamed = "name" in values and values["name"] != row["name"]
        if renamed:
            _check_free(conn, values["name"], row["id"])
            repo.rename_assets(conn, row["name"], values["name"])
        values["updated_at"] = utcnow()
        repo.update(conn, row["id"], values)
        details: dict[str, Any] = {"fields": sorted(data)}
        if renamed:
            details["renamed_from"] = row["name"]
        audit.record(
            conn, actor.name, "domain.update", "domain", values.get("name", row["name"]), details
        )
    return get_domain(ctx, actor, row["id"])


def delete_domain(ctx: Context, actor: Principal, ref: str | int) -> None:
    """Delete an empty domain. One with assets or sub-domains is refused (move or clear them
    first); assets deleted from their sources that still name it are taken out of it."""
    actor.require(Permission.CATALOG_WRITE)
    with ctx.db.write() as conn:
        row = _find(conn, ref)
        live = repo.asset_count(conn, row["name"], include_deleted=False)
        kids = [k["name"] for k in repo.children(conn, row["id"])]
        if live or kids:
            parts = []
            if live:
                parts.append(f"{live} asset{'s' if live != 1 else ''}")
            if kids:
                parts.append(f"sub-domains {', '.join(kids[:5])}{' ...' if len(kids) > 5 else ''}")
            raise ConflictError(
                f"Domain {row['name']!r} is not empty: it has {' and '.join(parts)}; move them "
                "to another domain (or none) first",
                domain=row["name"],
            )
        repo.rename_assets_to_none(conn, row["name"])
        repo.delete(conn, row["id"])
        audit.record(conn, actor.name, "domain.delete", "domain", row["name"], {})


def check_asset_domain(conn: Connection, name: str) -> str:
    """The domain's name as stored, for an asset put in the domain ``name`` (any case);
    ``InvalidInputError`` if no domain has that name."""
    found = repo.name_by_key(conn, name)
    if found is None:
        raise InvalidInputError(
            f"Unknown domain {name!r}: create it first (POST /api/v1/domains, or "
            "sounding domains create) or pick one of GET /api/v1/domains",
            field="domain",
        )
    return found
