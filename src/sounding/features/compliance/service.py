"""Use cases for compliance: the frameworks in force, and evaluating them over the catalog.

Frameworks come from three places, later ones replacing earlier ones with the same id: the
built-in YAML files, ``<SOUNDING_HOME>/frameworks/*.yaml`` and frameworks uploaded through
the API (kept in the store). An evaluation reads the catalog (curated fields, labels), samples
the values of card-number columns through the source connector (bounded), runs the pure
checks of :mod:`sounding.features.compliance.checks` and reconciles the findings in one
transaction: new failures open findings, resolved ones that fail again reopen, open and
accepted ones that pass now are resolved, and the tables in scope get the framework's tag.
Findings, tags and the run itself are audit-logged in that transaction, and every status
change is appended to the finding's history (``compliance_finding_events``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sounding.connectors.base import Profiler
from sounding.domain.assets import AssetType, ObjectRef
from sounding.domain.auth import Permission, Principal, workflow_principal
from sounding.domain.documents import load_json
from sounding.domain.events import EventKind
from sounding.domain.urn import split_qualified
from sounding.errors import InvalidInputError, NotFoundError, SoundingError
from sounding.features.compliance import checks, repo
from sounding.features.compliance.frameworks import (
    Framework,
    builtin_frameworks,
    framework_from_dict,
    parse_framework,
    parse_yaml,
)
from sounding.features.compliance.records import Evaluation, EvaluationResult
from sounding.orchestration.steps import StepContext, StepPlan, TaskContext, TaskSpec
from sounding.services import events as catalog_events
from sounding.services.context import Context
from sounding.services.sources import config_for, get_row
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit, utcnow

logger = logging.getLogger(__name__)

OPEN, ACCEPTED, RESOLVED = "open", "accepted", "resolved"
# history events: the status a finding moved to, and how
EVENTS = {
    "opened": OPEN,
    "acknowledged": OPEN,  # still open: a steward saw it and owns the follow-up
    "accepted": ACCEPTED,
    "resolved": RESOLVED,
    "reopened": OPEN,
}
BY_EVALUATION, BY_HAND = "evaluation", "manual"
MAX_WARNINGS = 100
TABLE_TYPES = ("table", "view", "dataset")

# --- frameworks -----------------------------------------------------------------------------


def frameworks_dir(ctx: Context) -> Path:
    return ctx.settings.home / "frameworks"


def all_frameworks(ctx: Context) -> dict[str, Framework]:
    """Every framework in force by id: built-in, then files, then uploaded ones."""
    out = {fw.id: fw for fw in builtin_frameworks()}
    folder = frameworks_dir(ctx)
    if folder.is_dir():
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            fw = parse_framework(path.read_text(encoding="utf-8"), f"file:{path}")
            out[fw.id] = fw
    with ctx.db.read() as conn:
        stored = repo.stored_frameworks(conn)
    for row in stored:
        fw = framework_from_dict(row["definition"], "uploaded")
        out[fw.id] = fw
    return out


def resolve_frameworks(ctx: Context, ids: Sequence[str] | None) -> list[Framework]:
    known = all_frameworks(ctx)
    if not ids:
        return list(known.values())
    missing = [i for i in ids if i not in known]
    if missing:
        raise NotFoundError(
            f"Unknown compliance framework {', '.join(repr(m) for m in missing)}; "
            f"known: {', '.join(sorted(known))}",
            framework=missing[0],
        )
    return [known[i] for i in dict.fromkeys(ids)]


def _summary(fw: Framework) -> dict[str, Any]:
    out = fw.to_dict()
    out["requirements"] = len(fw.requirements)
    return out


def list_frameworks(ctx: Context, actor: Principal) -> list[dict[str, Any]]:
    actor.require(Permission.CATALOG_READ)
    return [_summary(fw) for fw in sorted(all_frameworks(ctx).values(), key=lambda f: f.id)]


def get_framework(ctx: Context, actor: Principal, framework_id: str) -> dict[str, Any]:
    actor.require(Permission.CATALOG_READ)
    return resolve_frameworks(ctx, [framework_id])[0].to_dict()


def upload_framework(ctx: Context, actor: Principal, definition: Any) -> dict[str, Any]:
    """Validate and store a framework (JSON or parsed YAML); replaces an earlier upload."""
    actor.require(Permission.CATALOG_WRITE)
    fw = framework_from_dict(definition, "uploaded")
    with ctx.db.write() as conn:
        created = repo.upsert_framework(conn, fw.id, definition, actor.name, utcnow())
        audit.record(
            conn,
            actor.name,
            "compliance.framework.create" if created else "compliance.framework.update",
            "compliance_framework",
            fw.id,
            {"version": fw.version, "requirements": len(fw.requirements)},
        )
    return fw.to_dict()


def upload_framework_text(ctx: Context, actor: Principal, text: str) -> dict[str, Any]:
    return upload_framework(ctx, actor, parse_yaml(text, "upload"))


def upload_framework_body(
    ctx: Context, actor: Principal, body: str, content_type: str
) -> dict[str, Any]:
    """An uploaded request body: YAML when the content type says so, else JSON."""
    actor.require(Permission.CATALOG_WRITE)
    if "yaml" in content_type.lower():
        return upload_framework_text(ctx, actor, body)
    data = load_json(
        body, "Framework body", hint=" (send YAML with Content-Type: application/yaml)"
    )
    return upload_framework(ctx, actor, data)


def delete_framework(ctx: Context, actor: Principal, framework_id: str) -> None:
    actor.require(Permission.CATALOG_WRITE)
    with ctx.db.write() as conn:
        if not repo.delete_framework(conn, framework_id):
            raise NotFoundError(
                f"No uploaded framework '{framework_id}' (built-in and file frameworks "
                "cannot be deleted through the API)",
                framework=framework_id,
            )
        audit.record(
            conn, actor.name, "compliance.framework.delete", "compliance_framework", framework_id
        )


# --- catalog facts --------------------------------------------------------------------------


def _facts(row: dict[str, Any], parent: checks.AssetFacts | None = None) -> checks.AssetFacts:
    props = row.get("source_properties") or {}
    return checks.AssetFacts(
        id=row["id"],
        urn=row["urn"],
        type=row["type"],
        name=row["name"],
        owner=row["owner"],
        steward=row["steward"],
        description=row["description"] or props.get("comment"),
        domain=row["domain"],
        criticality=row["criticality"],
        tags=frozenset(str(t).lower() for t in row["tags"] or ()),
        properties=row["custom_properties"] or {},
        labels=row["labels"],
        parent=parent,
    )


def load_tables(
    ctx: Context, source_id: int | None
) -> tuple[list[checks.AssetFacts], dict[int, dict[str, Any]]]:
    """Tables (views, datasets) with their columns as facts, and the raw rows by id."""
    with ctx.db.read() as conn:
        rows = repo.catalog_rows(conn, source_id)
    by_id = {r["id"]: r for r in rows}
    tables = {r["id"]: _facts(r) for r in rows if r["type"] in TABLE_TYPES}
    cols: dict[int, list[checks.AssetFacts]] = {}
    for r in sorted(rows, key=lambda r: r["id"]):
        if r["type"] == "column" and r["parent_id"] in tables:
            cols.setdefault(r["parent_id"], []).append(_facts(r, tables[r["parent_id"]]))
    out = [replace(t, columns=tuple(cols.get(t.id, ()))) for t in tables.values()]
    return sorted(out, key=lambda t: t.urn), by_id


def _sample(
    ctx: Context,
    frameworks: Sequence[Framework],
    tables: Sequence[checks.AssetFacts],
    rows: dict[int, dict[str, Any]],
    warnings: list[str],
) -> dict[int, list[object]]:
    """Bounded value samples of the columns some ``values_not_readable`` control reads."""
    wanted: dict[str, list[tuple[checks.AssetFacts, list[checks.AssetFacts]]]] = {}
    for table in tables:
        cols = checks.card_columns(frameworks, table)
        if cols:
            wanted.setdefault(rows[table.id]["source"], []).append((table, cols))
    samples: dict[int, list[object]] = {}
    for source, items in wanted.items():
        try:
            with ctx.registry.open(config_for(ctx, get_row(ctx, source))) as connector:
                if not isinstance(connector, Profiler):
                    warnings.append(f"Source '{source}' cannot be sampled; values not checked")
                    continue
                for table, cols in items:
                    ref = ObjectRef(
                        AssetType(table.type), split_qualified(rows[table.id]["qualified_name"])
                    )
                    try:
                        values = connector.sample(ref, [c.name for c in cols], checks.SAMPLE_LIMIT)
                    except SoundingError as exc:
                        warnings.append(f"Could not sample {table.urn}: {exc.message}")
                        continue
                    for col in cols:
                        samples[col.id] = list(values.get(col.name, []))[: checks.SAMPLE_LIMIT]
        except SoundingError as exc:
            warnings.append(f"Could not open source '{source}': {exc.message}")
    return samples


# --- evaluation -----------------------------------------------------------------------------


def history_event(
    finding_id: int,
    event: str,
    from_status: str | None,
    actor: Principal,
    origin: str,
    at: Any,
    note: str | None = None,
) -> dict[str, Any]:
    """One row of a finding's history (``event`` is a key of ``EVENTS``)."""
    return {
        "finding_id": finding_id,
        "event": event,
        "from_status": from_status,
        "origin": origin,
        "actor": actor.name,
        "note": note,
        "at": at,
    }


def evaluate(
    ctx: Context,
    actor: Principal,
    source: str | None = None,
    frameworks: Sequence[str] | None = None,
) -> EvaluationResult:
    """Evaluate ``frameworks`` (default: all) over ``source``'s assets (default: all)."""
    actor.require(Permission.SCAN_RUN)
    started = utcnow()
    chosen = resolve_frameworks(ctx, frameworks)
    source_id = get_row(ctx, source)["id"] if source else None
    tables, rows = load_tables(ctx, source_id)
    warnings: list[str] = []
    samples = _sample(ctx, chosen, tables, rows, warnings)
    results = [checks.evaluate(fw, tables, samples) for fw in chosen]
    for r in results:
        warnings += r.warnings
    with ctx.db.write() as conn:
        counts = _reconcile(conn, actor, results, source_id)
        tagged = _tag_tables(conn, actor, results, tables, rows)
        summary = {r.framework.id: _framework_summary(r) for r in results}
        in_scope = len({a.id for r in results for assets in r.scope.values() for a in assets})
        values: dict[str, Any] = {
            "started_at": started,
            "finished_at": utcnow(),
            "actor": actor.name,
            "source": source,
            "frameworks": [fw.id for fw in chosen],
            "assets_in_scope": in_scope,
            **counts,
            "summary": summary,
        }
        eval_id = repo.insert_evaluation(conn, values)
        audit.record(
            conn,
            actor.name,
            "compliance.evaluate",
            "compliance_evaluation",
            str(eval_id),
            {"source": source, "frameworks": values["frameworks"], **counts, "tagged": tagged},
        )
    return EvaluationResult(
        id=eval_id,
        **values,
        tagged_tables=tagged,
        warnings=warnings[:MAX_WARNINGS],
    )


def _framework_summary(result: checks.Evaluation) -> dict[str, Any]:
    by_severity: dict[str, int] = {}
    for f in result.failures:
        by_severity[f.requirement.severity] = by_severity.get(f.requirement.severity, 0) + 1
    assets = {a.id for scoped in result.scope.values() for a in scoped}
    return {
        "assets_in_scope": len(assets),
        "tables_in_scope": len(result.in_scope_tables()),
        "failing": len(result.failures),
        "failing_by_severity": by_severity,
    }


def _reconcile(
    conn: Any, actor: Principal, results: Sequence[checks.Evaluation], source_id: int | None
) -> dict[str, int]:
    """Open, refresh, reopen and resolve findings so they match this evaluation."""
    now = utcnow()
    existing = repo.findings_for(conn, [r.framework.id for r in results], source_id)
    counts = {"opened": 0, "reopened": 0, "resolved": 0, "open_total": 0}
    failing: set[repo.FindingKey] = set()
    touched: list[int] = []
    events: list[dict[str, Any]] = []
    published: list[catalog_events.NewEvent] = []  # the catalog's, in one insert at the end
    unknown = {(a, r.framework.id, req) for r in results for a, req in r.unknown}
    for result in results:
        for failure in result.failures:
            key = (failure.asset.id, result.framework.id, failure.requirement.id)
            failing.add(key)
            row = existing.get(key)
            status = _record_failure(
                conn, actor, row, key, failure, now, counts, touched, events, published
            )
            counts["open_total"] += status == OPEN
    repo.touch_findings(conn, touched, now)
    for key, row in existing.items():
        if key in failing or key in unknown or row["status"] == RESOLVED:
            continue
        repo.update_finding(conn, row["id"], {"status": RESOLVED, "resolved_at": now})
        events.append(
            history_event(row["id"], "resolved", row["status"], actor, BY_EVALUATION, now)
        )
        audit.record(
            conn,
            actor.name,
            "compliance.finding.resolve",
            "compliance_finding",
            str(row["id"]),
            {"urn": row["urn"], "requirement": key[2], "by": "evaluation"},
        )
        counts["resolved"] += 1
    repo.insert_events(conn, events)
    catalog_events.publish_many(conn, published)
    return counts


def publish_finding(
    conn: Any, finding_id: int, how: str, key: repo.FindingKey, severity: str
) -> None:
    """Publish the catalog event of a finding opened or reopened (``how``) on an asset."""
    catalog_events.publish_many(conn, [finding_event(finding_id, how, key, severity)])


def finding_event(
    finding_id: int, how: str, key: repo.FindingKey, severity: str
) -> catalog_events.NewEvent:
    """The catalog event of a finding opened or reopened (``how``) on an asset."""
    asset_id, framework, requirement = key
    return catalog_events.NewEvent(
        EventKind.FINDING_OPENED,
        f"Compliance finding {finding_id} {how}: {framework} {requirement} ({severity})",
        asset_id=asset_id,
        payload={
            "finding_id": finding_id,
            "how": how,
            "framework": framework,
            "requirement": requirement,
            "severity": severity,
        },
    )


def _record_failure(
    conn: Any,
    actor: Principal,
    row: dict[str, Any] | None,
    key: repo.FindingKey,
    failure: checks.Failure,
    now: Any,
    counts: dict[str, int],
    touched: list[int],
    events: list[dict[str, Any]],
    published: list[catalog_events.NewEvent],
) -> str:
    values = {
        "severity": failure.requirement.severity,
        "evidence": failure.evidence,
        "last_seen": now,
    }
    details = {"urn": failure.asset.urn, "framework": key[1], "requirement": key[2]}
    if row is None:
        fid = repo.insert_finding(
            conn,
            {
                **values,
                "asset_id": key[0],
                "framework": key[1],
                "requirement_id": key[2],
                "status": OPEN,
                "first_seen": now,
            },
        )
        events.append(history_event(fid, "opened", None, actor, BY_EVALUATION, now))
        audit.record(conn, actor.name, "compliance.finding.open", "compliance_finding", str(fid))
        published.append(finding_event(fid, "opened", key, failure.requirement.severity))
        counts["opened"] += 1
        return OPEN
    if row["status"] == RESOLVED:
        values.update(
            status=OPEN,
            resolved_at=None,
            justification=None,
            decided_by=None,
            acknowledged_by=None,
            acknowledged_at=None,
        )
        values["decided_at"] = None
        events.append(history_event(row["id"], "reopened", RESOLVED, actor, BY_EVALUATION, now))
        audit.record(
            conn, actor.name, "compliance.finding.reopen", "compliance_finding", str(row["id"]),
            {**details, "by": "evaluation"},
        )  # fmt: skip
        published.append(finding_event(row["id"], "reopened", key, failure.requirement.severity))
        counts["reopened"] += 1
    elif row["evidence"] == failure.evidence and row["severity"] == values["severity"]:
        touched.append(row["id"])  # unchanged: only last_seen moves, in one batch
        return str(row["status"])
    repo.update_finding(conn, row["id"], values)
    return str(values.get("status", row["status"]))


def _tag_tables(
    conn: Any,
    actor: Principal,
    results: Sequence[checks.Evaluation],
    tables: Sequence[checks.AssetFacts],
    rows: dict[int, dict[str, Any]],
) -> int:
    """Give the tables in scope of each framework its tag; take it from the others."""
    changed = 0
    scopes = {r.framework.tag: r.in_scope_tables() for r in results}
    for table in tables:
        before = sorted({str(t) for t in rows[table.id]["tags"] or ()})
        after = set(before)
        for tag, scoped in scopes.items():
            (after.add if table.id in scoped else after.discard)(tag)
        if sorted(after) != before:
            asset_repo.update_curated(conn, table.id, {"tags": sorted(after)})
            audit.record(
                conn,
                actor.name,
                "compliance.tag",
                "asset",
                table.urn,
                {
                    "added": sorted(after - set(before)),
                    "removed": sorted(set(before) - after),
                },
            )
            changed += 1
    return changed


def evaluation_history(
    ctx: Context, actor: Principal, limit: int, offset: int
) -> tuple[list[Evaluation], int]:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        rows, total = repo.evaluations(conn, limit, offset)
    return [_evaluation(r) for r in rows], total


def _evaluation(row: Mapping[str, Any]) -> Evaluation:
    return Evaluation(
        id=row["id"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        actor=row["actor"],
        source=row["source"],
        frameworks=list(row["frameworks"] or []),
        assets_in_scope=row["assets_in_scope"],
        opened=row["opened"],
        reopened=row["reopened"],
        resolved=row["resolved"],
        open_total=row["open_total"],
        summary=row["summary"],
    )


# --- workflow step --------------------------------------------------------------------------


def plan_step(ctx: Context, step: StepContext) -> StepPlan:
    """The ``compliance`` step: one task evaluating ``config.frameworks`` (default: all) over
    ``config.source`` (default: every source)."""
    source = step.config.get("source")
    names = step.config.get("frameworks")
    if isinstance(names, str):
        names = [names]
    if names is not None and not (
        isinstance(names, list) and all(isinstance(n, str) for n in names)
    ):
        raise InvalidInputError(
            "config.frameworks of a compliance step must be a framework id or a list of them",
            loc="config.frameworks",
        )
    if source is not None and not isinstance(source, str):
        raise InvalidInputError("config.source must be a source name", loc="config.source")
    resolve_frameworks(ctx, names)  # unknown ids fail when the step is planned

    def run(task: TaskContext) -> dict[str, Any]:
        actor = workflow_principal(task.execution_id)
        result = evaluate(ctx, actor, source, names)
        keys = ("id", "assets_in_scope", "opened", "reopened", "resolved", "open_total")
        return {k: getattr(result, k) for k in keys}

    return StepPlan(run, [TaskSpec(source or "*", source=source)])
