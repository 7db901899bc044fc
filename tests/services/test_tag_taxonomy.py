"""The tag taxonomy over a real store: groups define tags and who may apply them; applying
an unknown tag of a group is refused (422) and a forbidden one too (403), both writing
nothing; free tags and tags already stored keep working; deleting a group frees its tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.domain.auth import Principal, Role
from sounding.errors import ConflictError, InvalidInputError, PermissionDeniedError
from sounding.features.tag_taxonomy import service as taxonomy
from sounding.services import catalog, scans, sources
from tests.factories import sqlite_source

ORDERS = "urn:sounding:shop:main.orders"


def test_groups_tags_and_who_applies_them(any_ctx: Any, operator: Any, tmp_path: Path) -> None:
    ctx = any_ctx
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(ctx, operator, "shop")
    # a free tag with a dot, stored before the group existed, stays
    catalog.update_asset(ctx, operator, ORDERS, {"add_tags": ["tier.legacy", "hot"]})
    tier = taxonomy.create_group(
        ctx,
        operator,
        {
            "name": "Tier",
            "description": "How much we care",
            "apply_roles": ["admin"],
            "tags": [{"name": "gold", "description": "Top"}, "silver"],
        },
    )
    assert tier.name == "tier" and [t.tag for t in tier.tags] == ["tier.gold", "tier.silver"]
    with pytest.raises(ConflictError):
        taxonomy.create_group(ctx, operator, {"name": "tier"})
    for bad in ("a.b", "", "Ünï"):
        with pytest.raises(InvalidInputError):
            taxonomy.create_group(ctx, operator, {"name": bad})
    with pytest.raises(InvalidInputError, match="Unknown role"):
        taxonomy.create_group(ctx, operator, {"name": "x", "apply_roles": ["owner"]})

    steward = Principal("stew", Role.STEWARD)
    with pytest.raises(InvalidInputError, match=r"group 'tier' defines tier\.gold, tier\.silver"):
        catalog.update_asset(ctx, operator, ORDERS, {"add_tags": ["tier.platinum"]})
    with pytest.raises(PermissionDeniedError, match=r"may not apply 'tier\.gold'"):
        catalog.update_asset(ctx, steward, ORDERS, {"add_tags": ["tier.gold"]})
    assert set(catalog.get_asset(ctx, operator, ORDERS).tags) == {"tier.legacy", "hot"}
    # free tags, and stored tags the taxonomy no longer knows, keep working
    done = catalog.update_asset(ctx, steward, ORDERS, {"add_tags": ["pii", "team.growth"]})
    assert set(done.tags) == {"tier.legacy", "hot", "pii", "team.growth"}
    whole = catalog.update_asset(ctx, steward, ORDERS, {"tags": ["tier.legacy", "hot"]})
    assert set(whole.tags) == {"tier.legacy", "hot"}
    assert (
        "tier.gold" in catalog.update_asset(ctx, operator, ORDERS, {"add_tags": ["tier.gold"]}).tags
    )

    opened = taxonomy.update_group(
        ctx, operator, "tier", {"apply_roles": ["admin", "steward"], "add_tags": ["bronze"]}
    )
    assert [t.name for t in opened.tags] == ["bronze", "gold", "silver"]
    catalog.update_asset(ctx, steward, ORDERS, {"add_tags": ["tier.bronze"]})
    taxonomy.update_group(ctx, operator, "tier", {"remove_tags": ["silver"]})
    with pytest.raises(InvalidInputError):
        catalog.update_asset(ctx, steward, ORDERS, {"add_tags": ["tier.silver"]})
    taxonomy.delete_group(ctx, operator, "tier")
    freed = catalog.update_asset(ctx, steward, ORDERS, {"add_tags": ["tier.silver"]})
    assert "tier.silver" in freed.tags
    viewer = Principal("v", Role.VIEWER)
    assert taxonomy.list_groups(ctx, viewer, limit=10, offset=0) == ([], 0)
    with pytest.raises(PermissionDeniedError):
        taxonomy.create_group(ctx, viewer, {"name": "mine"})
