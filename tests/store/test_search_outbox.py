"""Database triggers note every change the search index must see, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sounding.services import catalog, classification, scans, sources
from sounding.store.repos import search as outbox
from tests.factories import execute, sqlite_source


def _drain(ctx: Any) -> set[int]:
    with ctx.db.write() as conn:
        notes, last = outbox.pending(conn, 0, 1_000_000)
        if last is not None:
            outbox.prune(conn, last)
    assert all(urn for _, _, urn in notes)  # every note can name what to drop from the index
    return {asset_id for kind, asset_id, _ in notes if kind == "asset"}


def test_triggers_note_meaningful_changes_only(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    sources.add(any_ctx, operator, "shop", sqlite_source(db))
    scans.run_scan(any_ctx, operator, "shop")
    created = _drain(any_ctx)
    assets, total = catalog.list_assets(any_ctx, operator, limit=100, offset=0, source="shop")
    assert created == {a.id for a in assets} and total == 13
    scans.run_scan(any_ctx, operator, "shop")  # touches last_seen only
    assert _drain(any_ctx) == set()
    orders = catalog.get_asset(any_ctx, operator, "urn:sounding:shop:main.orders")
    catalog.update_asset(any_ctx, operator, orders.id, {"owner": "sales"})
    assert _drain(any_ctx) == {orders.id}
    email = catalog.get_asset(any_ctx, operator, "urn:sounding:shop:main.customers#email")
    classification.decide(any_ctx, operator, email.id, "PII.Email", "confirmed")
    assert _drain(any_ctx) == {email.id}
    execute(db, "DROP VIEW big_orders;")
    scans.run_scan(any_ctx, operator, "shop")
    view = catalog.get_asset(
        any_ctx, operator, "urn:sounding:shop:main.big_orders", include_deleted=True
    )
    assert view.id in _drain(any_ctx)  # soft delete is a change the index must see
    sources.remove(any_ctx, operator, "shop")
    assert _drain(any_ctx) >= {orders.id, email.id}  # hard deletes too
