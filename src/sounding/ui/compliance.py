"""``/compliance``: frameworks with their open findings, the findings list with filters, and
each finding's evidence, history and lifecycle actions (acknowledge, resolve, accept the
risk with a reason, reopen)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.errors import InvalidInputError
from sounding.features.compliance import findings as compliance_findings
from sounding.features.compliance import service as compliance
from sounding.features.compliance.frameworks import SEVERITIES
from sounding.features.compliance.records import Finding
from sounding.services import versions
from sounding.ui.deps import CtxDep, UiReader, UiWriter
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MAX_PAGE = 200  # 10,000 findings deep; filters narrow further
STATUS_CHOICES = ("open", "acknowledged", "unacknowledged", "accepted", "resolved", "all")
ACTIONS = ("acknowledge", "resolve", "accept", "reopen")
NOTE_MAX = 2000
# what the report link offers, and the policy of the report document: it is ours and has
# inline styles and SVG, but never a script
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _choice(name: str, value: str | None, choices: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    if value not in choices:
        raise InvalidInputError(
            f"Unknown {name} {value!r}; choose one of: {', '.join(choices)}", field=name
        )
    return value


def _severity_counts(ctx: Any) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for row in compliance_findings.open_finding_counts(ctx):
        out.setdefault(row["framework"], {})[row["severity"]] = int(row["count"])
    return out


@router.get("/compliance")
def findings_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    framework: str | None = None,
    severity: str | None = None,
    status: str | None = "open",
    source: str | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    severity = _choice("severity", severity, SEVERITIES)
    status = _choice("status", status, STATUS_CHOICES) or "all"
    stored = {"acknowledged": "open", "unacknowledged": "open", "all": None}.get(status, status)
    seen = {"acknowledged": True, "unacknowledged": False}.get(status)
    frameworks = compliance.list_frameworks(ctx, web.principal)
    framework = framework or None
    source = source or None
    items, total = compliance_findings.list_findings(
        ctx,
        web.principal,
        framework=framework,
        severity=severity,
        status=stored,
        source=source,
        acknowledged=seen,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    values = {
        "frameworks": frameworks,
        "open_counts": _severity_counts(ctx),
        "severities": SEVERITIES,
        "statuses": STATUS_CHOICES,
        "findings": items,
        "total": total,
        "filters": {
            "framework": framework,
            "severity": severity,
            "status": status,
            "source": source,
        },
        "page": page,
        "pages": max(1, min(MAX_PAGE, -(-total // PAGE_SIZE))),
    }
    return render(request, "compliance/findings.html", values, web=web)


@router.get("/compliance/findings/{finding_id}")
def finding_page(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    finding_id: int,
    done: str | None = None,
) -> Response:
    if not 1 <= finding_id <= 2**62:
        raise InvalidInputError("A finding id is a positive integer", field="finding_id")
    finding = compliance_findings.get_finding(ctx, web.principal, finding_id)
    history = compliance_findings.history(ctx, web.principal, finding_id)
    values = {
        "finding": finding,
        "history": history,
        "done": done if done in ACTIONS else None,
        "note_max": NOTE_MAX,
    }
    return render(request, "compliance/finding.html", values, web=web)


@router.post("/compliance/findings/{finding_id}/{action}")
def decide(
    request: Request,
    ctx: CtxDep,
    web: UiWriter,
    finding_id: int,
    action: str,
    revision: Annotated[int, Form(ge=0, le=2**62)],
    note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
) -> Response:
    """One lifecycle action; ``revision`` is the one the steward saw, so a finding changed
    meanwhile is refused (412) instead of overwritten."""
    if action not in ACTIONS:
        raise InvalidInputError(f"Unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if not 1 <= finding_id <= 2**62:
        raise InvalidInputError("A finding id is a positive integer", field="finding_id")
    tag = versions.etag(finding_id, revision)
    text = note.strip() or None
    who = web.principal
    found: Finding
    if action == "acknowledge":
        found = compliance_findings.acknowledge(ctx, who, finding_id, text, if_match=tag)
    elif action == "resolve":
        found = compliance_findings.resolve(ctx, who, finding_id, text, if_match=tag)
    elif action == "accept":
        found = compliance_findings.accept(ctx, who, finding_id, text or "", if_match=tag)
    else:
        found = compliance_findings.reopen(ctx, who, finding_id, text, if_match=tag)
    if request.headers.get("hx-request"):  # a quick action in the list: the row, redrawn
        return render(
            request,
            "compliance/finding_row.html",
            {"f": found},
            web=web,
            headers={"HX-Trigger": json.dumps({"toast": f"Finding {finding_id}: {_DONE[action]}"})},
        )
    return RedirectResponse(f"/compliance/findings/{finding_id}?done={action}", status_code=303)


_DONE = {
    "acknowledge": "acknowledged",
    "resolve": "resolved",
    "accept": "risk accepted",
    "reopen": "reopened",
}


@router.get("/compliance/reports/{framework_id}")
def report(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    framework_id: str,
    format: str = "html",
    source: str | None = None,
) -> Response:
    """The framework's report as the API renders it: HTML in its own document (its styles
    are inline, so it gets a policy of its own that still allows no script), or CSV."""
    fmt = _choice("format", format, ("html", "csv")) or "html"
    media, text = compliance_findings.render_report(
        ctx, web.principal, framework_id, fmt, source or None
    )
    headers = {"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"}
    if fmt == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{framework_id}-compliance.csv"'
    return Response(text, media_type=media, headers=headers)
