"""``/workflows`` and ``/templates``: workflows with their last run, schedule in words and
enabled switch; a workflow's DAG (laid out on the server), YAML editor with every problem on
its line, run form and history; the template gallery with a live preview.

- ``/workflows?q=&page=&size=``: the list, paged. ``POST /workflows/{name}/enabled``: the
  switch (an htmx swap of itself).
- ``/workflows/new`` and ``POST /workflows/new``: apply a new workflow from YAML.
- ``/workflows/{name}``; ``POST .../yaml`` saves the editor (nothing is saved when a problem
  is found: the page comes back, 422, with each problem beside its line); ``POST .../run``
  starts it with the run form's parameters.
- ``/templates``; ``/templates/{name}/preview`` (htmx fragment: the workflow the form makes);
  ``POST /templates/{name}`` creates it and goes to its page.

Reading needs ``catalog:read``; saving, running, switching and creating need ``scan:run``
(the API's permission), so a viewer sees no such control and a forged POST gets 403.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from sounding.domain.workflow_pages import EditorProblem, FormProblems, ParamField
from sounding.errors import InvalidInputError, ParseError, ValidationFailedError
from sounding.orchestration import param_forms
from sounding.services import template_gallery, workflow_pages, workflows
from sounding.ui.deps import CtxDep, UiReader, UiRunner
from sounding.ui.render import ENV, render

router = APIRouter(include_in_schema=False)

MAX_YAML = 1_000_000  # characters: a workflow document is far smaller
MAX_PAGE = 100_000
STARTER = """\
name: my-workflow
description: What this workflow does
params:
  size: 10
steps:
  - id: start
    type: noop
    config: {tasks: 3}
  - id: wait
    type: sleep
    depends_on: [start]
    config: {seconds: 0.1}
"""


def workflow_url(name: str, tail: str = "") -> str:
    return f"/workflows/{quote(name, safe='')}{tail}"


ENV.filters.setdefault("workflow_url", workflow_url)


def _size(value: int | None) -> int:
    if value is None:
        return 50
    if value not in workflow_pages.PAGE_SIZES:
        choices = ", ".join(map(str, workflow_pages.PAGE_SIZES))
        raise InvalidInputError(f"size must be one of {choices}", field="size")
    return value


@router.get("/workflows")
def workflow_list(
    request: Request,
    ctx: CtxDep,
    web: UiReader,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    size: Annotated[int | None, Query()] = None,
) -> Response:
    listing = workflow_pages.list_page(
        ctx, web.principal, query=q.strip(), page=page, size=_size(size)
    )
    return render(request, "workflows/list.html", {"listing": listing}, web=web)


@router.post("/workflows/{name}/enabled")
def set_enabled(
    request: Request,
    ctx: CtxDep,
    web: UiRunner,
    name: str,
    enabled: Annotated[str, Form(max_length=5)],
) -> Response:
    """Turn the schedule and triggers on or off; answers the switch itself to htmx."""
    if enabled not in ("true", "false"):
        raise InvalidInputError("enabled must be true or false", field="enabled")
    stored = workflows.set_enabled(ctx, web.principal, name, enabled == "true")
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(workflow_url(name), status_code=303)
    values = {"name": stored.name, "enabled": stored.enabled}
    return render(request, "workflows/_switch.html", values, web=web)


def _editor_page(
    request: Request,
    web: Any,
    text: str,
    problems: tuple[EditorProblem, ...],
    status_code: int,
) -> Response:
    values = {"text": text, "problems": problems, "error_lines": _error_lines(problems)}
    return render(request, "workflows/new.html", values, web=web, status_code=status_code)


def _error_lines(problems: tuple[EditorProblem, ...]) -> dict[int, list[EditorProblem]]:
    lines: dict[int, list[EditorProblem]] = {}
    for p in problems:
        if p.line is not None:
            lines.setdefault(p.line, []).append(p)
    return lines


@router.get("/workflows/new")
def new_workflow(request: Request, web: UiRunner) -> Response:
    return _editor_page(request, web, STARTER, (), 200)


@router.post("/workflows/new")
def create_workflow(
    request: Request,
    ctx: CtxDep,
    web: UiRunner,
    yaml: Annotated[str, Form(max_length=MAX_YAML)],
) -> Response:
    try:
        stored = workflow_pages.apply_yaml(ctx, web.principal, yaml)
    except (ValidationFailedError, ParseError) as exc:
        problems = workflow_pages.place_problems(yaml, exc)
        return _editor_page(request, web, yaml, problems, 422)
    return RedirectResponse(workflow_url(stored.name, "?done=saved"), status_code=303)


def _page(
    request: Request,
    ctx: CtxDep,
    web: Any,
    name: str,
    *,
    text: str | None = None,
    problems: tuple[EditorProblem, ...] = (),
    run_form: dict[str, str] | None = None,
    run_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    view = workflow_pages.view(ctx, web.principal, name)
    fields: tuple[ParamField, ...] = view.run_fields
    if run_form is not None:
        fields = param_forms.with_values(fields, run_form)
    q = request.query_params
    values = {
        "view": view,
        "text": view.yaml if text is None else text,
        "problems": problems,
        "error_lines": _error_lines(problems),
        "fields": fields,
        "run_errors": run_errors or {},
        "done": (q.get("done") or "")[:20],
        "started": (q.get("started") or "")[:200],
        "dag": {"elements": view.elements},
    }
    return render(request, "workflows/page.html", values, web=web, status_code=status_code)


@router.get("/workflows/{name}")
def workflow_page(request: Request, ctx: CtxDep, web: UiReader, name: str) -> Response:
    return _page(request, ctx, web, name)


@router.post("/workflows/{name}/yaml")
def save_yaml(
    request: Request,
    ctx: CtxDep,
    web: UiRunner,
    name: str,
    yaml: Annotated[str, Form(max_length=MAX_YAML)],
) -> Response:
    """Apply the edited YAML; on any problem nothing is saved and the page shows each one
    beside its line."""
    try:
        stored = workflow_pages.apply_yaml(ctx, web.principal, yaml, name=name)
    except (ValidationFailedError, ParseError) as exc:
        problems = workflow_pages.place_problems(yaml, exc)
        return _page(request, ctx, web, name, text=yaml, problems=problems, status_code=422)
    done = "saved" if stored.changed else "unchanged"
    return RedirectResponse(workflow_url(name, f"?done={done}"), status_code=303)


@router.post("/workflows/{name}/run")
async def run_workflow(request: Request, ctx: CtxDep, web: UiRunner, name: str) -> Response:
    form = await request.form(max_fields=200)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k.startswith("p.")}
    started = await run_in_threadpool(workflow_pages.run, ctx, web.principal, name, values)
    if isinstance(started, FormProblems):
        errors = started.errors
        return await run_in_threadpool(
            lambda: _page(
                request, ctx, web, name, run_form=values, run_errors=errors, status_code=422
            )
        )
    target = workflow_url(name, f"?started={quote(started.id, safe='')}#executions")
    return RedirectResponse(target, status_code=303)


# --- templates --------------------------------------------------------------------------------


def _gallery(
    request: Request,
    ctx: CtxDep,
    web: Any,
    *,
    chosen: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    sections = template_gallery.gallery(ctx, web.principal)
    forms: dict[str, tuple[ParamField, ...]] = {}
    if chosen is not None and form is not None:
        forms[chosen] = param_forms.with_values(template_gallery.fields(chosen), form)
    values = {"sections": sections, "forms": forms, "chosen": chosen, "errors": errors or {}}
    return render(request, "templates_gallery/index.html", values, web=web, status_code=status_code)


@router.get("/templates")
def templates_page(request: Request, ctx: CtxDep, web: UiReader) -> Response:
    return _gallery(request, ctx, web)


@router.get("/templates/{name}/preview")
def template_preview(request: Request, ctx: CtxDep, web: UiReader, name: str) -> Response:
    """The workflow the form's values make (an htmx fragment); nothing is stored."""
    form = {k: v[:10_000] for k, v in request.query_params.items() if k.startswith("p.")}
    result = template_gallery.preview(ctx, web.principal, name, form)
    return render(request, "templates_gallery/_preview.html", {"preview": result}, web=web)


@router.post("/templates/{name}")
async def create_from_template(request: Request, ctx: CtxDep, web: UiRunner, name: str) -> Response:
    form = await request.form(max_fields=200)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k.startswith("p.")}
    made = await run_in_threadpool(template_gallery.create, ctx, web.principal, name, values)
    if isinstance(made, FormProblems):
        errors = made.errors
        return await run_in_threadpool(
            lambda: _gallery(
                request, ctx, web, chosen=name, form=values, errors=errors, status_code=422
            )
        )
    return RedirectResponse(workflow_url(made.name, "?done=created"), status_code=303)
