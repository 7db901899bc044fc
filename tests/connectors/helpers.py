"""Small helpers shared by the connector tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sounding.connectors.base import Connector, SourceConfig
from sounding.connectors.registry import default_registry
from sounding.domain.assets import DiscoveredObject, ObjectFailure, ObjectRef


def open_source(url: str, name: str = "shop", **options: Any) -> Connector:
    """Open a source the way the application does: through the registry."""
    include = options.pop("include", None)
    exclude = options.pop("exclude", None)
    config = SourceConfig(name=name, url=url, include=include, exclude=exclude, options=options)
    return default_registry().open(config)


def discover(
    connector: Connector, refs: Sequence[ObjectRef] | None = None
) -> tuple[dict[tuple[str, ...], DiscoveredObject], dict[tuple[str, ...], ObjectFailure]]:
    """Describe refs (default: everything listed), split into successes and failures by path,
    checking that there is exactly one result per ref and results come in request order."""
    refs = connector.list_objects() if refs is None else refs
    results = list(connector.describe(refs))
    assert [r.ref for r in results] == list(refs)
    found = {r.ref.path: r for r in results if isinstance(r, DiscoveredObject)}
    failed = {r.ref.path: r for r in results if isinstance(r, ObjectFailure)}
    return found, failed


def columns_of(obj: DiscoveredObject) -> list[tuple[Any, ...]]:
    """(name, type, nullable, ordinal, default, is_pk, comment) of each column."""
    return [
        (c.name, c.data_type, c.nullable, c.ordinal, c.default, c.is_primary_key, c.comment)
        for c in obj.columns
    ]
