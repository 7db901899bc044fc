"""The tag taxonomy: tag groups (``tier``) defining tags (``tier.gold``) and who applies them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Response

from sounding.api.deps import CtxDep, PageDep, Reader, Writer
from sounding.api.routing import api_router
from sounding.api.schemas.tag_taxonomy import (
    TagGroupCreate,
    TagGroupPage,
    TagGroupPublic,
    TagGroupUpdate,
)
from sounding.features.tag_taxonomy import service as taxonomy
from sounding.features.tag_taxonomy.records import TagGroup

router = api_router("/tag-groups", tags=["tag-groups"])

Name = Annotated[str, Path(min_length=1, max_length=99, description="The group's name")]


@router.get("", response_model=TagGroupPage)
def list_groups(ctx: CtxDep, who: Reader, page: PageDep) -> dict[str, Any]:
    items, total = taxonomy.list_groups(ctx, who, limit=page.limit, offset=page.offset)
    return page.result(items, total)


@router.post("", status_code=201, response_model=TagGroupPublic)
def create_group(ctx: CtxDep, who: Writer, body: Annotated[TagGroupCreate, Body()]) -> TagGroup:
    """A new group with its tags."""
    return taxonomy.create_group(ctx, who, body.model_dump(exclude_unset=True))


@router.get("/{name}", response_model=TagGroupPublic)
def get_group(ctx: CtxDep, who: Reader, name: Name) -> TagGroup:
    return taxonomy.get_group(ctx, who, name)


@router.patch("/{name}", response_model=TagGroupPublic)
def update_group(
    ctx: CtxDep, who: Writer, name: Name, body: Annotated[TagGroupUpdate, Body()]
) -> TagGroup:
    """Describe, change who applies, add or remove tags."""
    data = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if "description" in body.model_fields_set:
        data["description"] = body.description
    return taxonomy.update_group(ctx, who, name, data)


@router.delete("/{name}", status_code=204)
def delete_group(ctx: CtxDep, who: Writer, name: Name) -> Response:
    """Delete a group; its tags become free tags."""
    taxonomy.delete_group(ctx, who, name)
    return Response(status_code=204)
