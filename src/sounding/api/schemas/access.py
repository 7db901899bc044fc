"""Access policies: what ``/api/v1/policies`` takes and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sounding.api.schemas.common import Page
from sounding.api.validation import RequestModel


class PolicyCreate(RequestModel):
    """Grant ``user`` the scoped permissions of ``role`` on one scope."""

    user: str = Field(min_length=1, max_length=200, description="The user's name")
    role: str = Field(
        description="viewer or steward: steward grants catalog:write (curate the scope's "
        "assets); admin is a global role only"
    )
    scope_kind: str = Field(description="domain, source or data_product")
    scope: str = Field(
        min_length=1, max_length=200, description="The domain's, source's or data product's name"
    )
    unmasked: bool = Field(
        False, description="Also grant pii:read on the scope: sensitive values shown unmasked"
    )
    description: str | None = Field(None, max_length=500)


class PolicyPublic(BaseModel):
    id: int
    user: str
    role: str
    scope_kind: str
    scope: str
    unmasked: bool
    permissions: list[str] = Field(description="What the policy grants on its scope")
    description: str | None
    created_by: str
    created_at: datetime


class PolicyPage(Page[PolicyPublic]):
    pass
