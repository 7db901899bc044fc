"""SQLite sources: discovery must agree exactly with SQLite's own catalog."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sounding.domain.assets import AssetType, ForeignKeyRef
from sounding.errors import ConnectionFailedError
from tests.connectors.helpers import columns_of, discover, open_source


def _catalog(con: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(type, name, sql) of user tables and views; sqlite_* tables are SQLite's own."""
    return con.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()


def _expected_foreign_keys(con: sqlite3.Connection, table: str) -> list[ForeignKeyRef]:
    rows = con.execute(
        'SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq',
        (table,),
    ).fetchall()
    by_id: dict[int, list[tuple[str, str, str]]] = {}
    for fk_id, referred, column, referred_column in rows:
        by_id.setdefault(fk_id, []).append((referred, column, referred_column))
    return [
        ForeignKeyRef(
            columns=tuple(p[1] for p in parts),
            referred_path=("main", parts[0][0]),
            referred_columns=tuple(p[2] for p in parts),
        )
        for parts in by_id.values()
    ]


def test_sample_db_discovery_matches_sqlite_catalog(sample_db: Path) -> None:
    con = sqlite3.connect(f"file:{sample_db}?mode=ro", uri=True)
    catalog = _catalog(con)
    with open_source(f"sqlite:///{sample_db}") as source:
        assert source.container_types == (AssetType.DATABASE,)
        refs = source.list_objects()
        found, failed = discover(source, refs)

    assert failed == {}
    assert refs == sorted(refs, key=lambda r: r.path)
    assert {(r.type.value, r.path) for r in refs} == {(t, ("main", n)) for t, n, _ in catalog}
    for kind, name, sql in catalog:
        obj = found["main", name]
        info = con.execute(
            'SELECT cid, name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', (name,)
        ).fetchall()
        assert columns_of(obj) == [
            (col, typ, not notnull, cid + 1, default, pk > 0, None)
            for cid, col, typ, notnull, default, pk in info
        ], name
        assert obj.primary_key == tuple(col for pk, col in sorted((r[5], r[1]) for r in info) if pk)
        assert list(obj.foreign_keys) == _expected_foreign_keys(con, name), name
        if kind == "view":
            assert obj.ref.type is AssetType.VIEW
            assert obj.view_sql == sql
            assert obj.row_count is None
        else:
            assert obj.view_sql is None
            quoted = '"' + name.replace('"', '""') + '"'
            assert obj.row_count == con.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
            assert obj.row_count_exact


def test_test_reports_dialect_and_databases(sample_db: Path) -> None:
    with open_source(f"sqlite:///{sample_db}") as source:
        facts = source.test()
    assert facts["dialect"] == "sqlite"
    assert facts["databases"] == ["main"]
    assert facts["server_version"] == sqlite3.sqlite_version


ODD_NAMES = ["Mixed Case", "has.dot", 'quo"te', "Ünïcødé", "with space", "select", "a:b", "50%"]


@pytest.fixture
def odd_db(tmp_path: Path) -> Path:
    path = tmp_path / "odd.db"
    con = sqlite3.connect(path)
    q = {n: '"' + n.replace('"', '""') + '"' for n in ODD_NAMES}
    con.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, label TEXT DEFAULT 'x' NOT NULL)")
    for name in ODD_NAMES:
        con.execute(
            f"CREATE TABLE {q[name]} ({q[name]} VARCHAR(10), k INT REFERENCES PARENT, "
            f"PRIMARY KEY (k, {q[name]}))"
        )
        con.execute(f"INSERT INTO {q[name]} VALUES ('a', 1), ('b', 1)")
    con.execute("CREATE TABLE gone (x INT)")
    con.execute("CREATE VIEW broken AS SELECT x FROM gone")
    con.execute('CREATE VIEW "ok view" AS SELECT id, label FROM parent')
    con.execute("DROP TABLE gone")
    con.commit()
    con.close()
    return path


def test_odd_identifiers_round_trip(odd_db: Path) -> None:
    with open_source(f"sqlite:///{odd_db}") as source:
        found, _ = discover(source)
    for name in ODD_NAMES:
        obj = found["main", name]
        assert [c.name for c in obj.columns] == [name, "k"]
        assert obj.primary_key == ("k", name)
        assert obj.row_count == 2
        # REFERENCES PARENT (no column, other case) points at parent's primary key as spelled
        assert obj.foreign_keys == (ForeignKeyRef(("k",), ("main", "parent"), ("id",)),)


def test_missing_file_fails_to_connect_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    with open_source(f"sqlite:///{missing}") as source, pytest.raises(ConnectionFailedError) as err:
        source.test()
    assert str(err.value).startswith("Failed to connect to source 'shop': ")
    assert "does not exist" in str(err.value)
    assert not missing.exists()
