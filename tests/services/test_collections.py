"""Collections over a real store (SQLite and PostgreSQL): who sees and who edits a
collection, ordered items added several at a time (all or none), removed assets kept and
marked, sharing with everyone or with named users, and the bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect as sa_inspect

from sounding.domain.auth import Principal, Role
from sounding.domain.scans import ScanOptions
from sounding.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from sounding.features.collections import service as collections
from sounding.services import scans, sources
from tests.factories import execute, sqlite_source

U = "urn:sounding:shop:main."
ANN = Principal("ann", Role.VIEWER)
BOB = Principal("bob", Role.VIEWER)
CAT = Principal("cat", Role.STEWARD)
ADMIN = Principal("root", Role.ADMIN)


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Any:
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(any_ctx, operator, "shop", options=ScanOptions())
    return any_ctx


def _names(ctx: Any, who: Principal, scope: str = "all") -> list[str]:
    items, total = collections.list_collections(ctx, who, limit=50, offset=0, scope=scope)
    assert total == len(items)
    return [c.name for c in items]


def test_private_shared_and_named_users(shop: Any) -> None:
    mine = collections.create_collection(shop, ANN, {"name": "  My   tables "})
    assert (mine.name, mine.owner, mine.visibility, mine.item_count) == (
        "My tables",
        "ann",
        "private",
        0,
    )
    assert mine.can_edit
    # bob does not see ann's private collection: it does not exist for him
    with pytest.raises(NotFoundError):
        collections.get_collection(shop, BOB, mine.id)
    with pytest.raises(NotFoundError):
        collections.add_items(shop, BOB, mine.id, [U + "orders"])
    assert _names(shop, BOB) == []
    # an admin sees it and may edit it
    assert collections.get_collection(shop, ADMIN, mine.id).can_edit

    team = collections.create_collection(
        shop, ANN, {"name": "Team", "visibility": "users", "shared_with": ["bob", "ann", "bob"]}
    )
    assert team.shared_with == ("bob",)  # the owner and repeats dropped
    assert _names(shop, BOB) == ["Team"]
    assert _names(shop, CAT) == []
    seen = collections.get_collection(shop, BOB, team.id)
    assert not seen.can_edit
    with pytest.raises(PermissionDeniedError, match="only its owner or an admin"):
        collections.update_collection(shop, BOB, team.id, {"name": "Mine now"})
    with pytest.raises(PermissionDeniedError):
        collections.add_items(shop, BOB, team.id, [U + "orders"])
    with pytest.raises(PermissionDeniedError):
        collections.delete_collection(shop, BOB, team.id)

    everyone = collections.update_collection(shop, ANN, mine.id, {"visibility": "shared"})
    assert everyone.visibility == "shared" and everyone.shared_with == ()
    assert _names(shop, CAT) == ["My tables"]
    assert _names(shop, BOB, "shared") == ["My tables", "Team"]
    assert _names(shop, ANN) == ["My tables", "Team"]
    assert _names(shop, ANN, "shared") == []

    # bob's own come first in his list, then those shared with him
    collections.create_collection(shop, BOB, {"name": "Alpha"})
    assert _names(shop, BOB) == ["Alpha", "My tables", "Team"]

    # naming users shares with them; private forgets them
    again = collections.update_collection(shop, ANN, mine.id, {"shared_with": ["cat"]})
    assert (again.visibility, again.shared_with) == ("users", ("cat",))
    assert _names(shop, BOB, "shared") == ["Team"]
    closed = collections.update_collection(shop, ANN, team.id, {"visibility": "private"})
    assert closed.shared_with == ()
    assert _names(shop, BOB, "shared") == []

    with pytest.raises(InvalidInputError, match="needs shared_with"):
        collections.create_collection(shop, ANN, {"name": "X", "visibility": "users"})
    with pytest.raises(InvalidInputError, match="Unknown visibility"):
        collections.create_collection(shop, ANN, {"name": "X", "visibility": "team"})
    with pytest.raises(ConflictError, match="already"):
        collections.create_collection(shop, ANN, {"name": "my TABLES"})
    # names are unique per owner only
    assert collections.create_collection(shop, BOB, {"name": "My tables"}).owner == "bob"
    with pytest.raises(InvalidInputError, match="Cannot set owner"):
        collections.create_collection(shop, ANN, {"name": "Y", "owner": "bob"})

    collections.delete_collection(shop, ADMIN, team.id)
    with pytest.raises(NotFoundError):
        collections.get_collection(shop, ANN, team.id)


def test_items_in_order_all_or_none_and_removed_assets_kept(
    shop: Any, operator: Any, tmp_path: Path
) -> None:
    c = collections.create_collection(shop, ANN, {"name": "Review"})
    done = collections.add_items(
        shop, ANN, c.id, [U + "orders", U + "customers", U + "orders"], note="check these"
    )
    assert done.added == (U + "orders", U + "customers") and done.already_present == ()
    # all or none: one unknown URN adds nothing
    with pytest.raises(InvalidInputError, match=r"nope.*nothing was added"):
        collections.add_items(shop, ANN, c.id, [U + "big_orders", U + "nope"])
    more = collections.add_items(shop, ANN, c.id, [U + "customers", U + "big_orders"])
    assert more.added == (U + "big_orders",) and more.already_present == (U + "customers",)
    assert more.collection.item_count == 3

    got, items = collections.list_items(shop, ANN, c.id, limit=10, offset=0)
    assert got.item_count == 3
    assert [(i.position, i.urn, i.type, i.source) for i in items] == [
        (1, U + "orders", "table", "shop"),
        (2, U + "customers", "table", "shop"),
        (3, U + "big_orders", "view", "shop"),
    ]
    assert [i.note for i in items] == ["check these", "check these", None]
    assert {i.added_by for i in items} == {"ann"} and not any(i.removed for i in items)
    _, page = collections.list_items(shop, ANN, c.id, limit=1, offset=1)
    assert [i.urn for i in page] == [U + "customers"]

    # the table goes from its source: it stays listed, marked removed
    execute(tmp_path / "shop.db", "DROP VIEW big_orders;")
    scans.run_scan(shop, operator, "shop", options=ScanOptions())
    _, items = collections.list_items(shop, ANN, c.id, limit=10, offset=0)
    assert [(i.urn, i.removed) for i in items][-1] == (U + "big_orders", True)
    assert items[-1].name == "big_orders"

    gone = collections.remove_items(shop, ANN, c.id, [U + "orders", U + "nope"])
    assert gone.removed == (U + "orders",) and gone.not_present == (U + "nope",)
    assert gone.collection.item_count == 2
    # a new one goes after the last, whatever was taken out
    collections.add_items(shop, ANN, c.id, [U + "orders"])
    _, items = collections.list_items(shop, ANN, c.id, limit=10, offset=0)
    assert [i.urn for i in items] == [U + "customers", U + "big_orders", U + "orders"]


def test_bounds(shop: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInputError, match="needs a name"):
        collections.create_collection(shop, ANN, {"name": "  "})
    with pytest.raises(InvalidInputError, match="longer than 200"):
        collections.create_collection(shop, ANN, {"name": "x" * 201})
    with pytest.raises(InvalidInputError, match="longer than 5000"):
        collections.create_collection(shop, ANN, {"name": "d", "description": "x" * 5001})
    c = collections.create_collection(shop, ANN, {"name": "Small"})
    with pytest.raises(InvalidInputError, match="non-empty list"):
        collections.add_items(shop, ANN, c.id, [])
    with pytest.raises(InvalidInputError, match="At most 1000 URNs"):
        collections.add_items(shop, ANN, c.id, [f"u{i}" for i in range(1001)])
    with pytest.raises(InvalidInputError, match="note is longer"):
        collections.add_items(shop, ANN, c.id, [U + "orders"], note="n" * 2001)
    monkeypatch.setattr(collections, "MAX_ITEMS", 2)
    collections.add_items(shop, ANN, c.id, [U + "orders", U + "customers"])
    with pytest.raises(InvalidInputError, match="at most 2 assets: it has 2"):
        collections.add_items(shop, ANN, c.id, [U + "big_orders"])
    monkeypatch.setattr(collections, "MAX_PER_USER", 2)
    collections.create_collection(shop, ANN, {"name": "Second"})
    with pytest.raises(ConflictError, match="2 collections"):
        collections.create_collection(shop, ANN, {"name": "Third"})
    with pytest.raises(NotFoundError):
        collections.get_collection(shop, ANN, "not-an-id")


def test_tables_match_their_migration(any_ctx: Any) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sounding.store.tables import metadata

    names = {"collections", "collection_shares", "collection_items"}

    def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return (name if type_ == "table" else obj.table.name) in names

    opts = {"include_object": ours, "compare_type": True}
    with any_ctx.db.engine.connect() as conn:
        assert set(sa_inspect(conn).get_table_names()) >= names
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), metadata) == []
