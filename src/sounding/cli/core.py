"""``sounding serve`` and ``sounding demo``."""

from __future__ import annotations

import secrets
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sounding.cli import heap, malloc, server_logs
from sounding.cli.output import say
from sounding.cli.state import open_context, settings

SHUTDOWN_GRACE = 5  # seconds open connections get after SIGTERM before the server stops
if TYPE_CHECKING:
    from sounding.services.context import Context

HostOpt = Annotated[
    str | None, typer.Option(help="Address to listen on [default: SOUNDING_HOST or 127.0.0.1]")
]
PortOpt = Annotated[
    int | None,
    typer.Option(help="Port to listen on [default: SOUNDING_PORT or 8585]", min=1, max=65535),
]


def _serve(ctx: Context, host: str, port: int) -> None:
    import uvicorn  # the web stack loads only for the commands that serve

    # imported here, not at the top: ``serve`` pauses garbage collection before the API's
    # ~400,000 objects are made (cli/heap.py)
    from sounding.api.app import create_app

    say(
        f"Sounding is serving on [bold]http://{host}:{port}[/bold] "
        f"(API docs: http://{host}:{port}/docs). Press Ctrl+C to stop."
    )
    uvicorn.run(
        # once started, what the server holds for its life is left out of garbage collection
        create_app(ctx.settings, ctx=ctx, after_start=heap.freeze_after_start),
        host=host,
        port=port,
        log_level="warning",
        # SIGTERM stops promptly: open event streams and slow requests get this long
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
        log_config=server_logs.log_config(),
    )


def _say_token(ctx: Context, token: str | None) -> None:
    if token:
        say(f"Created user [bold]admin[/bold]. Its API token (shown once): {token}")
        say(
            "To use the web UI, give admin a password: "
            "[bold]sounding user set-password admin --password-stdin[/bold]"
        )
    else:
        say(
            "This store already has users, so no token was printed. An admin gets one with "
            "`sounding token create USER` (same SOUNDING_HOME / SOUNDING_DATABASE_URL); "
            "`sounding user list` shows the users."
        )


def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    executor: Annotated[
        str | None,
        typer.Option(help="Where workflow tasks run: local or dask (default: SOUNDING_EXECUTOR)"),
    ] = None,
    dask_scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address, tcp://host:8786 (default: SOUNDING_DASK_SCHEDULER; "
            "none starts a local cluster)"
        ),
    ] = None,
) -> None:
    """Serve the REST API on the store in SOUNDING_DATABASE_URL (default: SOUNDING_HOME)."""
    malloc.tune()  # before any thread starts: see cli/malloc.py (issue 20)
    heap.pause_during_start()  # until the app has started: see cli/heap.py (issue 20)
    from sounding.features.accounts import service as accounts
    from sounding.services import backup as backups
    from sounding.services import executors

    with heap.collecting():  # data migrations make garbage in proportion to the store
        applied = backups.upgrade_store(settings())
    if "0001" in applied:  # a new store: its whole schema, not a list of every migration
        say(f"Created the store's schema ({len(applied)} migrations)")
    elif applied:
        say(f"Applied migrations: {', '.join(applied)}")
    with open_context() as ctx:
        ctx.settings = executors.with_executor(ctx.settings, executor, dask_scheduler)
        if ctx.settings.executor == "dask":
            where = ctx.settings.dask_scheduler or "a local cluster started for this server"
            say(f"Workflow tasks run on Dask: {where}")
        _say_token(ctx, accounts.ensure_admin(ctx))
        _serve(ctx, host or ctx.settings.host, port or ctx.settings.port)


def demo(
    home: Annotated[Path, typer.Option(help="Where the demo store and data live")] = Path(
        ".sounding-demo"
    ),
    serve_: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after building")] = True,
    host: HostOpt = None,
    port: PortOpt = None,
) -> None:
    """Build the demo workspace (warehouse + files), scan it, and serve it."""
    malloc.tune()  # it serves too: see cli/malloc.py (issue 20)
    from sounding.cli.demo import (
        assign_demo_owners,
        evaluate_demo_compliance,
        load_demo_glossary,
        prepare_demo,
        run_demo_quality,
    )
    from sounding.cli.sources_cmd import print_scan_summary, run_scan_with_progress
    from sounding.domain.auth import local_operator
    from sounding.features.accounts import service as accounts
    from sounding.features.accounts import web_sessions

    with open_context(home) as ctx:
        host, port = host or ctx.settings.host, port or ctx.settings.port
        operator = local_operator()
        say(f"Building demo data in {ctx.settings.home / 'data'} ...")
        names = prepare_demo(ctx, operator, ctx.settings.home / "data")
        for name in names:
            print_scan_summary(run_scan_with_progress(ctx, name))
        owned = assign_demo_owners(ctx, operator)
        say(
            f"Assigned owners to {owned} warehouse tables and views (one left ownerless on purpose)"
        )
        checked = evaluate_demo_compliance(ctx, operator)
        say(
            f"Compliance: {checked.open_total} open findings on {checked.assets_in_scope} "
            "assets in scope (see `sounding compliance findings`)"
        )
        run = run_demo_quality(ctx, operator)
        say(
            f"Quality: {run.rules_failed} of {run.rules_total} rules failing on the "
            "warehouse (see `sounding quality scores --source warehouse`)"
        )
        terms = load_demo_glossary(ctx, operator)
        say(
            f"Glossary: {terms['imported'].terms} terms, "
            f"{terms['suggestions'].suggested} suggested links "
            "(see `sounding glossary suggest`)"
        )
        token = (
            accounts.ensure_admin(ctx)
            or accounts.create_token(ctx, operator, "admin", "demo").token
        )
        # a fresh password each run: the demo's login is printed, never a fixed default
        password = secrets.token_urlsafe(9)
        web_sessions.set_password(ctx, operator, "admin", password)
        say(f"Admin API token: [bold]{token}[/bold]")
        say(
            f"Try: curl -H 'Authorization: Bearer {token}' "
            f"http://{host}:{port}/api/v1/assets?type=view"
        )
        say(
            "To use this store from the CLI in another terminal, run: "
            f"[bold]export SOUNDING_HOME={shlex.quote(str(ctx.settings.home))}[/bold]"
        )
        if serve_:
            say(
                f"Open [bold]http://{host}:{port}/[/bold] and log in as "
                f"[bold]admin[/bold] with password [bold]{password}[/bold]"
            )
            _serve(ctx, host, port)
        else:
            say(f"Web UI login: admin / {password}")
