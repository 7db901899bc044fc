"""The template gallery of the web UI: templates by category with their parameter forms, a
preview of the workflow a form would make (checked as applying it would check it, nothing
stored), and creating it through ``services.templates`` (the API's use case)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.workflow_pages import (
    AppliedWorkflow,
    FormProblems,
    ParamField,
    TemplateCard,
    TemplatePreview,
)
from sounding.errors import SoundingError, ValidationFailedError
from sounding.orchestration import param_forms
from sounding.orchestration.parsing import parse_workflow
from sounding.orchestration.templating import Template, builtin_templates, get_template
from sounding.orchestration.templating import instantiate as render_template
from sounding.services import pools, templates, workflow_checks
from sounding.services.context import Context
from sounding.services.workflow_pages import to_yaml
from sounding.store.repos import sources as sources_repo

logger = logging.getLogger(__name__)

# the gallery's sections, in this order (a template of another category goes last)
CATEGORIES = (
    ("data_discovery", "Discovery"),
    ("quality_assessment", "Quality assessment"),
    ("compliance_scan", "Compliance scan"),
    ("security_audit", "Security audit"),
    ("custom", "Custom"),
)
_REQUIRED = re.compile(r"^'([^']+)' is a required property$")


def _card(t: Template, values: Mapping[str, Any] | None = None) -> TemplateCard:
    return TemplateCard(
        t.name, t.category, t.title, t.description, param_forms.schema_fields(t.parameters, values)
    )


def gallery(ctx: Context, actor: Principal) -> list[tuple[str, list[TemplateCard]]]:
    """``(category title, its templates)`` in the gallery's order, empty categories kept."""
    actor.require(Permission.CATALOG_READ)
    found = builtin_templates()
    titles = dict(CATEGORIES)
    sections: dict[str, list[TemplateCard]] = {key: [] for key, _ in CATEGORIES}
    for t in found.values():
        sections.setdefault(t.category, []).append(_card(t))
    return [
        (titles.get(key, key.replace("_", " ").capitalize()), cards)
        for key, cards in sections.items()
    ]


def card(ctx: Context, actor: Principal, name: str) -> TemplateCard:
    actor.require(Permission.CATALOG_READ)
    return _card(get_template(builtin_templates(), name))


def fields(name: str) -> tuple[ParamField, ...]:
    return param_forms.schema_fields(get_template(builtin_templates(), name).parameters)


def _field_errors(exc: SoundingError) -> dict[str, str]:
    """A template's schema problems by form field (``params.source`` -> ``source``)."""
    out: dict[str, str] = {}
    errors = exc.details.get("errors") if isinstance(exc, ValidationFailedError) else None
    for e in errors if isinstance(errors, list) else []:
        loc, msg = str(e.get("loc", "")), str(e.get("msg", ""))
        name = loc.split(".", 1)[1].split(".")[0] if loc.startswith("params.") else ""
        if not name and (m := _REQUIRED.match(msg)):
            name, msg = m.group(1), "required"
        key = name or ("" if loc in ("params", "") else loc)
        out.setdefault(key, msg if key in (name, "") else f"{loc}: {msg}")
    if not out:
        out[""] = exc.message
    return out


def _known(ctx: Context) -> workflow_checks.Known:
    with ctx.db.read() as conn:
        names = sources_repo.names_by_id(conn).values()
    return workflow_checks.Known(
        sources=frozenset(names),
        pools=pools.pool_names(ctx),
        resources=frozenset(ctx.settings.resources),
    )


def preview(ctx: Context, actor: Principal, name: str, form: Mapping[str, str]) -> TemplatePreview:
    """The workflow the form would make, checked (schema, structure, sources) like applying
    it; nothing is stored."""
    actor.require(Permission.CATALOG_READ)
    template = get_template(builtin_templates(), name)
    params, errors = param_forms.read_form(param_forms.schema_fields(template.parameters), form)
    if errors:
        return TemplatePreview(name, None, None, errors=errors)
    try:
        doc = render_template(template, params)
    except SoundingError as exc:
        return TemplatePreview(name, None, None, errors=_field_errors(exc))
    registry = ctx.step_types
    steps = tuple(str(s.get("id")) for s in doc.get("steps") or () if isinstance(s, Mapping))
    problems: dict[str, str] = {}
    try:
        workflow_checks.check_workflow(
            doc,
            _known(ctx),
            lambda d: parse_workflow(d, step_types=registry.names(), callables=registry.callables),
        )
    except SoundingError as exc:
        problems = _field_errors(exc)
    return TemplatePreview(name, str(doc.get("name")), to_yaml(doc), steps, problems)


def create(
    ctx: Context, actor: Principal, name: str, form: Mapping[str, str]
) -> AppliedWorkflow | FormProblems:
    """Instantiate the template with the form's values: the new workflow's name, or the
    problems by field (nothing stored then)."""
    actor.require(Permission.SCAN_RUN)
    template = get_template(builtin_templates(), name)
    params, errors = param_forms.read_form(param_forms.schema_fields(template.parameters), form)
    if errors:
        return FormProblems(errors)
    try:
        made = templates.instantiate_template(ctx, actor, name, params)
    except ValidationFailedError as exc:
        return FormProblems(_field_errors(exc))
    stored = made.workflow
    return AppliedWorkflow(stored.name, stored.version, stored.changed)
