"""Data products: named, owned, versioned bundles of assets with input and output ports, an
SLA, a lifecycle (draft, published, deprecated) and health rolled up from their assets.

``records``, ``service`` (the use cases), ``health`` (the quality and compliance roll-up),
``repo`` and ``tables`` with ``migrations/``.
"""

from __future__ import annotations

from sounding.services.features import CatalogRecords, Feature


def _catalog_records() -> tuple[CatalogRecords, ...]:
    from sounding.features.data_products.catalog_records import providers

    return providers()


FEATURE = Feature("data_products", catalog_records=_catalog_records)
