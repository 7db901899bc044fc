"""Roles and the permissions they grant."""

from __future__ import annotations

from enum import StrEnum


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
