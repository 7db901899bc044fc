"""Discovered objects: the fingerprint a re-scan compares is stable across releases."""

from __future__ import annotations

from sounding.domain.assets import (
    AssetType,
    DiscoveredColumn,
    DiscoveredObject,
    ForeignKeyRef,
    ObjectRef,
)


def _orders(**changes: object) -> DiscoveredObject:
    values: dict[str, object] = {
        "ref": ObjectRef(AssetType.TABLE, ("main", "public", "orders")),
        "columns": (
            DiscoveredColumn("id", "bigint", False, 1, None, True, None),
            DiscoveredColumn("note", "text", True, 2, "'x'::text", False, 'a "note"'),
        ),
        "primary_key": ("id",),
        "foreign_keys": (ForeignKeyRef(("cid",), ("main", "public", "c"), ("id",), "fk_c"),),
        "comment": "Orders",
        "row_count": 10,
        "size_bytes": 8192,
        "properties": {"kind": "partitioned table"},
    }
    return DiscoveredObject(**{**values, **changes})  # type: ignore[arg-type]


def test_fingerprint_is_the_one_stored_catalogs_hold() -> None:
    # a changed fingerprint would make the next re-scan of every catalog describe and
    # rewrite every object: pinned to the value earlier releases stored
    assert _orders().fingerprint() == "c0e8a012fdd57f1e67032944057ee278"


def test_fingerprint_changes_with_any_compared_fact() -> None:
    base = _orders().fingerprint()
    renamed = (DiscoveredColumn("id", "bigint", False, 1, None, True, "the key"),)
    assert _orders(columns=renamed).fingerprint() != base
    assert _orders(row_count=11).fingerprint() != base
    assert _orders(properties={}).fingerprint() != base
