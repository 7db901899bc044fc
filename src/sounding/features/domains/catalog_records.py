"""Domains in the catalog export and import: one ``domain`` record each (``name``,
``description``, ``owners``, ``parent``), parents before their sub-domains, so that assets
(and data products) naming a domain find it when a file is imported into an empty store."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from sounding.errors import InvalidInputError
from sounding.features.domains import repo, service
from sounding.services.features import CatalogRecords
from sounding.store.repos import audit, utcnow

KIND = "domain"
FIELDS = ("name", "description", "owners", "parent")


def export(conn: Connection) -> list[dict[str, Any]]:
    """Every domain, top-level ones first, then each level by name (case-folded)."""
    rows, _ = repo.list_domains(conn, limit=1_000_000, offset=0)
    parent_of = {r["name"]: r["parent"] for r in rows}

    def depth(name: str) -> int:
        n, current = 0, parent_of.get(name)
        while current is not None and n <= service.MAX_DEPTH:
            n, current = n + 1, parent_of.get(current)
        return n

    out: list[tuple[int, str, dict[str, Any]]] = []
    for r in rows:
        rec: dict[str, Any] = {"kind": KIND, "name": r["name"]}
        if r["description"]:
            rec["description"] = r["description"]
        if r["owners"]:
            rec["owners"] = list(r["owners"])
        if r["parent"]:
            rec["parent"] = r["parent"]
        out.append((depth(r["name"]), r["name_key"], rec))
    return [rec for _, _, rec in sorted(out, key=lambda t: (t[0], t[1]))]


def check(conn: Connection, rec: dict[str, Any]) -> None:
    """A domain record is right when its name, owners and parent are (the parent a domain of
    the store, or one earlier in the file, which is applied before this one is checked)."""
    name = service._clean_name(rec.get("name"))
    if "owners" in rec:
        service._clean_owners(rec["owners"])
    if rec.get("description") is not None and not isinstance(rec["description"], str):
        raise InvalidInputError("description must be a string")
    parent = rec.get("parent")
    if parent is not None:
        if not isinstance(parent, str):
            raise InvalidInputError("parent must be a domain's name (a string)")
        if repo.get(conn, name=parent) is None:
            raise InvalidInputError(
                f"parent {parent!r} is not a domain of the store nor earlier in the file"
            )
        row = repo.get(conn, name=name)
        service._parent_id(conn, parent, row["id"] if row else None)


def apply(conn: Connection, actor: str, rec: dict[str, Any]) -> str:
    name = service._clean_name(rec["name"])
    row = repo.get(conn, name=name)
    values: dict[str, Any] = {}
    if "description" in rec:
        values["description"] = service._description(rec["description"])
    if "owners" in rec:
        values["owners"] = service._clean_owners(rec["owners"])
    if "parent" in rec:
        values["parent_id"] = service._parent_id(conn, rec["parent"], row["id"] if row else None)
    now = utcnow()
    if row is None:
        repo.insert(
            conn,
            {
                "name": name,
                "name_key": name.casefold(),
                "description": values.get("description"),
                "owners": values.get("owners", []),
                "parent_id": values.get("parent_id"),
                "created_by": actor,
                "created_at": now,
                "updated_at": now,
            },
        )
        audit.record(conn, actor, "domain.import", "domain", name, {"created": True})
        return "created"
    if name != row["name"]:  # the same domain, spelled in another case
        values["name"] = name
        repo.rename_assets(conn, row["name"], name)
    if "owners" in values and list(row["owners"] or []) == values["owners"]:
        del values["owners"]
    changed = {k: v for k, v in values.items() if k == "name" or row[k] != v}
    if not changed:
        return "unchanged"
    repo.update(conn, row["id"], {**changed, "updated_at": now})
    audit.record(conn, actor, "domain.import", "domain", name, {"fields": sorted(changed)})
    return "updated"


def providers() -> tuple[CatalogRecords, ...]:
    return (
        CatalogRecords(
            kind=KIND,
            fields=FIELDS,
            export=export,
            check=check,
            apply=apply,
            json_fields=("owners",),
        ),
    )
