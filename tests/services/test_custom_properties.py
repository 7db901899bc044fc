"""Custom properties over a real store: typed definitions per asset type; the single edit,
bulk curation and catalog import all check values against them (unknown property or wrong
type: 422 naming the property, nothing written); values stored before a definition stay;
search finds an asset by a value and filters/facets on ``name:value``; deleting a definition
in use needs force and clears the values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.auth import Principal, Role
from sounding.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from sounding.features.accounts import service as accounts
from sounding.features.custom_properties import service as props
from sounding.services import bulk_curation, catalog, catalog_io, scans, search, sources
from sounding.services.bulk_curation import BulkChange
from tests.factories import sqlite_source

ORDERS = "urn:sounding:shop:main.orders"
CUSTOMERS = "urn:sounding:shop:main.customers"


def _props(ctx: Any, actor: Any, urn: str) -> dict[str, Any]:
    return dict(catalog.get_asset(ctx, actor, urn).custom_properties)


def test_definitions_check_every_write_path(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    ctx = any_ctx
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop")
    # free-form while nothing is defined; this value stays after definitions exist
    catalog.update_asset(ctx, operator, CUSTOMERS, {"custom_properties": {"legacy": [1, 2]}})
    accounts.create_user(ctx, operator, "ann", "steward")

    tier = props.create_property(
        ctx,
        operator,
        {
            "name": "Tier",
            "type": "enum",
            "allowed_values": ["gold", "silver"],
            "asset_types": ["table", "view"],
            "description": "How much we care",
        },
    )
    assert (tier.name, tier.type.value, tier.allowed_values) == ("tier", "enum", ("gold", "silver"))
    for spec in (
        {"name": "rows_budget", "type": "number"},
        {"name": "review_on", "type": "date"},
        {"name": "expert", "type": "user"},
        {"name": "runbook", "type": "url"},
        {"name": "note", "type": "string"},
    ):
        props.create_property(ctx, operator, spec)
    with pytest.raises(ConflictError):
        props.create_property(ctx, operator, {"name": "tier", "type": "string"})
    bad_specs: list[dict[str, Any]] = [
        {"name": "x", "type": "enum"},  # no values
        {"name": "x", "type": "string", "allowed_values": ["a"]},
        {"name": "x", "type": "colour"},
        {"name": "9x", "type": "string"},
        {"name": "x", "type": "string", "asset_types": ["spreadsheet"]},
    ]
    for spec in bad_specs:
        with pytest.raises(InvalidInputError):
            props.create_property(ctx, operator, spec)
    assert catalog.get_asset(ctx, operator, CUSTOMERS).custom_properties == {"legacy": [1, 2]}

    good = {
        "tier": "gold",
        "rows_budget": "1500",  # text from a form or a CSV: stored as a number
        "review_on": "2027-01-31",
        "expert": "ann",
        "runbook": "https://wiki.example.com/orders",
        "note": "hot table",
    }
    # a value held from before the definitions is kept when other properties are written
    kept = {"legacy": [1, 2], "note": "vip"}
    assert catalog.update_asset(ctx, operator, CUSTOMERS, {"custom_properties": kept})
    assert _props(ctx, operator, CUSTOMERS) == kept
    with pytest.raises(InvalidInputError, match="Unknown property 'legacy'"):
        catalog.update_asset(ctx, operator, CUSTOMERS, {"custom_properties": {"legacy": [3]}})
    catalog.update_asset(ctx, operator, CUSTOMERS, {"custom_properties": {"legacy": [1, 2]}})
    done = catalog.update_asset(ctx, operator, ORDERS, {"custom_properties": good})
    assert done.custom_properties == {**good, "rows_budget": 1500}
    refused = {
        "colour": "blue",  # not defined
        "tier": "platinum",
        "rows_budget": "lots",
        "review_on": "31/01/2027",
        "expert": "nobody",
        "runbook": "wiki/orders",
        "note": 5,
    }
    for key, value in refused.items():
        with pytest.raises(InvalidInputError) as info:
            catalog.update_asset(ctx, operator, ORDERS, {"custom_properties": {key: value}})
        assert repr(key) in info.value.message, info.value.message
    assert "one of gold, silver" in _message(ctx, operator, {"tier": "platinum"})
    assert "Unknown property 'colour'" in _message(ctx, operator, {"colour": "blue"})
    assert _props(ctx, operator, ORDERS)["tier"] == "gold"  # nothing written
    # tier applies to tables and views only: not to a column
    column = catalog.get_asset(ctx, operator, ORDERS + "#id")
    with pytest.raises(InvalidInputError, match="Unknown property 'tier' for a column"):
        catalog.update_asset(ctx, operator, column.urn, {"custom_properties": {"tier": "gold"}})

    # a required property must be present on every write of an asset's properties
    props.update_property(ctx, operator, "note", {"required": True, "asset_types": ["table"]})
    with pytest.raises(InvalidInputError, match="'note' is required"):
        catalog.update_asset(ctx, operator, ORDERS, {"custom_properties": {"tier": "gold"}})
    props.update_property(ctx, operator, "note", {"required": False})
    with pytest.raises(InvalidInputError):
        props.update_property(ctx, operator, "note", {"type": "number"})

    # bulk curation: all or nothing
    change = BulkChange(set={"custom_properties": {"tier": "bronze"}})
    with pytest.raises(InvalidInputError, match="tier"):
        bulk_curation.bulk_update(ctx, operator, change, urns=[ORDERS])
    assert _props(ctx, operator, ORDERS)["tier"] == "gold"
    bulk_curation.bulk_update(
        ctx, operator, BulkChange(set={"custom_properties": {"tier": "silver"}}), urns=[ORDERS]
    )
    assert _props(ctx, operator, ORDERS)["tier"] == "silver"

    # catalog import: per-row errors, nothing written
    line = {"kind": "asset", "urn": ORDERS, "custom_properties": {"tier": "tin"}}
    with pytest.raises(InvalidInputError, match="tier"):
        catalog_io.import_text(ctx, operator, json.dumps(line) + "\n", "jsonl")
    assert _props(ctx, operator, ORDERS)["tier"] == "silver"
    line["custom_properties"] = {"tier": "gold", "note": "imported"}
    catalog_io.import_text(ctx, operator, json.dumps(line) + "\n", "jsonl")
    assert _props(ctx, operator, ORDERS) == {"tier": "gold", "note": "imported"}

    # search: a value finds the asset; the property facet and filter
    found = search.search(ctx, operator, "imported", limit=10, offset=0)
    assert ORDERS in [h["urn"] for h in found["items"]]
    page = search.search(
        ctx, operator, "", limit=50, offset=0, filters={"properties": ("tier:gold",)}
    )
    assert [h["urn"] for h in page["items"]] == [ORDERS]
    assert page["facets"]["property"]["tier:gold"] == 1
    none = search.search(
        ctx, operator, "", limit=50, offset=0, filters={"properties": ("tier:silver",)}
    )
    assert none["total"] == 0

    # listing by asset type; who may define
    names = [p.name for p in props.list_properties(ctx, operator, limit=50, offset=0)[0]]
    assert names == ["expert", "note", "review_on", "rows_budget", "runbook", "tier"]
    for_columns, _ = props.list_properties(ctx, operator, limit=50, offset=0, asset_type="column")
    assert [p.name for p in for_columns] == ["expert", "review_on", "rows_budget", "runbook"]
    viewer = Principal("v", Role.VIEWER)
    assert props.list_properties(ctx, viewer, limit=2, offset=0)[1] == 6
    with pytest.raises(PermissionDeniedError):
        props.create_property(ctx, viewer, {"name": "mine", "type": "string"})

    # deleting a definition in use needs force, and clears the values
    assert props.usage(ctx, operator, "tier") == 1
    with pytest.raises(ConflictError, match=r"1 asset\(s\) hold a value for property 'tier'"):
        props.delete_property(ctx, operator, "tier")
    assert props.delete_property(ctx, operator, "tier", force=True) == 1
    assert _props(ctx, operator, ORDERS) == {"note": "imported"}
    with pytest.raises(NotFoundError):
        props.get_property(ctx, operator, "tier")
    props.delete_property(ctx, operator, "runbook")  # unused: no force needed
    gone = search.search(
        ctx, operator, "", limit=5, offset=0, filters={"properties": ("tier:gold",)}
    )
    assert gone["total"] == 0
    assert catalog.get_asset(ctx, operator, CUSTOMERS).custom_properties == {"legacy": [1, 2]}


def _message(ctx: Any, actor: Any, values: dict[str, Any]) -> str:
    with pytest.raises(InvalidInputError) as info:
        catalog.update_asset(ctx, actor, ORDERS, {"custom_properties": values})
    return info.value.message
