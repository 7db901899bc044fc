"""Use cases for custom property definitions, and the check the catalog calls before an
asset's ``custom_properties`` are stored.

A **definition** names a property (``tier``), its type (string, number, enum with its
allowed values, date, user — an existing user's name — or URL), the asset types it applies to
(none listed: every type), a description and whether it is required. Stewards and admins
define them (``catalog:write``).

The check (:func:`check_asset_properties`) runs on every write path of an asset's properties
— the single ``PATCH``, bulk curation, catalog import and manual assets, all through
``services.catalog.check_custom_properties`` — inside the transaction that writes them:

- with no definition at all, properties stay free-form, as before the schema existed;
- once any property is defined, every key written must be a property defined for the asset's
  type, each value of the property's type (``InvalidInputError``, 422, naming the property
  and what to send), and a required property must be present;
- ``null`` removes a property; numbers given as text (CSV imports) are stored as numbers,
  dates as ``YYYY-MM-DD``.

Values stored before a definition existed (or before it changed) are kept as they are: a
value written back unchanged is not checked again, so editing one property of an asset never
fails on another it already held. Deleting a definition that assets hold values for needs
``force``, and removes those values from the assets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Connection

from sounding.domain.assets import AssetType
from sounding.domain.auth import Permission, Principal
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.custom_properties import repo
from sounding.features.custom_properties.records import PropertyDefinition, PropertyType
from sounding.services.context import Context
from sounding.store.repos import audit, utcnow

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_VALUES = 200
MAX_TEXT = 2000
FIELDS = ("name", "description", "type", "allowed_values", "asset_types", "required")
UPDATE_FIELDS = ("description", "allowed_values", "asset_types", "required")
TYPES = tuple(t.value for t in PropertyType)
ASSET_TYPES = tuple(t.value for t in AssetType)


def _record(row: Mapping[str, Any]) -> PropertyDefinition:
    return PropertyDefinition(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        type=PropertyType(row["type"]),
        allowed_values=tuple(row["allowed_values"] or ()),
        asset_types=tuple(row["asset_types"] or ()),
        required=bool(row["required"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revision=row["row_version"],
    )


def _name(value: Any) -> str:
    text = str(value or "").strip().lower()
    if not NAME.match(text):
        raise InvalidInputError(
            f"name {str(value)!r} must be 1-63 characters: lower-case letters, digits or '_', "
            "starting with a letter",
            field="name",
        )
    return text


def _type(value: Any) -> PropertyType:
    if value not in TYPES:
        raise InvalidInputError(
            f"Unknown property type {value!r}; types: {', '.join(TYPES)}", field="type"
        )
    return PropertyType(value)


def _asset_types(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInputError("asset_types must be a list of asset types", field="asset_types")
    out: list[str] = []
    for item in value:
        if item not in ASSET_TYPES:
            raise InvalidInputError(
                f"Unknown asset type {item!r}; types: {', '.join(ASSET_TYPES)}",
                field="asset_types",
            )
        if item not in out:
            out.append(item)
    return out


def _allowed(kind: PropertyType, value: Any) -> list[str]:
    if kind is not PropertyType.ENUM:
        if value:
            raise InvalidInputError(
                "allowed_values is for enum properties only", field="allowed_values"
            )
        return []
    if not isinstance(value, list | tuple) or not value or len(value) > MAX_VALUES:
        raise InvalidInputError(
            f"An enum property needs allowed_values: a list of 1-{MAX_VALUES} values",
            field="allowed_values",
        )
    out: list[str] = []
    for item in value:
        text = str(item).strip()
        if not text or len(text) > 200:
            raise InvalidInputError(
                "each allowed value must be 1-200 characters", field="allowed_values"
            )
        if text not in out:
            out.append(text)
    return out


def _find(conn: Connection, name: str) -> dict[str, Any]:
    row = repo.get(conn, str(name).strip().lower())
    if row is None:
        raise NotFoundError(f"Property {name!r} is not defined", property=str(name))
    return row


def list_properties(
    ctx: Context,
    actor: Principal,
    *,
    limit: int,
    offset: int,
    asset_type: str | None = None,
) -> tuple[list[PropertyDefinition], int]:
    """The definitions, by name; ``asset_type``: those an asset of that type may carry."""
    actor.require(Permission.CATALOG_READ)
    if asset_type is not None:
        _asset_types([asset_type])
    with ctx.db.read() as conn:
        rows, total = repo.list_defs(conn, limit, offset, asset_type)
    return [_record(r) for r in rows], total


def get_property(ctx: Context, actor: Principal, name: str) -> PropertyDefinition:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        return _record(_find(conn, name))


def create_property(ctx: Context, actor: Principal, data: Mapping[str, Any]) -> PropertyDefinition:
    """A new definition. Assets holding a value under that name keep it as it is."""
    actor.require(Permission.CATALOG_WRITE)
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidInputError(
            f"Cannot set {', '.join(unknown)}; a property has: {', '.join(FIELDS)}"
        )
    name = _name(data.get("name"))
    kind = _type(data.get("type"))
    now = utcnow()
    values = {
        "name": name,
        "description": str(data.get("description") or "").strip() or None,
        "type": kind.value,
        "allowed_values": _allowed(kind, data.get("allowed_values")),
        "asset_types": _asset_types(data.get("asset_types")),
        "required": bool(data.get("required") or False),
        "created_by": actor.name,
        "created_at": now,
        "updated_at": now,
    }
    with ctx.db.write() as conn:
        if repo.get(conn, name) is not None:
            raise ConflictError(f"A property named {name!r} is defined already", field="name")
        repo.insert(conn, values)
        audit.record(conn, actor.name, "property.create", "property", name, {"type": kind.value})
    return get_property(ctx, actor, name)


def update_property(
    ctx: Context, actor: Principal, name: str, data: Mapping[str, Any]
) -> PropertyDefinition:
    """Change the description, allowed values, asset types or required flag (the name and
    type stay: define a new property to change them). Stored values are kept as they are."""
    actor.require(Permission.CATALOG_WRITE)
    unknown = sorted(set(data) - set(UPDATE_FIELDS))
    if unknown:
        raise InvalidInputError(
            f"Cannot set {', '.join(unknown)}; editable: {', '.join(UPDATE_FIELDS)} (the name "
            "and type of a property stay)"
        )
    with ctx.db.write() as conn:
        row = _find(conn, name)
        kind = PropertyType(row["type"])
        values: dict[str, Any] = {}
        if "description" in data:
            values["description"] = str(data["description"] or "").strip() or None
        if "allowed_values" in data:
            values["allowed_values"] = _allowed(kind, data["allowed_values"])
        if "asset_types" in data:
            values["asset_types"] = _asset_types(data["asset_types"])
        if "required" in data:
            values["required"] = bool(data["required"])
        values["updated_at"] = utcnow()
        repo.update(conn, row["id"], values)
        audit.record(
            conn, actor.name, "property.update", "property", row["name"], {"fields": sorted(data)}
        )
    return get_property(ctx, actor, row["name"])


def usage(ctx: Context, actor: Principal, name: str) -> int:
    """How many assets hold a value for the property."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        row = _find(conn, name)
        return len(repo.holders(conn, row["name"]))


def delete_property(ctx: Context, actor: Principal, name: str, *, force: bool = False) -> int:
    """Delete a definition. If assets hold values for it, ``force`` is needed (a
    ``ConflictError`` says how many otherwise) and removes the values from those assets.
    Returns how many assets lost a value."""
    actor.require(Permission.CATALOG_WRITE)
    with ctx.db.write() as conn:
        row = _find(conn, name)
        held = repo.holders(conn, row["name"])
        if held and not force:
            raise ConflictError(
                f"{len(held)} asset(s) hold a value for property {row['name']!r}: delete with "
                "force=true to remove the definition and those values",
                property=row["name"],
                assets=len(held),
            )
        for asset_id, values in held.items():
            values.pop(row["name"], None)
            repo.set_properties(conn, asset_id, values)
        repo.delete(conn, row["id"])
        audit.record(
            conn, actor.name, "property.delete", "property", row["name"], {"cleared": len(held)}
        )
    return len(held)


# --- the check the catalog calls ------------------------------------------------------------


def _value(conn: Connection, d: Mapping[str, Any], value: Any) -> Any:
    """``value`` as property ``d`` stores it, or an ``InvalidInputError`` saying what to send."""
    name, kind = d["name"], PropertyType(d["type"])

    def bad(what: str) -> InvalidInputError:
        return InvalidInputError(
            f"Property {name!r} is {what}; got {value!r}", field="custom_properties", property=name
        )

    if kind is PropertyType.NUMBER:
        if isinstance(value, bool):
            raise bad("a number")
        if isinstance(value, int | float):
            number: float = value
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise bad("a number") from None
        else:
            raise bad("a number")
        if number != number or number in (float("inf"), float("-inf")):
            raise bad("a finite number")
        return int(number) if float(number).is_integer() and abs(number) < 2**53 else number
    if not isinstance(value, str):
        raise bad(f"{'an' if kind is PropertyType.ENUM else 'a'} {kind.value} (text)")
    text = value.strip()
    if not text or len(text) > MAX_TEXT:
        raise bad(f"a {kind.value} of 1-{MAX_TEXT} characters")
    if kind is PropertyType.ENUM and text not in (d["allowed_values"] or []):
        raise bad(f"one of {', '.join(d['allowed_values'] or [])}")
    if kind is PropertyType.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise bad("a date (YYYY-MM-DD)") from None
    if kind is PropertyType.URL:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
            raise bad("an http(s) URL such as https://example.com/page")
    if kind is PropertyType.USER and not repo.user_exists(conn, text):
        raise bad("a user: the name of an existing user")
    return text


def check_asset_properties(
    conn: Connection,
    asset_type: str,
    values: Mapping[str, Any],
    stored: Mapping[str, Any],
) -> dict[str, Any]:
    """The properties to store on an asset of ``asset_type`` holding ``stored`` now, checked
    against the definitions (free-form while nothing is defined): a value written must be
    defined for the type and of its type; a value kept exactly as stored is kept as it is
    (values from before a definition); ``None`` values are dropped."""
    defined = repo.all_defs(conn)
    if not defined:
        return dict(values)
    applies = {
        d["name"]: d for d in defined if not d["asset_types"] or asset_type in d["asset_types"]
    }
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key in stored and stored[key] == value:
            out[key] = value  # unchanged: kept as stored, whatever the definitions say now
            continue
        d = applies.get(key)
        if d is None:
            offered = ", ".join(sorted(applies)) or "none"
            raise InvalidInputError(
                f"Unknown property {key!r} for a {asset_type}: define it first (POST "
                f"/api/v1/custom-properties) or use one of: {offered}",
                field="custom_properties",
                property=key,
            )
        out[key] = _value(conn, d, value)
    missing = sorted(n for n, d in applies.items() if d["required"] and n not in out)
    if missing:
        raise InvalidInputError(
            f"Property {missing[0]!r} is required on a {asset_type}: give it a value",
            field="custom_properties",
            property=missing[0],
        )
    return out
