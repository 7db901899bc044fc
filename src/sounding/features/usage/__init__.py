"""Usage: views, search hits and queries counted per asset and day, distinct users, the search
query log, popularity, and query-log imports.

``records`` (kinds, the popularity formula), ``service`` (the in-memory recorder the runtime
holds as ``ctx.usage`` and flushes, the use cases reading counts), ``repo`` and ``tables``
with ``migrations/``.
"""

from __future__ import annotations

from sounding.services.features import Feature

FEATURE = Feature("usage")
