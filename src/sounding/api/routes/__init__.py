"""The API's route modules, one per area, each with a ``router``.

:data:`ROUTES` lists them in the order the app mounts them (first match wins: ``assets``, whose
paths take any reference, comes after the areas with fixed prefixes). Adding an area or a
feature's routes is one line here; ``api/app.py`` does not change.
"""

from __future__ import annotations

import importlib
from types import ModuleType

ROUTES: tuple[str, ...] = (
    "sounding.api.routes.sources",
    "sounding.api.routes.scans",
    "sounding.api.routes.search",
    "sounding.api.routes.lineage",
    "sounding.api.routes.changes",
    "sounding.api.routes.classification",
    "sounding.api.routes.compliance",
    "sounding.api.routes.glossary",
    "sounding.api.routes.domains",
    "sounding.api.routes.data_products",
    "sounding.api.routes.tag_taxonomy",
    "sounding.api.routes.custom_properties",
    "sounding.api.routes.collections",
    "sounding.api.routes.alerts",
    "sounding.api.routes.quality",
    "sounding.api.routes.workflows",
    "sounding.api.routes.pools",
    "sounding.api.routes.delivery",
    "sounding.api.routes.insights",
    "sounding.api.routes.analytics",
    "sounding.api.routes.catalog",
    "sounding.api.routes.assets",
    "sounding.api.routes.accounts",
    "sounding.api.routes.policies",
    "sounding.api.routes.retention",
)


def modules() -> list[ModuleType]:
    """The modules of :data:`ROUTES`, imported."""
    return [importlib.import_module(name) for name in ROUTES]
