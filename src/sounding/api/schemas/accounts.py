"""Users, API tokens, the audit log and the caller: what their routes take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from sounding.api.schemas.common import ItemList, Page
from sounding.api.validation import RequestModel


class UserCreate(RequestModel):
    name: str
    role: str = Field(description="admin, steward or viewer")


class UserUpdate(RequestModel):
    role: str | None = None
    disabled: bool | None = None


class UserPublic(BaseModel):
    id: int
    name: str
    role: str
    created_at: datetime
    disabled: bool


class UserPage(Page[UserPublic]):
    pass


class MePublic(BaseModel):
    """The caller, as its token authenticates it."""

    name: str
    role: str
    permissions: list[str]
    scoped_permissions: list[str] = Field(
        default_factory=list,
        description="What the caller's policies grant on scopes: 'catalog:write on domain "
        "finance', ... (docs/access.md)",
    )


class TokenCreate(RequestModel):
    name: str | None = None
    expires_in: str | None = Field(
        None,
        max_length=40,
        description="How long the token lives: 90d, 12h, 1w or 'never' "
        "(default: SOUNDING_TOKEN_EXPIRES_IN)",
    )


class TokenRotate(RequestModel):
    expires_in: str | None = Field(
        None, max_length=40, description="Lifetime of the new token (default: the setting)"
    )


class TokenCreated(BaseModel):
    id: int
    user: str
    role: str
    token: str = Field(description="Shown once; only its hash is stored")
    expires_at: datetime | None = Field(description="When it stops working (null: never)")
    replaces: int | None = Field(None, description="The token a rotation revoked for it")


class TokenPublic(BaseModel):
    """A token as listed: never the token itself, only its first characters."""

    id: int
    prefix: str
    name: str | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    replaced_by: int | None = Field(description="The token a rotation made in its place")


class TokenList(ItemList[TokenPublic]):
    pass


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str | None
    target: str | None
    details: dict[str, Any]


class AuditPage(Page[AuditEntryPublic]):
    pass
