"""The store contract: the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from sounding.errors import ConflictError, NotFoundError
from sounding.features.accounts import service as accounts
from sounding.services import catalog, scans, sources
from sounding.store import migrations
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import utcnow
from tests.factories import sqlite_source


def _seed_assets(ctx: Any, source_id: int, n: int) -> dict[str, int]:
    now = utcnow()
    rows = [
        {
            "source_id": source_id,
            "parent_id": None,
            "urn": f"urn:sounding:s:db.t{i:03d}",
            "type": "table",
            "name": f"t{i:03d}" if i % 2 else f"Ünï_{i:03d}",
            "qualified_name": f"db.t{i:03d}",
            "tags": [],
            "custom_properties": {"k": [1, "ü"]},
            "source_properties": {"comment": f"table {i}"},
            "first_seen": now,
            "last_seen": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    with ctx.db.write() as conn:
        return asset_repo.insert_many(conn, rows)


def test_migrations_are_idempotent(any_ctx: Any) -> None:
    migrations.upgrade(any_ctx.db.engine)
    migrations.upgrade(any_ctx.db.engine)
    with any_ctx.db.read() as conn:
        versions = {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert versions == migrations.heads(any_ctx.db.engine)


def test_bulk_insert_returns_ids_and_pages_are_stable(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    src = sources.add(any_ctx, operator, "s", sqlite_source(tmp_path / "s.db"))
    ids = _seed_assets(any_ctx, src["id"], 120)
    assert len(set(ids.values())) == 120
    seen: list[str] = []
    for offset in range(0, 120, 50):
        items, total = catalog.list_assets(any_ctx, operator, limit=50, offset=offset, source="s")
        assert total == 120
        seen += [a.urn for a in items]
    assert seen == sorted(seen) and len(set(seen)) == 120
    asset = catalog.get_asset(any_ctx, operator, "urn:sounding:s:db.t002")
    assert asset.name == "Ünï_002" and asset.custom_properties == {"k": [1, "ü"]}
    assert asset.description == "table 2"  # falls back to the source's comment
    # SQLite's lower() folds ASCII only: a query written as the name is spelled matches anyway
    found, n = catalog.list_assets(any_ctx, operator, limit=10, offset=0, q="Ünï_00")
    assert n == 5
    found, n = catalog.list_assets(any_ctx, operator, limit=200, offset=0, q="T00")
    assert n == 10 and all("t00" in a.qualified_name for a in found)


def test_keyset_pages_equal_offset_pages(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    """Seeking after the last key (the API's cursors) gives the same pages as offsets, on
    both stores: ascending over (qualified_name, id) and descending over audit ids."""
    src = sources.add(any_ctx, operator, "s", sqlite_source(tmp_path / "s.db"))
    _seed_assets(any_ctx, src["id"], 23)
    for i in range(9):
        accounts.create_user(any_ctx, operator, f"keyset{i}", "viewer")
    walks = [
        (
            lambda offset, after: _public_page(
                catalog.list_assets(
                    any_ctx, operator, limit=5, offset=offset, type="table", after=after
                )
            ),
            catalog.ASSET_ORDER,
        ),
        (
            lambda offset, after: accounts.audit_entries(any_ctx, operator, 4, offset, after=after),
            accounts.AUDIT_ORDER,
        ),
    ]
    for fetch, order in walks:
        by_offset: list[int] = []
        total = fetch(0, None)[1]
        for offset in range(0, total, 5 if order is catalog.ASSET_ORDER else 4):
            by_offset += [_id(item) for item in fetch(offset, None)[0]]
        by_key: list[int] = []
        after = None
        while True:
            items, _ = fetch(0, after)
            if not items:
                break
            by_key += [_id(item) for item in items]
            after = order.key_of(items[-1])
        assert len(by_offset) == total > 8
        assert by_key == by_offset


def _id(item: Any) -> int:
    """The id of a public dict (assets) or a typed record (audit entries)."""
    return int(item["id"] if isinstance(item, dict) else item.id)


def _public_page(page: tuple[list[Any], int]) -> tuple[list[dict[str, Any]], int]:
    """A page of asset records in their public form, as the API pages them."""
    return [a.public() for a in page[0]], page[1]


def test_like_wildcards_in_queries_are_literal(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    src = sources.add(any_ctx, operator, "s", sqlite_source(tmp_path / "s.db"))
    _seed_assets(any_ctx, src["id"], 3)
    assert catalog.list_assets(any_ctx, operator, limit=10, offset=0, q="%")[1] == 0
    assert catalog.list_assets(any_ctx, operator, limit=10, offset=0, q="t_0")[1] == 0


def test_unique_names_and_missing_things(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    url = sqlite_source(tmp_path / "a.db")
    sources.add(any_ctx, operator, "dup", url)
    with pytest.raises(ConflictError):
        sources.add(any_ctx, operator, "dup", url)
    accounts.create_user(any_ctx, operator, "ann", "viewer")
    with pytest.raises(ConflictError):
        accounts.create_user(any_ctx, operator, "ann", "steward")
    with pytest.raises(NotFoundError):
        accounts.create_token(any_ctx, operator, "nobody")
    with pytest.raises(NotFoundError):
        scans.get_scan(any_ctx, operator, 12345)


def test_failed_write_leaves_nothing_behind(any_ctx: Any, operator: Any) -> None:
    with pytest.raises(RuntimeError), any_ctx.db.write() as conn:
        accounts_repo = __import__("sounding.features.accounts.repo", fromlist=["x"])
        accounts_repo.insert_user(conn, "ghost", "viewer")
        raise RuntimeError("boom")
    items, _ = accounts.list_users(any_ctx, operator, 10, 0)
    assert "ghost" not in [u.name for u in items]


def test_concurrent_writers_do_not_fail(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    errors: list[BaseException] = []
    url = sqlite_source(tmp_path / "x.db")

    def work(k: int) -> None:
        try:
            for i in range(10):
                sources.add(any_ctx, operator, f"s{k}-{i}", url)
                sources.list_sources(any_ctx, operator, 5, 0)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sources.list_sources(any_ctx, operator, 1, 0)[1] == 40


def test_bootstrap_admin_only_once(any_ctx: Any) -> None:
    token = accounts.ensure_admin(any_ctx)
    assert token and token.startswith("snd_")
    assert accounts.ensure_admin(any_ctx) is None
    assert accounts.authenticate(any_ctx, token).name == "admin"


def test_update_by_id_sets_typed_values_on_one_row(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    """The prepared update of one row by id: JSON and timestamps keep their column types,
    another set of columns gets its own statement, and an unknown id matches nothing."""
    import sqlalchemy as sa

    from sounding.store.repos import scans as scan_repo
    from sounding.store.repos import update_by_id
    from sounding.store.tables import scan_runs

    src = sources.add(any_ctx, operator, "s", sqlite_source(tmp_path / "s.db"))
    with any_ctx.db.write() as conn:
        first = scan_repo.insert(conn, src["id"], "scan", "running", "tester")
        second = scan_repo.insert(conn, src["id"], "scan", "running", "tester")
    at = utcnow().replace(microsecond=0)
    report = {"stages": [{"name": "discover", "ü": [1, 2.5, None]}]}
    with any_ctx.db.write() as conn:
        assert update_by_id(conn, scan_runs, first, {"report": report, "finished_at": at}) == 1
        assert update_by_id(conn, scan_runs, second, {"objects_done": 7}) == 1
        assert update_by_id(conn, scan_runs, 10**9, {"objects_done": 1}) == 0
        assert update_by_id(conn, scan_runs, first, {}) == 0
    with any_ctx.db.read() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(scan_runs))}
    assert rows[first].report == report
    assert rows[first].finished_at.replace(tzinfo=None) == at.replace(tzinfo=None)
    assert rows[first].objects_done == 0
    assert rows[second].objects_done == 7 and rows[second].report == {}
