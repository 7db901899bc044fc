"""Domains: named, owned areas of the business, nested under a parent, that assets belong to.

``records`` (the typed records), ``service`` (the use cases, and the check the catalog calls
when an asset is put in a domain), ``repo`` and ``tables`` with ``migrations/`` (which turn
the free-text domains assets had into domains).
"""

from __future__ import annotations

from sounding.features.domains.service import check_asset_domain
from sounding.services.features import CatalogRecords, Feature


def _catalog_records() -> tuple[CatalogRecords, ...]:
    from sounding.features.domains.catalog_records import providers

    return providers()


FEATURE = Feature(
    "domains", check_asset_domain=check_asset_domain, catalog_records=_catalog_records
)
