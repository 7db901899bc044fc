"""What the catalog holds after a scan equals what the source's own catalog says."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.domain.urn import make_urn
from sounding.services import catalog, scans, sources
from tests.factories import sqlite_source


def _sqlite_truth(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    objects = conn.execute(
        "SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    truth: dict[str, Any] = {}
    for name, kind, sql in objects:
        cols = conn.execute(f'PRAGMA table_info("{name.replace(chr(34), chr(34) * 2)}")').fetchall()
        fks = conn.execute(
            f'PRAGMA foreign_key_list("{name.replace(chr(34), chr(34) * 2)}")'
        ).fetchall()
        truth[name] = {
            "type": kind,
            "sql": sql,
            "columns": [(c[1], c[2], c[3] == 0, c[5] > 0) for c in cols],
            "fk_targets": sorted({f[2] for f in fks}),
        }
    conn.close()
    return truth


def test_sample_databases_match_sqlite_catalog(ctx: Any, operator: Any, sample_db: Path) -> None:
    sources.add(ctx, operator, "sample", f"sqlite:///{sample_db}")
    run = scans.run_scan(ctx, operator, "sample")
    assert run.status == "completed", run.report["failures"]
    truth = _sqlite_truth(sample_db)
    listed = {
        a.name: a
        for t in ("table", "view")
        for a in catalog.list_assets(ctx, operator, limit=1000, offset=0, source="sample", type=t)[
            0
        ]
    }
    assert {n: a.type for n, a in listed.items()} == {n: t["type"] for n, t in truth.items()}
    for name, expected in truth.items():
        asset = catalog.get_asset(ctx, operator, listed[name].id)
        got = [
            (
                c.name,
                c.column_facts.data_type,
                c.column_facts.nullable,
                c.column_facts.is_primary_key,
            )
            for c in asset.columns
        ]
        exp = expected["columns"]
        assert [g[0] for g in got] == [e[0] for e in exp], name
        assert [g[1].upper() for g in got] == [e[1].upper() for e in exp], name
        assert [g[2] for g in got] == [e[2] for e in exp], name  # PRAGMA notnull, as declared
        assert [g[3] for g in got] == [e[3] for e in exp], name
        refs = sorted(
            {fk["referred_urn"].rsplit(".", 1)[-1] for fk in asset.object_facts.foreign_keys}
        )
        assert [r.strip('"') for r in refs] == expected["fk_targets"], name
        if expected["type"] == "view":
            assert asset.object_facts.view_sql, name


ODD_SQLITE = """
CREATE TABLE "Mixed Case" ("Id" INTEGER PRIMARY KEY, "has.dot" TEXT, "quo""te" TEXT);
CREATE TABLE "Ünïcødé tàble" ("naïve col" INTEGER, "#hash:colon" TEXT);
CREATE VIEW "view.with.dots" AS SELECT "Id", "has.dot" FROM "Mixed Case";
"""


def _assert_odd_round_trip(ctx: Any, operator: Any, name: str, prefix: tuple[str, ...]) -> None:
    run = scans.run_scan(ctx, operator, name)
    assert run.status == "completed", run.report["failures"]
    urn = make_urn(name, (*prefix, "Mixed Case"))
    table = catalog.get_asset(ctx, operator, urn)
    assert table.name == "Mixed Case"
    assert [c.name for c in table.columns] == ["Id", "has.dot", 'quo"te']
    col = catalog.get_asset(ctx, operator, make_urn(name, (*prefix, "Mixed Case"), 'quo"te'))
    assert col.type == "column" and col.name == 'quo"te'
    uni = catalog.get_asset(ctx, operator, make_urn(name, (*prefix, "Ünïcødé tàble")))
    assert [c.name for c in uni.columns] == ["naïve col", "#hash:colon"]
    view = catalog.get_asset(ctx, operator, make_urn(name, (*prefix, "view.with.dots")))
    assert view.type == "view"
    again = scans.run_scan(ctx, operator, name)
    assert again.report["created"] == 0 and again.report["schema_changed"] == 0


def test_odd_identifiers_round_trip_sqlite(ctx: Any, operator: Any, tmp_path: Path) -> None:
    sources.add(ctx, operator, "odd", sqlite_source(tmp_path / "odd.db", ODD_SQLITE))
    _assert_odd_round_trip(ctx, operator, "odd", ("main",))


def _create(url: str, statements: list[str]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for stmt in statements:
            conn.exec_driver_sql(stmt)
    engine.dispose()


@pytest.mark.postgres
def test_odd_identifiers_round_trip_postgres(ctx: Any, operator: Any, postgres_url: str) -> None:
    _create(
        postgres_url,
        [
            'CREATE TABLE "Mixed Case" ("Id" INTEGER PRIMARY KEY, "has.dot" TEXT, "quo""te" TEXT)',
            'CREATE TABLE "Ünïcødé tàble" ("naïve col" INTEGER, "#hash:colon" TEXT)',
            'CREATE VIEW "view.with.dots" AS SELECT "Id", "has.dot" FROM "Mixed Case"',
        ],
    )
    sources.add(ctx, operator, "odd", postgres_url)
    db = sa.engine.make_url(postgres_url).database
    assert db
    _assert_odd_round_trip(ctx, operator, "odd", (db, "public"))


@pytest.mark.mysql
def test_odd_identifiers_round_trip_mysql(ctx: Any, operator: Any, mysql_url: str) -> None:
    _create(
        mysql_url,
        [
            'CREATE TABLE `Mixed Case` (`Id` INTEGER PRIMARY KEY, `has.dot` TEXT, `quo"te` TEXT)',
            "CREATE TABLE `Ünïcødé tàble` (`naïve col` INTEGER, `#hash:colon` TEXT)",
            "CREATE VIEW `view.with.dots` AS SELECT `Id`, `has.dot` FROM `Mixed Case`",
        ],
    )
    sources.add(ctx, operator, "odd", mysql_url)
    db = sa.engine.make_url(mysql_url).database
    assert db
    _assert_odd_round_trip(ctx, operator, "odd", (db,))
