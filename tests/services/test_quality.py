"""Quality rules run against real SQLite, PostgreSQL and MariaDB sources with planted defects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.domain.auth import Principal, Role
from sounding.domain.urn import make_urn, split_qualified
from sounding.errors import InvalidInputError
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import scores as quality_scores
from sounding.features.quality import service as quality
from sounding.features.quality.records import ScoreRollup
from sounding.services import catalog, scans, sources
from sounding.store.tables_search import search_outbox
from tests import quality_sources as qs


def _urn(qualified: str, source: str = "src") -> str:
    return make_urn(source, split_qualified(qualified))


def _names(ctx: Any, op: Principal, source: str) -> dict[str, str]:
    items, _ = catalog.list_assets(ctx, op, limit=100, offset=0, source=source, type="table")
    return {i.name: i.qualified_name for i in items}


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def planted(
    request: pytest.FixtureRequest, ctx: Any, operator: Principal, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """Source ``src`` with the planted tables, scanned, and the full rule file applied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'src.db'}"
    else:
        url = request.getfixturevalue(f"{request.param}_url")
    qs.build(url)
    sources.add(ctx, operator, "src", url)
    scans.run_scan(ctx, operator, "src")
    names = _names(ctx, operator, "src")
    applied = quality.apply_rule_file(
        ctx, operator, qs.rule_file("src", names["customers"], names["orders"])
    )
    assert applied.created == 11
    yield {**names, "url": url}


def test_every_rule_kind_finds_the_planted_defects(
    ctx: Any, operator: Principal, planted: dict[str, str]
) -> None:
    run = quality_runs.run_quality(ctx, operator, "src")
    assert run.status == "succeeded" and run.rules_errored == 0
    by_rule = {r.rule: r for r in run.results}
    failing = {name: r.failing_count for name, r in by_rule.items() if r.passed is False}
    assert failing == qs.EXPECTED
    assert by_rule["fresh_within_a_year"].passed is True
    assert by_rule["row_count_change"].passed is True  # no baseline on the first run
    # ratios and totals: rows of the checked table
    assert by_rule["not_null(phone)"].total_count == 100
    assert by_rule["not_null(phone)"].ratio == pytest.approx(0.06)
    assert by_rule["referential_integrity(customer_id)"].total_count == 41
    # examples: keyed by the primary key, only failing rows
    examples = by_rule["range(score)"].examples
    assert {e["key"]["id"] for e in examples} == {50, 51, 52}
    assert {e["value"] for e in by_rule["referential_integrity(customer_id)"].examples} <= {
        900000 + i for i in range(32, 41)
    }
    assert "USER89@EXAMPLE.COM" in {e["value"] for e in by_rule["regex(email)"].examples}
    dupes = by_rule["unique(email)"].examples
    assert {d["value"] for d in dupes} == {f"user{i}@example.com" for i in (1, 2, 3, 4)}
    assert by_rule["freshness(created_at)"].observed["latest"].startswith("2025-06-30")
    assert {r["qty"] for r in (e["row"] for e in by_rule["custom_sql"].examples)} <= {10, 11}


def test_row_count_change_compares_with_the_last_run(
    ctx: Any, operator: Principal, planted: dict[str, str]
) -> None:
    quality_runs.run_quality(ctx, operator, "src")
    engine = sa.create_engine(planted["url"])
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM customers WHERE id > 80")
    engine.dispose()
    second = quality_runs.run_quality(ctx, operator, "src", _urn(planted["customers"]))
    assert {r.qualified_name for r in second.results} == {planted["customers"]}
    change = next(r for r in second.results if r.rule == "row_count_change")
    assert change.passed is False
    assert change.observed == {"row_count": 80, "previous": 100, "change": 0.2}


@pytest.fixture
def sqlite_src(ctx: Any, operator: Principal, tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    qs.build(url)
    sources.add(ctx, operator, "src", url)
    scans.run_scan(ctx, operator, "src")
    return _names(ctx, operator, "src")


def test_examples_of_sensitive_columns_are_masked_without_pii_read(
    ctx: Any, operator: Principal, sqlite_src: dict[str, str]
) -> None:
    from sounding.services import classification

    table = _urn(sqlite_src["customers"])
    quality.create_rule(ctx, operator, table, {"kind": "regex", "column": "email", "pattern": "@"})
    classification.decide(ctx, operator, table + "#email", "PII.Email", "confirmed")
    run = quality_runs.run_quality(ctx, operator, "src")
    viewer = Principal("v", Role.VIEWER)
    steward = Principal("s", Role.STEWARD)
    seen = quality_runs.get_run(ctx, viewer, run.id).results[0]
    assert seen.failing_count == 6 and seen.examples_masked is True
    assert {e["value"] for e in seen.examples} == {"***"}
    assert seen.examples[0]["key"]["id"] == 95  # keys of other columns stay visible
    revealed = quality_runs.get_run(ctx, steward, run.id).results[0]
    assert "bad95" in {e["value"] for e in revealed.examples}


def test_bad_rules_are_refused_naming_the_field(
    ctx: Any, operator: Principal, sqlite_src: dict[str, str]
) -> None:
    table = _urn(sqlite_src["customers"])
    cases = [
        ({"kind": "nope", "column": "id"}, "kind"),
        ({"kind": "not_null"}, "column"),
        ({"kind": "not_null", "column": "missing"}, "column"),
        ({"kind": "range", "column": "score", "params": {"min": "a"}}, "params.min"),
        ({"kind": "range", "column": "score", "params": {"min": 5, "max": 1}}, "params.min"),
        ({"kind": "regex", "column": "email", "params": {"pattern": "("}}, "params.pattern"),
        (
            {"kind": "freshness", "column": "created_at", "params": {"max_age": "soon"}},
            "params.max_age",
        ),
        (
            {"kind": "accepted_values", "column": "status", "params": {"values": []}},
            "params.values",
        ),
        ({"kind": "custom_sql", "params": {"sql": "DELETE FROM customers"}}, "params.sql"),
        ({"kind": "custom_sql", "params": {"sql": "SELECT 1; SELECT 2"}}, "params.sql"),
        (
            {
                "kind": "referential_integrity",
                "column": "id",
                "params": {"references": {"table": "main.nope", "column": "id"}},
            },
            "params.references.table",
        ),
        ({"kind": "not_null", "column": "id", "params": {"extra": 1}}, "params.extra"),
    ]
    for data, field in cases:
        with pytest.raises(InvalidInputError) as err:
            quality.create_rule(ctx, operator, table, data)
        assert err.value.details["field"] == field, data


def test_rule_file_is_idempotent_and_reports_bad_entries(
    ctx: Any, operator: Principal, sqlite_src: dict[str, str]
) -> None:
    text = qs.rule_file("src", sqlite_src["customers"], sqlite_src["orders"])
    assert quality.apply_rule_file(ctx, operator, text).created == 11
    again = quality.apply_rule_file(ctx, operator, text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 11)
    with ctx.db.read() as conn:
        from sounding.store.repos import audit

        entries, _ = audit.list_entries(conn, 10, 0, action="quality.rules.apply")
    assert [e["details"]["created"] for e in entries] == [0, 11]  # newest first
    bad = "source: src\ntables:\n  main.customers:\n    - {kind: range, column: score}\n"
    with pytest.raises(InvalidInputError, match=r"tables.main.customers\[0\].params.min"):
        quality.apply_rule_file(ctx, operator, bad)


def test_scores_roll_up_and_notify_search(
    ctx: Any, operator: Principal, sqlite_src: dict[str, str]
) -> None:
    cust, orders = _urn(sqlite_src["customers"]), _urn(sqlite_src["orders"])
    quality.create_rule(ctx, operator, cust, {"kind": "not_null", "column": "phone"})  # 0.94
    quality.create_rule(ctx, operator, cust, {"kind": "row_count", "params": {"min": 150}})  # 0
    quality.create_rule(ctx, operator, orders, {"kind": "not_null", "column": "qty"})  # 1.0
    with ctx.db.read() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(search_outbox)).scalar()
    quality_runs.run_quality(ctx, operator, "src")
    result = quality_scores.scores(ctx, operator, source="src")
    tables = {t.qualified_name: t.scores for t in result.tables}
    assert tables[sqlite_src["customers"]] == {"completeness": 0.47, "overall": 0.47}
    assert tables[sqlite_src["orders"]] == {"completeness": 1.0, "overall": 1.0}
    assert result.scores["overall"] == pytest.approx(0.735)
    assert result.schemas == (
        ScoreRollup("src:main", 2, {"completeness": 0.735, "overall": 0.735}),
    )
    assert result.sources[0].name == "src"
    with ctx.db.read() as conn:
        from sounding.features.quality import repo

        after = conn.execute(sa.select(sa.func.count()).select_from(search_outbox)).scalar()
        ids = [catalog.get_asset(ctx, operator, u).id for u in (cust, orders)]
        assert repo.scores_for(conn, ids) == {ids[0]: 0.47, ids[1]: 1.0}
    assert after - before == 2  # both tables got their first score
    quality_runs.run_quality(ctx, operator, "src")  # nothing changed: no new notes
    with ctx.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(search_outbox)).scalar() == after
    trend = quality_scores.trend(ctx, operator, source="src", days=3)
    assert trend.points[-1].score == pytest.approx(0.735)
    assert trend.points[-1].tables == 2


def test_suggestions_from_profiles_are_accepted_or_rejected(
    ctx: Any, operator: Principal, tmp_path: Path
) -> None:
    from sounding.domain.scans import ScanOptions

    url = f"sqlite:///{tmp_path / 'src.db'}"
    qs.build(url)
    sources.add(ctx, operator, "src", url)
    scans.run_scan(ctx, operator, "src", options=ScanOptions(profile=True))
    result = quality.suggest(ctx, operator, "src")
    names = {(r.qualified_name, r.name): r for r in result.items}
    assert ("main.customers", "not_null(email)") in names
    assert ("main.customers", "not_null(phone)") not in names  # phones are missing
    assert ("main.customers", "unique(id)") in names
    assert ("main.customers", "unique(email)") not in names  # duplicates
    assert ("main.orders", "range(qty)") in names
    assert names[("main.orders", "range(qty)")].params == {"min": 0, "max": 13}
    assert ("main.customers", "freshness(created_at)") in names
    assert all(r.status == "suggested" for r in result.items)
    assert quality_runs.run_quality(ctx, operator, "src").rules_total == 0  # not run yet
    accepted = quality.decide(ctx, operator, names[("main.orders", "range(qty)")].id, "active")
    rejected = quality.decide(ctx, operator, names[("main.customers", "unique(id)")].id, "rejected")
    assert (accepted.status, rejected.status) == ("active", "rejected")
    assert quality.suggest(ctx, operator, "src").suggested == 0  # never suggested again
    run = quality_runs.run_quality(ctx, operator, "src")
    assert run.rules_total == 1 and run.rules_passed == 1
