"""``/``: the home page — what is in the catalog, how well it is described, what changed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sounding.services import analytics
from sounding.ui.deps import CtxDep, UiReader
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    figures = analytics.catalog_analytics(ctx, web.principal, days=30)
    return render(request, "home.html", {"figures": figures}, web=web)
