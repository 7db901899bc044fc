"""Workflow documents (YAML or JSON text, or a mapping) to a checked ``WorkflowSpec``.

Problems are collected, not raised one by one: a single ``ValidationFailedError`` lists them in
``details["errors"]`` as ``{"loc": "steps[2].depends_on[0]", "msg": ...}`` so an API answers 422
naming every path. Text that is not YAML/JSON at all raises ``ParseError`` with line and column.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

from sounding.domain.documents import load_yaml
from sounding.domain.orchestration import RunCondition, Strategy
from sounding.orchestration.callables import CallablePolicy
from sounding.orchestration.schedule import cron_error, parse_duration, timezone_error
from sounding.orchestration.spec import (
    STEP_TYPES_BUILTIN,
    TRIGGER_TYPES,
    AdaptiveConfig,
    Backoff,
    Limits,
    RetryPolicy,
    Schedule,
    SkipCondition,
    StepSpec,
    Trigger,
    WorkflowSpec,
)
from sounding.orchestration.validation import Problems, check_callables, check_graph

logger = logging.getLogger(__name__)

WORKFLOW_FIELDS = {
    "name", "description", "strategy", "limits", "adaptive", "schedule", "triggers", "params",
    "defaults", "steps",
}  # fmt: skip
STEP_FIELDS = {
    "id", "type", "config", "depends_on", "run_if", "skip_if", "timeout", "retry", "priority",
    "resources", "pool", "pool_slots",
}  # fmt: skip


def load_document(text: str | bytes) -> Any:
    """YAML (a superset of JSON) to plain Python values; ``ParseError`` with line/column."""
    return load_yaml(text, "Workflow document", kind="YAML/JSON")


def parse_workflow(
    document: str | bytes | Mapping[str, Any],
    *,
    step_types: Collection[str] | None = None,
    callables: CallablePolicy | None = None,
) -> WorkflowSpec:
    """Parse and validate a workflow. ``step_types`` defaults to the built-in type names;
    with ``callables`` every Python callable the workflow names must be on that allow-list
    (checked where a workflow is applied; a stored one is checked again when it runs)."""
    doc = load_document(document) if isinstance(document, str | bytes) else document
    problems = Problems()
    if not isinstance(doc, Mapping):
        problems.add("", "a workflow must be a mapping with 'name' and 'steps'")
        problems.raise_if_any("Invalid workflow")
    spec = _workflow(doc, problems)
    check_graph(spec, problems, step_types=step_types or STEP_TYPES_BUILTIN)
    if callables is not None:
        check_callables(spec, problems, callables)
    problems.raise_if_any(f"Invalid workflow '{spec.name}'")
    return spec


def _workflow(doc: Mapping[str, Any], p: Problems) -> WorkflowSpec:
    p.unknown_fields("", doc, WORKFLOW_FIELDS)
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        p.add("name", "a workflow needs a non-empty name")
        name = "?"
    defaults = _mapping(doc, "defaults", "", p)
    raw_steps = doc.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        p.add("steps", "a workflow needs a non-empty list of steps")
        raw_steps = []
    steps = tuple(_step(raw, f"steps[{i}]", defaults, p) for i, raw in enumerate(raw_steps))
    return WorkflowSpec(
        name=name,
        description=str(doc.get("description") or ""),
        steps=tuple(s for s in steps if s is not None),
        strategy=_enum(Strategy, doc.get("strategy", "graph_based"), "strategy", p),
        limits=_limits(_mapping(doc, "limits", "", p), p),
        adaptive=_adaptive(_mapping(doc, "adaptive", "", p), p),
        schedule=_schedule(doc.get("schedule"), p),
        triggers=_triggers(doc.get("triggers", []), p),
        params=_mapping(doc, "params", "", p),
        document=dict(doc),
    )


def _step(raw: Any, loc: str, defaults: Mapping[str, Any], p: Problems) -> StepSpec | None:
    if not isinstance(raw, Mapping):
        p.add(loc, "a step must be a mapping with 'id' and 'type'")
        return None
    p.unknown_fields(loc, raw, STEP_FIELDS)
    merged = {**defaults, **raw}
    step_id, step_type = raw.get("id"), raw.get("type")
    if not isinstance(step_id, str) or not step_id.strip():
        p.add(f"{loc}.id", "a step needs a non-empty string id")
        step_id = f"?{loc}"
    if not isinstance(step_type, str):
        p.add(f"{loc}.type", "a step needs a type")
        step_type = "?"
    timeout = merged.get("timeout")
    return StepSpec(
        id=step_id,
        type=step_type,
        config=_mapping(raw, "config", loc, p),
        depends_on=_depends_on(raw.get("depends_on", []), f"{loc}.depends_on", p),
        run_if=_enum(RunCondition, merged.get("run_if", "on_success"), f"{loc}.run_if", p),
        skip_if=_skip_conditions(merged.get("skip_if", []), f"{loc}.skip_if", p),
        timeout=_duration(timeout, f"{loc}.timeout", p) if timeout is not None else None,
        retry=_retry(merged.get("retry", 1), f"{loc}.retry", p),
        priority=_int(merged.get("priority", 0), f"{loc}.priority", p, minimum=None),
        resources=_resources(merged.get("resources", {}), f"{loc}.resources", p),
        pool=_optional_str(merged.get("pool"), f"{loc}.pool", p),
        pool_slots=_int(merged.get("pool_slots", 1), f"{loc}.pool_slots", p, minimum=1),
    )


def _depends_on(raw: Any, loc: str, p: Problems) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list):
        p.add(loc, "expected a step id or a list of step ids")
        return ()
    for i, dep in enumerate(raw):
        if not isinstance(dep, str):
            p.add(f"{loc}[{i}]", "expected a step id")
    return tuple(dep for dep in raw if isinstance(dep, str))


def _retry(raw: Any, loc: str, p: Problems) -> RetryPolicy:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = {"attempts": raw}
    if not isinstance(raw, Mapping):
        p.add(loc, "expected a number of attempts or a mapping")
        return RetryPolicy()
    p.unknown_fields(loc, raw, {"attempts", "backoff", "retry_on", "no_retry_on"})
    b = raw.get("backoff", {})
    if not isinstance(b, Mapping):
        p.add(f"{loc}.backoff", "expected a mapping of initial, factor, max, jitter")
        b = {}
    p.unknown_fields(f"{loc}.backoff", b, {"initial", "factor", "max", "jitter"})
    bl = f"{loc}.backoff"
    backoff = Backoff(
        initial=_duration(b.get("initial", 1.0), f"{bl}.initial", p),
        factor=_number(b.get("factor", 2.0), f"{bl}.factor", p, minimum=1.0),
        max=_duration(b.get("max", 60.0), f"{bl}.max", p),
        jitter=_number(b.get("jitter", 0.1), f"{bl}.jitter", p, minimum=0.0, maximum=1.0),
    )
    return RetryPolicy(
        attempts=_int(raw.get("attempts", 1), f"{loc}.attempts", p, minimum=1),
        backoff=backoff,
        retry_on=_names(raw.get("retry_on", []), f"{loc}.retry_on", p),
        no_retry_on=_names(raw.get("no_retry_on", []), f"{loc}.no_retry_on", p),
    )


def _skip_conditions(raw: Any, loc: str, p: Problems) -> tuple[SkipCondition, ...]:
    raw = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(raw, list):
        p.add(loc, "expected a condition or a list of conditions")
        return ()
    out = []
    for i, cond in enumerate(raw):
        here = f"{loc}[{i}]"
        if not isinstance(cond, Mapping) or not ({"param", "callable"} & set(cond)):
            p.add(here, "a skip condition needs 'param' (with equals/not_equals/in) or 'callable'")
            continue
        p.unknown_fields(here, cond, {"param", "equals", "not_equals", "in", "callable"})
        values = cond.get("in")
        if values is not None and not isinstance(values, list):
            p.add(f"{here}.in", "expected a list of values")
            values = None
        out.append(
            SkipCondition(
                param=_optional_str(cond.get("param"), f"{here}.param", p),
                equals=cond.get("equals"),
                not_equals=cond.get("not_equals"),
                in_=tuple(values) if values is not None else None,
                callable=_optional_str(cond.get("callable"), f"{here}.callable", p),
            )
        )
    return tuple(out)


def _limits(raw: Mapping[str, Any], p: Problems) -> Limits:
    p.unknown_fields("limits", raw, {"max_concurrent", "per_source"})
    mc, ps = raw.get("max_concurrent"), raw.get("per_source")
    return Limits(
        max_concurrent=_int(mc, "limits.max_concurrent", p, minimum=1) if mc is not None else None,
        per_source=_int(ps, "limits.per_source", p, minimum=1) if ps is not None else None,
    )


def _adaptive(raw: Mapping[str, Any], p: Problems) -> AdaptiveConfig:
    fields = {"initial", "minimum", "maximum", "increase", "decrease", "latency_factor"}
    p.unknown_fields("adaptive", raw, fields)
    d = AdaptiveConfig()
    cfg = AdaptiveConfig(
        initial=_int(raw.get("initial", d.initial), "adaptive.initial", p, minimum=1),
        minimum=_int(raw.get("minimum", d.minimum), "adaptive.minimum", p, minimum=1),
        maximum=_int(raw.get("maximum", d.maximum), "adaptive.maximum", p, minimum=1),
        increase=_number(raw.get("increase", d.increase), "adaptive.increase", p, minimum=0.0),
        decrease=_number(raw.get("decrease", d.decrease), "adaptive.decrease", p, 0.01, 0.99),
        latency_factor=_number(
            raw.get("latency_factor", d.latency_factor), "adaptive.latency_factor", p, 1.0
        ),
    )
    if not cfg.minimum <= cfg.initial <= cfg.maximum:
        p.add("adaptive", "expected minimum <= initial <= maximum")
    return cfg


OVERLAP_POLICIES = ("skip", "queue", "cancel_previous", "allow")
CATCHUP_POLICIES = ("none", "latest", "all")


def _schedule(raw: Any, p: Problems) -> Schedule | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"cron": raw}
    if not isinstance(raw, Mapping) or ("cron" in raw) == ("interval" in raw):
        p.add("schedule", "expected a cron string, or a mapping with either cron or interval")
        return None
    p.unknown_fields("schedule", raw, {"cron", "timezone", "interval", "overlap", "catchup"})
    tz = raw.get("timezone", "UTC")
    if not isinstance(tz, str) or (err := timezone_error(tz)):
        p.add("schedule.timezone", f"unknown time zone {tz!r}")
        tz = "UTC"
    policies: dict[str, str] = {}
    for key, allowed, default in (
        ("overlap", OVERLAP_POLICIES, "skip"),
        ("catchup", CATCHUP_POLICIES, "latest"),
    ):
        value = raw.get(key, default)
        if value not in allowed:
            p.add(f"schedule.{key}", f"expected one of {list(allowed)}, got {value!r}")
            value = default
        policies[key] = str(value)
    if "interval" in raw:
        interval = _duration(raw["interval"], "schedule.interval", p)
        if interval <= 0:
            p.add("schedule.interval", "an interval must be positive")
        return Schedule(
            interval=interval,
            timezone=tz,
            overlap=policies["overlap"],
            catchup=policies["catchup"],
        )
    if err := cron_error(raw["cron"]):
        p.add("schedule.cron", err)
    return Schedule(
        cron=str(raw["cron"]),
        timezone=tz,
        overlap=policies["overlap"],
        catchup=policies["catchup"],
    )


def _triggers(raw: Any, p: Problems) -> tuple[Trigger, ...]:
    if not isinstance(raw, list):
        p.add("triggers", "expected a list of triggers")
        return ()
    out = []
    required = {"workflow": "workflow", "source_changed": "source"}
    for i, trig in enumerate(raw):
        loc = f"triggers[{i}]"
        kind = trig.get("type") if isinstance(trig, Mapping) else None
        if kind not in TRIGGER_TYPES:
            p.add(f"{loc}.type", f"unknown trigger type {kind!r}; one of {list(TRIGGER_TYPES)}")
            continue
        assert isinstance(trig, Mapping)
        if kind in required and not isinstance(trig.get(required[kind]), str):
            p.add(f"{loc}.{required[kind]}", f"a {kind} trigger needs '{required[kind]}'")
        if kind == "schedule" and (err := cron_error(trig.get("cron", ""))):
            p.add(f"{loc}.cron", err)
        out.append(Trigger(type=kind, options={k: v for k, v in trig.items() if k != "type"}))
    return tuple(out)


# -- scalar readers: each reports a problem and returns a harmless default --


def _mapping(doc: Mapping[str, Any], key: str, loc: str, p: Problems) -> dict[str, Any]:
    value = doc.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        p.add(f"{loc}.{key}" if loc else key, "expected a mapping")
        return {}
    return dict(value)


def _enum(enum: Any, value: Any, loc: str, p: Problems) -> Any:
    try:
        return enum(value)
    except ValueError:
        p.add(loc, f"expected one of {[e.value for e in enum]}, not {value!r}")
        return next(iter(enum))


def _int(value: Any, loc: str, p: Problems, minimum: int | None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        p.add(loc, f"expected an integer, not {value!r}")
        return minimum or 0
    if minimum is not None and value < minimum:
        p.add(loc, f"must be at least {minimum}")
        return minimum
    return value


def _number(
    value: Any, loc: str, p: Problems, minimum: float, maximum: float | None = None
) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
        p.add(loc, f"expected a number {bounds}, not {value!r}")
        return minimum
    return float(value)


def _duration(value: Any, loc: str, p: Problems) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        p.add(loc, str(exc))
        return 0.0


def _optional_str(value: Any, loc: str, p: Problems) -> str | None:
    if value is not None and not isinstance(value, str):
        p.add(loc, f"expected a string, not {value!r}")
        return None
    return value


def _names(value: Any, loc: str, p: Problems) -> tuple[str, ...]:
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        p.add(loc, "expected a list of exception class names")
        return ()
    return tuple(value)


def _resources(value: Any, loc: str, p: Problems) -> dict[str, float]:
    if not isinstance(value, Mapping):
        p.add(loc, "expected a mapping of resource name to amount")
        return {}
    return {str(k): _number(v, f"{loc}.{k}", p, minimum=0.0) for k, v in value.items()}
