"""``/``: the home page — what is in the catalog, how well it is described, what waits for a
steward, what discovery saw lately, and which scans run or failed.

The steward's to-do links to the filtered lists (the URL shapes other pages accept):
``/review`` (classifications pending review), ``/quality?status=failing``,
``/compliance?severity=critical&status=open`` and
``/search?missing=owner&type=table&type=view&type=dataset`` (objects nobody owns).
"What changed and what it breaks" links each change and each affected asset to
``/lineage?focus=<urn>``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sounding.services import overview
from sounding.ui.deps import CtxDep, UiReader
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

OBJECT_FILTER = "type=table&type=view&type=dataset"
COVERAGE = {
    # key: (what it says, the search listing the objects that lack it, or None)
    "owned": ("have an owner", f"/search?missing=owner&{OBJECT_FILTER}"),
    "described": ("have a description", None),
    "classified": ("are classified", f"/search?missing=classification&{OBJECT_FILTER}"),
    "with_terms": ("are linked to glossary terms", None),
    "with_lineage": ("have lineage", None),
    "with_quality_rules": ("have quality rules", None),
}
TODO_LINKS = {
    "pending_classifications": "/review",
    "failing_rules": "/quality?status=failing",
    "erroring_rules": "/quality?status=unchecked",
    "open_critical_findings": "/compliance?severity=critical&status=open",
    "unowned_objects": f"/search?missing=owner&{OBJECT_FILTER}",
}
CHANGE_KINDS = {
    "column_dropped": "column dropped",
    "column_renamed": "column renamed",
    "column_retyped": "column retyped",
    "column_changed": "column changed",
    "table_dropped": "dropped",
}
AFFECTED_SHOWN = 8
EVENTS = {
    "created": "new",
    "updated": "updated",
    "schema_changed": "schema changed",
    "deleted": "dropped",
    "restored": "back",
}


@router.get("/")
def home(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    figures = overview.home(ctx, web.principal)
    return render(
        request,
        "home.html",
        {
            "figures": figures,
            "coverage_labels": COVERAGE,
            "todo_links": TODO_LINKS,
            "event_labels": EVENTS,
            "change_kinds": CHANGE_KINDS,
            "affected_shown": AFFECTED_SHOWN,
        },
        web=web,
    )
