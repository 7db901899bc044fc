"""Conditional writes and list edits on every store backend: the revision check and the
write are one transaction (PostgreSQL locks the row; SQLite has one writer)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sounding.errors import InvalidInputError, PreconditionFailedError
from sounding.services import catalog, scans, sources, versions
from tests.factories import sqlite_source

ORDERS = "urn:sounding:shop:main.orders"


@pytest.fixture
def shop(any_ctx: Any, operator: Any, tmp_path: Path) -> Any:
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    scans.run_scan(any_ctx, operator, "shop")
    return any_ctx


def test_concurrent_adds_keep_every_tag(shop: Any, operator: Any) -> None:
    def add(i: int) -> None:
        for k in range(5):
            catalog.update_asset(shop, operator, ORDERS, {"add_tags": [f"w{i}-{k}"]})

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(add, range(6)))
    tags = catalog.get_asset(shop, operator, ORDERS).tags
    assert list(tags) == sorted(f"w{i}-{k}" for i in range(6) for k in range(5))


def test_one_etag_lets_one_concurrent_writer_through(shop: Any, operator: Any) -> None:
    etag = versions.etag_of(catalog.get_asset(shop, operator, ORDERS).public())

    def write(i: int) -> str:
        try:
            catalog.update_asset(shop, operator, ORDERS, {"owner": f"o{i}"}, if_match=etag)
        except PreconditionFailedError:
            return "refused"
        return "written"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(write, range(6)))
    assert outcomes == ["refused"] * 5 + ["written"]
    after = catalog.get_asset(shop, operator, ORDERS)
    assert after.revision == int(etag.strip('"').split(".")[1]) + 1


def test_if_match_forms(shop: Any, operator: Any) -> None:
    asset = catalog.get_asset(shop, operator, ORDERS).public()
    for bad in ("abc", '"unterminated', ""):
        with pytest.raises(InvalidInputError, match="If-Match"):
            catalog.update_asset(shop, operator, ORDERS, {"owner": "x"}, if_match=bad)
    weak = "W/" + versions.etag_of(asset)
    with pytest.raises(PreconditionFailedError):  # weak tags never match a write
        catalog.update_asset(shop, operator, ORDERS, {"owner": "x"}, if_match=weak)
    catalog.update_asset(shop, operator, ORDERS, {"owner": "x"}, if_match="*")
    assert catalog.get_asset(shop, operator, ORDERS).owner == "x"
