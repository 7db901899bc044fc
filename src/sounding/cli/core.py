"""``sounding serve`` and ``sounding demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from sounding.api.app import create_app
from sounding.cli import server_logs
from sounding.cli.output import errors_to_exit, say
from sounding.cli.sources_cmd import print_scan_summary, run_scan_with_progress
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.services import accounts, executors
from sounding.services.context import Context
from sounding.services.demo import (
    assign_demo_owners,
    evaluate_demo_compliance,
    load_demo_glossary,
    prepare_demo,
    run_demo_quality,
)

HostOpt = Annotated[str, typer.Option(help="Address to listen on")]
PortOpt = Annotated[int, typer.Option(help="Port to listen on", min=1, max=65535)]


def _serve(ctx: Context, host: str, port: int) -> None:
    say(
        f"Sounding is serving on [bold]http://{host}:{port}[/bold] "
        f"(API docs: http://{host}:{port}/docs). Press Ctrl+C to stop."
    )
    uvicorn.run(
        create_app(ctx.settings, ctx=ctx),
        host=host,
        port=port,
        log_level="warning",
        log_config=server_logs.log_config(),
    )


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8585,
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
    with errors_to_exit(), open_context() as ctx:
        ctx.settings = executors.with_executor(ctx.settings, executor, dask_scheduler)
        if ctx.settings.executor == "dask":
            where = ctx.settings.dask_scheduler or "a local cluster started for this server"
            say(f"Workflow tasks run on Dask: {where}")
        token = accounts.ensure_admin(ctx)
        if token:
            say(f"Created user [bold]admin[/bold]. Its API token (shown once): {token}")
        _serve(ctx, host, port)


def demo(
    home: Annotated[Path, typer.Option(help="Where the demo store and data live")] = Path(
        ".sounding-demo"
    ),
    serve_: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after building")] = True,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8585,
) -> None:
    """Build the demo workspace (warehouse + files), scan it, and serve it."""
    with errors_to_exit(), open_context(home) as ctx:
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
            f"Compliance: {checked['open_total']} open findings on {checked['assets_in_scope']} "
            "assets in scope (see `sounding compliance findings`)"
        )
        run = run_demo_quality(ctx, operator)
        say(
            f"Quality: {run['rules_failed']} of {run['rules_total']} rules failing on the "
            "warehouse (see `sounding quality scores --source warehouse`)"
        )
        terms = load_demo_glossary(ctx, operator)
        say(
            f"Glossary: {terms['imported']['terms']} terms, "
            f"{terms['suggestions']['suggested']} suggested links "
            "(see `sounding glossary suggest`)"
        )
        token = (
            accounts.ensure_admin(ctx)
            or accounts.create_token(ctx, operator, "admin", "demo")["token"]
        )
        say(f"Admin API token: [bold]{token}[/bold]")
        say(
            f"Try: curl -H 'Authorization: Bearer {token}' "
            f"http://{host}:{port}/api/v1/assets?type=view"
        )
        if serve_:
            _serve(ctx, host, port)
