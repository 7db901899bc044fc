"""Catalog analytics on each store backend, with exact counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.domain.auth import Principal, Role
from sounding.errors import InvalidInputError
from sounding.features.compliance import findings as decisions
from sounding.features.compliance import service as compliance
from sounding.features.compliance.tables import compliance_finding_events, compliance_findings
from sounding.features.domains import service as domains
from sounding.features.quality.tables import (
    quality_results,
    quality_rules,
    quality_runs,
    quality_scores,
)
from sounding.features.usage import repo as usage_repo
from sounding.features.usage import service as usage
from sounding.services import analytics, catalog, classification, scans, sources
from tests.factories import SHOP_DDL, execute, sqlite_source

U = "urn:sounding:shop:main."
ANN, BOB = Principal("ann", Role.VIEWER), Principal("bob", Role.VIEWER)


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Path:
    """shop (orders, customers, big_orders reading both) plus a lone table notes."""
    db = tmp_path / "shop.db"
    sources.add(
        any_ctx, operator, "shop", sqlite_source(db, SHOP_DDL + "CREATE TABLE notes (t TEXT);")
    )
    scans.run_scan(any_ctx, operator, "shop")
    return db


def _id(ctx: Any, name: str) -> int:
    return catalog.get_asset(ctx, Principal("t", Role.ADMIN), U + name).id


def test_counts_and_coverage(any_ctx: Any, operator: Any, shop: Path) -> None:
    catalog.update_asset(any_ctx, operator, U + "orders", {"description": "Orders", "owner": "o"})
    domains.create_domain(any_ctx, operator, {"name": "sales"})  # assets name known domains
    catalog.update_asset(any_ctx, operator, U + "customers", {"owner": "c", "domain": "sales"})
    catalog.update_asset(any_ctx, operator, U + "notes", {"description": "  "})  # blank
    classification.decide(any_ctx, operator, U + "customers#email", "PII.Email", "confirmed")
    classification.decide(any_ctx, operator, U + "notes#t", "PII.Email", "rejected")
    out = analytics.catalog_analytics(any_ctx, operator, days=7)
    assert out["assets"]["by_type"] == {
        "source": 1,
        "database": 1,
        "table": 3,
        "view": 1,
        "column": 9,
    }
    assert out["assets"]["by_source"] == [{"source": "shop", "count": 4}]
    assert out["assets"]["by_domain"] == [
        {"domain": "sales", "count": 1},
        {"domain": None, "count": 3},
    ]
    cov = out["coverage"]
    assert cov["objects"] == 4
    assert cov["described"] == {"count": 1, "percent": 25.0}
    assert cov["owned"] == {"count": 2, "percent": 50.0}
    assert cov["classified"] == {"count": 1, "percent": 25.0}  # a rejected label does not count
    # the view's lineage ties orders, customers and big_orders; notes has none
    assert cov["with_lineage"] == {"count": 3, "percent": 75.0}


def test_usage_sections_trend_and_searches(any_ctx: Any, operator: Any, shop: Path) -> None:
    orders, customers, notes = (_id(any_ctx, n) for n in ("orders", "customers", "notes"))
    big = _id(any_ctx, "big_orders")
    email = _id(any_ctx, "customers#email")
    for who in (ANN, BOB, ANN):
        usage.record_view(any_ctx, who, orders)
    usage.record_view(any_ctx, ANN, email)  # a column's view counts for its table
    page = {"items": [{"id": notes, "type": "table"}], "total": 1}
    usage.record_search(any_ctx, ANN, "Notes", page, 0, "hybrid")
    usage.record_search(any_ctx, BOB, "notes", page, 0, "keyword")
    usage.record_search(any_ctx, BOB, "zzz", {"items": [], "total": 0}, 0, "hybrid")
    long_ago = date.today() - timedelta(days=40)
    yesterday = date.today() - timedelta(days=1)
    with any_ctx.db.write() as conn:
        usage_repo.add_counts(
            conn, {(big, long_ago, "query"): 50, (customers, yesterday, "query"): 4}
        )
    out = analytics.catalog_analytics(any_ctx, operator, days=7)  # flushes what is pending
    used = [(u["name"], u["views"], u["queries"], u["search_hits"]) for u in out["most_used"]]
    assert used == [("customers", 1, 4, 0), ("orders", 3, 0, 0)]
    # search hits alone do not make notes used; big_orders' queries are older than the window
    assert out["unused"]["count"] == 2
    assert [u["name"] for u in out["unused"]["items"]] == ["big_orders", "notes"]
    assert [u["search_hits"] for u in out["unused"]["items"]] == [0, 2]
    trend = {t["day"]: t for t in out["usage_trend"]}
    assert len(out["usage_trend"]) == 7
    assert trend[date.today().isoformat()] == {
        "day": date.today().isoformat(),
        "views": 4,
        "search_hits": 2,
        "queries": 0,
        "searches": 3,
    }
    assert trend[yesterday.isoformat()]["queries"] == 4
    assert out["searches"] == {
        "total": 3,
        "zero_results": 1,
        "top": [{"query": "notes", "count": 2}, {"query": "zzz", "count": 1}],
    }


def test_recent_schema_changes(any_ctx: Any, operator: Any, shop: Path) -> None:
    execute(shop, "ALTER TABLE notes ADD COLUMN author TEXT;")
    scans.run_scan(any_ctx, operator, "shop")
    out = analytics.catalog_analytics(any_ctx, operator)
    changes = out["schema_changes"]
    assert [(c["qualified_name"], c["type"]) for c in changes] == [("main.notes", "table")]
    assert changes[0]["urn"] == U + "notes" and changes[0]["at"] is not None


def test_empty_store_and_bad_input(any_ctx: Any, operator: Any) -> None:
    out = analytics.catalog_analytics(any_ctx, operator, days=3)
    assert out["coverage"]["objects"] == 0 and out["coverage"]["owned"]["percent"] is None
    assert out["coverage"]["with_quality_rules"] == {"count": 0, "percent": None}
    assert out["most_used"] == [] and out["unused"] == {"count": 0, "items": []}
    assert [(t["score"], t["objects"]) for t in out["quality_trend"]] == [(None, 0)] * 3
    assert out["compliance_trend"]["open"] == [] and out["compliance_trend"]["open_total"] == 0
    assert [(d["opened"], d["resolved"]) for d in out["compliance_trend"]["days"]] == [(0, 0)] * 3
    with pytest.raises(InvalidInputError, match="days must be between 1 and 366"):
        analytics.catalog_analytics(any_ctx, operator, days=0)


def test_metric_figures_count_the_store(any_ctx: Any, operator: Any, shop: Path) -> None:
    usage.record_view(any_ctx, ANN, _id(any_ctx, "orders"))
    figures = analytics.metric_figures(any_ctx)
    assert figures["scans"] == {"completed": 1}
    assert figures["assets"]["table"] == 3 and figures["assets"]["column"] == 9
    assert figures["usage_pending"] == 1 and figures["search_queries"] == 0


def _at(days_ago: int, hour: int = 12) -> datetime:
    day = datetime.now(UTC).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _seed_quality(ctx: Any) -> None:
    """Rules: orders 2 active, customers 2 active + 1 suggested, notes 1 rejected. Newest
    results: orders' first passed (after a failure), its second failed, customers' first
    errored, its second never ran; the suggested rule failed (does not count)."""
    orders, customers, notes = (_id(ctx, n) for n in ("orders", "customers", "notes"))
    rules = [
        (orders, "rows", None, "active"),
        (orders, "ids", "customer_id", "active"),
        (customers, "emails", "email", "active"),
        (customers, "names", "name", "active"),
        (customers, "maybe", "name", "suggested"),
        (notes, "nope", "t", "rejected"),
    ]
    now = _at(0, 0)
    with ctx.db.write() as conn:
        source_id = conn.execute(sa.text("SELECT id FROM sources")).scalar_one()
        ids = {}
        for asset_id, name, column, status in rules:
            ids[name] = conn.execute(
                sa.insert(quality_rules)
                .values(
                    asset_id=asset_id, column_name=column, name=name, kind="not_null",
                    params={}, dimension="completeness", severity="warning", status=status,
                    origin="api", created_at=now, updated_at=now,
                )
                .returning(quality_rules.c.id)
            ).scalar_one()  # fmt: skip
        run_id = conn.execute(
            sa.insert(quality_runs)
            .values(source_id=source_id, status="succeeded", started_at=now)
            .returning(quality_runs.c.id)
        ).scalar_one()
        outcomes = [
            ("rows", orders, False), ("rows", orders, True), ("ids", orders, False),
            ("emails", customers, None), ("maybe", customers, False),
        ]  # fmt: skip
        conn.execute(
            sa.insert(quality_results),
            [
                {"run_id": run_id, "rule_id": ids[rule], "asset_id": asset, "passed": passed,
                 "observed": {}, "examples": [], "created_at": now}
                for rule, asset, passed in outcomes
            ],
        )  # fmt: skip


def test_quality_rule_coverage_and_trend(any_ctx: Any, operator: Any, shop: Path) -> None:
    _seed_quality(any_ctx)
    orders, customers = _id(any_ctx, "orders"), _id(any_ctx, "customers")
    scores = [
        (orders, "overall", 0.5, _at(10)),  # before the window: where the trend starts
        (orders, "overall", 0.8, _at(3, 9)),
        (orders, "overall", 0.6, _at(3, 18)),  # the newest of the day wins
        (customers, "overall", 1.0, _at(1)),
        (customers, "completeness", 0.0, _at(1)),  # not the overall score
    ]
    with any_ctx.db.write() as conn:
        conn.execute(
            sa.insert(quality_scores),
            [
                {"asset_id": a, "dimension": d, "score": v, "computed_at": at}
                for a, d, v, at in scores
            ],
        )
    out = analytics.catalog_analytics(any_ctx, operator, days=7)
    # orders and customers have active rules; notes only a rejected one
    assert out["coverage"]["with_quality_rules"] == {"count": 2, "percent": 50.0}
    assert "gaps" not in out
    trend = [(t["score"], t["objects"]) for t in out["quality_trend"]]
    assert [t["day"] for t in out["quality_trend"]] == [
        _at(d).date().isoformat() for d in range(6, -1, -1)
    ]
    assert trend == [(0.5, 1)] * 3 + [(0.6, 1)] * 2 + [(0.8, 2)] * 2
    # a dropped table's scores leave the trend
    execute(shop, "DROP VIEW big_orders; DROP TABLE orders;")
    scans.run_scan(any_ctx, operator, "shop")
    again = analytics.catalog_analytics(any_ctx, operator, days=7)
    assert [(t["score"], t["objects"]) for t in again["quality_trend"]] == [(None, 0)] * 5 + [
        (1.0, 1)
    ] * 2
    assert again["coverage"]["with_quality_rules"] == {"count": 1, "percent": 50.0}


def _finding(
    asset_id: int, fw: str, req: str, severity: str, status: str, **at: Any
) -> dict[str, Any]:
    return {
        "asset_id": asset_id, "framework": fw, "requirement_id": req, "severity": severity,
        "status": status, "evidence": {}, "first_seen": at["first"], "last_seen": at["first"],
        "resolved_at": at.get("resolved"),
    }  # fmt: skip


def _seed_findings(ctx: Any) -> None:
    """Findings and their history. The pci finding went through a cycle inside the window:
    resolved 4 days ago, reopened 3 days ago, resolved again yesterday."""
    orders, customers, notes, big = (
        _id(ctx, n) for n in ("orders", "customers", "notes", "big_orders")
    )
    rows = [
        _finding(orders, "gdpr", "A", "high", "open", first=_at(2)),
        _finding(customers, "gdpr", "B", "high", "open", first=_at(2, 23)),
        _finding(customers, "pci_dss", "C", "critical", "resolved", first=_at(10), resolved=_at(1)),
        _finding(notes, "gdpr", "D", "low", "accepted", first=_at(1)),
        _finding(big, "gdpr", "E", "medium", "open", first=_at(9)),
    ]
    history = {
        "A": [("opened", _at(2))],
        "B": [("opened", _at(2, 23))],
        "C": [
            ("opened", _at(10)),  # before the window
            ("resolved", _at(4)),
            ("reopened", _at(3)),
            ("resolved", _at(1)),
        ],
        "D": [("opened", _at(1)), ("accepted", _at(1, 14))],
        "E": [("opened", _at(9))],
    }
    with ctx.db.write() as conn:
        for row in rows:
            fid = conn.execute(
                sa.insert(compliance_findings).values(**row).returning(compliance_findings.c.id)
            ).scalar_one()
            conn.execute(
                sa.insert(compliance_finding_events),
                [
                    {"finding_id": fid, "event": event, "origin": "evaluation", "at": at}
                    for event, at in history[row["requirement_id"]]
                ],
            )


def test_compliance_trend(any_ctx: Any, operator: Any, shop: Path) -> None:
    _seed_findings(any_ctx)
    out = analytics.catalog_analytics(any_ctx, operator, days=7)
    trend = out["compliance_trend"]
    keys = ("opened", "reopened", "accepted", "resolved")
    assert [d["day"] for d in trend["days"]] == [
        _at(n).date().isoformat() for n in range(6, -1, -1)
    ]
    assert [tuple(d[k] for k in keys) for d in trend["days"]] == [
        (0, 0, 0, 0),  # 6 days ago
        (0, 0, 0, 0),
        (0, 0, 0, 1),  # 4 days ago: pci resolved
        (1, 1, 0, 0),  # 3 days ago: pci reopened (counts as opened again)
        (2, 0, 0, 0),  # 2 days ago: A and B opened
        (1, 0, 1, 1),  # yesterday: D opened and accepted, pci resolved again
        (0, 0, 0, 0),  # today
    ]
    assert trend["open"] == [
        {"framework": "gdpr", "severity": "high", "count": 2},
        {"framework": "gdpr", "severity": "medium", "count": 1},
    ]
    assert trend["open_total"] == 3
    execute(shop, "DROP VIEW big_orders;")  # findings of a deleted view are not open any more
    scans.run_scan(any_ctx, operator, "shop")
    again = analytics.catalog_analytics(any_ctx, operator, days=7)["compliance_trend"]
    assert again["open"] == [{"framework": "gdpr", "severity": "high", "count": 2}]
    assert again["open_total"] == 2


def test_compliance_trend_follows_evaluations_and_decisions(
    any_ctx: Any, operator: Any, shop: Path
) -> None:
    """Real status changes through the services land in today's counts, every cycle."""
    catalog.update_asset(any_ctx, operator, U + "orders", {"tags": ["phi"]})  # HIPAA scope
    compliance.evaluate(any_ctx, operator, "shop", ["hipaa"])
    items, _ = decisions.list_findings(any_ctx, operator, framework="hipaa")
    assert sorted(i.requirement_id for i in items) == [
        "HIPAA-164.308",  # no steward
        "HIPAA-164.312",  # access not restricted
        "HIPAA-164.514",  # no owner, description, purpose
    ]
    first = items[0].id
    for _ in range(2):  # two resolve/reopen cycles by hand
        decisions.resolve(any_ctx, operator, first, "fixed?")
        decisions.reopen(any_ctx, operator, first, "not fixed")
    decisions.accept(any_ctx, operator, first, "Risk accepted until Q4 (GOV-7)")
    today = analytics.catalog_analytics(any_ctx, operator, days=1)["compliance_trend"]["days"]
    assert today == [
        {
            "day": _at(0).date().isoformat(),
            "opened": 5,  # 3 new + 2 reopened
            "reopened": 2,
            "accepted": 1,
            "resolved": 2,
        }
    ]


def test_metric_figures_of_quality_and_compliance(any_ctx: Any, operator: Any, shop: Path) -> None:
    _seed_quality(any_ctx)
    _seed_findings(any_ctx)
    figures = analytics.metric_figures(any_ctx)
    assert figures["quality_rules"] == {"passed": 1, "failed": 1, "errored": 1, "not_run": 1}
    assert figures["compliance_findings"] == [
        {"framework": "gdpr", "severity": "high", "status": "open", "count": 2},
        {"framework": "gdpr", "severity": "low", "status": "accepted", "count": 1},
        {"framework": "gdpr", "severity": "medium", "status": "open", "count": 1},
        {"framework": "pci_dss", "severity": "critical", "status": "resolved", "count": 1},
    ]
