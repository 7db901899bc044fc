"""Access: policies granting a role's permissions on a scope (a domain, a source, a data
product), and the per-process cache that puts a user's grants on their principal.

``records`` (the policy record), ``service`` (create, list, delete; ``attach_grants`` for the
request path), ``repo`` and ``tables`` with ``migrations/``. The permission check itself is the
core's (``domain/auth.py``: ``Principal.can``/``require`` with an asset's scopes, which
``services.catalog.scope_of`` computes); this feature only stores who holds what where.
"""

from __future__ import annotations

from sounding.services.features import Feature

FEATURE = Feature("access")
