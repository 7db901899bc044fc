"""Custom properties with a schema: stewards define typed properties (string, number, enum,
date, user, URL) per asset type; the check the catalog calls before an asset's
``custom_properties`` are stored validates them against the definitions.

``records``, ``service``, ``repo`` and ``tables`` with ``migrations/``.
"""

from __future__ import annotations

from sounding.features.custom_properties.service import check_asset_properties
from sounding.services.features import Feature

FEATURE = Feature("custom_properties", check_asset_properties=check_asset_properties)
