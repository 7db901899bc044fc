"""Roles and the permissions they grant."""

from __future__ import annotations

import getpass
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


class Principal:
    """Who is acting: a user with a role, or the local CLI operator (full rights)."""

    __slots__ = ("name", "permissions", "role", "user_id")

    def __init__(self, name: str, role: Role, user_id: int | None = None) -> None:
        self.name = name
        self.role = role
        self.user_id = user_id
        self.permissions = permissions_for(role)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise PermissionDeniedError(
                f"User '{self.name}' (role {self.role.value}) lacks permission "
                f"'{permission.value}'",
                permission=permission.value,
                user=self.name,
            )

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
