"""``/catalog``: curate beyond one asset at a time (docs/catalog.md).

- ``/catalog``: the assets created by hand, a form to create one, export and import.
- ``/catalog/assets/{id}/edit``: edit an asset created by hand.
- ``/catalog/bulk``: search, tick the results, choose a change, preview it (a dry run) and
  apply it to the ticked assets, all or nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from sounding.domain.assets import MANUAL_TYPE_VALUES
from sounding.errors import InvalidInputError, SoundingError, TooLargeError
from sounding.services import bulk_curation, catalog, catalog_io, manual_assets, search
from sounding.ui.deps import CtxDep, UiReader, UiWriter
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

MAX_UPLOAD = 20 * 1024 * 1024
RESULTS = 100  # search results shown on the bulk page
FILTER_PARAMS = ("type", "source", "domain", "tag", "owner", "lifecycle", "criticality")
TYPES = sorted(MANUAL_TYPE_VALUES)
STATUS = {"InvalidInputError": 422, "NotFoundError": 404, "ConflictError": 409}


def _status(exc: SoundingError) -> int:
    return STATUS.get(type(exc).__name__, 422)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.replace(",", "\n").splitlines() if v.strip())


def _index(
    request: Request, ctx: CtxDep, web: Any, status_code: int = 200, **values: Any
) -> Response:
    items = manual_assets.list_manual(ctx, web.principal)
    return render(
        request,
        "curation/catalog.html",
        {"items": items, "types": TYPES, "form": {}, **values},
        web=web,
        status_code=status_code,
    )


@router.get("/catalog")
def index(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    return _index(request, ctx, web)


@router.post("/catalog/assets")
def create(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    type: Annotated[str, Form(max_length=50)],
    name: Annotated[str, Form(max_length=200)],
    source: Annotated[str, Form(max_length=100)],
    parent: Annotated[str, Form(max_length=2000)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    upstream: Annotated[str, Form(max_length=20_000)] = "",
    downstream: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """A new dashboard, chart, pipeline, ML model or API endpoint; its page is next."""
    spec = manual_assets.ManualAssetSpec(
        type=type,
        name=name,
        source=source.strip(),
        parent=parent.strip() or None,
        description=description.strip() or None,
        owner=owner.strip() or None,
        tags=_lines(tags),
        properties={"url": url.strip()} if url.strip() else {},
        upstream=_lines(upstream),
        downstream=_lines(downstream),
    )
    try:
        asset = manual_assets.create_asset(ctx, web.principal, spec)
    except SoundingError as exc:
        form = {
            "type": type,
            "name": name,
            "source": source,
            "parent": parent,
            "description": description,
            "owner": owner,
            "url": url,
            "tags": tags,
            "upstream": upstream,
            "downstream": downstream,
        }
        return _index(request, ctx, web, _status(exc), error=exc.message, form=form)
    return RedirectResponse(f"/assets/{asset.id}", status_code=303)


@router.get("/catalog/assets/{asset_id}/edit")
def edit_form(request: Request, ctx: CtxDep, web: UiWriter, asset_id: int) -> Response:
    asset = catalog.get_asset(ctx, web.principal, asset_id, children=False)
    if not manual_assets.is_manual_asset(ctx, asset_id):
        raise InvalidInputError(f"{asset.urn} was found by a scan; only its curation is editable")
    return render(request, "curation/edit.html", {"asset": asset}, web=web)


@router.post("/catalog/assets/{asset_id}/edit")
def edit(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    asset_id: int,
    description: Annotated[str, Form(max_length=20_000)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    steward: Annotated[str, Form(max_length=200)] = "",
    domain: Annotated[str, Form(max_length=200)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    add_upstream: Annotated[str, Form(max_length=20_000)] = "",
    add_downstream: Annotated[str, Form(max_length=20_000)] = "",
    action: Annotated[str, Form(max_length=20)] = "save",
) -> Response:
    """Save the form, or (``action=delete``) delete the asset and what sits under it."""
    asset = catalog.get_asset(ctx, web.principal, asset_id, children=False)
    try:
        if action == "delete":
            manual_assets.delete_asset(ctx, web.principal, str(asset_id))
            return RedirectResponse("/catalog?deleted=1", status_code=303)
        props = dict(asset.manual_properties or {})
        if url.strip():
            props["url"] = url.strip()
        else:
            props.pop("url", None)
        changes: dict[str, Any] = {
            "description": description.strip() or None,
            "owner": owner.strip() or None,
            "steward": steward.strip() or None,
            "domain": domain.strip() or None,
            "tags": list(_lines(tags)),
            "properties": props,
            "add_upstream": list(_lines(add_upstream)),
            "add_downstream": list(_lines(add_downstream)),
        }
        manual_assets.update_asset(ctx, web.principal, str(asset_id), changes)
    except SoundingError as exc:
        return render(
            request,
            "curation/edit.html",
            {"asset": asset, "error": exc.message},
            web=web,
            status_code=_status(exc),
        )
    return RedirectResponse(f"/assets/{asset_id}", status_code=303)


@router.get("/catalog/export")
def export(
    ctx: CtxDep, web: UiReader, format: Annotated[str, Query(max_length=10)] = "jsonl"
) -> Response:
    text = catalog_io.export_text(ctx, web.principal, format)
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return Response(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="catalog.{format}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/catalog/import")
async def import_file(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    file: UploadFile,
    format: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A file the export wrote: every record checked first; any bad one changes nothing and
    the page lists each bad line."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise TooLargeError(f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
    fmt = format or ("csv" if (file.filename or "").lower().endswith(".csv") else "jsonl")
    try:
        text = data.decode("utf-8-sig")
        result = catalog_io.import_text(ctx, web.principal, text, fmt)
    except UnicodeDecodeError:
        return _index(request, ctx, web, 422, import_message="The file is not UTF-8 text")
    except SoundingError as exc:
        return _index(
            request,
            ctx,
            web,
            _status(exc),
            import_message=exc.message.split(". Line")[0],
            import_errors=exc.details.get("errors") or [],
        )
    return _index(request, ctx, web, imported=result)


def _bulk_values(request: Request) -> tuple[str, dict[str, list[str]]]:
    q = request.query_params.get("q", "")[:500]
    chosen = {
        p: [v[:200] for v in request.query_params.getlist(p)[:20] if v] for p in FILTER_PARAMS
    }
    return q, {k: v for k, v in chosen.items() if v}


@router.get("/catalog/bulk")
def bulk_page(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    """Search results to tick, and the change to make."""
    q, filters = _bulk_values(request)
    found = search.search(
        ctx,
        web.principal,
        q,
        limit=RESULTS,
        mode="keyword",
        filters=bulk_curation.search_filters(dict(filters)),
    )
    hits = [h for h in found["items"] if h["type"] != "glossary_term"]
    return render(
        request,
        "curation/bulk.html",
        {"q": q, "filters": filters, "hits": hits, "total": found["total"], "checked": None},
        web=web,
    )


@router.post("/catalog/bulk")
async def bulk_apply(request: Request, ctx: CtxDep, web: UiWriter) -> Response:
    """Preview (a dry run) or apply the change to the ticked assets."""
    form = await request.form()
    urns = [str(u) for u in form.getlist("urn")][: bulk_curation.MAX_SELECTION + 1]
    values: dict[str, Any] = {}
    for key in ("owner", "steward", "domain", "criticality", "lifecycle"):
        raw = str(form.get(key) or "").strip()[:200]
        if raw:
            values[key] = None if raw == "-" else raw
    change = bulk_curation.BulkChange(
        set=values,
        add_tags=_lines(str(form.get("add_tags") or "")[:2000]),
        remove_tags=_lines(str(form.get("remove_tags") or "")[:2000]),
        add_terms=_lines(str(form.get("add_terms") or "")[:2000]),
        remove_terms=_lines(str(form.get("remove_terms") or "")[:2000]),
    )
    apply = form.get("action") == "apply"
    context: dict[str, Any] = {
        "q": str(form.get("q") or ""),
        "filters": {},
        "hits": bulk_curation.describe(ctx, web.principal, urns),
        "checked": set(urns),
        "total": len(urns),
        "change": {
            k: str(form.get(k) or "")
            for k in (
                *values,
                "owner",
                "steward",
                "domain",
                "criticality",
                "lifecycle",
                "add_tags",
                "remove_tags",
                "add_terms",
                "remove_terms",
            )
        },
    }
    try:
        if not urns:
            raise InvalidInputError("Tick at least one asset")
        result = bulk_curation.bulk_update(ctx, web.principal, change, urns=urns, dry_run=not apply)
    except SoundingError as exc:
        return render(
            request,
            "curation/bulk.html",
            {**context, "error": exc.message},
            web=web,
            status_code=_status(exc),
        )
    return render(request, "curation/bulk.html", {**context, "result": result}, web=web)
