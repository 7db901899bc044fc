"""Use cases for data products: list, read (with ports and health), create, edit, change
status, delete.

A product is referred to by its id or name (unique without regard to case, with a letter).
Its lifecycle is draft → published → deprecated (a draft may be deprecated straight away;
nothing goes back). Its ``version`` starts at 1 and grows by one on every change of its
input or output ports, so consumers can tell that the product's shape changed. A published
product is deprecated before it is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.auth import Permission, Principal
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.data_products import health, repo
from sounding.features.data_products.records import (
    DRAFT,
    INPUT,
    OUTPUT,
    STATUSES,
    TRANSITIONS,
    DataProduct,
    DataProductDetail,
    PortAsset,
)
from sounding.services import catalog
from sounding.services.context import Context
from sounding.store.repos import audit, utcnow

MAX_NAME = 200
MAX_OWNERS = 50
MAX_PORTS = 500  # assets per port direction
MAX_FRESHNESS_HOURS = 24 * 366
FIELDS = ("name", "description", "owners", "domain", "sla", "freshness_hours", "status")
PORTS = ("inputs", "outputs")


def record(row: Mapping[str, Any]) -> DataProduct:
    return DataProduct(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        owners=tuple(row["owners"] or ()),
        domain=row["domain"],
        sla=row["sla"],
        freshness_hours=row["freshness_hours"],
        status=row["status"],
        version=row["version"],
        input_count=int(row["input_count"]),
        output_count=int(row["output_count"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revision=row["row_version"],
    )


def _find(conn: Connection, ref: str | int) -> dict[str, Any]:
    text = str(ref).strip()
    if isinstance(ref, int) or (text.isascii() and text.isdigit()):
        row = repo.get(conn, product_id=int(text))
    else:
        row = repo.get(conn, name=text)
    if row is None:
        raise NotFoundError(
            f"Data product {text!r} not found (give its id or name)", data_product=text
        )
    return row


def _check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise InvalidInputError(
            f"Unknown status {status!r}; one of: {', '.join(STATUSES)}", field="status"
        )


def list_products(
    ctx: Context,
    actor: Principal,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    status: str | None = None,
    domain: str | None = None,
) -> tuple[list[DataProduct], int]:
    actor.require(Permission.CATALOG_READ)
    _check_status(status)
    with ctx.db.read() as conn:
        rows, total = repo.list_products(
            conn, limit=limit, offset=offset, q=q, status=status, domain=domain
        )
    return [record(r) for r in rows], total


def get_product(
    ctx: Context, actor: Principal, ref: str | int, *, with_health: bool = True
) -> DataProductDetail:
    """A product with its ports and (unless ``with_health=False``) its health."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        row = _find(conn, ref)
        ports = repo.ports(conn, row["id"])
    by_direction: dict[str, list[PortAsset]] = {INPUT: [], OUTPUT: []}
    for p in ports:
        by_direction[p["direction"]].append(
            PortAsset(
                id=p["id"],
                urn=p["urn"],
                name=p["name"],
                qualified_name=p["qualified_name"],
                type=p["type"],
                source=p["source"],
                deleted=p["deleted_at"] is not None,
            )
        )
    base = record(row)
    inputs, outputs = tuple(by_direction[INPUT]), tuple(by_direction[OUTPUT])
    return DataProductDetail(
        **{name: getattr(base, name) for name in DataProduct.__dataclass_fields__},
        inputs=inputs,
        outputs=outputs,
        health=health.rollup(ctx, actor, [*inputs, *outputs]) if with_health else None,
    )


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("A data product needs a name", field="name")
    name = " ".join(value.split())
    if len(name) > MAX_NAME:
        raise InvalidInputError(f"name is longer than {MAX_NAME} characters", field="name")
    if name.isdigit():
        raise InvalidInputError("A name needs a letter (digits alone read as an id)", field="name")
    return name


def _owners(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInputError("owners must be a list of user names", field="owners")
    out: list[str] = []
    for v in value:
        name = str(v).strip()
        if len(name) > MAX_NAME:
            raise InvalidInputError(f"owners: {name[:40]!r}... is too long", field="owners")
        if name and name not in out:
            out.append(name)
    if len(out) > MAX_OWNERS:
        raise InvalidInputError(f"At most {MAX_OWNERS} owners", field="owners")
    return out


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _freshness(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError("freshness_hours must be a whole number", field="freshness_hours")
    if not 1 <= value <= MAX_FRESHNESS_HOURS:
        raise InvalidInputError(
            f"freshness_hours must be 1..{MAX_FRESHNESS_HOURS}", field="freshness_hours"
        )
    return value


def _port_ids(ctx: Context, actor: Principal, field: str, refs: Any) -> list[int]:
    """Asset ids of ``refs`` (ids or URNs), each once, all live; a bad one names itself."""
    if refs is None:
        return []
    if not isinstance(refs, list | tuple):
        raise InvalidInputError(f"{field} must be a list of asset ids or URNs", field=field)
    if len(refs) > MAX_PORTS:
        raise InvalidInputError(f"{field}: at most {MAX_PORTS} assets", field=field)
    out: list[int] = []
    for ref in refs:
        try:
            asset = catalog.get_asset(ctx, actor, str(ref).strip(), children=False)
        except NotFoundError as e:
            raise InvalidInputError(f"{field}: no asset {str(ref)!r}", field=field) from e
        if asset.deleted_at is not None:
            raise InvalidInputError(
                f"{field}: {asset.urn} was deleted from its source", field=field
            )
        if asset.id not in out:
            out.append(asset.id)
    return out


def _check_keys(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - {*FIELDS, *PORTS})
    if unknown:
        raise InvalidInputError(
            f"Cannot set {', '.join(unknown)}; a data product has: {', '.join((*FIELDS, *PORTS))}"
        )


def _check_free(conn: Connection, name: str, product_id: int | None) -> None:
    found = repo.get(conn, name=name)
    if found is not None and found["id"] != product_id:
        raise ConflictError(
            f"A data product named {found['name']!r} exists already (names ignore case)",
            field="name",
        )


def create_product(ctx: Context, actor: Principal, data: Mapping[str, Any]) -> DataProductDetail:
    """A new draft product at version 1."""
    actor.require(Permission.CATALOG_WRITE)
    _check_keys(data)
    if data.get("status") not in (None, DRAFT):
        raise InvalidInputError("A data product starts as a draft; publish it afterwards")
    name = _name(data.get("name"))
    inputs = _port_ids(ctx, actor, "inputs", data.get("inputs"))
    outputs = _port_ids(ctx, actor, "outputs", data.get("outputs"))
    now = utcnow()
    with ctx.db.write() as conn:
        _check_free(conn, name, None)
        domain = catalog.check_domain(conn, data.get("domain"))
        product_id = repo.insert(
            conn,
            {
                "name": name,
                "name_key": name.casefold(),
                "description": _text(data.get("description")),
                "owners": _owners(data.get("owners")),
                "domain": domain,
                "sla": _text(data.get("sla")),
                "freshness_hours": _freshness(data.get("freshness_hours")),
                "status": DRAFT,
                "version": 1,
                "created_by": actor.name,
                "created_at": now,
                "updated_at": now,
            },
        )
        repo.set_ports(conn, product_id, INPUT, inputs)
        repo.set_ports(conn, product_id, OUTPUT, outputs)
        audit.record(conn, actor.name, "data_product.create", "data_product", name, {})
    return get_product(ctx, actor, product_id)


def update_product(
    ctx: Context, actor: Principal, ref: str | int, data: Mapping[str, Any]
) -> DataProductDetail:
    """Change fields, ports (``inputs``/``outputs``: the whole new lists) or ``status``
    (draft → published → deprecated). A change of ports is a new version."""
    actor.require(Permission.CATALOG_WRITE)
    _check_keys(data)
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _name(data["name"])
        values["name_key"] = values["name"].casefold()
    if "owners" in data:
        values["owners"] = _owners(data["owners"])
    for key in ("description", "sla"):
        if key in data:
            values[key] = _text(data[key])
    if "freshness_hours" in data:
        values["freshness_hours"] = _freshness(data["freshness_hours"])
    new_ports = {
        direction: _port_ids(ctx, actor, field, data[field])
        for direction, field in ((INPUT, "inputs"), (OUTPUT, "outputs"))
        if field in data
    }
    with ctx.db.write() as conn:
        row = _find(conn, ref)
        if "name" in values:
            _check_free(conn, values["name"], row["id"])
        if "domain" in data:
            values["domain"] = catalog.check_domain(conn, data["domain"])
        if data.get("status") is not None and data["status"] != row["status"]:
            _check_status(data["status"])
            if data["status"] not in TRANSITIONS[row["status"]]:
                allowed = ", ".join(TRANSITIONS[row["status"]]) or "nothing"
                raise ConflictError(
                    f"A {row['status']} data product cannot become {data['status']} "
                    f"(it can become: {allowed})",
                    field="status",
                )
            values["status"] = data["status"]
        before = repo.port_ids(conn, row["id"])
        for direction, ids in new_ports.items():
            repo.set_ports(conn, row["id"], direction, ids)
        changed_ports = bool(new_ports) and repo.port_ids(conn, row["id"]) != before
        if changed_ports:
            values["version"] = row["version"] + 1
        values["updated_at"] = utcnow()
        repo.update(conn, row["id"], values)
        details: dict[str, Any] = {"fields": sorted(data)}
        if changed_ports:
            details["version"] = values["version"]
        target = values.get("name", row["name"])
        audit.record(conn, actor.name, "data_product.update", "data_product", target, details)
    return get_product(ctx, actor, row["id"])


def delete_product(ctx: Context, actor: Principal, ref: str | int) -> None:
    """Delete a draft or deprecated product; a published one is deprecated first."""
    actor.require(Permission.CATALOG_WRITE)
    with ctx.db.write() as conn:
        row = _find(conn, ref)
        if row["status"] == "published":
            raise ConflictError(
                f"Data product {row['name']!r} is published: deprecate it first, so its "
                "consumers are told",
                data_product=row["name"],
            )
        repo.delete(conn, row["id"])
        audit.record(conn, actor.name, "data_product.delete", "data_product", row["name"], {})


def port_refs(items: Sequence[PortAsset]) -> list[str]:
    return [a.urn for a in items]
