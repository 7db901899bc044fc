"""The kinds of catalog export record that features register (domains, tag groups, data
products): imported in the file's order in one transaction, so a file can create a domain and
its sub-domain, a group and the assets carrying its tags, and a product over those assets;
every bad record is reported by line and nothing is written; a second import changes
nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.auth import Principal, Role
from sounding.errors import ValidationFailedError
from sounding.features.data_products import service as products
from sounding.features.domains import service as domains
from sounding.features.tag_taxonomy import service as taxonomy
from sounding.services import catalog, catalog_io, scans, sources
from tests.factories import sqlite_source

ORDERS = "urn:sounding:shop:main.orders"
CUSTOMERS = "urn:sounding:shop:main.customers"


def _lines(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


FILE = _lines(
    {"kind": "domain", "name": "Finance", "owners": ["ann"], "description": "Money"},
    {"kind": "domain", "name": "Billing", "parent": "finance"},
    {"kind": "tag_group", "name": "tier", "tags": [{"name": "gold", "description": "Best"}]},
    {"kind": "asset", "urn": ORDERS, "domain": "billing", "tags": ["tier.gold", "x"]},
    {
        "kind": "data_product",
        "name": "Ledger",
        "domain": "finance",
        "inputs": [ORDERS, ORDERS],
        "outputs": [CUSTOMERS],
        "status": "published",
        "version": 3,
        "freshness_hours": 24,
    },
)


def _scanned(ctx: Any, operator: Any, tmp_path: Path) -> Any:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop")
    return ctx


def test_feature_records_import_in_order_then_change_nothing(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    ctx = _scanned(any_ctx, operator, tmp_path)
    first = catalog_io.import_text(ctx, operator, FILE)
    assert (first.rows, first.created, first.updated, first.unchanged) == (5, 4, 1, 0)
    orders = catalog.get_asset(ctx, operator, ORDERS, children=False)
    assert orders.domain == "Billing" and sorted(orders.tags) == ["tier.gold", "x"]
    billing = domains.get_domain(ctx, operator, "Billing")
    assert billing.parent == "Finance" and billing.asset_count == 1
    ledger = products.get_product(ctx, operator, "Ledger", with_health=False)
    assert (ledger.status, ledger.version, ledger.domain) == ("published", 3, "Finance")
    assert [a.urn for a in ledger.inputs] == [ORDERS]
    assert taxonomy.get_group(ctx, operator, "tier").apply_roles == ("admin", "steward")

    recs = catalog_io.records(ctx, operator)
    assert [r["kind"] for r in recs] == ["domain", "domain", "tag_group", "asset", "data_product"]
    assert recs[1] == {"kind": "domain", "name": "Billing", "parent": "Finance"}
    assert recs[-1]["inputs"] == [ORDERS] and recs[-1]["freshness_hours"] == 24
    # the canonical spellings, the CSV's numbers and lists: both formats import unchanged
    for fmt in ("jsonl", "csv"):
        again = catalog_io.import_text(
            ctx, operator, catalog_io.export_text(ctx, operator, fmt), fmt
        )
        assert again.unchanged == again.rows == 5, fmt
    changed = catalog_io.import_text(
        ctx,
        operator,
        _lines(
            {"kind": "tag_group", "name": "tier", "tags": ["silver"]},
            {"kind": "data_product", "name": "Ledger", "outputs": [], "status": "deprecated"},
        ),
    )
    assert changed.updated == 2
    assert [t.tag for t in taxonomy.get_group(ctx, operator, "tier").tags] == ["tier.silver"]
    ledger = products.get_product(ctx, operator, "Ledger", with_health=False)
    assert ledger.status == "deprecated" and ledger.outputs == () and ledger.version == 3


def test_every_bad_feature_record_is_reported_and_nothing_written(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    ctx = _scanned(any_ctx, operator, tmp_path)
    catalog_io.import_text(ctx, operator, FILE)
    before = catalog_io.export_text(ctx, operator)
    bad = _lines(
        {"kind": "domain", "name": "Temp"},  # good, but rolled back with the rest
        {"kind": "domain", "name": "Lost", "parent": "Nowhere"},
        {"kind": "domain", "name": "Finance", "parent": "Billing"},
        {"kind": "asset", "urn": CUSTOMERS, "domain": "Ghost"},
        {"kind": "asset", "urn": CUSTOMERS, "tags": ["tier.platinum"]},
        {"kind": "data_product", "name": "New", "inputs": ["urn:sounding:shop:main.nope"]},
        {"kind": "data_product", "name": "Ledger", "status": "draft"},
        {"kind": "tag_group", "name": "tier", "color": "red"},
        {"kind": "data_product", "name": "Two", "version": "2"},
        {"kind": "asset", "urn": CUSTOMERS, "domain": "Temp", "owner": "bob"},  # Temp is earlier
    )
    with pytest.raises(ValidationFailedError) as caught:
        catalog_io.import_text(ctx, operator, bad)
    errors = {e["line"]: e["message"] for e in caught.value.details["errors"]}
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8, 9], errors
    assert "'Nowhere' is not a domain" in errors[2] and "cycle" in errors[3]
    assert "Unknown domain 'Ghost'" in errors[4] and "tier.platinum" in errors[5]
    assert "main.nope" in errors[6] and "cannot become draft" in errors[7]
    assert "unknown field color" in errors[8] and "version" in errors[9]
    assert catalog_io.export_text(ctx, operator) == before  # nothing written, Temp neither
    assert domains.list_domains(ctx, operator, limit=10, offset=0, q="temp")[1] == 0


def test_an_import_applies_only_the_group_tags_the_role_may(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    ctx = _scanned(any_ctx, operator, tmp_path)
    taxonomy.create_group(
        ctx, operator, {"name": "legal", "tags": ["hold"], "apply_roles": ["admin"]}
    )
    steward = Principal("sam", Role.STEWARD)
    with pytest.raises(ValidationFailedError, match=r"may not apply 'legal\.hold'"):
        catalog_io.import_text(
            ctx, steward, _lines({"kind": "asset", "urn": ORDERS, "tags": ["legal.hold"]})
        )
    done = catalog_io.import_text(
        ctx, operator, _lines({"kind": "asset", "urn": ORDERS, "tags": ["legal.hold"]})
    )
    assert done.updated == 1
    # a tag the asset has already is not applied again: the steward's own change goes through
    kept = catalog_io.import_text(
        ctx, steward, _lines({"kind": "asset", "urn": ORDERS, "tags": ["legal.hold", "pii"]})
    )
    assert kept.updated == 1
