"""Quality runs: the active rules of each table pushed down through the source's connector.

Per table: one aggregate query for every single-table rule (``checks``), separate
queries for referential integrity and custom SQL, then example rows for the rules that
failed. Results are kept per run and the table is rescored in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sounding.connectors.base import QualityRunner
from sounding.domain.assets import AssetType, ObjectRef
from sounding.domain.auth import Permission, Principal
from sounding.domain.events import EventKind
from sounding.domain.paging import Key
from sounding.domain.quality import (
    COLUMN_KINDS,
    QueryTarget,
    Rule,
    RuleKind,
    RuleOutcome,
    RuleStatus,
    judge,
)
from sounding.domain.urn import split_qualified
from sounding.errors import InvalidInputError, NotFoundError, SoundingError
from sounding.features.quality import checks as sql
from sounding.features.quality import repo
from sounding.features.quality.records import QualityResult, QualityRun, QualityRunDetail
from sounding.features.quality.scores import rescore
from sounding.features.quality.service import (
    SYSTEM,
    check_sql,
    parent_table,
    public_results,
    rule_of,
    table_of,
)
from sounding.services import catalog, events
from sounding.services.context import Context
from sounding.services.sources import config_for, get_row
from sounding.store.repos import audit, utcnow

logger = logging.getLogger(__name__)


# --- running --------------------------------------------------------------------------------


def _keys(table: dict[str, Any]) -> list[str]:
    return list(table.get("primary_key") or [])


def _errored(exc: SoundingError) -> RuleOutcome:
    return RuleOutcome(None, error=exc.message)


def _examples(
    runner: QualityRunner, query: str | None, rule: Rule, keys: list[str]
) -> list[dict[str, Any]]:
    if query is None:
        return []
    try:
        names, rows = runner.run_quality_query(query, sql.EXAMPLE_LIMIT)
    except SoundingError as exc:  # the count stands; examples are a courtesy
        logger.info("Could not fetch examples of rule %s: %s", rule.name, exc.message)
        return []
    return sql.read_examples(rule, keys, names, rows)


def _count(runner: QualityRunner, query: str) -> int:
    _, rows = runner.run_quality_query(query, 1)
    return int(rows[0][0] or 0) if rows else 0


def check_table(
    ctx: Context,
    runner: QualityRunner,
    table: dict[str, Any],
    rules: Sequence[Rule],
    now: datetime,
    previous_counts: dict[int, int],
) -> list[RuleOutcome]:
    """Outcomes of the rules of one table, in the order of ``rules``."""
    ref = ObjectRef(AssetType(table["type"]), split_qualified(table["qualified_name"]))
    target = runner.quality_target(ref)
    keys = _keys(table)
    outcomes: dict[int, RuleOutcome] = {}
    aggregate = [i for i, r in enumerate(rules) if r.kind in sql.AGGREGATE_KINDS]
    plan = sql.aggregate_query(target, [rules[i] for i in aggregate])
    total: int | None = None
    try:
        _, rows = runner.run_quality_query(plan.sql, 1)
        total = int(rows[0][0] or 0)
        found = sql.read_aggregate(
            [rules[i] for i in aggregate], plan, rows[0], now, previous_counts
        )
        outcomes.update(zip(aggregate, found, strict=True))
    except SoundingError as exc:
        outcomes.update((i, _errored(exc)) for i in aggregate)
    for i, rule in enumerate(rules):
        if i in outcomes:
            continue
        try:
            outcomes[i] = _separate(ctx, runner, table, target, rule, total, keys)
        except SoundingError as exc:
            outcomes[i] = _errored(exc)
    for i, rule in enumerate(rules):
        out = outcomes[i]
        if out.passed is False and i in aggregate and rule.kind in COLUMN_KINDS:
            out.examples = _examples(runner, sql.examples_query(target, rule, keys), rule, keys)
    return [outcomes[i] for i in range(len(rules))]


def _separate(
    ctx: Context,
    runner: QualityRunner,
    table: dict[str, Any],
    target: QueryTarget,
    rule: Rule,
    total: int | None,
    keys: list[str],
) -> RuleOutcome:
    """Referential integrity and custom SQL: queries of their own."""
    if total is None:
        total = _count(runner, f"SELECT COUNT(*) FROM {target.relation}")
    if rule.kind == RuleKind.REFERENTIAL_INTEGRITY:
        parent = parent_table(ctx, table, rule.params["references"]["table"])
        pref = ObjectRef(AssetType(parent["type"]), split_qualified(parent["qualified_name"]))
        ptarget = runner.quality_target(pref)
        failing = _count(runner, sql.referential_query(target, ptarget, rule))
        out = judge(rule.kind, rule.params, failing, total)
        if out.passed is False:
            query = sql.referential_examples_query(target, ptarget, rule, keys)
            out.examples = _examples(runner, query, rule, keys)
        return out
    check_sql(rule, target.dialect)
    failing = _count(runner, sql.custom_count_query(target, rule))
    out = judge(rule.kind, rule.params, failing, total)
    if out.passed is False:
        out.examples = _examples(runner, sql.custom_examples_query(target, rule), rule, keys)
    return out


def _previous_counts(ctx: Context, rules: Sequence[Rule]) -> dict[int, int]:
    ids = [r.id for r in rules if r.kind == RuleKind.ROW_COUNT_CHANGE and r.id is not None]
    with ctx.db.read() as conn:
        latest = repo.latest_results(conn, ids) if ids else {}
    return {
        rid: int(row["observed"]["row_count"])
        for rid, row in latest.items()
        if row["passed"] is not None and (row["observed"] or {}).get("row_count") is not None
    }


def run_quality(
    ctx: Context, actor: Principal, source: str, asset: str | None = None
) -> QualityRunDetail:
    """Run the active rules of a source (or of one of its tables); returns the run."""
    actor.require(Permission.SCAN_RUN)
    src = get_row(ctx, source)
    only = table_of(ctx, actor, asset) if asset else None
    if only is not None and only["source"] != source:
        raise InvalidInputError(f"{only['urn']} is not in source {source!r}", field="asset")
    with ctx.db.read() as conn:
        rows, _ = repo.list_rules(
            conn,
            source_id=src["id"],
            asset_ids=[only["id"]] if only else None,
            status=RuleStatus.ACTIVE.value,
        )
    by_table: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_table.setdefault(row["asset_id"], []).append(row)
    started = utcnow()
    with ctx.db.write() as conn:
        run_id = repo.insert_run(
            conn,
            {
                "source_id": src["id"],
                "asset_id": only["id"] if only else None,
                "status": "running",
                "triggered_by": actor.name,
                "started_at": started,
                "rules_total": len(rows),
                "rules_passed": 0,
                "rules_failed": 0,
                "rules_errored": 0,
            },
        )
    tally = {"passed": 0, "failed": 0, "errored": 0}
    error: str | None = None
    try:
        connector = ctx.registry.open(config_for(ctx, src))
        with connector:
            if not isinstance(connector, QualityRunner):
                raise InvalidInputError(f"Source {source!r} cannot run quality checks")
            for asset_id, table_rows in by_table.items():
                _run_one_table(ctx, connector, asset_id, table_rows, run_id, tally)
    except SoundingError as exc:
        error = exc.message
    with ctx.db.write() as conn:
        repo.update_run(
            conn,
            run_id,
            {
                "status": "failed" if error else "succeeded",
                "finished_at": utcnow(),
                "rules_passed": tally["passed"],
                "rules_failed": tally["failed"],
                "rules_errored": tally["errored"],
                "error": error,
            },
        )
        audit.record(
            conn,
            actor.name,
            "quality.run",
            "source",
            source,
            {"run_id": run_id, "asset": only["urn"] if only else None, **tally},
        )
    return get_run(ctx, actor, run_id)


def _run_one_table(
    ctx: Context,
    runner: QualityRunner,
    asset_id: int,
    rows: list[dict[str, Any]],
    run_id: int,
    tally: dict[str, int],
) -> None:
    table = catalog.get_asset(ctx, SYSTEM, asset_id).public()
    rules = [rule_of(r) for r in rows]
    now = utcnow()
    outcomes = check_table(ctx, runner, table, rules, now, _previous_counts(ctx, rules))
    results = []
    for rule, out in zip(rules, outcomes, strict=True):
        key = "errored" if out.passed is None else "passed" if out.passed else "failed"
        tally[key] += 1
        results.append(
            {
                "run_id": run_id,
                "rule_id": rule.id,
                "asset_id": asset_id,
                "passed": out.passed,
                "failing_count": out.failing_count,
                "total_count": out.total_count,
                "ratio": out.ratio,
                "observed": out.observed,
                "examples": out.examples,
                "error": out.error,
                "created_at": now,
            }
        )
    with ctx.db.write() as conn:
        before = repo.latest_results(conn, [r.id for r in rules if r.id is not None])
        repo.insert_results(conn, results)
        rescore(conn, [(asset_id, table["urn"])], run_id, now)
        _publish_changes(conn, table, rules, outcomes, before, run_id)


def _publish_changes(
    conn: Any,
    table: Mapping[str, Any],
    rules: Sequence[Rule],
    outcomes: Sequence[RuleOutcome],
    before: Mapping[int, Mapping[str, Any]],
    run_id: int,
) -> None:
    """A catalog event for each rule that starts failing (its first failure, or a failure
    after a pass) or recovers (a pass after a failure); a rule failing again says nothing."""
    for rule, out in zip(rules, outcomes, strict=True):
        if out.passed is None or rule.id is None:
            continue
        was = before.get(rule.id, {}).get("passed")
        if out.passed is False and was is not False:
            kind, verb = EventKind.QUALITY_FAILED, "fails"
        elif out.passed is True and was is False:
            kind, verb = EventKind.QUALITY_RECOVERED, "passes again"
        else:
            continue
        where = (
            f"{table['qualified_name']}.{rule.column}" if rule.column else table["qualified_name"]
        )
        events.publish(
            conn,
            kind,
            f"Quality rule {rule.name!r} {verb} on {where}",
            asset_id=int(table["id"]),
            payload={
                "rule_id": rule.id,
                "rule": rule.name,
                "severity": rule.severity.value,
                "column": rule.column,
                "run_id": run_id,
                "failing_count": out.failing_count,
                "total_count": out.total_count,
            },
        )


def get_run(ctx: Context, actor: Principal, run_id: int) -> QualityRunDetail:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        run = repo.get_run(conn, run_id)
        results = repo.results_of_run(conn, run_id) if run else []
    if run is None:
        raise NotFoundError(f"Quality run {run_id} not found", run_id=run_id)
    return QualityRunDetail(**asdict(_public_run(run)), results=public_results(ctx, actor, results))


def _public_run(run: Mapping[str, Any]) -> QualityRun:
    return QualityRun(
        id=run["id"],
        source=run.get("source"),
        asset_urn=run.get("asset_urn"),
        status=run["status"],
        triggered_by=run.get("triggered_by"),
        started_at=run.get("started_at"),
        finished_at=run.get("finished_at"),
        rules_total=run.get("rules_total"),
        rules_passed=run.get("rules_passed"),
        rules_failed=run.get("rules_failed"),
        rules_errored=run.get("rules_errored"),
        error=run.get("error"),
    )


def list_runs(
    ctx: Context, actor: Principal, source: str | None, limit: int, offset: int
) -> tuple[list[QualityRun], int]:
    actor.require(Permission.CATALOG_READ)
    source_id = get_row(ctx, source)["id"] if source else None
    with ctx.db.read() as conn:
        rows, total = repo.list_runs(conn, source_id, limit, offset)
    return [_public_run(r) for r in rows], total


RESULT_ORDER = repo.RESULT_ORDER


def result_history(
    ctx: Context,
    actor: Principal,
    *,
    rule_id: int | None = None,
    asset: str | None = None,
    limit: int = 100,
    offset: int = 0,
    after: Key | None = None,
) -> tuple[list[QualityResult], int]:
    """Results newest first: from ``offset``, or after the key ``after`` of
    :data:`RESULT_ORDER`."""
    actor.require(Permission.CATALOG_READ)
    asset_id = table_of(ctx, actor, asset)["id"] if asset else None
    with ctx.db.read() as conn:
        rows, total = repo.result_history(
            conn, rule_id=rule_id, asset_id=asset_id, limit=limit, offset=offset, after=after
        )
    return public_results(ctx, actor, rows), total


FAIL_ON = ("error", "warning", "never")


def gate_failures(run: QualityRunDetail, fail_on: str) -> list[QualityResult]:
    """The results of a run that fail a CI gate: rules that failed or could not be evaluated,
    of severity ``error`` (``fail_on="error"``), of either severity (``"warning"``), or none
    (``"never"``)."""
    if fail_on not in FAIL_ON:
        raise InvalidInputError(
            f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}", field="fail_on"
        )
    if fail_on == "never":
        return []
    levels = {"error"} if fail_on == "error" else {"error", "warning"}
    return [r for r in run.results if r.passed is not True and (r.severity or "error") in levels]
