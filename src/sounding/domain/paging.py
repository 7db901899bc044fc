"""The sort order of a keyset-paged list, shared by the store (which orders and seeks by it)
and the API (which puts the last item's key in the next page's cursor)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Key = tuple[Any, ...]


@dataclass(frozen=True)
class SortOrder:
    """Item fields a list is ordered by (all ascending or all descending), unique together:
    the last field is an id."""

    fields: tuple[str, ...]
    descending: bool = False

    def key_of(self, item: Mapping[str, Any] | object) -> Key:
        """The sort key of ``item``: a mapping's values or a typed record's attributes."""
        if isinstance(item, Mapping):
            return tuple(item[f] for f in self.fields)
        return tuple(getattr(item, f) for f in self.fields)
