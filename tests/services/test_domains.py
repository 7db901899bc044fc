"""Domains over a real store: the tree without cycles, assets put in a domain through the
catalog's one check, renames that follow onto assets, refused deletes, the search facet, and
the migration that turns free-text asset domains into domains."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.domains import service as domains
from sounding.services import catalog, scans, search, sources
from sounding.store import migrations
from tests.factories import sqlite_source


def _shop(ctx: Any, operator: Any, tmp_path: Path) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop")


def _urn(ctx: Any, operator: Any, name: str) -> str:
    items, _ = catalog.list_assets(ctx, operator, limit=5, offset=0, q=name, type="table")
    return str(items[0].urn)


def test_tree_cycles_names_and_owners(any_ctx: Any, operator: Any) -> None:
    ctx = any_ctx
    fin = domains.create_domain(ctx, operator, {"name": "Finance", "owners": ["ann", "ann", ""]})
    assert fin.owners == ("ann",) and fin.parent is None and fin.path == ()
    rev = domains.create_domain(ctx, operator, {"name": " Revenue ", "parent": "finance"})
    assert rev.name == "Revenue" and rev.parent == "Finance" and rev.path == ("Finance",)
    leaf = domains.create_domain(ctx, operator, {"name": "Billing", "parent": str(rev.id)})
    assert leaf.path == ("Finance", "Revenue")
    with pytest.raises(ConflictError, match="exists already"):
        domains.create_domain(ctx, operator, {"name": "FINANCE"})
    for bad in ("a/b", "123", "  "):
        with pytest.raises(InvalidInputError):
            domains.create_domain(ctx, operator, {"name": bad})
    with pytest.raises(InvalidInputError, match="Unknown parent"):
        domains.create_domain(ctx, operator, {"name": "X", "parent": "Nope"})
    with pytest.raises(InvalidInputError, match="cycle"):
        domains.update_domain(ctx, operator, "Finance", {"parent": "Billing"})
    with pytest.raises(InvalidInputError, match="cycle"):
        domains.update_domain(ctx, operator, "Finance", {"parent": "Finance"})
    with pytest.raises(InvalidInputError, match="Cannot set"):
        domains.update_domain(ctx, operator, "Finance", {"colour": "red"})
    moved = domains.update_domain(ctx, operator, "Billing", {"parent": None})
    assert moved.parent is None
    top, total = domains.list_domains(ctx, operator, limit=10, offset=0, top=True)
    assert [d.name for d in top] == ["Billing", "Finance"] and total == 2
    owned, _ = domains.list_domains(ctx, operator, limit=10, offset=0, owner="ann")
    assert [d.name for d in owned] == ["Finance"]
    kids, _ = domains.list_domains(ctx, operator, limit=10, offset=0, parent="Finance")
    assert [d.name for d in kids] == ["Revenue"]
    with pytest.raises(NotFoundError):
        domains.get_domain(ctx, operator, "Nope")


def test_assets_belong_to_known_domains_and_follow_renames(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    ctx = any_ctx
    _shop(ctx, operator, tmp_path)
    orders = _urn(ctx, operator, "orders")
    domains.create_domain(ctx, operator, {"name": "Sales"})
    with pytest.raises(InvalidInputError, match="Unknown domain 'Sails'"):
        catalog.update_asset(ctx, operator, orders, {"domain": "Sails"})
    assert catalog.get_asset(ctx, operator, orders).domain is None  # nothing half-written
    done = catalog.assign_domain(ctx, operator, orders, "sales")
    assert done.domain == "Sales"  # stored as the domain spells it
    detail = domains.get_domain(ctx, operator, "Sales")
    assert detail.asset_count == 1 and [a.urn for a in detail.assets] == [orders]

    renamed = domains.update_domain(ctx, operator, "Sales", {"name": "Commerce"})
    assert renamed.asset_count == 1
    assert catalog.get_asset(ctx, operator, orders).domain == "Commerce"
    hits = search.search(ctx, operator, "", limit=50, mode="keyword")
    assert hits["facets"]["domain"].get("Commerce") == 1
    found = search.search(
        ctx, operator, "", limit=50, mode="keyword", filters={"domains": ("Commerce",)}
    )
    assert [h["urn"] for h in found["items"]] == [orders]

    with pytest.raises(ConflictError, match="not empty: it has 1 asset"):
        domains.delete_domain(ctx, operator, "Commerce")
    assert catalog.assign_domain(ctx, operator, orders, None).domain is None
    domains.delete_domain(ctx, operator, "Commerce")
    with pytest.raises(NotFoundError):
        domains.get_domain(ctx, operator, "Commerce")


def test_viewers_read_but_do_not_write(ctx: Any, operator: Any) -> None:
    from sounding.domain.auth import Principal, Role
    from sounding.errors import PermissionDeniedError

    viewer = Principal("v", Role.VIEWER)
    domains.create_domain(ctx, operator, {"name": "Ops"})
    assert domains.get_domain(ctx, viewer, "Ops").name == "Ops"
    with pytest.raises(PermissionDeniedError):
        domains.create_domain(ctx, viewer, {"name": "Mine"})
    with pytest.raises(PermissionDeniedError):
        domains.delete_domain(ctx, viewer, "Ops")


def test_upgrade_turns_free_text_domains_into_domains(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    for head in ("0001", "versions_0001"):
        migrations.upgrade(engine, head)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sources (id, name, kind, url_encrypted, url_redacted, options, "
                "created_at, updated_at) VALUES (1, 's', 'sqlite', 'x', 'x', '{}', :t, :t)"
            ),
            {"t": now},
        )
        for i, domain in enumerate(["Finance", "Finance", "finance", "Sales", "  ", None]):
            conn.execute(
                sa.text(
                    "INSERT INTO assets (id, source_id, urn, type, name, qualified_name, "
                    "domain, tags, custom_properties, first_seen, last_seen, updated_at) "
                    "VALUES (:i, 1, :u, 'table', :n, :n, :d, '[]', '{}', :t, :t, :t)"
                ),
                {"i": i + 1, "u": f"urn:{i}", "n": f"t{i}", "d": domain, "t": now},
            )
    migrations.upgrade(engine)
    with engine.connect() as conn:
        made = conn.execute(sa.text("SELECT name, created_by FROM domains ORDER BY name")).all()
        kept = conn.execute(sa.text("SELECT id, domain FROM assets ORDER BY id")).all()
    assert [tuple(r) for r in made] == [("Finance", "migration"), ("Sales", "migration")]
    # case variants join the most used spelling; blanks become no domain
    assert [r[1] for r in kept] == ["Finance", "Finance", "Finance", "Sales", None, None]
    engine.dispose()
