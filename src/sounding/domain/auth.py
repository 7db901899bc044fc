"""Roles, the permissions they grant, and policies granting them on a scope.

A principal holds its global role's permissions everywhere and, through policies
(``features/access``), more permissions on scopes: a domain, a source or a data product.
:meth:`Principal.can` and :meth:`Principal.require` answer both questions in one place; an
asset-scoped check passes the asset's :class:`AssetScope` (``services.catalog.scope_of``).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sounding.errors import PermissionDeniedError


class Permission(StrEnum):
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    SCAN_RUN = "scan:run"
    SOURCE_READ = "source:read"
    SOURCE_MANAGE = "source:manage"
    PII_READ = "pii:read"
    ADMIN = "admin"


class Role(StrEnum):
    ADMIN = "admin"
    STEWARD = "steward"
    VIEWER = "viewer"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.CATALOG_READ, Permission.SOURCE_READ}),
    Role.STEWARD: frozenset(
        {
            Permission.CATALOG_READ,
            Permission.SOURCE_READ,
            Permission.CATALOG_WRITE,
            Permission.SCAN_RUN,
            Permission.PII_READ,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


def permissions_for(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


class ScopeKind(StrEnum):
    """What a policy's scope names: assets of a domain, of a source, or of a data product."""

    DOMAIN = "domain"
    SOURCE = "source"
    DATA_PRODUCT = "data_product"


# What a policy may grant on a scope: curating its assets (catalog:write) and reading their
# sensitive values unmasked (pii:read). Everything else (running scans, managing sources,
# administration) is global only.
SCOPED_PERMISSIONS = frozenset({Permission.CATALOG_WRITE, Permission.PII_READ})
POLICY_ROLES = (Role.VIEWER, Role.STEWARD)


def policy_permissions(role: Role, unmasked: bool) -> frozenset[Permission]:
    """What a policy granting ``role`` on a scope grants there: the role's scoped permissions
    except ``pii:read``, which only ``unmasked`` grants (so a steward policy curates and an
    explicit grant reveals values)."""
    granted = {p for p in permissions_for(role) if p in SCOPED_PERMISSIONS}
    granted.discard(Permission.PII_READ)
    if unmasked:
        granted.add(Permission.PII_READ)
    return frozenset(granted)


@dataclass(frozen=True, slots=True, order=True)
class Scope:
    kind: ScopeKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value} '{self.name}'"


@dataclass(frozen=True, slots=True)
class Grant:
    """Permissions one policy grants on one scope."""

    scope: Scope
    permissions: frozenset[Permission]
    policy_id: int = 0


@dataclass(frozen=True, slots=True)
class AssetScope:
    """The scopes an asset is in (its domain, its source, its data products): a policy on any
    of them applies to it."""

    urn: str
    scopes: frozenset[Scope]

    def describe(self) -> str:
        return ", ".join(str(s) for s in sorted(self.scopes)) or "no domain or source"


class Principal:
    """Who is acting: a user with a role (and the grants of their policies), or the local CLI
    operator (full rights)."""

    __slots__ = ("grants", "name", "permissions", "role", "user_id")

    def __init__(
        self,
        name: str,
        role: Role,
        user_id: int | None = None,
        grants: Iterable[Grant] = (),
    ) -> None:
        self.name = name
        self.role = role
        self.user_id = user_id
        self.permissions = permissions_for(role)
        self.grants: tuple[Grant, ...] = tuple(grants)

    def can(self, permission: Permission, on: AssetScope | None = None) -> bool:
        """Whether the principal holds ``permission`` globally or, given the asset's scopes
        ``on``, through a policy on one of them."""
        if permission in self.permissions:
            return True
        if on is None:
            return False
        return any(permission in g.permissions and g.scope in on.scopes for g in self.grants)

    def can_somewhere(self, permission: Permission) -> bool:
        """Whether ``permission`` is held globally or on at least one scope (the routes'
        first check; the service then checks the asset itself)."""
        return permission in self.permissions or any(
            permission in g.permissions for g in self.grants
        )

    def scopes_with(self, permission: Permission) -> list[Scope]:
        return sorted({g.scope for g in self.grants if permission in g.permissions})

    def require(self, permission: Permission, on: AssetScope | None = None) -> None:
        if self.can(permission, on):
            return
        held = self.scopes_with(permission)
        where = f" on {on.urn} ({on.describe()})" if on is not None else ""
        hint = f"; policies grant it only on {', '.join(map(str, held))}" if held else ""
        details: dict[str, object] = {"permission": permission.value, "user": self.name}
        if on is not None:
            details["asset"] = on.urn
            details["scopes"] = [f"{s.kind.value}:{s.name}" for s in sorted(on.scopes)]
        raise PermissionDeniedError(
            f"User '{self.name}' (role {self.role.value}) lacks permission "
            f"'{permission.value}'{where}{hint}",
            **details,
        )

    def require_somewhere(self, permission: Permission) -> None:
        if not self.can_somewhere(permission):
            self.require(permission)

    def __repr__(self) -> str:
        return f"Principal({self.name!r}, {self.role.value})"


def system_principal(kind: str, name: str) -> Principal:
    """Sounding acting with full rights on someone's behalf, named ``kind:name`` so the audit
    log says which part acted: ``workflow:<execution>``, ``webhook:<workflow>``,
    ``system:<service>``, ``cli:<os user>``."""
    return Principal(f"{kind}:{name}", Role.ADMIN)


def workflow_principal(execution_id: str) -> Principal:
    """A workflow step acting for the execution that runs it."""
    return system_principal("workflow", execution_id[:8])


def local_operator() -> Principal:
    """The person at the CLI on the server's own machine: they own the store file."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "local"
    return system_principal("cli", user)
