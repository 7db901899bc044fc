"""Use cases for workflow templates: list, show, instantiate into a stored workflow."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.executions import (
    TemplateRecord,
    TemplateSummaryRecord,
    WorkflowFromTemplate,
)
from sounding.orchestration.templating import (
    Template,
    builtin_templates,
    get_template,
    instantiate,
    resolve_params,
)
from sounding.services import workflows
from sounding.services.context import Context
from sounding.store.repos import audit
from sounding.store.repos.workflow_listing import TEMPLATE_ACTION

logger = logging.getLogger(__name__)


@functools.cache
def _templates() -> dict[str, Template]:
    return builtin_templates()


def _summary(t: Template) -> TemplateSummaryRecord:
    props = t.parameters.get("properties") or {}
    return TemplateSummaryRecord(
        name=t.name,
        category=t.category,
        title=t.title,
        description=t.description,
        required=tuple(t.parameters.get("required") or []),
        defaults=t.defaults(),
        parameters=tuple(sorted(props)),
    )


def list_templates(ctx: Context, actor: Principal) -> list[TemplateSummaryRecord]:
    actor.require(Permission.CATALOG_READ)
    return [_summary(t) for t in _templates().values()]


def get(ctx: Context, actor: Principal, name: str) -> TemplateRecord:
    """A template with its parameter schema and its workflow document (placeholders kept)."""
    actor.require(Permission.CATALOG_READ)
    t = get_template(_templates(), name)
    return TemplateRecord(
        name=t.name,
        category=t.category,
        title=t.title,
        description=t.description,
        required=tuple(t.parameters.get("required") or []),
        defaults=t.defaults(),
        parameters=dict(t.parameters),
        workflow=dict(t.workflow),
    )


def instantiate_template(
    ctx: Context, actor: Principal, name: str, params: Mapping[str, Any]
) -> WorkflowFromTemplate:
    """Validate ``params`` against the template's schema, render the workflow and store it
    (a new version if a workflow of that name exists and changed)."""
    actor.require(Permission.SCAN_RUN)
    template = get_template(_templates(), name)
    document = instantiate(template, params)
    stored = workflows.apply_workflow(ctx, actor, document)
    resolved = resolve_params(template, params)
    with ctx.db.write() as conn:  # the workflow page's run form reads the template from here
        audit.record(
            conn,
            actor.name,
            TEMPLATE_ACTION,
            "workflow",
            stored.name,
            {"template": name, "params": resolved},
        )
    return WorkflowFromTemplate(template=name, params=resolved, workflow=stored)
