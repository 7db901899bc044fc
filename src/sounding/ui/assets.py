"""``/assets/{id}``: one asset's page — its place in the hierarchy, its curated header
(edited in place by stewards), and tabs for its schema, profile, lineage, quality, usage,
history and compliance findings.

The tab is in the URL (``?tab=profile``), as are the schema's paging and filter, so a page
can be shared and Back works. Edits are small forms that work with htmx (the header or the
column's row is swapped in place) and without it (a redirect back to the page). A field
edit carries the revision it was rendered with: if someone changed the asset meanwhile, the
edit is not written and the header says so, showing the current values.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.domain.auth import Permission
from sounding.errors import InvalidInputError, PreconditionFailedError
from sounding.features.accounts.web_sessions import WebSession
from sounding.features.compliance.findings import asset_findings
from sounding.features.custom_properties import service as custom_properties
from sounding.features.glossary import service as glossary
from sounding.features.quality.asset_tab import QualityTab, quality_tab
from sounding.features.usage import service as usage
from sounding.services import asset_page, catalog
from sounding.services.asset_page import AssetView
from sounding.ui.deps import CtxDep, UiAssetWriter, UiReader
from sounding.ui.render import render


def _mark_ui(request: Request) -> None:
    """Errors on these routes are answered as pages or htmx fragments (a toast), never as
    the API's JSON, whatever the request's Accept header."""
    request.state.ui = True


router = APIRouter(include_in_schema=False, dependencies=[Depends(_mark_ui)])

TABS: tuple[tuple[str, str], ...] = (
    ("schema", "Schema"),
    ("profile", "Profile"),
    ("lineage", "Lineage"),
    ("quality", "Quality"),
    ("usage", "Usage"),
    ("history", "History"),
    ("compliance", "Compliance"),
)
TAB_NAMES = tuple(name for name, _ in TABS)
PER_PAGE = 200  # columns per page of the schema tab: a 1,000-column table paints fast
PROFILE_PER_PAGE = 50  # profile cards (charts) per page
MAX_TERM_CHOICES = 300  # glossary paths offered when linking a term (any path can be typed)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _columns_page(
    view: AssetView, q: str | None, page: int, per_page: int = PER_PAGE
) -> dict[str, Any]:
    cols = view.columns
    if q:
        needle = q.strip().lower()
        cols = tuple(c for c in cols if needle in c.name.lower())
    pages = max(1, -(-len(cols) // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return {
        "shown": cols[start : start + per_page],
        "matching": len(cols),
        "page": page,
        "pages": pages,
        "first": start + 1,
    }


def _tab_values(
    request: Request, ctx: Any, web: WebSession, view: AssetView, tab: str
) -> dict[str, Any]:
    principal = web.principal
    if tab == "lineage":
        return {"lineage": asset_page.lineage_tab(ctx, principal, view)}
    if tab == "quality":
        if not view.is_object:
            return {"quality": QualityTab((), (), 0)}
        asset_id, urn = int(view.asset["id"]), str(view.asset["urn"])
        return {"quality": quality_tab(ctx, principal, asset_id, urn)}
    if tab == "usage":
        return {"usage": usage.asset_usage(ctx, principal, str(view.asset["id"]), days=30)}
    if tab == "history":
        return {"history": asset_page.history_tab(view)}
    if tab == "compliance":
        findings, total = asset_findings(ctx, principal, int(view.asset["id"]))
        return {"findings": findings, "findings_total": total}
    return {}


def _header(
    request: Request, ctx: Any, web: WebSession, view: AssetView, message: str | None = None
) -> Response:
    return render(
        request,
        "assets/_header.html",
        {
            "view": view,
            "asset": view.asset,
            "message": message,
            **_choices(ctx, web),
            **_properties(ctx, web, view),
        },
        web=web,
    )


def _choices(ctx: Any, web: WebSession) -> dict[str, Any]:
    """The values the header's edit forms offer: criticality and lifecycle, and (for those
    who may edit) glossary term paths to pick from when linking one."""
    terms: list[str] = []
    if web.principal.can_somewhere(Permission.CATALOG_WRITE):
        found, _ = glossary.list_terms(ctx, web.principal, limit=MAX_TERM_CHOICES)
        terms = [str(t.path) for t in found]
    return {
        "criticality_choices": catalog.CRITICALITY,
        "lifecycle_choices": catalog.LIFECYCLE,
        "term_choices": terms,
    }


def _properties(ctx: Any, web: WebSession, view: AssetView) -> dict[str, Any]:
    """The custom properties defined for the asset's type (each edited with the input its
    type calls for) and the values it holds that no definition covers."""
    defs, _ = custom_properties.list_properties(
        ctx, web.principal, limit=1000, offset=0, asset_type=str(view.asset["type"])
    )
    held = dict(view.asset.get("custom_properties") or {})
    names = {d.name for d in defs}
    return {
        "property_defs": defs,
        "free_properties": {k: v for k, v in held.items() if k not in names},
    }


@router.get("/assets/by-urn")
def asset_by_urn(
    ctx: CtxDep, web: UiReader, urn: Annotated[str, Query(min_length=1)], tab: str | None = None
) -> Response:
    """An asset by URN (search results and other pages may link by URN)."""
    asset = catalog.get_asset(ctx, web.principal, urn)
    target = f"/assets/{asset.id}" + (f"?tab={tab}" if tab in TAB_NAMES else "")
    return RedirectResponse(target, status_code=303)


@router.get("/assets/{ref}")
def asset(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    ref: str,
    tab: str = "schema",
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    if tab not in TAB_NAMES:
        raise InvalidInputError(
            f"Unknown tab {tab!r}; choose one of: {', '.join(TAB_NAMES)}", field="tab"
        )
    view = asset_page.asset_view(ctx, web.principal, ref)
    usage.record_view(ctx, web.principal, int(view.asset["id"]))  # counted as the API counts
    values: dict[str, Any] = {
        "view": view,
        "asset": view.asset,
        "tab": tab,
        "tabs": TABS,
        "q": q or "",
        "message": None,
        **_choices(ctx, web),
        **_properties(ctx, web, view),
        **_columns_page(view, q, page, PROFILE_PER_PAGE if tab == "profile" else PER_PAGE),
        **_tab_values(request, ctx, web, view, tab),
    }
    return render(request, "assets/page.html", values, web=web)


@router.post("/assets/{asset_id}/field")
def edit_field(
    request: Request,
    ctx: CtxDep,
    web: UiAssetWriter,
    asset_id: int,
    field: Annotated[str, Form()],
    value: Annotated[str, Form(max_length=20_000)] = "",
    revision: Annotated[int | None, Form()] = None,
) -> Response:
    """Set one curated field; refused (and said so) when the asset changed meanwhile."""
    message = None
    try:
        asset_page.set_field(ctx, web.principal, asset_id, field, value, revision)
    except PreconditionFailedError:
        message = (
            f"Someone else changed this asset after you opened it, so your change to {field} "
            "was not saved. The current values are shown below: check them and edit again."
        )
    return _after_edit(request, ctx, web, asset_id, message)


@router.post("/assets/{asset_id}/properties")
def edit_property(
    request: Request,
    ctx: CtxDep,
    web: UiAssetWriter,
    asset_id: int,
    name: Annotated[str, Form(max_length=200)],
    value: Annotated[str, Form(max_length=2000)] = "",
    revision: Annotated[int | None, Form()] = None,
) -> Response:
    """Set one custom property (blank removes it), checked against its definition."""
    message = None
    try:
        asset_page.set_property(ctx, web.principal, asset_id, name, value, revision)
    except PreconditionFailedError:
        message = (
            f"Someone else changed this asset after you opened it, so your change to {name} "
            "was not saved. The current values are shown below: check them and edit again."
        )
    return _after_edit(request, ctx, web, asset_id, message)


@router.post("/assets/{asset_id}/tags")
def edit_tags(
    request: Request,
    ctx: CtxDep,
    web: UiAssetWriter,
    asset_id: int,
    add: Annotated[str, Form(max_length=200)] = "",
    remove: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    adds = [t for t in (s.strip() for s in add.split(",")) if t]
    removes = [remove.strip()] if remove.strip() else []
    asset_page.edit_list(ctx, web.principal, asset_id, "tags", adds, removes)
    return _after_edit(request, ctx, web, asset_id)


@router.post("/assets/{asset_id}/terms")
def edit_terms(
    request: Request,
    ctx: CtxDep,
    web: UiAssetWriter,
    asset_id: int,
    add: Annotated[str, Form(max_length=200)] = "",
    remove: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    adds = [add.strip()] if add.strip() else []
    removes = [remove.strip()] if remove.strip() else []
    asset_page.edit_list(ctx, web.principal, asset_id, "terms", adds, removes)
    return _after_edit(request, ctx, web, asset_id)


def _after_edit(
    request: Request, ctx: Any, web: WebSession, asset_id: int, message: str | None = None
) -> Response:
    view = asset_page.asset_view(ctx, web.principal, asset_id)
    if _is_htmx(request):
        return _header(request, ctx, web, view, message)
    if message:  # a plain form post: show the page with the message
        values = {
            "view": view,
            "asset": view.asset,
            "tab": "schema",
            "tabs": TABS,
            "q": "",
            "message": message,
            **_choices(ctx, web),
            **_properties(ctx, web, view),
            **_columns_page(view, None, 1),
        }
        return render(request, "assets/page.html", values, web=web, status_code=409)
    return RedirectResponse(f"/assets/{asset_id}", status_code=303)


@router.post("/assets/{asset_id}/columns/{column_id}/labels")
def decide_label(
    request: Request,
    ctx: CtxDep,
    web: UiAssetWriter,
    asset_id: int,
    column_id: int,
    label: Annotated[str, Form(min_length=1, max_length=200)],
    status: Annotated[str, Form()],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Confirm or reject a column's label; htmx gets the column's row back."""
    col = asset_page.decide_label(
        ctx, web.principal, asset_id, column_id, label, status, note or None
    )
    if not _is_htmx(request):
        return RedirectResponse(f"/assets/{asset_id}?tab=schema", status_code=303)
    headers = {"HX-Trigger": '{"toast": {"value": "Saved", "kind": "ok"}}'}
    return render(
        request,
        "assets/_column_row.html",
        {"asset_id": asset_id, "col": col, "column_editable": True},
        web=web,
        headers=headers,
    )
