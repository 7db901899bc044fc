"""The policy record as the access service returns it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sounding.domain.auth import Grant, Role, Scope, ScopeKind, policy_permissions


@dataclass(frozen=True, slots=True)
class Policy:
    """``user`` holds ``role``'s scoped permissions on the scope ``scope_kind``/``scope``
    (and ``pii:read`` there when ``unmasked``)."""

    id: int
    user: str
    role: str
    scope_kind: str
    scope: str
    unmasked: bool
    description: str | None
    created_by: str
    created_at: datetime

    @property
    def permissions(self) -> tuple[str, ...]:
        return tuple(sorted(p.value for p in self.grant().permissions))

    def grant(self) -> Grant:
        return Grant(
            Scope(ScopeKind(self.scope_kind), self.scope),
            policy_permissions(Role(self.role), self.unmasked),
            self.id,
        )
