"""Checks of a workflow document against what exists, made when it is applied: every source,
pool and resource it names, and what a step type needs to run (a ``notify`` step's URL).

They add to the structural checks of ``parse_workflow``: :func:`check_workflow` runs both and
raises one ``ValidationFailedError`` (HTTP 422) listing every problem of either kind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sounding.errors import ValidationFailedError
from sounding.orchestration.spec import WorkflowSpec

logger = logging.getLogger(__name__)

Problem = dict[str, str]


@dataclass(frozen=True, slots=True)
class Known:
    """What exists now, for the reference checks."""

    sources: Collection[str]
    pools: Collection[str]
    resources: Collection[str]


def _steps(doc: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """``(loc, step, step with the workflow's defaults)`` for every step that is a mapping."""
    defaults = doc.get("defaults")
    defaults = defaults if isinstance(defaults, Mapping) else {}
    steps = doc.get("steps")
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, Mapping):
            yield f"steps[{i}]", step, {**defaults, **step}


LABEL_SOURCE_TYPES = frozenset({"noop", "sleep", "custom"})
"""Step types that read no data source: their ``source`` (in config or per task) only keys
per-source concurrency limits, so it need not name a registered source."""


def _sources_named(loc: str, step: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    config = step.get("config")
    source = config.get("source") if isinstance(config, Mapping) else None
    if isinstance(source, str) and step.get("type") not in LABEL_SOURCE_TYPES:
        yield f"{loc}.config.source", source


def reference_problems(doc: Mapping[str, Any], known: Known) -> list[Problem]:
    """Unknown sources, pools and resources, and ``notify`` steps without a URL."""
    problems: list[Problem] = []

    def add(loc: str, msg: str) -> None:
        problems.append({"loc": loc, "msg": msg})

    def hint(names: Collection[str], how: str) -> str:
        return f"known: {', '.join(sorted(names))}" if names else f"none exist yet; {how}"

    for loc, step, merged in _steps(doc):
        config = step.get("config")
        config = config if isinstance(config, Mapping) else {}
        for where, source in _sources_named(loc, step):
            if source not in known.sources:
                add(
                    where,
                    f"unknown source {source!r}; "
                    + hint(known.sources, "see `sounding source add`"),
                )
        pool = merged.get("pool")
        if isinstance(pool, str) and pool not in known.pools:
            add(
                f"{loc}.pool",
                f"unknown pool {pool!r}; " + hint(known.pools, "see `sounding pool create`"),
            )
        resources = merged.get("resources")
        for name in resources if isinstance(resources, Mapping) else {}:
            if name not in known.resources:
                add(
                    f"{loc}.resources.{name}",
                    f"unknown resource {name!r}; "
                    + hint(known.resources, "set SOUNDING_RESOURCES, e.g. '{\"memory_gb\": 16}'"),
                )
        if step.get("type") == "notify" and not config.get("url"):
            add(f"{loc}.config.url", "a notify step needs config.url (the webhook to POST to)")
    triggers = doc.get("triggers")
    for i, trigger in enumerate(triggers if isinstance(triggers, list) else []):
        if isinstance(trigger, Mapping) and trigger.get("type") == "source_changed":
            watched = trigger.get("source")
            if isinstance(watched, str) and watched not in known.sources:
                add(
                    f"triggers[{i}].source",
                    f"unknown source {watched!r}; "
                    + hint(known.sources, "see `sounding source add`"),
                )
    return problems


def check_workflow(
    doc: Mapping[str, Any], known: Known, parse: Callable[[Mapping[str, Any]], WorkflowSpec]
) -> WorkflowSpec:
    """``parse(doc)`` and the reference checks; every problem of both in one error."""
    problems = reference_problems(doc, known)
    try:
        spec = parse(doc)
    except ValidationFailedError as exc:
        if not problems:
            raise
        errors = [*exc.details.get("errors", []), *problems]
        raise ValidationFailedError(
            _summary(exc.message.partition(":")[0], errors), errors=errors
        ) from exc
    if problems:
        raise ValidationFailedError(
            _summary(f"Invalid workflow '{spec.name}'", problems), errors=problems
        )
    return spec


def _summary(heading: str, errors: list[Problem]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{heading}: {first['loc'] or 'document'}: {first['msg']}{more}"
