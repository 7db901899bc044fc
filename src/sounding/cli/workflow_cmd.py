"""``sounding workflow ...`` and ``sounding execution ...``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sounding.cli.output import (
    EXIT_FAILURE,
    EXIT_USAGE,
    err_console,
    fail,
    parse_params,
    print_json,
    print_table,
    read_text,
    say,
)
from sounding.cli.state import open_context, settings
from sounding.domain.auth import local_operator
from sounding.domain.executions import StepView
from sounding.errors import ValidationFailedError
from sounding.services import execution_status, workflows

workflow_app = typer.Typer(help="Define and run scan workflows.", no_args_is_help=True)
execution_app = typer.Typer(help="Watch and control workflow executions.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


@workflow_app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="Workflow YAML or JSON")],
    json_: JsonOpt = False,
) -> None:
    """Validate and store a workflow (a new version when it changed)."""
    text = read_text(file)
    with _all_problems(json_), open_context() as ctx:
        result = workflows.apply_workflow(ctx, local_operator(), text)
    if json_:
        print_json(result)
    else:
        change = "stored" if result.changed else "unchanged"
        say(
            f"Workflow {result.name} v{result.version} {change}: "
            f"{len(result.steps)} steps, strategy {result.strategy}"
        )


@contextmanager
def _all_problems(json_: bool) -> Iterator[None]:
    """A workflow with several problems: every one of them (one line each, or as JSON under
    ``error.details.errors``), exit code 2."""
    try:
        yield
    except ValidationFailedError as exc:
        problems = exc.details.get("errors") or []
        if json_:
            print_json({"error": {"message": exc.message, "details": {"errors": problems}}})
            raise typer.Exit(EXIT_USAGE) from None
        heading = exc.message.partition(":")[0]
        err_console.print(
            f"[red]error:[/red] {heading}: {len(problems)} problem(s)", highlight=False
        )
        for problem in problems:
            err_console.print(
                f"  {problem['loc'] or 'document'}: {problem['msg']}",
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(EXIT_USAGE) from None


def _print_errors(steps: list[StepView]) -> None:
    lines = execution_status.error_lines(steps)
    if lines:
        say("Errors:")
        for line in lines:
            say(f"  {line}")


@workflow_app.command("list")
def list_(
    json_: JsonOpt = False,
    all_: Annotated[
        bool, typer.Option("--all", help="Include the ad-hoc scan:NAME workflows of `scan`")
    ] = False,
) -> None:
    """List workflows."""
    with open_context() as ctx:
        items = workflows.list_workflows(ctx, local_operator(), include_adhoc=all_)
    if json_:
        print_json({"items": items, "total": len(items)})
    else:
        print_table(items, ["name", "version", "enabled", "strategy", "steps", "schedule"])


def _set_enabled(name: str, enabled: bool, json_: bool) -> None:
    with open_context() as ctx:
        result = workflows.set_enabled(ctx, local_operator(), name, enabled)
    if json_:
        print_json(result)
    else:
        say(f"Workflow {name} {'enabled' if enabled else 'disabled'}")


@workflow_app.command("disable")
def disable(name: str, json_: JsonOpt = False) -> None:
    """Pause a workflow: its schedule ticks and triggers start nothing (manual runs still do)."""
    _set_enabled(name, False, json_)


@workflow_app.command("enable")
def enable(name: str, json_: JsonOpt = False) -> None:
    """Resume a workflow's schedule and triggers; ticks missed meanwhile follow its catchup."""
    _set_enabled(name, True, json_)


@workflow_app.command("run")
def run(
    name: str,
    param: Annotated[list[str] | None, typer.Option(help="KEY=VALUE (repeat)")] = None,
    follow: Annotated[bool, typer.Option("--follow/--no-follow", help="Live progress")] = True,
    json_: JsonOpt = False,
) -> None:
    """Run a workflow in this process, with live progress bars per step, until it ends."""
    with open_context() as ctx:
        started = workflows.execute(ctx, local_operator(), name, parse_params(param))
        if follow and not json_:
            _follow(ctx, started.id)
        result = workflows.wait(ctx, started.id)
        detail = workflows.get_execution(ctx, local_operator(), started.id)
    if json_:
        print_json(detail)
    else:
        say(f"Execution {detail.id} of {name}: {result.status}")
        print_table(detail.steps, ["id", "status", "tasks_done", "tasks_failed", "reason"])
        _print_errors(detail.steps)
    if result.status != "completed":
        raise typer.Exit(EXIT_FAILURE)


def _follow(ctx: Any, execution_id: str) -> None:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    ) as bar:
        tasks: dict[str, Any] = {}

        def on_event(event: Any) -> None:
            if event.kind.value == "progress" and event.step_id:
                if event.step_id not in tasks:
                    tasks[event.step_id] = bar.add_task(event.step_id, total=None)
                data = event.data
                bar.update(
                    tasks[event.step_id],
                    completed=data.get("done", 0),
                    total=data.get("total") if data.get("total_known") else None,
                )

        remove = workflows.listen(ctx, local_operator(), execution_id, on_event)
        try:
            workflows.wait(ctx, execution_id)
        finally:
            remove()


@execution_app.command("list")
def executions(
    workflow: Annotated[str | None, typer.Option(help="Only this workflow")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    json_: JsonOpt = False,
) -> None:
    """List executions, newest first."""
    with open_context() as ctx:
        items = workflows.list_executions(ctx, local_operator(), workflow, status, limit)
    if json_:
        print_json({"items": items, "total": len(items)})
    else:
        print_table(items, ["id", "workflow", "status", "trigger", "created_at", "finished_at"])


@execution_app.command("show")
def show(execution_id: str, json_: JsonOpt = False) -> None:
    """Show an execution and its steps."""
    with open_context() as ctx:
        detail = workflows.get_execution(ctx, local_operator(), execution_id)
    if json_:
        print_json(detail)
        return
    say(f"{detail.id} {detail.workflow}: {detail.status} ({detail.trigger})")
    columns = ["id", "status", "tasks_total", "tasks_done", "tasks_failed", "percent", "reason"]
    print_table(detail.steps, columns)
    if detail.progress:
        eta = detail.progress.eta_seconds
        left = f", about {eta:.0f} s left" if eta is not None else ""
        say(f"{detail.progress.percent}% done{left}")
    _print_errors(detail.steps)


def _remote(execution_id: str, action: str, json_: bool) -> None:
    s = settings()
    if s.api_token is None:
        fail(
            "Set SOUNDING_API_TOKEN (and SOUNDING_API_URL if not http://127.0.0.1:8585): "
            f"the running server owns execution {execution_id}",
            EXIT_USAGE,
        )
    url = f"{s.api_url.rstrip('/')}/api/v1/executions/{execution_id}/{action}"
    try:
        resp = httpx.post(
            url, headers={"Authorization": f"Bearer {s.api_token.get_secret_value()}"}, timeout=30
        )
    except httpx.HTTPError as exc:
        fail(f"Cannot reach the server at {s.api_url}: {exc}; is `sounding serve` running?")
    if resp.status_code >= 400:
        try:
            message = resp.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = resp.text[:200]
        fail(message, EXIT_USAGE if resp.status_code == 422 else EXIT_FAILURE)
    if json_:
        print_json(resp.json())
    else:
        say(f"{action}: execution {execution_id} is now {resp.json()['status']}")


def _control_command(action: str) -> Any:
    def command(execution_id: str, json_: JsonOpt = False) -> None:
        _remote(execution_id, action, json_)

    command.__doc__ = f"{action.capitalize()} an execution on the running server."
    return command


for _action in ("pause", "resume", "cancel", "retry"):
    execution_app.command(_action)(_control_command(_action))
