"""Shapes shared by every area's schemas: the page of a list."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list (``?limit=``, ``?offset=`` or ``?cursor=``). Subclass it per item type
    (``class AssetPage(Page[AssetPublic])``) so the OpenAPI document names it."""

    items: list[T]
    total: int
    next_cursor: str | None = Field(
        None, description="Pass as ?cursor= for the next page; null on the last page"
    )


class ItemList(BaseModel, Generic[T]):
    """A whole, unpaged list: every item and how many there are."""

    items: list[T]
    total: int
