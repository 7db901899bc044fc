"""Rule changes rescore their table from stored results, without a run and without reading
the source: scores, trends, analytics and search follow at once. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.features.quality import runs as quality_runs
from sounding.features.quality import scores as quality_scores
from sounding.features.quality import service as quality
from sounding.features.quality.records import TrendPoint
from sounding.features.quality.tables import quality_runs as runs_table
from sounding.services import analytics, scans, search
from sounding.services import sources as source_service
from tests.factories import SHOP_DDL, sqlite_source

ORDERS = "urn:sounding:shop:main.orders"


def _orders_hits(ctx: Any, operator: Any, **filters: Any) -> list[str]:
    page = search.search(ctx, operator, "orders", mode="keyword", filters=filters or None)
    return [h["name"] for h in page["items"] if h["type"] == "table"]


def _orders_scores(ctx: Any, operator: Any) -> dict[str, float] | None:
    result = quality_scores.scores(ctx, operator, asset=ORDERS)
    return result.tables[0].scores if result.tables else None


def _runs(ctx: Any) -> int:
    with ctx.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(runs_table)).scalar_one())


@pytest.fixture
def scored(any_ctx: Any, operator: Any, tmp_path: Path) -> dict[str, int]:
    """orders with a passing not_null rule and a failing range rule (one amount of three is
    above 200), run once: completeness 1.0, validity 2/3, overall 0.833333. The source file
    is then removed, so any query to it would fail."""
    db = tmp_path / "shop.db"
    source_service.add(any_ctx, operator, "shop", sqlite_source(db, SHOP_DDL))
    scans.run_scan(any_ctx, operator, "shop")
    passing = quality.create_rule(
        any_ctx, operator, ORDERS, {"kind": "not_null", "column": "customer_id"}
    )
    failing = quality.create_rule(
        any_ctx, operator, ORDERS, {"kind": "range", "column": "amount", "params": {"max": 200}}
    )
    quality_runs.run_quality(any_ctx, operator, "shop")
    db.unlink()
    return {"passing": passing.id, "failing": failing.id}


def test_deleting_the_failing_rule_raises_the_score_without_a_run(
    any_ctx: Any, operator: Any, scored: dict[str, int]
) -> None:
    assert _orders_scores(any_ctx, operator) == {
        "completeness": 1.0,
        "validity": 0.666667,
        "overall": 0.833333,
    }
    assert _orders_hits(any_ctx, operator, quality_min=0.9) == []
    runs = _runs(any_ctx)

    quality.delete_rule(any_ctx, operator, scored["failing"])

    assert _runs(any_ctx) == runs  # no quality run, and the source is gone anyway
    assert _orders_scores(any_ctx, operator) == {"completeness": 1.0, "overall": 1.0}
    assert _orders_hits(any_ctx, operator, quality_min=0.9) == ["orders"]
    assert quality_scores.trend(any_ctx, operator, asset=ORDERS, days=1).points == (
        TrendPoint(datetime.now(UTC).date().isoformat(), 1.0, 1),
    )
    # the validity dimension has no rule left: its trend drops the table
    validity = quality_scores.trend(any_ctx, operator, asset=ORDERS, days=1, dimension="validity")
    assert validity.points == ()
    today = analytics.catalog_analytics(any_ctx, operator, days=1)["quality_trend"]
    assert [(t["score"], t["objects"]) for t in today] == [(1.0, 1)]


def test_rejecting_the_last_rule_leaves_no_score_and_accepting_restores_it(
    any_ctx: Any, operator: Any, scored: dict[str, int]
) -> None:
    quality.decide(any_ctx, operator, scored["passing"], "rejected")
    assert _orders_scores(any_ctx, operator) == {"validity": 0.666667, "overall": 0.666667}
    quality.decide(any_ctx, operator, scored["failing"], "rejected")
    # no active rule left: no current score anywhere
    assert _orders_scores(any_ctx, operator) is None
    assert quality_scores.scores(any_ctx, operator, source="shop").tables_scored == 0
    assert _orders_hits(any_ctx, operator, quality_min=0.0) == []
    assert quality_scores.trend(any_ctx, operator, source="shop", days=1).points == ()
    today = analytics.catalog_analytics(any_ctx, operator, days=1)["quality_trend"]
    assert [(t["score"], t["objects"]) for t in today] == [(None, 0)]

    # accepting a rule again counts its newest stored result
    quality.decide(any_ctx, operator, scored["passing"], "active")
    assert _orders_scores(any_ctx, operator) == {"completeness": 1.0, "overall": 1.0}
    assert _orders_hits(any_ctx, operator, quality_min=1.0) == ["orders"]


def test_rule_changes_that_do_not_move_the_score_keep_no_new_scoring(
    any_ctx: Any, operator: Any, scored: dict[str, int]
) -> None:
    before = quality_scores.scores(any_ctx, operator, asset=ORDERS).tables[0].computed_at
    # a new rule has no result yet; a severity change scores the same
    quality.create_rule(any_ctx, operator, ORDERS, {"kind": "unique", "column": "id"})
    quality.update_rule(any_ctx, operator, scored["failing"], {"severity": "warning"})
    after = quality_scores.scores(any_ctx, operator, asset=ORDERS).tables[0]
    assert after.computed_at == before and after.scores["overall"] == 0.833333
    # moving the failing rule to another dimension does change it
    quality.update_rule(any_ctx, operator, scored["failing"], {"dimension": "accuracy"})
    assert _orders_scores(any_ctx, operator) == {
        "accuracy": 0.666667,
        "completeness": 1.0,
        "overall": 0.833333,
    }
