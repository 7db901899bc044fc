"""Bulk inserts store exactly what SQLAlchemy's own INSERT stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.store.repos import assets as asset_repo
from sounding.store.repos import bulk
from sounding.store.repos import search as outbox
from sounding.store.tables import assets, sources

NOW = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def _source(conn: Any) -> int:
    return int(
        conn.execute(
            sa.insert(sources).returning(sources.c.id),
            {
                "name": "shop",
                "kind": "sql",
                "url_encrypted": "x",
                "url_redacted": "x",
                "options": {},
                "created_at": NOW,
                "updated_at": NOW,
            },
        ).scalar_one()
    )


def _row(source_id: int, name: str, **values: Any) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "parent_id": None,
        "urn": f"urn:sounding:shop:{name}",
        "type": "column",
        "name": name,
        "qualified_name": name,
        "data_type": "numeric(12,2)",
        "nullable": False,
        "is_primary_key": True,
        "row_count_exact": None,
        "foreign_keys": None,
        "source_properties": {"comment": 'ünïcode "quoted"'},
        "first_seen": NOW,
        "last_seen": NOW,
        "updated_at": NOW,
        **values,
    }


def test_bulk_rows_read_back_like_sqlalchemy_inserted_ones(any_ctx: Any) -> None:
    with any_ctx.db.write() as conn:
        source_id = _source(conn)
        conn.execute(sa.insert(assets), [_row(source_id, "core")])
        ids = asset_repo.insert_many(
            conn,
            [
                _row(source_id, "bulk"),
                _row(source_id, "empty", source_properties={}, nullable=None, foreign_keys=[]),
            ],
        )
        conn.execute(sa.insert(assets), [_row(source_id, "after")])  # the sequence moved on
    with any_ctx.db.read() as conn:
        rows = {r["name"]: dict(r) for r in conn.execute(sa.select(assets)).mappings()}
    core, made = rows["core"], rows["bulk"]
    assert ids == {"urn:sounding:shop:bulk": made["id"], "urn:sounding:shop:empty": made["id"] + 1}
    assert core["id"] < made["id"] < rows["after"]["id"]
    for column in assets.columns:
        if column.key not in ("id", "urn", "name", "qualified_name"):
            assert made[column.key] == core[column.key], column.key
    assert made["tags"] == [] and made["custom_properties"] == {}  # column defaults applied
    empty = rows["empty"]
    assert empty["source_properties"] == {} and empty["nullable"] is None
    assert empty["foreign_keys"] == []
    with any_ctx.db.read() as conn:
        raw = conn.execute(
            sa.text("SELECT foreign_keys FROM assets WHERE name = 'core'")
        ).scalar_one()
    assert raw is None  # None is SQL NULL, not JSON "null", as with SQLAlchemy


def test_bulk_inserts_fire_the_search_outbox_triggers(any_ctx: Any) -> None:
    with any_ctx.db.write() as conn:
        source_id = _source(conn)
        ids = asset_repo.insert_many(conn, [_row(source_id, f"c{i}") for i in range(50)])
        notes, _ = outbox.pending(conn, 0, 1000)
    assert {asset_id for kind, asset_id, _ in notes if kind == "asset"} == set(ids.values())
    assert {urn for _, _, urn in notes} == set(ids)


def test_rows_with_different_keys_are_refused(any_ctx: Any) -> None:
    with any_ctx.db.write() as conn:
        source_id = _source(conn)
        partial = _row(source_id, "b")
        del partial["data_type"]
        with pytest.raises(ValueError, match="needs the keys"):
            bulk.insert_rows(conn, assets, [_row(source_id, "a"), partial], with_ids=True)
