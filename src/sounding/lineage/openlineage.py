"""OpenLineage run events -> datasets and edges (pure; the services tie them to assets).

Reads the parts of the spec (https://openlineage.io/spec) that carry lineage: the job, the
input and output datasets with their ``schema`` facet, and the ``columnLineage`` facet of
outputs. Transformations map to our kinds: IDENTITY -> copy, TRANSFORMATION -> transform,
AGGREGATION -> aggregate, INDIRECT WINDOW -> window, any other INDIRECT one (FILTER, JOIN,
GROUP_BY, SORT, CONDITIONAL) -> filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sounding.domain.lineage import TransformKind
from sounding.errors import ValidationFailedError

IGNORED_EVENTS = frozenset({"FAIL", "ABORT"})


@dataclass(frozen=True)
class Dataset:
    namespace: str
    name: str
    fields: tuple[tuple[str, str | None], ...] = ()  # (name, type) from the schema facet


@dataclass(frozen=True)
class FieldEdge:
    source: tuple[str, str, str]  # namespace, dataset name, field
    target: tuple[str, str, str]
    kind: TransformKind


@dataclass
class RunEvent:
    event_type: str
    job_namespace: str
    job_name: str
    run_id: str | None
    inputs: list[Dataset] = field(default_factory=list)
    outputs: list[Dataset] = field(default_factory=list)
    field_edges: list[FieldEdge] = field(default_factory=list)

    @property
    def job_key(self) -> str:
        return f"{self.job_namespace}/{self.job_name}"

    @property
    def carries_lineage(self) -> bool:
        return self.event_type not in IGNORED_EVENTS and bool(self.inputs or self.outputs)


def _kind(transformations: Any) -> TransformKind:
    kind = TransformKind.COPY
    for t in transformations or []:
        if not isinstance(t, Mapping):
            continue
        if str(t.get("type", "")).upper() == "INDIRECT":
            window = str(t.get("subtype", "")).upper() == "WINDOW"
            step = TransformKind.WINDOW if window else TransformKind.FILTER
        else:
            sub = str(t.get("subtype", "")).upper()
            step = {
                "AGGREGATION": TransformKind.AGGREGATE,
                "TRANSFORMATION": TransformKind.TRANSFORM,
            }.get(sub, TransformKind.COPY)
        kind = kind.then(step)
    return kind


def _dataset(raw: Any, loc: str, errors: list[dict[str, str]]) -> Dataset | None:
    if not isinstance(raw, Mapping) or not raw.get("namespace") or not raw.get("name"):
        errors.append({"loc": loc, "msg": "a dataset needs 'namespace' and 'name'"})
        return None
    schema = (raw.get("facets") or {}).get("schema") or {}
    fields = tuple(
        (str(f["name"]), str(f["type"]) if f.get("type") is not None else None)
        for f in schema.get("fields") or []
        if isinstance(f, Mapping) and f.get("name")
    )
    return Dataset(str(raw["namespace"]), str(raw["name"]), fields)


def _field_edges(out: Mapping[str, Any], ds: Dataset) -> list[FieldEdge]:
    facet = (out.get("facets") or {}).get("columnLineage") or {}
    edges = []
    for target_field, spec in (facet.get("fields") or {}).items():
        for src in (spec or {}).get("inputFields") or []:
            if not all(src.get(k) for k in ("namespace", "name", "field")):
                continue
            kind = _kind(src.get("transformations") or (spec or {}).get("transformations"))
            edges.append(
                FieldEdge(
                    (str(src["namespace"]), str(src["name"]), str(src["field"])),
                    (ds.namespace, ds.name, str(target_field)),
                    kind,
                )
            )
    return edges


def parse_event(event: Any) -> RunEvent:
    """Validate and read one run event; ValidationFailedError lists every problem by path."""
    errors: list[dict[str, str]] = []
    if not isinstance(event, Mapping):
        raise ValidationFailedError(
            "An OpenLineage event is a JSON object", errors=[{"loc": "", "msg": "not an object"}]
        )
    job = event.get("job")
    if not isinstance(job, Mapping) or not job.get("namespace") or not job.get("name"):
        errors.append({"loc": "job", "msg": "needs 'namespace' and 'name'"})
        job = {}
    run = event.get("run") if isinstance(event.get("run"), Mapping) else {}
    parsed = RunEvent(
        str(event.get("eventType") or "OTHER").upper(),
        str(job.get("namespace", "")),
        str(job.get("name", "")),
        str(run.get("runId")) if run and run.get("runId") else None,
    )
    for key, target in (("inputs", parsed.inputs), ("outputs", parsed.outputs)):
        items = event.get(key) or []
        if not isinstance(items, list):
            errors.append({"loc": key, "msg": "must be a list"})
            continue
        for i, raw in enumerate(items):
            ds = _dataset(raw, f"{key}[{i}]", errors)
            if ds is not None:
                target.append(ds)
                if key == "outputs":
                    parsed.field_edges += _field_edges(raw, ds)
    if errors:
        summary = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors)
        raise ValidationFailedError(f"Invalid OpenLineage event: {summary}", errors=errors)
    return parsed
