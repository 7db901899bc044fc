"""Data products in the catalog export and import: one ``data_product`` record each
(``name``, ``description``, ``owners``, ``domain``, ``sla``, ``freshness_hours``, ``status``,
``version``, ``inputs`` and ``outputs`` as asset URNs), after the assets, since its ports
name them (manual assets are created earlier in the same import)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from sounding.errors import InvalidInputError
from sounding.features.data_products import repo, service
from sounding.features.data_products.records import INPUT, OUTPUT, STATUSES, TRANSITIONS
from sounding.services import catalog
from sounding.services.features import CatalogRecords
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit, utcnow

KIND = "data_product"
FIELDS = (
    "name",
    "description",
    "owners",
    "domain",
    "sla",
    "freshness_hours",
    "status",
    "version",
    "inputs",
    "outputs",
)
PORT_FIELDS = ((INPUT, "inputs"), (OUTPUT, "outputs"))
MAX_VERSION = 1_000_000_000


def _live_ports(conn: Connection, product_id: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {INPUT: [], OUTPUT: []}
    for p in repo.ports(conn, product_id):
        if p["deleted_at"] is None:
            out[p["direction"]].append(p["urn"])
    return {d: sorted(urns) for d, urns in out.items()}


def export(conn: Connection) -> list[dict[str, Any]]:
    """Every product by name (case-folded); its ports' live assets by URN."""
    rows, _ = repo.list_products(conn, limit=1_000_000, offset=0)
    out = []
    for r in rows:
        rec: dict[str, Any] = {"kind": KIND, "name": r["name"]}
        for key in ("description", "domain", "sla", "freshness_hours"):
            if r[key] is not None:
                rec[key] = r[key]
        if r["owners"]:
            rec["owners"] = list(r["owners"])
        rec["status"] = r["status"]
        rec["version"] = r["version"]
        ports = _live_ports(conn, r["id"])
        for direction, field in PORT_FIELDS:
            if ports[direction]:
                rec[field] = ports[direction]
        out.append(rec)
    return out


def _port_ids(conn: Connection, field: str, refs: Any) -> list[int]:
    if not isinstance(refs, list) or not all(isinstance(u, str) for u in refs):
        raise InvalidInputError(f"{field} must be a list of asset URNs")
    if len(refs) > service.MAX_PORTS:
        raise InvalidInputError(f"{field}: at most {service.MAX_PORTS} assets")
    out: list[int] = []
    for urn in refs:
        row = asset_repo.get(conn, urn=urn)
        if row is None or row["deleted_at"] is not None:
            raise InvalidInputError(
                f"{field}: {urn!r} is not in the catalog (scan its source first, or put its "
                "manual_asset record earlier in the file)"
            )
        if row["id"] not in out:
            out.append(int(row["id"]))
    return out


def check(conn: Connection, rec: dict[str, Any]) -> None:
    """Every field right, its domain a domain's, its ports live assets, and a status a
    product in the store can move to."""
    name = service._name(rec.get("name"))
    if "owners" in rec:
        service._owners(rec["owners"])
    for key in ("description", "sla"):
        if rec.get(key) is not None and not isinstance(rec[key], str):
            raise InvalidInputError(f"{key} must be a string")
    service._freshness(rec.get("freshness_hours"))
    if "domain" in rec:
        catalog.check_domain(conn, rec["domain"])
    status = rec.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInputError(f"status {status!r}: use {', '.join(STATUSES)}")
    version = rec.get("version")
    if version is not None and (
        isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION
    ):
        raise InvalidInputError(f"version must be a whole number 1..{MAX_VERSION}")
    row = repo.get(conn, name=name)
    if row is not None and status not in (None, row["status"], *TRANSITIONS[row["status"]]):
        raise InvalidInputError(
            f"data product {row['name']!r} is {row['status']} in the store and cannot become "
            f"{status}"
        )
    for _, field in PORT_FIELDS:
        if field in rec:
            _port_ids(conn, field, rec[field])


def apply(conn: Connection, actor: str, rec: dict[str, Any]) -> str:
    """Create the product (as the record says, status and version included) or set what
    differs; ``inputs``/``outputs`` are the whole lists of its ports' live assets."""
    name = service._name(rec["name"])
    values: dict[str, Any] = {}
    for key in ("description", "sla"):
        if key in rec:
            values[key] = service._text(rec[key])
    if "owners" in rec:
        values["owners"] = service._owners(rec["owners"])
    if "freshness_hours" in rec:
        values["freshness_hours"] = service._freshness(rec["freshness_hours"])
    if "domain" in rec:
        values["domain"] = catalog.check_domain(conn, rec["domain"])
    for key in ("status", "version"):
        if key in rec:
            values[key] = rec[key]
    ports = {d: _port_ids(conn, f, rec[f]) for d, f in PORT_FIELDS if f in rec}
    row = repo.get(conn, name=name)
    now = utcnow()
    if row is None:
        product_id = repo.insert(
            conn,
            {
                "name": name,
                "name_key": name.casefold(),
                "description": values.get("description"),
                "owners": values.get("owners", []),
                "domain": values.get("domain"),
                "sla": values.get("sla"),
                "freshness_hours": values.get("freshness_hours"),
                "status": values.get("status", "draft"),
                "version": values.get("version", 1),
                "created_by": actor,
                "created_at": now,
                "updated_at": now,
            },
        )
        for direction, ids in ports.items():
            repo.set_ports(conn, product_id, direction, ids)
        audit.record(conn, actor, "data_product.import", "data_product", name, {"created": True})
        return "created"
    if name != row["name"]:
        values["name"] = name
    changed = sorted(
        k for k, v in values.items() if (list(row[k] or []) != v if k == "owners" else row[k] != v)
    )
    live = _live_ports(conn, row["id"])
    for direction, ids in ports.items():
        field = dict(PORT_FIELDS)[direction]
        if sorted(set(rec[field])) != live[direction]:
            repo.set_ports(conn, row["id"], direction, ids)
            changed.append(field)
    if not changed:
        return "unchanged"
    repo.update(
        conn, row["id"], {**{k: values[k] for k in changed if k in values}, "updated_at": now}
    )
    audit.record(conn, actor, "data_product.import", "data_product", name, {"fields": changed})
    return "updated"


def providers() -> tuple[CatalogRecords, ...]:
    return (
        CatalogRecords(
            kind=KIND,
            fields=FIELDS,
            export=export,
            check=check,
            apply=apply,
            json_fields=("owners", "freshness_hours", "version", "inputs", "outputs"),
            after_assets=True,
        ),
    )
