"""/api/v1/catalog: export and import the curated catalog (docs/catalog.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Body, Query, Response

from sounding.api.deps import CtxDep, Reader, Writer
from sounding.api.openapi import content_types
from sounding.api.routing import api_router
from sounding.api.schemas.curation import CatalogImport, CatalogImportResult
from sounding.services import catalog_io
from sounding.services.catalog_io import ImportResult

router = api_router("/catalog", tags=["catalog"])


@router.get(
    "/export",
    response_class=Response,
    responses=content_types("application/x-ndjson", "text/csv"),
)
def export_catalog(
    ctx: CtxDep,
    who: Reader,
    format: Annotated[Literal["jsonl", "csv"], Query(description="jsonl or csv")] = "jsonl",
) -> Response:
    """The curated metadata (domains, tag groups, descriptions, owners, tags, terms, custom
    properties, manual assets and edges, classification decisions, data products) as JSON
    Lines or CSV."""
    text = catalog_io.export_text(ctx, who, format)
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return Response(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="catalog.{format}"'},
    )


@router.post("/import", response_model=CatalogImportResult)
def import_catalog(
    ctx: CtxDep, who: Writer, body: Annotated[CatalogImport, Body()]
) -> ImportResult:
    """Apply an exported file: every record is checked first (a 422 lists each bad line and
    what to fix, and nothing is written); then only what differs is written, in one
    transaction, so importing the same file again changes nothing."""
    return catalog_io.import_text(ctx, who, body.content, body.format)
