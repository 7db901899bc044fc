"""The pools, view-lineage-state and change-impact tables are exactly what their migrations
create."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sounding.store.tables import metadata


@pytest.mark.parametrize("table", ["pools", "view_lineage_state", "change_impacts"])
def test_table_matches_its_migration(any_ctx: Any, table: str) -> None:
    def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return (name if type_ == "table" else obj.table.name) == table

    opts = {"include_object": ours, "compare_type": True}
    with any_ctx.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), metadata) == []
