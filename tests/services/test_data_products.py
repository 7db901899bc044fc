"""Data products over a real store: ports resolved from ids and URNs, a new version on every
change of ports (and only then), the lifecycle, refused deletes of published products, the
domain checked as an asset's is, and health rolled up from the quality and compliance of
the product's assets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.domain.scans import ScanOptions
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.compliance import service as compliance
from sounding.features.data_products import service as products
from sounding.features.domains import service as domains
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import service as quality
from sounding.services import scans, sources
from tests.factories import sqlite_source

U = "urn:sounding:shop:main."


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Any:
    ctx = any_ctx
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop", options=ScanOptions(classify=True))
    return ctx


def test_versions_lifecycle_and_deletes(shop: Any, operator: Any) -> None:
    made = products.create_product(
        shop,
        operator,
        {
            "name": "Orders 360",
            "inputs": [U + "customers", U + "customers"],
            "outputs": [U + "orders"],
            "sla": "Daily by 06:00 UTC",
            "freshness_hours": 24,
            "owners": ["ann"],
        },
    )
    assert (made.status, made.version, made.input_count, made.output_count) == ("draft", 1, 1, 1)
    assert [a.urn for a in made.inputs] == [U + "customers"]
    with pytest.raises(ConflictError, match="exists already"):
        products.create_product(shop, operator, {"name": "orders 360"})
    with pytest.raises(InvalidInputError, match="no asset"):
        products.create_product(shop, operator, {"name": "X", "outputs": [U + "nope"]})
    with pytest.raises(InvalidInputError, match="starts as a draft"):
        products.create_product(shop, operator, {"name": "Y", "status": "published"})
    with pytest.raises(InvalidInputError, match="Unknown domain"):
        products.create_product(shop, operator, {"name": "Z", "domain": "Sales"})
    domains.create_domain(shop, operator, {"name": "Sales"})

    same = products.update_product(
        shop, operator, "Orders 360", {"outputs": [U + "orders"], "domain": "sales"}
    )
    assert same.version == 1 and same.domain == "Sales"  # same ports: same version
    published = products.update_product(shop, operator, made.id, {"status": "published"})
    assert published.status == "published"
    grown = products.update_product(
        shop, operator, made.id, {"outputs": [U + "orders", U + "big_orders"]}
    )
    assert grown.version == 2 and grown.output_count == 2
    with pytest.raises(ConflictError, match="cannot become draft"):
        products.update_product(shop, operator, made.id, {"status": "draft"})
    with pytest.raises(ConflictError, match="deprecate it first"):
        products.delete_product(shop, operator, made.id)
    listed, total = products.list_products(shop, operator, limit=10, offset=0, status="published")
    assert [p.name for p in listed] == ["Orders 360"] and total == 1
    products.update_product(shop, operator, made.id, {"status": "deprecated"})
    products.delete_product(shop, operator, "Orders 360")
    with pytest.raises(NotFoundError):
        products.get_product(shop, operator, made.id)


def test_health_rolls_up_quality_and_compliance(shop: Any, operator: Any) -> None:
    made = products.create_product(shop, operator, {"name": "Clean", "outputs": [U + "orders"]})
    assert made.health is not None and made.health.status == "unknown"
    quality.create_rule(shop, operator, U + "orders", {"kind": "not_null", "column": "amount"})
    quality.create_rule(shop, operator, U + "customers", {"kind": "not_null", "column": "name"})
    quality_runs.run_quality(shop, operator, "shop")
    clean = products.get_product(shop, operator, "Clean").health
    assert clean is not None and clean.status == "ok" and clean.quality_score == 1.0
    assert clean.tables_scored == 1 and clean.open_findings == 0

    compliance.evaluate(shop, operator, "shop", ["gdpr"])  # customers: personal data, no owner
    risky = products.create_product(
        shop, operator, {"name": "People", "inputs": [U + "orders"], "outputs": [U + "customers"]}
    )
    assert risky.health is not None and risky.health.status == "at_risk"
    assert risky.health.open_findings >= 1 and sum(risky.health.open_by_severity.values()) >= 1
    assert risky.health.tables_scored == 2
