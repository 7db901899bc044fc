"""``sounding source ...`` and ``sounding scan``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sounding.cli.output import (
    EXIT_FAILURE,
    err_console,
    fail,
    print_json,
    print_table,
    say,
)
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.domain.orchestration import EventKind, RunEvent
from sounding.domain.scans import ScanOptions, ScanSummary
from sounding.services import scan_workflows, scans, sources, workflows
from sounding.services.context import Context

app = typer.Typer(help="Register and manage data sources.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]
MaxConcurrentOpt = Annotated[
    int | None,
    typer.Option(min=1, help="At most this many workflow tasks on the source at once"),
]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Unique source name")],
    url: Annotated[str, typer.Argument(help="sqlite:///f.db, postgresql://u@h/db, file:///dir")],
    include: Annotated[str | None, typer.Option(help="Regex of qualified names to scan")] = None,
    exclude: Annotated[str | None, typer.Option(help="Regex of qualified names to skip")] = None,
    profile: Annotated[bool, typer.Option(help="Profile on every scan by default")] = False,
    classify: Annotated[bool, typer.Option(help="Classify on every scan by default")] = False,
    sample: Annotated[str | None, typer.Option(help="Default profiling sample")] = None,
    statement_timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds a statement may take (default SOUNDING_SOURCE_STATEMENT_TIMEOUT)"
        ),
    ] = None,
    connect_timeout: Annotated[
        float | None, typer.Option(help="Seconds connecting may take (default 5)")
    ] = None,
    max_concurrent: MaxConcurrentOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Register a data source (its URL is encrypted at rest and shown redacted; a local file
    or folder is stored by its absolute path and must exist)."""
    options: dict[str, Any] = {}
    if profile:
        options["profile"] = True
    if classify:
        options["classify"] = True
    if sample:
        options["sample"] = sample
    if statement_timeout is not None:
        options["statement_timeout"] = statement_timeout
    if connect_timeout is not None:
        options["connect_timeout"] = connect_timeout
    if max_concurrent is not None:
        options["max_concurrent"] = max_concurrent
    with open_context() as ctx:
        src = sources.add(ctx, local_operator(), name, url, include, exclude, options)
    if json_:
        print_json(src)
    else:
        say(f"Added source [bold]{src['name']}[/bold] ({src['kind']}): {src['url']}")
        warn_all(src.get("warnings", []))


@app.command("update")
def update(
    name: Annotated[str, typer.Argument(help="The source to change")],
    url: Annotated[str | None, typer.Option(help="A new URL (local paths made absolute)")] = None,
    include: Annotated[
        str | None, typer.Option(help="Regex of qualified names to scan ('' clears it)")
    ] = None,
    exclude: Annotated[
        str | None, typer.Option(help="Regex of qualified names to skip ('' clears it)")
    ] = None,
    profile: Annotated[
        bool | None, typer.Option("--profile/--no-profile", help="Profile on every scan")
    ] = None,
    classify: Annotated[
        bool | None, typer.Option("--classify/--no-classify", help="Classify on every scan")
    ] = None,
    sample: Annotated[str | None, typer.Option(help="Default profiling sample")] = None,
    max_concurrent: MaxConcurrentOpt = None,
    description: Annotated[str | None, typer.Option(help="Free text")] = None,
    json_: JsonOpt = False,
) -> None:
    """Change a source in place: only the options given change."""
    changes: dict[str, Any] = {}
    for key, value in (
        ("url", url),
        ("include", include),
        ("exclude", exclude),
        ("description", description),
    ):
        if value is not None:
            changes[key] = value
    option_changes = {
        k: v
        for k, v in (
            ("profile", profile),
            ("classify", classify),
            ("sample", sample),
            ("max_concurrent", max_concurrent),
        )
        if v is not None
    }
    if not changes and not option_changes:
        fail("Nothing to change: give --url, --include, --exclude or another option", 2)
    with open_context() as ctx:
        if option_changes:
            current = sources.get(ctx, local_operator(), name)["options"]
            changes["options"] = {**current, **option_changes}
        src = sources.update(ctx, local_operator(), name, changes)
    if json_:
        print_json(src)
    else:
        say(f"Updated source [bold]{src['name']}[/bold] ({src['kind']}): {src['url']}")


@app.command("list")
def list_(json_: JsonOpt = False) -> None:
    """List data sources."""
    with open_context() as ctx:
        items, total = sources.list_sources(ctx, local_operator(), 1000, 0)
    if json_:
        print_json({"items": items, "total": total})
    else:
        print_table(items, ["name", "kind", "url", "include", "exclude", "last_scan_at"])


@app.command("test")
def test(name: str, json_: JsonOpt = False) -> None:
    """Connect to a source and report what it is."""
    with open_context() as ctx:
        tested = sources.test_connection(ctx, local_operator(), name)
    if json_:
        print_json(tested.public())
    else:
        details = ", ".join(f"{k}={v}" for k, v in tested.facts.items())
        say(f"[green]ok[/green] {name}: {details}")
        warn_all(tested.warnings)


def warn_all(warnings: list[str]) -> None:
    for text in warnings:
        say(f"[yellow]warning[/yellow]: {escape(text)}")


@app.command("remove")
def remove(name: str) -> None:
    """Remove a source and everything cataloged from it."""
    with open_context() as ctx:
        sources.remove(ctx, local_operator(), name)
    say(f"Removed source {name}")


def run_scan_with_progress(
    ctx: Context, name: str, quiet: bool = False, options: ScanOptions | None = None
) -> ScanSummary:
    """Scan as a workflow run (``scan:NAME``) with a live progress bar per stage (objects
    done / total) on stderr; returns the summary (``scan_workflows.summary``)."""
    actor = local_operator()
    sources.get(ctx, actor, name)  # a missing source fails before any bar is drawn
    options = options or scans.options_for(ctx, name)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=False,
    ) as bar:
        bars: dict[str, Any] = {}
        lock = threading.Lock()

        def progress(stage: str, done: int, total: int | None) -> None:
            with lock:
                if stage not in bars:
                    bars[stage] = bar.add_task(f"{stage} {name}", total=None)
                bar.update(bars[stage], completed=done, total=total)

        def on_event(event: RunEvent) -> None:  # engine thread
            if event.kind is EventKind.PROGRESS and event.step_id != "discover":
                d = event.data
                progress(str(event.step_id), d["done"] + d["failed"],
                         d["total"] if d["total_known"] else None)  # fmt: skip

        progress("discover", 0, None)  # the first bar, before any event
        started = scan_workflows.start(ctx, actor, name, options, on_event)
        try:
            _follow(ctx, started.execution_id, started.scan_id, progress)
        finally:
            started.unsubscribe()
    return scan_workflows.summary(ctx, actor, started.execution_id, options)


def _follow(
    ctx: Context,
    execution_id: str,
    scan_id: int,
    progress: Callable[[str, int, int | None], None],
) -> None:
    """Wait for the execution; meanwhile show discovery's objects from its scan run."""
    while True:
        run = scans.get_scan(ctx, local_operator(), scan_id)
        if run.objects_total:
            progress("discover", run.objects_done, run.objects_total)
        try:
            workflows.wait(ctx, execution_id, timeout=0.2)
            return
        except TimeoutError:
            continue


def print_scan_summary(run: ScanSummary) -> None:
    rep = run.report
    via = f" (execution {run.execution.id[:8]})"
    say(
        f"Scan {run.id} of [bold]{run.source}[/bold]{via}: {run.status} — "
        f"{rep.get('objects_done', 0)} objects ({rep.get('objects_skipped_unchanged', 0)} "
        f"unchanged), created {rep.get('created', 0)}, updated {rep.get('updated', 0)}, "
        f"schema changes {rep.get('schema_changed', 0)}, deleted {rep.get('deleted', 0)}, "
        f"restored {rep.get('restored', 0)}, failures {rep.get('failures_total', 0)}"
    )
    stages = rep.get("stages", {})
    if "profile" in stages:
        p = stages["profile"]
        policy = p["policy"]
        how = policy["kind"] if policy["value"] is None else f"{policy['kind']} {policy['value']}"
        say(f"  profiled {p['profiled']} of {p['objects']} objects (sample: {how})")
    if "classify" in stages:
        c = stages["classify"]
        say(
            f"  classified {c['classified']} objects ({c['skipped_unchanged']} unchanged), "
            f"{c['labels']} labels"
        )
    for warning in rep.get("warnings", [])[:10]:
        say(f"  [yellow]warning[/yellow] {warning['target']}: {warning['message']}")
    for failure in rep.get("failures", [])[:10]:
        say(f"  [yellow]failed[/yellow] {failure['target']}: {failure['error']}")


def scan(
    name: Annotated[str, typer.Argument(help="Source to scan")],
    profile: Annotated[
        bool | None, typer.Option("--profile/--no-profile", help="Profile after discovery")
    ] = None,
    classify: Annotated[
        bool | None, typer.Option("--classify/--no-classify", help="Classify after discovery")
    ] = None,
    sample: Annotated[
        str | None, typer.Option(help="Profiling sample: full, 10% or a row cap (100000)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Scan a source: discovery, then profiling and classification when asked (or when the
    source's options make them its default)."""
    with open_context() as ctx:
        options = scans.options_for(ctx, name, profile, classify, sample)
        run = run_scan_with_progress(ctx, name, quiet=json_, options=options)
    if json_:
        print_json(run)
    elif run.id is not None:
        print_scan_summary(run)
    if run.error:
        fail(f"Scan of '{name}' {run.status}: {run.error}", EXIT_FAILURE)
