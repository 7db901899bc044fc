"""Search ranking inputs from the store: usage popularity and quality scores reach the index
(through the search outbox) and change ranking and the quality filter. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sounding.domain.auth import Principal, Role
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import service as quality
from sounding.features.usage import service as usage
from sounding.services import catalog, scans, search, sources
from tests.factories import SHOP_DDL, sqlite_source

U = "urn:sounding:shop:main."
TWINS = """
CREATE TABLE sales_2023 (id INTEGER PRIMARY KEY, region TEXT, total NUMERIC);
CREATE TABLE sales_2024 (id INTEGER PRIMARY KEY, region TEXT, total NUMERIC);
"""


def _names(ctx: Any, operator: Any, q: str, **filters: Any) -> list[str]:
    page = search.search(ctx, operator, q, mode="keyword", filters=filters or None)
    return [h["name"] for h in page["items"] if h["type"] == "table"]


def test_a_more_popular_table_ranks_above_its_identical_twin(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "twins.db", TWINS))
    scans.run_scan(any_ctx, operator, "shop")
    before = _names(any_ctx, operator, "sales")
    assert sorted(before) == ["sales_2023", "sales_2024"]  # a tie: index order decides
    underdog = before[1]
    asset = catalog.get_asset(any_ctx, operator, U + underdog)
    for who in ("ann", "bob", "cid"):
        usage.record_view(any_ctx, Principal(who, Role.VIEWER), asset.id)
    usage.flush(any_ctx)  # stores popularity 3 and notes the asset in the search outbox
    assert _names(any_ctx, operator, "sales") == [underdog, before[0]]
    # a rebuilt index reads the same popularity from the store
    search.reindex(any_ctx)
    assert _names(any_ctx, operator, "sales") == [underdog, before[0]]


def test_quality_filter_finds_a_table_after_its_quality_run(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "shop.db", SHOP_DDL))
    scans.run_scan(any_ctx, operator, "shop")
    good = {"quality_min": 0.9}
    assert _names(any_ctx, operator, "orders", quality_min=0.0) == []  # never measured
    quality.create_rule(
        any_ctx, operator, U + "orders", {"kind": "not_null", "column": "customer_id"}
    )
    quality_runs.run_quality(any_ctx, operator, "shop")
    assert _names(any_ctx, operator, "orders", **good) == ["orders"]  # overall 1.0
    assert _names(any_ctx, operator, "orders", quality_max=0.5) == []
    # one order of three is above 200: validity 2/3, overall (1 + 2/3) / 2 = 0.83
    rule = {"kind": "range", "column": "amount", "params": {"max": 200}}
    quality.create_rule(any_ctx, operator, U + "orders", rule)
    quality_runs.run_quality(any_ctx, operator, "shop")
    assert _names(any_ctx, operator, "orders", **good) == []
    assert _names(any_ctx, operator, "", quality_min=0.8, quality_max=0.85) == ["orders"]
