"""The business glossary: terms in a tree with an approval workflow, their links to assets,
suggested links, and CSV import and export.

``records`` (what the service returns), ``service`` (terms: create, edit, approve, import,
export), ``links`` (terms on assets and the suggestions), ``asset_terms`` (the terms the
catalog shows and edits on an asset), ``terms`` and ``suggest`` (pure), ``repo`` and
``tables`` with ``migrations/``.
"""

from __future__ import annotations

from sounding.services.features import Feature

FEATURE = Feature("glossary")
