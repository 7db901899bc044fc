"""Batched describe: one broken object never takes its batch down."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sounding.connectors.sql_catalog import Described, describe_in_batches
from sounding.domain.assets import AssetType, DiscoveredObject, ObjectFailure, ObjectRef
from sounding.errors import ConnectionFailedError


class BrokenObjectError(Exception):
    pass


def _refs(*names: str, schema: str = "public") -> list[ObjectRef]:
    return [ObjectRef(AssetType.TABLE, ("db", schema, n)) for n in names]


def test_failed_batch_is_retried_one_by_one() -> None:
    calls: list[list[str]] = []

    def run_batch(container: tuple[str, ...], chunk: Sequence[ObjectRef]) -> dict[str, Described]:
        calls.append([r.name for r in chunk])
        if any(r.name == "bad" for r in chunk):
            raise BrokenObjectError("permission denied for table bad")
        return {r.name: DiscoveredObject(ref=r) for r in chunk}

    refs = _refs("a", "bad", "c") + _refs("d", schema="other")
    results = list(describe_in_batches(refs, run_batch, recoverable=(BrokenObjectError,)))

    assert [r.ref for r in results] == refs
    assert [type(r) for r in results] == [
        DiscoveredObject,
        ObjectFailure,
        DiscoveredObject,
        DiscoveredObject,
    ]
    assert isinstance(results[1], ObjectFailure)
    assert results[1].error == "permission denied for table bad"
    # one query per container batch, then per-object retries only for the failed batch
    assert calls == [["a", "bad", "c"], ["a"], ["bad"], ["c"], ["d"]]


def test_batches_are_bounded() -> None:
    sizes: list[int] = []

    def run_batch(container: tuple[str, ...], chunk: Sequence[ObjectRef]) -> dict[str, Described]:
        sizes.append(len(chunk))
        return {r.name: DiscoveredObject(ref=r) for r in chunk}

    refs = _refs(*(f"t{i}" for i in range(7)))
    assert len(list(describe_in_batches(refs, run_batch, recoverable=(), batch_size=3))) == 7
    assert sizes == [3, 3, 1]


def test_lost_connection_is_not_turned_into_object_failures() -> None:
    def run_batch(container: tuple[str, ...], chunk: Sequence[ObjectRef]) -> dict[str, Described]:
        raise ConnectionFailedError("Lost the connection to source 'shop'")

    with pytest.raises(ConnectionFailedError):
        list(describe_in_batches(_refs("a"), run_batch, recoverable=(BrokenObjectError,)))
