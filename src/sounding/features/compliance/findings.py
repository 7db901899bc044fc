"""Use cases for compliance findings: listing, steward decisions and per-framework reports.

Lifecycle: ``open`` -> ``accepted`` (a justification is required; who and when are kept) or
``resolved`` (by a person, or by the next evaluation once the asset passes). A resolved or
accepted finding can be reopened by hand; an evaluation reopens a resolved one that fails
again and leaves an accepted one accepted while it still fails. A finding's ``justification``
is that of its acceptance: resolving keeps it, reopening clears it. Every status change is
appended to the finding's history with who, when, how and the justification or note.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.compliance import checks, repo
from sounding.features.compliance.frameworks import SEVERITIES, Framework
from sounding.features.compliance.records import ComplianceReport, Finding, FindingEvent
from sounding.features.compliance.report import render
from sounding.features.compliance.service import (
    ACCEPTED,
    BY_HAND,
    EVENTS,
    OPEN,
    RESOLVED,
    all_frameworks,
    history_event,
    load_tables,
    publish_finding,
    resolve_frameworks,
)
from sounding.features.compliance.tables import compliance_findings
from sounding.services import catalog, versions
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store.repos import audit, utcnow

logger = logging.getLogger(__name__)

STATUSES = (OPEN, ACCEPTED, RESOLVED)
AUDIT_ACTIONS = {
    "acknowledged": "acknowledge",
    "accepted": "accept",
    "resolved": "resolve",
    "reopened": "reopen",
}
FORMATS = ("json", "csv", "html")


def _public(row: Mapping[str, Any], frameworks: Mapping[str, Framework]) -> Finding:
    fw = frameworks.get(row["framework"])
    req = fw.requirement(row["requirement_id"]) if fw else None
    return Finding(
        id=row["id"],
        framework=row["framework"],
        requirement_id=row["requirement_id"],
        requirement=req.title if req else None,
        reference=req.reference if req else None,
        severity=row["severity"],
        status=row["status"],
        asset_id=row["asset_id"],
        urn=row["urn"],
        qualified_name=row["qualified_name"],
        asset_type=row["asset_type"],
        source=row["source"],
        evidence=row["evidence"],
        justification=row["justification"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        resolved_at=row["resolved_at"],
        acknowledged_by=row["acknowledged_by"],
        acknowledged_at=row["acknowledged_at"],
        revision=row["row_version"],
    )


def _check_choice(name: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise InvalidInputError(
            f"Unknown {name} {value!r}; choose one of: {', '.join(choices)}", field=name
        )


def list_findings(
    ctx: Context,
    actor: Principal,
    *,
    framework: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    source: str | None = None,
    asset: str | None = None,
    requirement: str | None = None,
    acknowledged: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    include_columns: bool = False,
) -> tuple[list[Finding], int]:
    """Findings by filters (``acknowledged``: only those acknowledged, or only those not);
    ``include_columns`` widens ``asset`` to the findings on its columns too (a table's page
    lists both)."""
    actor.require(Permission.CATALOG_READ)
    _check_choice("severity", severity, SEVERITIES)
    _check_choice("status", status, STATUSES)
    if framework is not None:
        resolve_frameworks(ctx, [framework])
    f = repo.FindingFilter(
        framework=framework,
        severity=severity,
        status=status,
        source_id=get_row(ctx, source)["id"] if source else None,
        asset_id=catalog.get_asset(ctx, actor, asset).id if asset else None,
        requirement_id=requirement,
        acknowledged=acknowledged,
        include_columns=include_columns,
    )
    with ctx.db.read() as conn:
        rows, total = repo.list_findings(conn, f, limit, offset)
    known = all_frameworks(ctx)
    return [_public(r, known) for r in rows], total


def _row(ctx: Context, finding_id: int) -> dict[str, Any]:
    with ctx.db.read() as conn:
        row = repo.get_finding(conn, finding_id)
    if row is None:
        raise NotFoundError(f"Compliance finding {finding_id} not found", finding=finding_id)
    return row


def get_finding(ctx: Context, actor: Principal, finding_id: int) -> Finding:
    actor.require(Permission.CATALOG_READ)
    return _public(_row(ctx, finding_id), all_frameworks(ctx))


def history(ctx: Context, actor: Principal, finding_id: int) -> list[FindingEvent]:
    """Every status change of a finding, oldest first: ``event`` (opened, accepted, resolved,
    reopened), the status it moved ``from_status`` and ``to_status``, ``origin``
    (``evaluation``, ``manual``; ``migration`` for history reconstructed on upgrade), the
    ``actor``, ``note`` (the justification of an acceptance, the note of a decision) and
    ``at``."""
    actor.require(Permission.CATALOG_READ)
    _row(ctx, finding_id)
    with ctx.db.read() as conn:
        rows = repo.finding_events(conn, finding_id)
    return [
        FindingEvent(
            id=r["id"],
            finding_id=r["finding_id"],
            event=r["event"],
            from_status=r["from_status"],
            origin=r["origin"],
            actor=r["actor"],
            note=r["note"],
            at=r["at"],
            to_status=EVENTS.get(r["event"]),
        )
        for r in rows
    ]


def _decide(
    ctx: Context,
    actor: Principal,
    finding_id: int,
    to: str,
    allowed_from: tuple[str, ...],
    note: str | None,
    if_match: str | None = None,
) -> Finding:
    actor.require(Permission.CATALOG_WRITE)
    now = utcnow()
    values: dict[str, Any] = {"status": to, "decided_by": actor.name, "decided_at": now}
    values["resolved_at"] = now if to == RESOLVED else None
    if to != RESOLVED:  # resolving keeps the acceptance's justification; reopening drops it
        values["justification"] = note if to == ACCEPTED else None
    event = {ACCEPTED: "accepted", RESOLVED: "resolved"}.get(to, "reopened")
    if to == OPEN:  # a reopened finding is a new occurrence: nobody has acknowledged it yet
        values.update(acknowledged_by=None, acknowledged_at=None)
    return _change(ctx, actor, finding_id, values, event, allowed_from, to, note, if_match)


def _change(
    ctx: Context,
    actor: Principal,
    finding_id: int,
    values: dict[str, Any],
    event: str,
    allowed_from: tuple[str, ...],
    to: str,
    note: str | None,
    if_match: str | None,
) -> Finding:
    """Write one decision on a finding, its history event and its audit record, if the
    finding is in one of ``allowed_from`` (and, with ``if_match``, unchanged)."""
    now = utcnow()
    with ctx.db.write() as conn:  # the status is checked where it is changed
        row = repo.get_finding(conn, finding_id)
        if row is None:
            raise NotFoundError(f"Compliance finding {finding_id} not found", finding=finding_id)
        what = f"Compliance finding {finding_id}"
        versions.check(conn, compliance_findings, finding_id, if_match, what)
        if row["status"] not in allowed_from:
            raise ConflictError(
                f"Finding {finding_id} is {row['status']}; only a finding that is "
                f"{' or '.join(allowed_from)} can become {to}",
                finding=finding_id,
                status=row["status"],
            )
        if event == "acknowledged" and row["acknowledged_at"] is not None:
            raise ConflictError(
                f"Finding {finding_id} was acknowledged already by {row['acknowledged_by']}",
                finding=finding_id,
            )
        repo.update_finding(conn, finding_id, values)
        repo.insert_events(
            conn, [history_event(finding_id, event, row["status"], actor, BY_HAND, now, note)]
        )
        if event == "reopened":
            key = (row["asset_id"], row["framework"], row["requirement_id"])
            publish_finding(conn, finding_id, event, key, row["severity"])
        audit.record(
            conn,
            actor.name,
            f"compliance.finding.{AUDIT_ACTIONS[event]}",
            "compliance_finding",
            str(finding_id),
            {"urn": row["urn"], "requirement": row["requirement_id"], "note": note},
        )
    return get_finding(ctx, actor, finding_id)


def acknowledge(
    ctx: Context,
    actor: Principal,
    finding_id: int,
    note: str | None = None,
    *,
    if_match: str | None = None,
) -> Finding:
    """Acknowledge an open finding: a steward has seen it and owns the follow-up. It stays
    open (and counts as open) until it is resolved or its risk accepted."""
    actor.require(Permission.CATALOG_WRITE)
    values: dict[str, Any] = {"acknowledged_by": actor.name, "acknowledged_at": utcnow()}
    return _change(
        ctx, actor, finding_id, values, "acknowledged", (OPEN,), "acknowledged", note, if_match
    )


def accept(
    ctx: Context,
    actor: Principal,
    finding_id: int,
    justification: str,
    *,
    if_match: str | None = None,
) -> Finding:
    """Accept the risk of an open finding; the justification is required and kept."""
    text = (justification or "").strip()
    if len(text) < 10:
        raise InvalidInputError(
            "Accepting a finding needs a justification of at least 10 characters "
            "(why the risk is acceptable, and until when)",
            field="justification",
        )
    return _decide(ctx, actor, finding_id, ACCEPTED, (OPEN,), text, if_match)


def resolve(
    ctx: Context,
    actor: Principal,
    finding_id: int,
    note: str | None = None,
    *,
    if_match: str | None = None,
) -> Finding:
    """Mark a finding resolved by hand; the next evaluation reopens it if it still fails."""
    return _decide(ctx, actor, finding_id, RESOLVED, (OPEN, ACCEPTED), note, if_match)


def reopen(
    ctx: Context,
    actor: Principal,
    finding_id: int,
    note: str | None = None,
    *,
    if_match: str | None = None,
) -> Finding:
    return _decide(ctx, actor, finding_id, OPEN, (ACCEPTED, RESOLVED), note, if_match)


def open_finding_counts(ctx: Context) -> list[dict[str, Any]]:
    """Open findings by framework and severity, for metrics and analytics."""
    with ctx.db.read() as conn:
        return repo.open_counts(conn)


# --- reports --------------------------------------------------------------------------------


def report(
    ctx: Context, actor: Principal, framework_id: str, source: str | None = None
) -> ComplianceReport:
    """Coverage, open findings by severity and the evidence, for one framework."""
    actor.require(Permission.CATALOG_READ)
    fw = resolve_frameworks(ctx, [framework_id])[0]
    source_id = get_row(ctx, source)["id"] if source else None
    tables, _ = load_tables(ctx, source_id)
    with ctx.db.read() as conn:
        rows, _total = repo.list_findings(
            conn, repo.FindingFilter(framework=fw.id, source_id=source_id), 1_000_000, 0
        )
        history, _n = repo.evaluations(conn, 50, 0)
    live = {a.id for t in tables for a in (t, *t.columns)}
    rows = [r for r in rows if r["asset_id"] in live]
    open_rows = [r for r in rows if r["status"] == OPEN]
    requirements = []
    all_scoped: set[int] = set()
    for req in fw.requirements:
        scoped = {a.id for t in tables for a in checks.in_scope(req, t)}
        all_scoped |= scoped
        failing = {r["asset_id"] for r in open_rows if r["requirement_id"] == req.id}
        accepted = sum(1 for r in rows if r["requirement_id"] == req.id and r["status"] == ACCEPTED)
        requirements.append(
            {
                **req.to_dict(),
                "assets_in_scope": len(scoped),
                "open": len(failing & scoped),
                "accepted": accepted,
                "coverage": _share(len(scoped - failing), len(scoped)),
            }
        )
    failing_assets = {r["asset_id"] for r in open_rows} & all_scoped
    last = next((h for h in history if fw.id in (h["frameworks"] or [])), None)
    known = {fw.id: fw}
    return ComplianceReport(
        framework={k: v for k, v in fw.to_dict().items() if k != "requirements"},
        generated_at=utcnow(),
        source=source,
        last_evaluation={"id": last["id"], "finished_at": last["finished_at"]} if last else None,
        assets_in_scope=len(all_scoped),
        compliant_assets=len(all_scoped - failing_assets),
        coverage=_share(len(all_scoped - failing_assets), len(all_scoped)),
        open_by_severity={
            s: sum(r["severity"] == s for r in open_rows) for s in reversed(SEVERITIES)
        },
        status_counts={s: sum(r["status"] == s for r in rows) for s in STATUSES},
        requirements=tuple(requirements),
        findings=tuple(_public(r, known) for r in rows if r["status"] != RESOLVED),
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def render_report(
    ctx: Context, actor: Principal, framework_id: str, fmt: str, source: str | None = None
) -> tuple[str, str]:
    """The report as ``(media type, text)`` in ``json``, ``csv`` or ``html``."""
    _check_choice("format", fmt, FORMATS)
    return render(report(ctx, actor, framework_id, source), fmt)


def asset_findings(
    ctx: Context, actor: Principal, asset_id: int, status: str | None = None
) -> tuple[list[Finding], int]:
    """Findings on the asset and on its columns (the web UI asset page's compliance tab)."""
    return list_findings(
        ctx, actor, asset=str(asset_id), status=status, include_columns=True, limit=200
    )
