"""``/sources``: the sources with their last scan, health and asset counts; adding and editing
one with a form per connector kind; testing its connection; scanning it now and watching the
scan live; its scan history with what each scan changed.

Admins (``source:manage``) add, edit and test; stewards and admins (``scan:run``) scan;
everyone who reads sources sees all of it without those controls. A bad URL is refused by
the connector before anything is saved, and its exact error is shown on the form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sounding.domain.dialects import registered_dialects, url_examples
from sounding.domain.sources import ConnectionTest, SourceDetail
from sounding.errors import (
    ConflictError,
    InvalidInputError,
    PreconditionFailedError,
    SoundingError,
)
from sounding.features.accounts.web_sessions import WebSession
from sounding.services import source_pages, sources, versions
from sounding.services.context import Context
from sounding.services.secrets import redact_url
from sounding.ui.deps import CtxDep, UiManager, UiRunner, UiSourceReader
from sounding.ui.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
HISTORY_SIZE = 20
CHANGES_SIZE = 100
MAX_PAGE = 10_000
MAX_CONCURRENT = 1000
TEXT_MAX = 2000
URL_MAX = 4000
EVENT_TYPES = ("created", "updated", "schema_changed", "deleted", "restored")
NEW = "/sources/_new"  # "_new" can never be a source's name (names start with a letter or digit)


@dataclass(frozen=True, slots=True)
class KindForm:
    """What the form of one connector kind asks for and suggests."""

    kind: str
    label: str
    examples: tuple[str, ...]
    hint: str
    server: bool = False  # a server to connect to: a connect timeout applies


def _sql_form() -> KindForm:
    """The SQL connector's form: its backends and example URLs from the dialect registry (a
    backend registered later, a plugin's too, is listed)."""
    backends = [d for d in registered_dialects() if d.connector]
    return KindForm(
        "sql",
        f"SQL database ({', '.join(d.title for d in backends)})",
        tuple(url_examples(sql_connector=True)),
        "A SQLite file must exist (it is opened read-only). A server's password may be in "
        "the URL: it is stored encrypted and never shown again.",
        server=True,
    )


KIND_FORMS: dict[str, KindForm] = {
    "duckdb": KindForm(
        "duckdb",
        "DuckDB file",
        ("duckdb:////absolute/path/warehouse.duckdb",),
        "Opened read-only and locked down to the file's own directory.",
    ),
    "files": KindForm(
        "files",
        "Folder of files (CSV, TSV, Parquet, JSON)",
        ("file:///absolute/path/exports",),
        "Every CSV, TSV, Parquet, JSON and NDJSON file under the folder is a dataset.",
    ),
}


def kind_form(kind: str) -> KindForm:
    """The form of a kind; a plugin's kind gets the generic one."""
    if kind == "sql":
        return _sql_form()
    return KIND_FORMS.get(kind) or KindForm(kind, kind, (), "A URL this plugin accepts.")


def kinds(ctx: Context) -> list[KindForm]:
    return [kind_form(k) for k in ctx.registry.kinds]


@dataclass
class SourceFormData:
    """The form's fields as typed (strings), and the errors found, by field."""

    name: str = ""
    url: str = ""
    include: str = ""
    exclude: str = ""
    description: str = ""
    sample: str = ""
    profile: bool = False
    classify: bool = False
    max_concurrent: str = ""
    statement_timeout: str = ""
    connect_timeout: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    secret_dropped: bool = False  # the URL typed had a secret, not shown back: retype it

    @classmethod
    def of(cls, detail: SourceDetail) -> SourceFormData:
        options = detail.options

        def text(key: str) -> str:
            value = options.get(key)
            return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

        return cls(
            name=detail.name,
            url=detail.url,
            include=detail.include or "",
            exclude=detail.exclude or "",
            description=detail.description or "",
            sample=text("sample"),
            profile=bool(options.get("profile")),
            classify=bool(options.get("classify")),
            max_concurrent=text("max_concurrent"),
            statement_timeout=text("statement_timeout"),
            connect_timeout=text("connect_timeout"),
        )

    def options(self) -> dict[str, Any]:
        """The source options the form sets (empty fields are left out); a number that does
        not parse is an error on its field."""
        options: dict[str, Any] = {}
        if self.profile:
            options["profile"] = True
        if self.classify:
            options["classify"] = True
        if self.sample.strip():
            options["sample"] = self.sample.strip()
        if self.max_concurrent.strip():
            try:
                value = int(self.max_concurrent.strip())
            except ValueError:
                value = 0
            if not 1 <= value <= MAX_CONCURRENT:
                self.errors["max_concurrent"] = (
                    f"A whole number of tasks from 1 to {MAX_CONCURRENT}"
                )
            options["max_concurrent"] = value
        for key in ("statement_timeout", "connect_timeout"):
            typed = getattr(self, key).strip()
            if not typed:
                continue
            try:
                seconds = float(typed)
            except ValueError:
                seconds = math.nan
            if not math.isfinite(seconds):
                self.errors[key] = "A number of seconds, e.g. 30 or 2.5"
            options[key] = seconds
        return options


def _field_of(exc: SoundingError) -> str:
    """The form field an error concerns (the URL when it names one)."""
    name = str(exc.details.get("field") or "")
    name = name.removeprefix("options.")
    if name in ("name", "url", "include", "exclude", "sample", "description"):
        return name
    if name in ("max_concurrent", "statement_timeout", "connect_timeout", "profile", "classify"):
        return name
    if isinstance(exc, PreconditionFailedError):
        return "form"
    if isinstance(exc, ConflictError) and "source" in exc.details:
        return "name"
    return "url" if "url" in exc.details or not name else "form"


def _form_page(
    request: Request,
    ctx: Context,
    web: WebSession,
    form: SourceFormData,
    kind: KindForm,
    *,
    editing: SourceDetail | None = None,
    status_code: int = 200,
) -> Response:
    shown = redact_url(form.url)  # a secret typed in is never sent back, even on an error
    form.secret_dropped = shown != form.url
    form.url = shown
    values = {
        "form": form,
        "kind": kind,
        "kinds": kinds(ctx),
        "editing": editing,
        "max_concurrent": MAX_CONCURRENT,
        "text_max": TEXT_MAX,
        "url_max": URL_MAX,
    }
    return render(request, "sources/form.html", values, web=web, status_code=status_code)


def _status_of(exc: SoundingError) -> int:
    if isinstance(exc, PreconditionFailedError):
        return 412
    return 409 if isinstance(exc, ConflictError) else 422


@router.get("/sources")
def list_page(
    request: Request,
    ctx: CtxDep,
    web: UiSourceReader,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=50)] = "",
    sort: str = "name",
    order: str = "asc",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    if order not in ("asc", "desc"):
        raise InvalidInputError("order is asc or desc", field="order")
    found = source_pages.listing(
        ctx,
        web.principal,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        q=q.strip() or None,
        kind=kind or None,
        sort=sort,
        descending=order == "desc",
    )
    values = {
        "listing": found,
        "q": q,
        "kind": kind,
        "sort": sort,
        "order": order,
        "page": page,
        "pages": max(1, -(-found.total // PAGE_SIZE)),
        "sorts": (("name", "Name"), ("kind", "Kind"), ("last_scan", "Last scan")),
    }
    return render(request, "sources/list.html", values, web=web)


@router.get(NEW)
def new_form(
    request: Request,
    ctx: CtxDep,
    web: UiManager,
    kind: Annotated[str, Query(max_length=50)] = "",
) -> Response:
    known = ctx.registry.kinds
    if not kind:
        return render(request, "sources/kinds.html", {"kinds": kinds(ctx)}, web=web)
    if kind not in known:
        raise InvalidInputError(
            f"Unknown connector kind {kind!r}; one of {', '.join(known)}", field="kind"
        )
    return _form_page(request, ctx, web, SourceFormData(), kind_form(kind))


@router.post(NEW)
def create(
    request: Request,
    ctx: CtxDep,
    web: UiManager,
    kind: Annotated[str, Form(max_length=50)],
    name: Annotated[str, Form(max_length=200)] = "",
    url: Annotated[str, Form(max_length=URL_MAX)] = "",
    include: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    exclude: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    description: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    sample: Annotated[str, Form(max_length=50)] = "",
    profile: Annotated[bool, Form()] = False,
    classify: Annotated[bool, Form()] = False,
    max_concurrent: Annotated[str, Form(max_length=20)] = "",
    statement_timeout: Annotated[str, Form(max_length=20)] = "",
    connect_timeout: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add a source; anything wrong re-renders the form with the error at its field (the
    connector's own words for a bad URL) and nothing is saved."""
    if kind not in ctx.registry.kinds:
        raise InvalidInputError(f"Unknown connector kind {kind!r}", field="kind")
    form = SourceFormData(
        name.strip(), url.strip(), include, exclude, description, sample, profile, classify,
        max_concurrent, statement_timeout, connect_timeout,
    )  # fmt: skip
    options = form.options()
    if not form.errors:
        try:
            factory = ctx.registry.factory_for(form.url) if form.url else None
            if factory is not None and factory.kind != kind:
                raise InvalidInputError(
                    f"This is a URL of the '{factory.kind}' connector, not '{kind}': "
                    f"use the {kind_form(factory.kind).label} form",
                    field="url",
                )
            sources.add(
                ctx, web.principal, form.name, form.url, include.strip() or None,
                exclude.strip() or None, options, description.strip() or None,
            )  # fmt: skip
        except SoundingError as exc:
            form.errors[_field_of(exc)] = exc.message
            status = _status_of(exc)
        else:
            return RedirectResponse(f"/sources/{form.name}?added=1", status_code=303)
    else:
        status = 422
    return _form_page(request, ctx, web, form, kind_form(kind), status_code=status)


@router.post("/sources/_test")
def test_new(
    request: Request,
    ctx: CtxDep,
    web: UiManager,
    url: Annotated[str, Form(max_length=URL_MAX)] = "",
    max_concurrent: Annotated[str, Form(max_length=20)] = "",
    statement_timeout: Annotated[str, Form(max_length=20)] = "",
    connect_timeout: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Test what the add form holds, before saving it (an htmx fragment)."""
    return _test_form(request, ctx, web, None, url, max_concurrent, statement_timeout,
                      connect_timeout)  # fmt: skip


@router.post("/sources/{name}/test-form")
def test_edited(
    request: Request,
    ctx: CtxDep,
    web: UiManager,
    name: str,
    url: Annotated[str, Form(max_length=URL_MAX)] = "",
    max_concurrent: Annotated[str, Form(max_length=20)] = "",
    statement_timeout: Annotated[str, Form(max_length=20)] = "",
    connect_timeout: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Test what the edit form holds (its ``***`` stand for the stored secrets)."""
    return _test_form(request, ctx, web, name, url, max_concurrent, statement_timeout,
                      connect_timeout)  # fmt: skip


def _test_form(
    request: Request,
    ctx: Context,
    web: WebSession,
    editing: str | None,
    url: str,
    *numbers: str,
) -> Response:
    form = SourceFormData(url=url.strip())
    form.max_concurrent, form.statement_timeout, form.connect_timeout = numbers
    options = form.options()
    if form.errors:
        outcome = ConnectionTest(ok=False, message="; ".join(form.errors.values()))
    else:
        outcome = source_pages.test_form(ctx, web.principal, form.url, options, editing)
    return render(request, "sources/_test.html", {"test": outcome}, web=web)


@router.get("/sources/{name}")
def source_page(
    request: Request,
    ctx: CtxDep,
    web: UiSourceReader,
    name: str,
    scan: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    added: bool = False,
    saved: bool = False,
) -> Response:
    who = web.principal
    detail = source_pages.detail(ctx, who, name)
    runs, total = source_pages.history(ctx, who, name, HISTORY_SIZE, (page - 1) * HISTORY_SIZE)
    watched = None
    if scan is not None:
        watched = source_pages.live(ctx, who, name, scan)
    elif detail.last_scan is not None and detail.last_scan.active:
        watched = source_pages.live(ctx, who, name, detail.last_scan.id)
    values = {
        "name": name,
        "source": detail,
        "kind": kind_form(detail.kind),
        "runs": runs,
        "runs_total": total,
        "page": page,
        "pages": max(1, -(-total // HISTORY_SIZE)),
        "watched": watched,
        "added": added,
        "saved": saved,
    }
    return render(request, "sources/page.html", values, web=web)


@router.get("/sources/{name}/edit")
def edit_form(request: Request, ctx: CtxDep, web: UiManager, name: str) -> Response:
    detail = source_pages.detail(ctx, web.principal, name)
    form = SourceFormData.of(detail)
    return _form_page(request, ctx, web, form, kind_form(detail.kind), editing=detail)


@router.post("/sources/{name}/edit")
def save_edit(
    request: Request,
    ctx: CtxDep,
    web: UiManager,
    name: str,
    revision: Annotated[int, Form(ge=0, le=2**62)],
    url: Annotated[str, Form(max_length=URL_MAX)] = "",
    include: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    exclude: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    description: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    sample: Annotated[str, Form(max_length=50)] = "",
    profile: Annotated[bool, Form()] = False,
    classify: Annotated[bool, Form()] = False,
    max_concurrent: Annotated[str, Form(max_length=20)] = "",
    statement_timeout: Annotated[str, Form(max_length=20)] = "",
    connect_timeout: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Save the edit form. The URL is shown redacted: left as shown (or with only its host
    or database changed) it keeps its password; the revision the admin saw guards against
    overwriting someone else's change (412)."""
    detail = source_pages.detail(ctx, web.principal, name)
    form = SourceFormData(
        name, url.strip(), include, exclude, description, sample, profile, classify,
        max_concurrent, statement_timeout, connect_timeout,
    )  # fmt: skip
    options = form.options()
    status = 422
    if not form.errors:
        try:
            source_pages.update(
                ctx, web.principal, name, url=form.url, include=include.strip() or None,
                exclude=exclude.strip() or None, options=options,
                description=description.strip() or None,
                if_match=versions.etag(detail.id, revision),
            )  # fmt: skip
        except SoundingError as exc:
            form.errors[_field_of(exc)] = exc.message
            status = _status_of(exc)
        else:
            return RedirectResponse(f"/sources/{name}?saved=1", status_code=303)
    return _form_page(
        request, ctx, web, form, kind_form(detail.kind), editing=detail, status_code=status
    )


@router.post("/sources/{name}/test")
def test_connection(request: Request, ctx: CtxDep, web: UiManager, name: str) -> Response:
    """Connect now; the answer (the connector's facts, or its exact error) is a fragment."""
    outcome = source_pages.test(ctx, web.principal, name)
    return render(request, "sources/_test.html", {"test": outcome, "name": name}, web=web)


@router.post("/sources/{name}/scans")
def scan_now(
    request: Request,
    ctx: CtxDep,
    web: UiRunner,
    name: str,
    profile: Annotated[bool, Form()] = False,
    classify: Annotated[bool, Form()] = False,
    lineage: Annotated[bool, Form()] = False,
) -> Response:
    """Start a scan as ``POST /api/v1/sources/{name}/scans`` does, then watch it."""
    started = source_pages.start_scan(
        ctx, web.principal, name, profile=profile, classify=classify, lineage=lineage
    )
    return RedirectResponse(f"/sources/{name}?scan={started.id}#live", status_code=303)


@router.get("/sources/{name}/scans/{scan_id}/live")
def live_fragment(
    request: Request,
    ctx: CtxDep,
    web: UiSourceReader,
    name: str,
    scan_id: int,
    alone: bool = False,
) -> Response:
    """The scan's progress; while it runs the fragment asks for itself again every second.
    On the source's page (not ``alone``) it also refreshes the catalog counts, and once the
    scan ends the health, the Scan now button and the history."""
    if not 1 <= scan_id <= 2**62:
        raise InvalidInputError("A scan id is a positive integer", field="scan_id")
    who = web.principal
    watched = source_pages.live(ctx, who, name, scan_id)
    values: dict[str, Any] = {"watched": watched, "name": name, "on_scan_page": alone}
    if not alone:
        values.update(source=source_pages.detail(ctx, who, name), oob=True)
    if not alone and not watched.scan.active:
        runs, total = source_pages.history(ctx, who, name, HISTORY_SIZE, 0)
        values.update(
            runs=runs, runs_total=total, page=1, pages=max(1, -(-total // HISTORY_SIZE)),
            finished=True,
        )  # fmt: skip
    return render(request, "sources/_live.html", values, web=web)


@router.get("/sources/{name}/scans/{scan_id}")
def scan_page(
    request: Request,
    ctx: CtxDep,
    web: UiSourceReader,
    name: str,
    scan_id: int,
    event: Annotated[str, Query(max_length=30)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """One scan: its figures and the assets it added, changed and removed."""
    if not 1 <= scan_id <= 2**62:
        raise InvalidInputError("A scan id is a positive integer", field="scan_id")
    if event and event not in EVENT_TYPES:
        raise InvalidInputError(
            f"Unknown change {event!r}; one of {', '.join(EVENT_TYPES)}", field="event"
        )
    who = web.principal
    watched = source_pages.live(ctx, who, name, scan_id)
    changed, total = source_pages.changed_assets(
        ctx, who, name, scan_id, CHANGES_SIZE, (page - 1) * CHANGES_SIZE, event or None
    )
    values = {
        "name": name,
        "watched": watched,
        "changed": changed,
        "total": total,
        "event": event,
        "event_types": EVENT_TYPES,
        "on_scan_page": True,
        "page": page,
        "pages": max(1, -(-total // CHANGES_SIZE)),
    }
    return render(request, "sources/scan.html", values, web=web)
