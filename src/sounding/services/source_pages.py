"""What the web UI's source pages read and do, as typed records (``domain/sources.py``).

The list is one page of sources with, for that page only, each one's newest scan and its
live asset counts: three indexed reads however many sources there are. Changes go through
the same services as the API (``sources.add`` / ``update`` / ``test_connection``,
``scan_workflows.start``), so they are checked, audited and refused alike.

Secrets are never shown back: a source's URL is shown redacted (every secret ``***``), and
an edit that leaves a ``***`` where the stored URL has a secret keeps that secret
(:func:`restore_masked`).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from sounding.domain.auth import Permission, Principal
from sounding.domain.credentials import MASK, is_secret_name
from sounding.domain.scans import ScanRun
from sounding.domain.sources import (
    AssetCounts,
    ChangedAsset,
    ConnectionTest,
    ScanChanges,
    ScanLine,
    ScanLive,
    SourceDetail,
    SourceLine,
    SourceListing,
    SourceTestResult,
    StageProgress,
)
from sounding.errors import InvalidInputError, NotFoundError, SourceError
from sounding.services import scan_workflows, scans, sources, workflows
from sounding.services.context import Context
from sounding.store.repos import scans as scan_repo
from sounding.store.repos import sources as repo

logger = logging.getLogger(__name__)

SORTS = tuple(repo.SORTS)
OBJECT_TYPES = ("table", "view", "dataset")
"""What the list counts per source: a source's columns are ten or a hundred times as many
rows to read, so only its page counts them."""


def _changes(report: dict[str, Any], objects_total: int) -> ScanChanges:
    def n(key: str) -> int:
        return int(report.get(key) or 0)

    return ScanChanges(
        objects=objects_total,
        created=n("created"),
        updated=n("updated"),
        schema_changed=n("schema_changed"),
        deleted=n("deleted"),
        restored=n("restored"),
        failures=n("failures_total"),
        warnings=n("warnings_total"),
    )


def scan_line(run: ScanRun) -> ScanLine:
    """A scan run as a line of the source pages."""
    return ScanLine(
        id=run.id,
        execution_id=run.execution_id,
        status=run.status,
        triggered_by=run.triggered_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        objects_total=run.objects_total,
        objects_done=run.objects_done,
        progress=run.progress,
        error=run.error,
        changes=_changes(run.report, run.objects_total),
    )


def _counts(by_type: dict[str, int], columns: bool = True) -> AssetCounts:
    return AssetCounts(
        tables=by_type.get("table", 0),
        views=by_type.get("view", 0),
        datasets=by_type.get("dataset", 0),
        columns=by_type.get("column", 0) if columns else None,
    )


def listing(
    ctx: Context,
    actor: Principal,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    kind: str | None = None,
    sort: str = "name",
    descending: bool = False,
) -> SourceListing:
    """One page of sources with their last scan, health and asset counts."""
    actor.require(Permission.SOURCE_READ)
    if sort not in repo.SORTS:
        raise InvalidInputError(f"Unknown sort {sort!r}; one of {', '.join(SORTS)}", field="sort")
    with ctx.db.read() as conn:
        rows, total = repo.list_page(
            conn, limit, offset, q=q, kind=kind, sort=sort, descending=descending
        )
        ids = [int(r["id"]) for r in rows]
        counts = repo.asset_counts(conn, ids, OBJECT_TYPES)  # columns: on the source's page
        latest = scan_repo.latest_by_source(conn, ids)
        kinds = repo.kinds(conn)
    lines = tuple(
        SourceLine(
            name=r["name"],
            kind=r["kind"],
            url=sources.public(r)["url"],
            description=r["description"],
            last_scan=scan_line(scans.public(latest[r["id"]])) if r["id"] in latest else None,
            counts=_counts(counts.get(int(r["id"]), {}), columns=False),
        )
        for r in rows
    )
    return SourceListing(lines, total, tuple(kinds))


def detail(ctx: Context, actor: Principal, name: str) -> SourceDetail:
    """One source with its counts and last scan; its URL redacted."""
    actor.require(Permission.SOURCE_READ)
    row = sources.get_row(ctx, name)
    shown = sources.public(row)
    with ctx.db.read() as conn:
        counts = repo.asset_counts(conn, [row["id"]]).get(row["id"], {})
        latest = scan_repo.latest_by_source(conn, [row["id"]]).get(row["id"])
    return SourceDetail(
        id=int(row["id"]),
        name=row["name"],
        kind=row["kind"],
        url=shown["url"],
        has_secret=MASK in shown["url"],
        include=row["include_pattern"],
        exclude=row["exclude_pattern"],
        options=dict(row["options"] or {}),
        description=row["description"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        revision=int(row["row_version"]),
        counts=_counts(counts),
        last_scan=scan_line(scans.public(latest)) if latest else None,
    )


def history(
    ctx: Context, actor: Principal, name: str, limit: int, offset: int
) -> tuple[list[ScanLine], int]:
    """The source's scans, newest first, with what each changed."""
    runs, total = scans.list_scans(ctx, actor, limit, offset, name)
    return [scan_line(r) for r in runs], total


def scan_of(ctx: Context, actor: Principal, name: str, scan_id: int) -> ScanLine:
    """One scan of this source (404 when the scan belongs to another one)."""
    run = scans.get_scan(ctx, actor, scan_id)
    if run.source != name:
        raise NotFoundError(f"Source '{name}' has no scan {scan_id}", scan_id=scan_id)
    return scan_line(run)


def live(ctx: Context, actor: Principal, name: str, scan_id: int) -> ScanLive:
    """A scan as it runs: each stage's progress (discovery's by objects, the later stages'
    by tasks), read from its scan run and its execution."""
    scan = scan_of(ctx, actor, name, scan_id)
    if scan.execution_id is None:
        return ScanLive(scan, (), None, None)
    execution = workflows.get_execution(ctx, actor, scan.execution_id)
    stages = []
    for step in execution.steps:
        done, total = step.tasks_done, step.tasks_total
        if step.id == "discover":  # one task: its objects say how far it is
            done, total = scan.objects_done, scan.objects_total
        stages.append(
            StageProgress(step.id, step.status, done, total, step.tasks_failed, step.eta_seconds)
        )
    return ScanLive(scan, tuple(stages), execution.status, execution.error)


def changed_assets(
    ctx: Context,
    actor: Principal,
    name: str,
    scan_id: int,
    limit: int,
    offset: int,
    event_type: str | None = None,
) -> tuple[list[ChangedAsset], int]:
    """What one scan added, changed, removed or restored, in order."""
    scan_of(ctx, actor, name, scan_id)
    with ctx.db.read() as conn:
        rows, total = scan_repo.changed_assets(conn, scan_id, limit, offset, event_type)
    return [
        ChangedAsset(
            event_id=int(r["id"]),
            event_type=str(r["event_type"]),
            asset_id=int(r["asset_id"]),
            type=str(r["type"]),
            qualified_name=str(r["qualified_name"]),
            deleted=r["deleted_at"] is not None,
            fields=tuple(sorted(r["diff"] or {})) if isinstance(r["diff"], dict) else (),
        )
        for r in rows
    ], total


def start_scan(
    ctx: Context,
    actor: Principal,
    name: str,
    *,
    profile: bool,
    classify: bool,
    lineage: bool,
    sample: str | None = None,
) -> ScanLine:
    """Start a scan the way ``POST /api/v1/sources/{name}/scans`` does: an execution of
    ``scan:NAME`` with the chosen stages."""
    options = scans.options_for(ctx, name, profile, classify, sample, lineage)
    return scan_line(scan_workflows.start_public(ctx, actor, name, options))


def _fact(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def _outcome(answer: SourceTestResult, message: str) -> ConnectionTest:
    facts = tuple((key, _fact(value)) for key, value in answer.facts.items())
    return ConnectionTest(ok=True, message=message, facts=facts, warnings=tuple(answer.warnings))


def test(ctx: Context, actor: Principal, name: str) -> ConnectionTest:
    """Connect to the source: what the connector reports, or its exact error (a source that
    cannot be reached is an answer here, not a failure of the request)."""
    actor.require(Permission.SOURCE_MANAGE)
    try:
        return _outcome(sources.test_connection(ctx, actor, name), f"Connected to '{name}'")
    except (SourceError, InvalidInputError) as exc:
        return ConnectionTest(ok=False, message=exc.message)


def test_form(
    ctx: Context,
    actor: Principal,
    url: str,
    options: dict[str, Any],
    editing: str | None = None,
) -> ConnectionTest:
    """Connect to what a form holds, before it is saved. Editing ``editing``, the URL shown
    redacted stands for the stored one (its ``***`` for the stored secrets)."""
    actor.require(Permission.SOURCE_MANAGE)
    try:
        if editing is not None:
            row = sources.get_row(ctx, editing)
            stored = ctx.secrets.decrypt(row["url_encrypted"])
            url = url.strip()
            url = stored if url == sources.public(row)["url"] else restore_masked(url, stored)
        config = sources.unsaved_config(ctx, url, options, name=editing or "new")
        with ctx.registry.open(config) as connector:
            facts = connector.test()
        return _outcome(
            sources.tested(editing or "new", facts),
            "Connected, with the URL and options on the form",
        )
    except (SourceError, InvalidInputError) as exc:
        return ConnectionTest(ok=False, message=exc.message)


def _masked(value: str | None) -> bool:
    return value is not None and unquote(value) == MASK


def restore_masked(url: str, original: str) -> str:
    """``url`` with each ``***`` standing where a secret goes (the user-info password, a
    secret query parameter) replaced by the secret ``original`` has there: an edit form shows
    the redacted URL, and saving it unchanged, or with only the host or database changed,
    keeps the secrets. A ``***`` with no stored secret to stand for is refused."""
    if MASK not in unquote(url):
        return url
    parts, before = urlsplit(url), urlsplit(original)
    netloc = parts.netloc
    if _masked(parts.password):
        if not before.password:
            raise InvalidInputError(
                "The URL has *** for a password, but the source has none stored; type it",
                field="url",
            )
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:{before.password}@{host}"
    stored = dict(p.split("=", 1) for p in before.query.split("&") if "=" in p)
    query = []
    for pair in parts.query.split("&") if parts.query else []:
        key, eq, value = pair.partition("=")
        if eq and is_secret_name(unquote(key)) and _masked(value):
            if key not in stored:
                raise InvalidInputError(
                    f"The URL has *** for {unquote(key)!r}, but the source has none stored; "
                    "type it",
                    field="url",
                )
            value = stored[key]
        query.append(f"{key}{eq}{value}")
    return urlunsplit((parts.scheme, netloc, parts.path, "&".join(query), parts.fragment))


def update(
    ctx: Context,
    actor: Principal,
    name: str,
    *,
    url: str,
    include: str | None,
    exclude: str | None,
    options: dict[str, Any],
    description: str | None,
    if_match: str | None,
) -> SourceDetail:
    """Save the edit form: a URL shown redacted and left so keeps its secrets; the rest as
    typed (empty patterns and description clear them)."""
    actor.require(Permission.SOURCE_MANAGE)
    row = sources.get_row(ctx, name)
    changes: dict[str, Any] = {
        "include": include,
        "exclude": exclude,
        "options": options,
        "description": description,
    }
    url = url.strip()
    if not url:
        raise InvalidInputError("The source URL is empty", field="url")
    if url != sources.public(row)["url"]:
        changes["url"] = restore_masked(url, ctx.secrets.decrypt(row["url_encrypted"]))
    sources.update(ctx, actor, name, changes, if_match=if_match)
    return detail(ctx, actor, name)
