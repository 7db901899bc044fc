"""Use cases for data quality: rules (API, YAML, suggestions), runs pushed down to sources.

A run compiles the active rules of each table into SQL (``checks``), runs it through
the source's connector (``QualityRunner``: read-only), keeps one result per rule and rescores
each table (``scores``). Example failing values are kept as found and masked
when read: a column with a classification label that is not rejected shows ``"***"`` to
anyone without ``pii:read``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import sqlglot
from sqlglot import exp

from sounding.domain.assets import AssetType
from sounding.domain.auth import Permission, Principal, system_principal
from sounding.domain.dialects import dialect_for
from sounding.domain.documents import load_yaml
from sounding.domain.profiling import MASK, mask_values
from sounding.domain.quality import (
    Rule,
    RuleKind,
    RuleStatus,
    validate_rule,
)
from sounding.domain.urn import make_urn, split_qualified
from sounding.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
)
from sounding.features.quality import repo
from sounding.features.quality.records import (
    QualityResult,
    QualityRule,
    RuleFileResult,
    RuleSuggestions,
)
from sounding.features.quality.reveal import revealed_fields
from sounding.features.quality.scores import refresh
from sounding.features.quality.suggest import suggest_rules
from sounding.features.quality.tables import quality_rules
from sounding.services import catalog, profiling, versions
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store.repos import audit, utcnow
from sounding.store.repos import scanning as scanning_repo

logger = logging.getLogger(__name__)

OBJECT_TYPES = (AssetType.TABLE.value, AssetType.VIEW.value, AssetType.DATASET.value)
SYSTEM = system_principal("system", "quality")  # reads the catalog on a caller's behalf


# --- reading --------------------------------------------------------------------------------


def public_rule(row: Mapping[str, Any]) -> QualityRule:
    """The rule of a stored row (joined with its table's URN, name and source)."""
    return QualityRule(
        id=row["id"],
        asset_id=row["asset_id"],
        name=row["name"],
        kind=row["kind"],
        params=row["params"],
        dimension=row["dimension"],
        severity=row["severity"],
        status=row["status"],
        origin=row["origin"],
        description=row.get("description"),
        created_by=row.get("created_by"),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        decided_by=row.get("decided_by"),
        decided_at=row.get("decided_at"),
        column=row.get("column_name"),
        asset_urn=row.get("asset_urn"),
        qualified_name=row.get("qualified_name"),
        source=row.get("source"),
        revision=row["row_version"],
    )


def _rule_data(row: dict[str, Any]) -> dict[str, Any]:
    """A stored rule row as the dict ``validate_rule`` reads."""
    return {
        "kind": row["kind"],
        "column": row["column_name"],
        "params": row["params"],
        "dimension": row["dimension"],
        "severity": row["severity"],
        "name": row["name"],
    }


def rule_of(row: dict[str, Any]) -> Rule:
    rule = validate_rule(_rule_data(row))
    return Rule(**{**rule.__dict__, "id": row["id"]})


def table_of(ctx: Context, actor: Principal, ref: str | int) -> dict[str, Any]:
    asset = catalog.get_asset(ctx, actor, ref).public()
    if asset["type"] not in OBJECT_TYPES:
        raise InvalidInputError(
            f"Quality rules belong to tables, views and datasets; {asset['urn']} is a "
            f"{asset['type']} (give its table, and the column in 'column')",
            field="asset",
        )
    return asset


def _sensitive(ctx: Context, table: dict[str, Any]) -> set[str]:
    """Names of the table's columns whose values are masked (as in profiles)."""
    ids = {c["id"]: c["name"] for c in table.get("columns", [])}
    return {ids[cid] for cid in profiling.sensitive_columns(ctx, list(ids))}


def _mask_examples(
    examples: list[dict[str, Any]],
    column: str | None,
    sensitive: set[str],
    revealed: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Values of sensitive columns masked by the profiles' one rule; a custom SQL row shows
    only ``revealed`` fields (``reveal``): everything else it returned may come
    from anywhere."""
    out = []
    for item in examples:
        item = dict(item)
        if "value" in item and column in sensitive:
            item["value"] = mask_values(item["value"])
        if "key" in item:
            item["key"] = {
                k: mask_values(v) if k in sensitive else v for k, v in item["key"].items()
            }
        if "row" in item:
            item["row"] = {k: v if k in revealed else MASK for k, v in item["row"].items()}
        out.append(item)
    return out


def _mask_observed(observed: Any, column: str | None, sensitive: set[str]) -> Any:
    """What a rule on a sensitive column observed (a freshness rule's newest value): value
    figures masked, counts and ages kept."""
    if not observed or column not in sensitive:
        return observed
    return mask_values(observed, keep=OBSERVED_VALUE_FREE)


# suggested rules whose parameters are values of the column (the values seen, its extremes)
VALUE_RULES = frozenset({RuleKind.ACCEPTED_VALUES.value, RuleKind.RANGE.value})

OBSERVED_VALUE_FREE = frozenset(
    {"row_count", "previous", "change", "age_seconds", "max_age_seconds", "as_of"}
)


def _revealed(
    ctx: Context, table: dict[str, Any], rule_id: int, sensitive: set[str]
) -> frozenset[str]:
    """The fields of a custom SQL rule's rows that its table's non-sensitive columns back."""
    with ctx.db.read() as conn:
        row = repo.get_rule(conn, rule_id)
    sql = (row or {}).get("params", {}).get("sql")
    if not isinstance(sql, str):
        return frozenset()
    columns = [c["name"] for c in table.get("columns", [])]
    return revealed_fields(sql, columns, sensitive)


def public_results(
    ctx: Context, actor: Principal, rows: Sequence[Mapping[str, Any]]
) -> list[QualityResult]:
    """Results as the caller may see them: examples of sensitive columns masked unless the
    caller holds ``pii:read`` on the table (globally or by a policy); an unmasked example of
    a sensitive column is audited (``pii.read``)."""
    tables: dict[int, tuple[dict[str, Any], set[str], bool]] = {}
    revealed: dict[int, frozenset[str]] = {}
    reads: dict[str, set[str]] = {}
    out = []
    for r in rows:
        examples, observed = r.get("examples") or [], r["observed"]
        masked = False
        if examples or observed:
            if r["asset_id"] not in tables:
                asset = catalog.get_asset(ctx, actor, r["asset_id"])
                table = asset.public()
                reveal = profiling.may_reveal(ctx, actor, asset)
                tables[r["asset_id"]] = (table, _sensitive(ctx, table), reveal)
            table, sensitive, reveal = tables[r["asset_id"]]
            if reveal:
                column = r.get("column_name")
                custom = r.get("kind") == RuleKind.CUSTOM_SQL.value
                shown = sensitive if custom else ({column} & sensitive)
                if shown:
                    reads.setdefault(str(table["urn"]), set()).update(str(c) for c in shown)
            else:
                if r.get("kind") == RuleKind.CUSTOM_SQL.value and r["rule_id"] not in revealed:
                    revealed[r["rule_id"]] = _revealed(ctx, table, r["rule_id"], sensitive)
                fields = revealed.get(r["rule_id"], frozenset())
                shown_examples = _mask_examples(examples, r.get("column_name"), sensitive, fields)
                masked = shown_examples != examples
                examples = shown_examples
                observed = _mask_observed(observed, r.get("column_name"), sensitive)
        out.append(
            QualityResult(
                id=r["id"],
                run_id=r["run_id"],
                rule_id=r["rule_id"],
                rule=r.get("rule"),
                kind=r.get("kind"),
                column=r.get("column_name"),
                dimension=r.get("dimension"),
                severity=r.get("severity"),
                asset_urn=r.get("asset_urn"),
                qualified_name=r.get("qualified_name"),
                passed=r["passed"],
                failing_count=r["failing_count"],
                total_count=r["total_count"],
                ratio=r["ratio"],
                observed=observed,
                examples=examples,
                examples_masked=masked,
                error=r["error"],
                created_at=r["created_at"],
            )
        )
    profiling.audit_unmasked(
        ctx,
        actor,
        [
            profiling.UnmaskedRead(urn, tuple(sorted(cols)), ("examples", "observed"), "quality")
            for urn, cols in reads.items()
        ],
    )
    return out


def list_rules(
    ctx: Context,
    actor: Principal,
    *,
    source: str | None = None,
    asset: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[QualityRule], int]:
    actor.require(Permission.CATALOG_READ)
    if status is not None and status not in {s.value for s in RuleStatus}:
        raise InvalidInputError(
            f"Unknown status {status!r}; choose active, suggested or rejected", field="status"
        )
    source_id = get_row(ctx, source)["id"] if source else None
    asset_ids = [table_of(ctx, actor, asset)["id"]] if asset else None
    with ctx.db.read() as conn:
        rows, total = repo.list_rules(
            conn,
            source_id=source_id,
            asset_ids=asset_ids,
            status=status,
            limit=limit,
            offset=offset,
        )
    return [public_rule(r) for r in rows], total


def get_rule(ctx: Context, actor: Principal, rule_id: int) -> dict[str, Any]:
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        row = repo.get_rule(conn, rule_id)
    if row is None:
        raise NotFoundError(f"Quality rule {rule_id} not found", rule_id=rule_id)
    return row


# --- writing rules --------------------------------------------------------------------------


def check_sql(rule: Rule, dialect: str | None) -> None:
    """Custom SQL must be one query (SELECT/UNION/WITH ... SELECT), never a statement that
    changes anything; it runs wrapped as ``SELECT COUNT(*) FROM (<sql>) AS q``."""
    text = str(rule.params["sql"]).replace("{table}", "t")
    try:
        backend = dialect_for(dialect)
        parsed = sqlglot.parse(text, read=backend.sqlglot if backend is not None else None)
    except sqlglot.errors.ParseError as exc:
        raise InvalidInputError(
            f"params.sql does not parse: {str(exc).splitlines()[0]}", field="params.sql"
        ) from exc
    statements = [p for p in parsed if p is not None]
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise InvalidInputError(
            "params.sql must be one SELECT returning the failing rows (no other statements)",
            field="params.sql",
        )
    if any(statements[0].find_all(exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop)):
        raise InvalidInputError("params.sql may only read data", field="params.sql")


def check_rule(ctx: Context, table: dict[str, Any], rule: Rule) -> Rule:
    """Check a rule against the catalog: its column exists, its parent table too."""
    names = {c["name"] for c in table.get("columns", [])}
    if rule.column and rule.column not in names:
        raise InvalidInputError(
            f"{table['urn']} has no column {rule.column!r}; columns: {', '.join(sorted(names))}",
            field="column",
        )
    if rule.kind == RuleKind.REFERENTIAL_INTEGRITY:
        ref = rule.params["references"]
        parent = parent_table(ctx, table, ref["table"])
        parent_cols = {c["name"] for c in parent.get("columns", [])}
        if ref["column"] not in parent_cols:
            raise InvalidInputError(
                f"{parent['urn']} has no column {ref['column']!r}",
                field="params.references.column",
            )
    if rule.kind == RuleKind.CUSTOM_SQL:
        check_sql(rule, None)
    return rule


def find_table(ctx: Context, actor: Principal, source: str, qualified: str) -> dict[str, Any]:
    """A table of a source by URN or qualified name; a file path such as ``exports/a.csv``
    may be written without the quotes its qualified name has (``"exports/a.csv"``)."""
    if qualified.startswith("urn:"):
        return table_of(ctx, actor, qualified)
    try:
        return table_of(ctx, actor, make_urn(source, split_qualified(qualified)))
    except NotFoundError:
        return table_of(ctx, actor, make_urn(source, (qualified,)))


def parent_table(ctx: Context, table: dict[str, Any], qualified: str) -> dict[str, Any]:
    """The referenced table, of the same source, by qualified name (or URN)."""
    try:
        parent = find_table(ctx, SYSTEM, table["source"], qualified)
    except NotFoundError:
        raise InvalidInputError(
            f"Referenced table {qualified!r} is not in source {table['source']!r}'s catalog "
            "(give its qualified name, e.g. main.customers)",
            field="params.references.table",
        ) from None
    if parent["source"] != table["source"]:
        raise InvalidInputError(
            "Referential integrity is checked within one source", field="params.references.table"
        )
    return parent


def _rule_values(rule: Rule) -> dict[str, Any]:
    return {
        "column_name": rule.column,
        "name": rule.name,
        "kind": rule.kind.value,
        "params": rule.params,
        "dimension": rule.dimension.value,
        "severity": rule.severity.value,
        "description": rule.description,
    }


def create_rule(
    ctx: Context,
    actor: Principal,
    asset: str | int,
    data: dict[str, Any],
    *,
    status: RuleStatus = RuleStatus.ACTIVE,
    origin: str = "api",
) -> QualityRule:
    actor.require(Permission.CATALOG_WRITE)
    table = table_of(ctx, actor, asset)
    rule = check_rule(ctx, table, validate_rule(data))
    now = utcnow()
    with ctx.db.write() as conn:
        if repo.rule_by_name(conn, table["id"], rule.name) is not None:
            raise ConflictError(
                f"{table['urn']} already has a rule named {rule.name!r}; give another 'name'",
                rule=rule.name,
            )
        rule_id = repo.insert_rule(
            conn,
            {
                **_rule_values(rule),
                "asset_id": table["id"],
                "status": status.value,
                "origin": origin,
                "created_by": actor.name,
                "created_at": now,
                "updated_at": now,
            },
        )
        audit.record(
            conn,
            actor.name,
            "quality.rule.create",
            "quality_rule",
            f"{table['urn']}:{rule.name}",
            {"id": rule_id, "kind": rule.kind.value, "status": status.value},
        )
        refresh(conn, [(table["id"], table["urn"])], now)
    return public_rule(get_rule(ctx, actor, rule_id))


def update_rule(
    ctx: Context,
    actor: Principal,
    rule_id: int,
    changes: dict[str, Any],
    *,
    if_match: str | None = None,
) -> QualityRule:
    """Change a rule's params, severity, dimension, description or name (kind and column are
    its identity: delete it and create another)."""
    actor.require(Permission.CATALOG_WRITE)
    row = get_rule(ctx, actor, rule_id)
    editable = {"params", "severity", "dimension", "description", "name"}
    unknown = sorted(set(changes) - editable)
    if unknown:
        raise InvalidInputError(
            f"Cannot change {', '.join(unknown)}; editable: {', '.join(sorted(editable))}",
            field=unknown[0],
        )
    merged = {**_rule_data(row), "description": row["description"], **changes}
    table = table_of(ctx, actor, row["asset_id"])
    rule = check_rule(ctx, table, validate_rule(merged))
    now = utcnow()
    with ctx.db.write() as conn:
        versions.check(conn, quality_rules, rule_id, if_match, f"Quality rule {rule_id}")
        other = repo.rule_by_name(conn, table["id"], rule.name)
        if other is not None and other["id"] != rule_id:
            raise ConflictError(
                f"{table['urn']} already has a rule named {rule.name!r}", rule=rule.name
            )
        repo.update_rule(conn, rule_id, {**_rule_values(rule), "updated_at": now})
        audit.record(
            conn,
            actor.name,
            "quality.rule.update",
            "quality_rule",
            f"{table['urn']}:{rule.name}",
            {"id": rule_id, "fields": sorted(changes)},
        )
        refresh(conn, [(table["id"], table["urn"])], now)  # e.g. a rule moved dimension
    return public_rule(get_rule(ctx, actor, rule_id))


def delete_rule(
    ctx: Context, actor: Principal, rule_id: int, *, if_match: str | None = None
) -> None:
    """Delete a rule and its results; its table is rescored without it."""
    actor.require(Permission.CATALOG_WRITE)
    row = get_rule(ctx, actor, rule_id)
    with ctx.db.write() as conn:
        versions.check(conn, quality_rules, rule_id, if_match, f"Quality rule {rule_id}")
        repo.delete_rule(conn, rule_id)
        audit.record(
            conn,
            actor.name,
            "quality.rule.delete",
            "quality_rule",
            f"{row['asset_urn']}:{row['name']}",
            {"id": rule_id, "kind": row["kind"]},
        )
        refresh(conn, [(row["asset_id"], row["asset_urn"])], utcnow())


def decide(
    ctx: Context, actor: Principal, rule_id: int, status: str, *, if_match: str | None = None
) -> QualityRule:
    """A steward accepts (makes active) or rejects a rule; rejected suggestions never return.
    The table is rescored: a rejected rule no longer counts, an accepted one counts with its
    newest result if it has one."""
    actor.require(Permission.CATALOG_WRITE)
    if status not in (RuleStatus.ACTIVE.value, RuleStatus.REJECTED.value):
        raise InvalidInputError("status must be active or rejected", field="status")
    row = get_rule(ctx, actor, rule_id)
    now = utcnow()
    with ctx.db.write() as conn:
        versions.check(conn, quality_rules, rule_id, if_match, f"Quality rule {rule_id}")
        repo.update_rule(
            conn,
            rule_id,
            {"status": status, "decided_by": actor.name, "decided_at": now, "updated_at": now},
        )
        action = "accept" if status == RuleStatus.ACTIVE.value else "reject"
        audit.record(
            conn,
            actor.name,
            f"quality.rule.{action}",
            "quality_rule",
            f"{row['asset_urn']}:{row['name']}",
            {"id": rule_id, "previous": row["status"]},
        )
        refresh(conn, [(row["asset_id"], row["asset_urn"])], now)
    return public_rule(get_rule(ctx, actor, rule_id))


def apply_rule_file(ctx: Context, actor: Principal, text: str) -> RuleFileResult:
    """Create or update the rules of a YAML file (see docs/quality.md); all or nothing."""
    actor.require(Permission.CATALOG_WRITE)
    doc = load_yaml(text, "Rule file")
    if not isinstance(doc, dict) or not isinstance(doc.get("source"), str):
        raise InvalidInputError("A rule file needs 'source: NAME' and 'tables:'", field="source")
    tables = doc.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise InvalidInputError(
            "'tables' must map qualified table names to lists of rules", field="tables"
        )
    source = doc["source"]
    get_row(ctx, source)
    planned: list[tuple[dict[str, Any], Rule]] = []
    for qualified, entries in tables.items():
        where = f"tables.{qualified}"
        if not isinstance(entries, list):
            raise InvalidInputError(f"{where} must be a list of rules", field=where)
        try:
            table = find_table(ctx, actor, source, str(qualified))
        except NotFoundError:
            raise InvalidInputError(
                f"{where}: no table {qualified!r} in source {source!r} (scan it first?)",
                field=where,
            ) from None
        for i, entry in enumerate(entries):
            try:
                planned.append((table, check_rule(ctx, table, validate_rule(entry))))
            except InvalidInputError as exc:
                field = f"{where}[{i}].{exc.details.get('field', 'kind')}"
                raise InvalidInputError(f"{field}: {exc.message}", field=field) from exc
    return _store_planned(ctx, actor, source, planned)


def _store_planned(
    ctx: Context, actor: Principal, source: str, planned: list[tuple[dict[str, Any], Rule]]
) -> RuleFileResult:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    now = utcnow()
    with ctx.db.write() as conn:
        for table, rule in planned:
            values = _rule_values(rule)
            existing = repo.rule_by_name(conn, table["id"], rule.name)
            if existing is None:
                repo.insert_rule(
                    conn,
                    {
                        **values,
                        "asset_id": table["id"],
                        "status": RuleStatus.ACTIVE.value,
                        "origin": "file",
                        "created_by": actor.name,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                counts["created"] += 1
            elif all(existing[k] == v for k, v in values.items()) and existing["status"] == (
                RuleStatus.ACTIVE.value
            ):
                counts["unchanged"] += 1
            else:
                repo.update_rule(
                    conn,
                    existing["id"],
                    {**values, "status": RuleStatus.ACTIVE.value, "updated_at": now},
                )
                counts["updated"] += 1
        audit.record(conn, actor.name, "quality.rules.apply", "source", source, dict(counts))
        touched = {table["id"]: table["urn"] for table, _rule in planned}
        refresh(conn, sorted(touched.items()), now)
    return RuleFileResult(source=source, **counts, rules=len(planned))


# --- suggestions ----------------------------------------------------------------------------


def suggest(
    ctx: Context, actor: Principal, source: str, asset: str | None = None
) -> RuleSuggestions:
    """Suggest rules from the newest profile of each table of the source (or of one table).

    A rule whose name the table already has, in any status, is not suggested again: accepted
    suggestions stay as they are and rejected ones never come back.
    """
    actor.require(Permission.CATALOG_WRITE)
    src = get_row(ctx, source)
    with ctx.db.read() as conn:
        ids = [t["id"] for t in repo.scope_tables(conn, source_id=src["id"])]
    if asset:
        only = table_of(ctx, actor, asset)
        if only["id"] not in ids:
            raise InvalidInputError(f"{only['urn']} is not in source {source!r}", field="asset")
        ids = [only["id"]]
    now, created, profiled = utcnow(), [], 0
    for asset_id in ids:
        table = catalog.get_asset(ctx, actor, asset_id).public()
        with ctx.db.read() as conn:
            history = scanning_repo.profile_history(conn, asset_id, 1, 0)
        if not history:
            continue
        profiled += 1
        found = suggest_rules(history[0]["profile"], history[0]["created_at"])
        # rules are readable by viewers: never copy a sensitive column's values into one
        sensitive = _sensitive(ctx, table)
        found = [
            d for d in found if not (d.get("column") in sensitive and d["kind"] in VALUE_RULES)
        ]
        rules = []
        for data in found:
            try:
                rules.append(check_rule(ctx, table, validate_rule(data)))
            except InvalidInputError as exc:  # e.g. a column gone since the profile
                logger.info("Suggestion for %s skipped: %s", table["urn"], exc.message)
        with ctx.db.write() as conn:
            for rule in rules:
                if repo.rule_by_name(conn, asset_id, rule.name) is not None:
                    continue
                created.append(
                    repo.insert_rule(
                        conn,
                        {
                            **_rule_values(rule),
                            "asset_id": asset_id,
                            "status": RuleStatus.SUGGESTED.value,
                            "origin": "suggestion",
                            "created_by": actor.name,
                            "created_at": now,
                            "updated_at": now,
                        },
                    )
                )
    with ctx.db.write() as conn:
        audit.record(
            conn,
            actor.name,
            "quality.rules.suggest",
            "source",
            source,
            {"tables_profiled": profiled, "suggested": len(created)},
        )
        rows = [repo.get_rule(conn, rid) for rid in created]
    return RuleSuggestions(
        source=source,
        tables_profiled=profiled,
        suggested=len(created),
        items=[public_rule(r) for r in rows if r is not None],
    )
