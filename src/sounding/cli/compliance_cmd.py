"""``sounding compliance ...``: frameworks, evaluation, findings and reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sounding.cli.output import fail, print_json, print_table, read_text, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.domain.timestamps import format_timestamp
from sounding.features.compliance import findings as compliance_findings
from sounding.features.compliance import service as compliance

app = typer.Typer(help="Compliance frameworks (GDPR, CCPA, HIPAA, PCI DSS) and findings.")
app.info.no_args_is_help = True
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _done(result: object, json_: bool, message: str) -> None:
    if json_:
        print_json(result)
    else:
        say(message)


@app.command("frameworks")
def frameworks(json_: JsonOpt = False) -> None:
    """List the frameworks in force (built-in, SOUNDING_HOME/frameworks, uploaded)."""
    with open_context() as ctx:
        items = compliance.list_frameworks(ctx, local_operator())
    if json_:
        print_json({"items": items, "total": len(items)})
    else:
        print_table(items, ["id", "name", "version", "tag", "requirements", "origin"])


@app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="Framework YAML (see docs/compliance.md)")],
    json_: JsonOpt = False,
) -> None:
    """Validate a framework file and store it (replaces one with the same id)."""
    text = read_text(file)
    with open_context() as ctx:
        result = compliance.upload_framework_text(ctx, local_operator(), text)
    if json_:
        print_json(result)
    else:
        say(f"Framework {result['id']} v{result['version']}: {len(result['requirements'])} reqs")


@app.command("evaluate")
def evaluate(
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    framework: Annotated[
        list[str] | None, typer.Option(help="Only this framework id (repeat)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Evaluate frameworks over the catalog: open, reopen and resolve findings."""
    with open_context() as ctx:
        result = compliance.evaluate(ctx, local_operator(), source, framework or None)
    if json_:
        print_json(result)
        return
    say(
        f"Evaluation #{result.id}: {result.assets_in_scope} assets in scope, "
        f"{result.open_total} open findings ({result.opened} new, "
        f"{result.reopened} reopened, {result.resolved} resolved)"
    )
    for warning in result.warnings:
        say(f"[yellow]warning:[/yellow] {warning}")


@app.command("findings")
def findings(
    framework: Annotated[str | None, typer.Option(help="Framework id, e.g. gdpr")] = None,
    status: Annotated[str | None, typer.Option(help="open, accepted or resolved")] = None,
    severity: Annotated[str | None, typer.Option(help="low, medium, high, critical")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 500,
    json_: JsonOpt = False,
) -> None:
    """List compliance findings."""
    with open_context() as ctx:
        items, total = compliance_findings.list_findings(
            ctx,
            local_operator(),
            framework=framework,
            status=status,
            severity=severity,
            source=source,
            limit=limit,
        )
    if json_:
        print_json({"items": items, "total": total})
        return
    print_table(
        items,
        ["id", "framework", "requirement_id", "severity", "status", "urn"],
        title=f"{total} findings",
    )


@app.command("history")
def history(
    finding_id: Annotated[int, typer.Argument(help="Finding id")],
    json_: JsonOpt = False,
) -> None:
    """Show a finding's history: opened, accepted, resolved, reopened; who, when and why."""
    with open_context() as ctx:
        items = compliance_findings.history(ctx, local_operator(), finding_id)
    if json_:
        print_json({"finding_id": finding_id, "items": items, "total": len(items)})
        return
    say(f"Finding {finding_id}: {len(items)} events")
    for e in items:  # one line each: notes and justifications are long
        moved = f"{e.from_status} -> {e.to_status}" if e.from_status else e.to_status
        line = f"{format_timestamp(e.at)}  {e.event} ({moved}) by {e.actor or '?'}"
        line += f" [{e.origin}]"
        say(escape(line + (f": {e.note}" if e.note else "")))


@app.command("acknowledge")
def acknowledge(
    finding_id: Annotated[int, typer.Argument(help="Finding id")],
    note: Annotated[str | None, typer.Option(help="What happens next")] = None,
    json_: JsonOpt = False,
) -> None:
    """Acknowledge an open finding: you saw it and own the follow-up (it stays open)."""
    with open_context() as ctx:
        result = compliance_findings.acknowledge(ctx, local_operator(), finding_id, note)
    _done(result, json_, f"Finding {finding_id} acknowledged")


@app.command("accept")
def accept(
    finding_id: Annotated[int, typer.Argument(help="Finding id")],
    justification: Annotated[str, typer.Option(help="Why the risk is acceptable")],
    json_: JsonOpt = False,
) -> None:
    """Accept an open finding's risk (the justification is kept with who and when)."""
    with open_context() as ctx:
        result = compliance_findings.accept(ctx, local_operator(), finding_id, justification)
    _done(result, json_, f"Finding {finding_id} accepted")


@app.command("resolve")
def resolve(
    finding_id: Annotated[int, typer.Argument(help="Finding id")],
    note: Annotated[str | None, typer.Option(help="What was done")] = None,
    json_: JsonOpt = False,
) -> None:
    """Mark a finding resolved (the next evaluation reopens it if it still fails)."""
    with open_context() as ctx:
        result = compliance_findings.resolve(ctx, local_operator(), finding_id, note)
    _done(result, json_, f"Finding {finding_id} resolved")


@app.command("reopen")
def reopen(
    finding_id: Annotated[int, typer.Argument(help="Finding id")],
    note: Annotated[str | None, typer.Option(help="Why")] = None,
    json_: JsonOpt = False,
) -> None:
    """Reopen an accepted or resolved finding."""
    with open_context() as ctx:
        result = compliance_findings.reopen(ctx, local_operator(), finding_id, note)
    _done(result, json_, f"Finding {finding_id} reopened")


@app.command("report")
def report(
    framework: Annotated[str, typer.Argument(help="Framework id, e.g. pci_dss")],
    format_: Annotated[str, typer.Option("--format", help="json, csv or html")] = "json",
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file")] = None,
) -> None:
    """Coverage, open findings by severity and evidence for one framework."""
    with open_context() as ctx:
        _media, text = compliance_findings.render_report(
            ctx, local_operator(), framework, format_, source
        )
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"Cannot write {output}: {exc.strerror}", 1)
    say(f"Wrote {format_} report for {framework} to {output}")
