"""The tag taxonomy: groups of tags (``tier.gold``) with descriptions and the roles that may
apply them; the check the catalog calls when tags are applied to an asset.

``records``, ``service``, ``repo`` and ``tables`` with ``migrations/``.
"""

from __future__ import annotations

from sounding.features.tag_taxonomy.service import check_asset_tags
from sounding.services.features import CatalogRecords, Feature


def _catalog_records() -> tuple[CatalogRecords, ...]:
    from sounding.features.tag_taxonomy.catalog_records import providers

    return providers()


FEATURE = Feature(
    "tag_taxonomy", check_asset_tags=check_asset_tags, catalog_records=_catalog_records
)
