"""Walks over the OpenAPI document (fixture ``openapi`` in conftest) for the schema tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def operations(doc: dict[str, Any], tags: set[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation carrying one of ``tags``."""
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if set(op.get("tags", [])) & tags:
                yield method, path, op


def success(op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one 2xx answer an operation declares."""
    found = [(s, r) for s, r in op["responses"].items() if s.startswith("2")]
    assert len(found) == 1, f"expected one 2xx answer, got {[s for s, _ in found]}"
    return found[0]
