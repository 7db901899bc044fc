"""Accounts: users, API tokens (with expiry and rotation), passwords and web UI sessions.

``service`` (users and tokens; resolving a bearer token to a principal), ``web_sessions``
(log in and out of the web UI, CSRF tokens, failed-login limits), ``repo`` and ``tables`` with
``migrations/``. The principal and its permissions (``domain/auth.py``) and the audit log
(``store/repos/audit.py``) are the core's: every feature uses them.
"""

from __future__ import annotations

from sounding.services.features import Feature

FEATURE = Feature("accounts")
