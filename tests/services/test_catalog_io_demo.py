"""The catalog export/import round trip on the demo: export the curated demo store, import it
into a store that scanned the same sources (and imported the glossary), export again: the
same file, byte for byte, in both formats; a second import changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.cli.demo import (
    assign_demo_owners,
    evaluate_demo_compliance,
    load_demo_glossary,
)
from sounding.demo.warehouse import build_demo_workspace
from sounding.domain.auth import Principal, Role
from sounding.domain.scans import ScanOptions
from sounding.domain.urn import make_urn
from sounding.features.data_products.service import create_product, update_product
from sounding.features.domains.service import create_domain
from sounding.features.glossary.service import export_terms, import_terms
from sounding.features.tag_taxonomy.service import create_group
from sounding.services import bulk_curation, catalog_io, manual_assets, scans, sources
from sounding.services.context import build_context
from tests.conftest import make_settings

pytestmark = pytest.mark.slow
ACTOR = Principal("demo", Role.ADMIN)


def _store(home: Path, workspace: Any) -> Any:
    ctx = build_context(make_settings(home))
    sources.add(ctx, ACTOR, "warehouse", f"sqlite:///{workspace.warehouse_path}")
    scans.run_scan(ctx, ACTOR, "warehouse", options=ScanOptions(classify=True))
    return ctx


def test_demo_catalog_round_trips(tmp_path: Path) -> None:
    workspace = build_demo_workspace(tmp_path / "data", scale=0.05)
    demo = _store(tmp_path / "demo", workspace)
    empty = _store(tmp_path / "empty", workspace)
    try:
        # the demo's own curation: owners and processing properties, a confirmed label,
        # the glossary with suggestions; then a manual dashboard and a bulk change
        assign_demo_owners(demo, ACTOR)
        evaluate_demo_compliance(demo, ACTOR)
        load_demo_glossary(demo, ACTOR)
        orders = make_urn("warehouse", ("main", "stg_orders"))
        # the organisation: domains nested, a tag group, a product over scanned and manual assets
        create_domain(demo, ACTOR, {"name": "Sales", "owners": ["ann", "bob"]})
        create_domain(demo, ACTOR, {"name": "Web sales", "parent": "sales", "description": "x"})
        create_group(demo, ACTOR, {"name": "tier", "tags": [{"name": "gold", "description": "y"}]})
        board = manual_assets.create_asset(
            demo,
            ACTOR,
            manual_assets.ManualAssetSpec(
                type="dashboard", name="Revenue", source="bi", upstream=(orders,)
            ),
        )
        bulk_curation.bulk_update(
            demo,
            ACTOR,
            bulk_curation.BulkChange(set={"domain": "sales"}, add_tags=("demo", "tier.gold")),
            filters={"source": "warehouse", "type": "view"},
        )
        create_product(
            demo,
            ACTOR,
            {"name": "Revenue", "domain": "Web sales", "inputs": [orders], "sla": "daily"},
        )
        update_product(demo, ACTOR, "Revenue", {"status": "published", "outputs": [board.urn]})
        jsonl = catalog_io.export_text(demo, ACTOR, "jsonl")
        csv_ = catalog_io.export_text(demo, ACTOR, "csv")
        kinds = {r["kind"] for r in catalog_io.records(demo, ACTOR)}
        assert kinds == {
            "domain",
            "tag_group",
            "manual_asset",
            "asset",
            "edge",
            "classification",
            "data_product",
        }
        # assets name the domain as it is spelled, whatever case the change gave
        assert '"domain": "Sales"' in jsonl and '"owner":' in jsonl and "tier.gold" in jsonl

        import_terms(empty, ACTOR, export_terms(demo, ACTOR, "csv"), "csv")
        assert catalog_io.export_text(empty, ACTOR, "jsonl") == ""
        first = catalog_io.import_text(empty, ACTOR, jsonl, "jsonl")
        assert first.rows == len(jsonl.splitlines()) and first.created + first.updated == first.rows
        assert catalog_io.export_text(empty, ACTOR, "jsonl") == jsonl
        assert catalog_io.export_text(empty, ACTOR, "csv") == csv_
        again = catalog_io.import_text(empty, ACTOR, csv_, "csv")
        assert again.unchanged == again.rows == first.rows
    finally:
        demo.close()
        empty.close()
