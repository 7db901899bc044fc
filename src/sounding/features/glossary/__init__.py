"""The business glossary: terms in a tree with an approval workflow, their links to assets,
suggested links, and CSV import and export.

``records`` (what the service returns), ``service`` (terms: create, edit, approve, import,
export), ``links`` (terms on assets and the suggestions), ``asset_terms`` (the terms the
catalog shows and edits on an asset: the ``asset_terms`` hook, and the ``with_terms``
coverage figure), ``search`` (its terms as search documents, and their names on the
assets' documents), ``terms`` and ``suggest`` (pure), ``repo`` and ``tables`` with
``migrations/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sounding.services.features import (
    AssetTerms,
    CoverageQuery,
    Feature,
    SearchFields,
    SearchSource,
)

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection


def _asset_terms() -> AssetTerms:
    from sounding.features.glossary import asset_terms

    return asset_terms  # the module has term_paths and edit_links


def _linked_assets() -> sa.Select[Any]:
    from sounding.features.glossary.asset_terms import linked_assets

    return linked_assets()


def _search_fields(
    conn: Connection, asset_ids: Sequence[int], object_ids: Sequence[int]
) -> SearchFields:
    from sounding.features.glossary.search import asset_fields

    return asset_fields(conn, asset_ids, object_ids)


def _search_source() -> SearchSource:
    from sounding.features.glossary.search import TermDocuments

    return TermDocuments()


FEATURE = Feature(
    "glossary",
    coverage=(CoverageQuery("with_terms", _linked_assets, in_analytics=False, after="classified"),),
    asset_terms=_asset_terms,
    search_fields=_search_fields,
    search_source=_search_source,
)
