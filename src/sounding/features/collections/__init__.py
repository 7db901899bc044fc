"""Collections: personal or shared, named, ordered lists of assets (bookmarks).

``records`` (the typed records), ``service`` (the use cases and who may see and edit a
collection), ``repo`` and ``tables`` with ``migrations/`` (branch ``collections_*``).
"""

from __future__ import annotations

from sounding.services.features import Feature

FEATURE = Feature("collections")
