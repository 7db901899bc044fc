"""Pools and per-source limits through the services, on each store backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.services import pools, sources
from tests.factories import sqlite_source


def test_pools_are_stored_and_reach_the_engine(any_ctx: Any, operator: Any) -> None:
    assert pools.create_pool(any_ctx, operator, "db", 4).slots == 4
    with pytest.raises(ConflictError):
        pools.create_pool(any_ctx, operator, "db", 2)
    with pytest.raises(InvalidInputError):
        pools.create_pool(any_ctx, operator, "bad name", 2)
    assert pools.update_pool(any_ctx, operator, "db", 2).slots == 2
    engine = any_ctx.engine.engine
    assert engine.rt.pools == {"db": 2}
    pools.delete_pool(any_ctx, operator, "db")
    assert engine.rt.pools == {}
    with pytest.raises(NotFoundError):
        pools.update_pool(any_ctx, operator, "db", 3)


def test_source_limits_come_from_settings_and_options(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    any_ctx.settings.default_source_limit = 5
    sources.add(
        any_ctx, operator, "shop", sqlite_source(tmp_path / "s.db"), options={"max_concurrent": 2}
    )
    config = pools.engine_config(any_ctx)
    assert config.source_limits == {"shop": 2} and config.default_source_limit == 5
    rt = any_ctx.engine.engine.rt
    assert (rt.source_limit("shop"), rt.source_limit("other")) == (2, 5)
    sources.update(any_ctx, operator, "shop", {"options": {"max_concurrent": 3}})
    assert rt.source_limit("shop") == 3
    sources.remove(any_ctx, operator, "shop")
    assert rt.source_limit("shop") == 5
