"""What the accounts service hands out: users, API tokens and audit records as typed records.
No I/O.

The API validates these into its response schemas (``api/schemas/accounts.py``) with the same
field names, so its JSON is the records' fields; a plain token is only ever in a
:class:`NewToken`, which keeps it out of its ``repr`` (and so out of logs and tracebacks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str
    created_at: datetime
    disabled: bool


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just made (or rotated): the plain ``token`` is here and nowhere else."""

    id: int
    user: str
    role: str
    token: str = field(repr=False)
    expires_at: datetime | None
    replaces: int | None = None  # the token a rotation revoked for this one


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed: never the token itself, only its first characters."""

    id: int
    prefix: str
    name: str | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    replaced_by: int | None  # the token a rotation made in its place

    def state(self, now: datetime) -> str:
        """``revoked``, ``expired`` or ``live`` at ``now`` (aware UTC)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and _aware(self.expires_at) <= now:
            return "expired"
        return "live"


@dataclass(frozen=True, slots=True)
class UserToken:
    """A token with the user it belongs to (the administration page lists every user's)."""

    user: str
    role: str
    info: TokenInfo


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str | None
    target: str | None
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which audit records to list: each given field must match (``since`` inclusive,
    ``until`` exclusive)."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
