"""What the web UI's workflow pages read and do: a page of workflows, one workflow (YAML, DAG,
run form, history), applying YAML with each problem placed on its line, and starting a run
from a form. Writes go through ``services.workflows`` (the API's own use cases)."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import yaml

from sounding.domain.auth import Permission, Principal
from sounding.domain.executions import ExecutionDetail, StoredWorkflowApplied
from sounding.domain.workflow_pages import (
    AppliedWorkflow,
    EditorProblem,
    ExecutionRow,
    FormProblems,
    LastExecution,
    ParamField,
    TemplateOrigin,
    WorkflowListPage,
    WorkflowRow,
    WorkflowView,
)
from sounding.errors import ParseError, SoundingError, ValidationFailedError
from sounding.lineage.layout import LayoutEdge, LayoutGraph, LayoutNode, layout_cached, to_cytoscape
from sounding.orchestration import param_forms
from sounding.orchestration.cron_words import describe_cron, describe_interval
from sounding.orchestration.parsing import load_document
from sounding.orchestration.schedule import next_fire_times, parse_duration
from sounding.orchestration.spec import Schedule
from sounding.orchestration.templating import builtin_templates
from sounding.orchestration.yaml_lines import lines_of
from sounding.services import workflows
from sounding.services.context import Context
from sounding.store.repos import workflow_listing as listing

logger = logging.getLogger(__name__)

PAGE_SIZES = (25, 50, 100, 200)
HISTORY = 50


def schedule_of(doc: Mapping[str, Any]) -> Schedule | None:
    """The schedule a stored workflow document declares (validated when it was applied)."""
    raw = doc.get("schedule")
    if isinstance(raw, str):
        return Schedule(cron=raw)
    if not isinstance(raw, Mapping):
        return None
    interval = raw.get("interval")
    return Schedule(
        cron=raw.get("cron"),
        timezone=str(raw.get("timezone") or "UTC"),
        interval=parse_duration(interval) if interval is not None else None,
    )


@functools.lru_cache(maxsize=4096)
def _cron_words(cron: str, zone: str) -> str:
    return describe_cron(cron, zone)


def schedule_words(schedule: Schedule | None) -> str | None:
    if schedule is None:
        return None
    if schedule.cron is not None:
        return _cron_words(schedule.cron, schedule.timezone)
    if schedule.interval is not None:
        return describe_interval(schedule.interval)
    return None


_NEXT: dict[tuple[str, str], datetime] = {}  # (cron, zone) -> its next fire time, while ahead
_NEXT_MAX = 4096


def next_run(schedule: Schedule | None, enabled: bool, now: datetime) -> datetime | None:
    """When the schedule fires next. A cron schedule's next time is the same for every
    workflow sharing it until that time passes, so it is kept until then (a page of workflows
    asks croniter once per distinct schedule, not once per row)."""
    if schedule is None or not enabled:
        return None
    key = (schedule.cron, schedule.timezone) if schedule.cron is not None else None
    if key is not None and (hit := _NEXT.get(key)) is not None and hit > now:
        return hit
    try:
        found = next_fire_times(schedule, now)[0]
    except (ValueError, KeyError) as exc:  # stored before a check existed: say nothing
        logger.debug("no next run for %s: %s", schedule, exc)
        return None
    if key is not None:
        if len(_NEXT) >= _NEXT_MAX:
            _NEXT.clear()
        _NEXT[key] = found
    return found


def _last(row: Mapping[str, Any] | None) -> LastExecution | None:
    if row is None:
        return None
    return LastExecution(row["id"], row["status"], row["created_at"], row["finished_at"])


def list_page(
    ctx: Context, actor: Principal, *, query: str = "", page: int = 1, size: int = 50
) -> WorkflowListPage:
    """One page of workflows by name with their last execution, schedule and next run."""
    actor.require(Permission.CATALOG_READ)
    offset = (page - 1) * size
    with ctx.db.read() as conn:
        rows, total = listing.page(conn, query=query, limit=size, offset=offset)
        last = listing.last_executions(conn, [r["name"] for r in rows])
    now = datetime.now(UTC)
    out = []
    for r in rows:
        spec = r["spec"] if isinstance(r["spec"], Mapping) else {}
        schedule = _safe_schedule(spec)
        out.append(
            WorkflowRow(
                name=r["name"],
                version=r["version"],
                enabled=bool(r["enabled"]),
                steps=len(spec.get("steps") or ()),
                schedule=schedule_words(schedule),
                next_run=next_run(schedule, bool(r["enabled"]), now),
                last=_last(last.get(r["name"])),
                updated_at=r["updated_at"],
            )
        )
    pages = max(1, math.ceil(total / size))
    return WorkflowListPage(tuple(out), total, page, pages, size, query)


def _safe_schedule(spec: Mapping[str, Any]) -> Schedule | None:
    try:
        return schedule_of(spec)
    except (ValueError, TypeError) as exc:
        logger.debug("unreadable schedule %r: %s", spec.get("schedule"), exc)
        return None


def to_yaml(doc: Mapping[str, Any]) -> str:
    text: str = yaml.safe_dump(
        dict(doc), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return text


def dag_elements(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The steps as cytoscape elements, laid out left to right on the server."""
    steps = [s for s in doc.get("steps") or () if isinstance(s, Mapping) and s.get("id")]
    ids = {str(s["id"]) for s in steps}
    nodes = [
        LayoutNode(str(s["id"]), str(s["id"]), None, {"type": str(s.get("type", ""))})
        for s in steps
    ]
    edges = []
    for s in steps:
        deps = s.get("depends_on") or []
        for dep in [deps] if isinstance(deps, str) else deps:
            if str(dep) in ids:
                edges.append(LayoutEdge(str(dep), str(s["id"])))
    graph = LayoutGraph.build(nodes, edges)
    return to_cytoscape(layout_cached(graph), graph)


def origin_of(ctx: Context, name: str) -> TemplateOrigin | None:
    with ctx.db.read() as conn:
        found = listing.template_origin(conn, name)
    if not found or not isinstance(found.get("template"), str):
        return None
    params = found.get("params")
    return TemplateOrigin(found["template"], dict(params) if isinstance(params, Mapping) else {})


def run_fields(doc: Mapping[str, Any], origin: TemplateOrigin | None) -> tuple[ParamField, ...]:
    """The run form: one field per ``params`` entry of the workflow, typed by the template's
    schema when the workflow came from a template that declares it, else by its default."""
    params = doc.get("params")
    if not isinstance(params, Mapping):
        return ()
    props: Mapping[str, Any] = {}
    if origin is not None:
        template = builtin_templates().get(origin.template)
        if template is not None:
            props = template.parameters.get("properties") or {}
    fields = []
    for name, default in params.items():
        prop = props.get(name)
        if isinstance(prop, Mapping):
            fields.append(
                param_forms.schema_field(
                    str(name), prop, required=False, value=default, has_value=True
                )
            )
        else:
            fields.append(param_forms.inferred_field(str(name), default))
    return tuple(fields)


def view(ctx: Context, actor: Principal, name: str) -> WorkflowView:
    stored = workflows.get_workflow(ctx, actor, name)
    doc: Mapping[str, Any] = stored.spec
    origin = origin_of(ctx, name)
    with ctx.db.read() as conn:
        history = listing.history(conn, name, HISTORY)
    schedule = _safe_schedule(doc)
    return WorkflowView(
        name=stored.name,
        version=stored.version,
        enabled=stored.enabled,
        description=str(doc.get("description") or ""),
        yaml=to_yaml(doc),
        revision=stored.revision,
        schedule=schedule_words(schedule),
        next_run=next_run(schedule, stored.enabled, datetime.now(UTC)),
        elements=dag_elements(doc),
        run_fields=run_fields(doc, origin),
        executions=tuple(
            ExecutionRow(
                h["id"],
                h["status"],
                h["trigger"],
                h["created_at"],
                h["started_at"],
                h["finished_at"],
                h["error"],
            )
            for h in history
        ),
        origin=origin,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


def place_problems(text: str, exc: SoundingError) -> tuple[EditorProblem, ...]:
    """The problems of a rejected document, each on the line of the YAML it concerns."""
    if isinstance(exc, ParseError):
        line = exc.details.get("line")
        return (EditorProblem("", exc.message, line if isinstance(line, int) else None),)
    errors = exc.details.get("errors") if isinstance(exc, ValidationFailedError) else None
    if not isinstance(errors, list) or not errors:
        return (EditorProblem("", exc.message, None),)
    locs = [str(e.get("loc", "")) for e in errors]
    lines = lines_of(text, locs)
    return tuple(
        EditorProblem(loc, str(e.get("msg", "")), lines.get(loc) if loc else 1)
        for loc, e in zip(locs, errors, strict=True)
    )


def _applied(stored: StoredWorkflowApplied) -> AppliedWorkflow:
    return AppliedWorkflow(stored.name, stored.version, stored.changed)


def apply_yaml(
    ctx: Context, actor: Principal, text: str, *, name: str | None = None
) -> AppliedWorkflow:
    """Validate and store the YAML; with ``name`` (editing that workflow) the document must
    keep it. Raises ``ValidationFailedError`` or ``ParseError``: nothing is stored then."""
    actor.require(Permission.SCAN_RUN)
    if name is not None:
        doc = load_document(text)
        if isinstance(doc, Mapping) and doc.get("name") != name:
            raise ValidationFailedError(
                f"The workflow is '{name}': keep its name (save under another name with "
                "New workflow)",
                errors=[{"loc": "name", "msg": f"must stay {name!r} on this page"}],
            )
        return _applied(
            workflows.apply_workflow(ctx, actor, doc if isinstance(doc, Mapping) else text)
        )
    return _applied(workflows.apply_workflow(ctx, actor, text))


def run(
    ctx: Context, actor: Principal, name: str, form: Mapping[str, str]
) -> ExecutionDetail | FormProblems:
    """Start ``name`` with the run form's values; the problems by field instead when a value
    does not read as its type (nothing starts then)."""
    actor.require(Permission.SCAN_RUN)
    stored = workflows.get_workflow(ctx, actor, name)
    fields = run_fields(stored.spec, origin_of(ctx, name))
    params, errors = param_forms.read_form(fields, form)
    if errors:
        return FormProblems(errors)
    return workflows.execute(ctx, actor, name, params)
