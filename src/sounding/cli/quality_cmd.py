"""``sounding quality ...``: run rules, manage them, scores and reports."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from sounding.cli.output import fail, print_json, print_table, read_text, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.features.quality import reports as quality_reports
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import scores as quality_scores
from sounding.features.quality import service as quality

app = typer.Typer(help="Data quality rules, runs, scores and reports.", no_args_is_help=True)
rules_app = typer.Typer(help="Quality rules: list, apply a file, suggest, decide.")
app.add_typer(rules_app, name="rules", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
SourceOpt = Annotated[str | None, typer.Option(help="Only this source")]
AssetOpt = Annotated[str | None, typer.Option(help="Only this table (id or URN)")]
DomainOpt = Annotated[str | None, typer.Option(help="Only tables of this domain")]


class FailOn(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NEVER = "never"


def _percent(value: Any) -> str:
    return quality_reports.percent(value)


def _result(value: Any) -> str:
    return "error" if value is None else "pass" if value else "FAIL"


@app.command("run")
def run(
    source: Annotated[str, typer.Argument(help="The source whose rules run")],
    asset: AssetOpt = None,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a rule of this severity or worse fails or errors (never: exit 0)",
        ),
    ] = FailOn.ERROR,
    json_: JsonOpt = False,
) -> None:
    """Run the active rules of a source (or of one table), pushed down as SQL; exit 1 when
    rules fail (see --fail-on), so it can gate a CI pipeline."""
    with open_context() as ctx:
        result = quality_runs.run_quality(ctx, local_operator(), source, asset)
        failing = quality_runs.gate_failures(result, fail_on.value)
    if json_:
        print_json(result)
    else:
        print_table(
            result.results,
            ["qualified_name", "rule", "dimension", "passed", "failing_count", "total_count"],
            title=f"quality run {result.id}",
            fmt={"passed": _result},
        )
        say(
            f"{result.rules_passed} passed, {result.rules_failed} failed, "
            f"{result.rules_errored} errored"
        )
    if result.error:
        fail(result.error)
    if failing:
        names = ", ".join(f"{r.qualified_name}: {r.rule}" for r in failing[:5])
        more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
        fail(f"{len(failing)} rule(s) at severity {fail_on.value} or worse failed: {names}{more}")


@rules_app.command("list")
def rules_list(
    source: SourceOpt = None,
    asset: AssetOpt = None,
    status: Annotated[str | None, typer.Option(help="active, suggested or rejected")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 1000,
    json_: JsonOpt = False,
) -> None:
    """List quality rules."""
    with open_context() as ctx:
        items, total = quality.list_rules(
            ctx, local_operator(), source=source, asset=asset, status=status, limit=limit
        )
    if json_:
        print_json({"items": items, "total": total})
        return
    print_table(items, ["id", "qualified_name", "name", "kind", "dimension", "severity", "status"])


@rules_app.command("apply")
def rules_apply(
    file: Annotated[Path, typer.Argument(help="Rule file (YAML, see docs/quality.md)")],
    json_: JsonOpt = False,
) -> None:
    """Create or update the rules of a YAML file (all or nothing)."""
    text = read_text(file)
    with open_context() as ctx:
        result = quality.apply_rule_file(ctx, local_operator(), text)
    if json_:
        print_json(result)
    else:
        say(
            f"{result.source}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )


@rules_app.command("suggest")
def rules_suggest(
    source: Annotated[str, typer.Argument(help="Suggest from this source's profiles")],
    asset: AssetOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Suggest rules from the newest profiles (accept them with `quality rules accept`)."""
    with open_context() as ctx:
        result = quality.suggest(ctx, local_operator(), source, asset)
    if json_:
        print_json(result)
        return
    print_table(result.items, ["id", "qualified_name", "name", "kind", "params"])
    say(f"{result.suggested} rules suggested from {result.tables_profiled} profiles")


def _decide(rule_id: int, status: str, json_: bool) -> None:
    with open_context() as ctx:
        result = quality.decide(ctx, local_operator(), rule_id, status)
    if json_:
        print_json(result)
    else:
        say(f"Rule {rule_id} ({result.name} on {result.qualified_name}) is now {status}")


@rules_app.command("accept")
def rules_accept(
    rule_id: Annotated[int, typer.Argument(help="Rule id")], json_: JsonOpt = False
) -> None:
    """Accept a (suggested) rule: it runs from now on."""
    _decide(rule_id, "active", json_)


@rules_app.command("reject")
def rules_reject(
    rule_id: Annotated[int, typer.Argument(help="Rule id")], json_: JsonOpt = False
) -> None:
    """Reject a rule: it stops running and is never suggested again."""
    _decide(rule_id, "rejected", json_)


@app.command("scores")
def scores(
    source: SourceOpt = None,
    domain: DomainOpt = None,
    asset: AssetOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Quality scores by dimension, per table and rolled up."""
    with open_context() as ctx:
        result = quality_scores.scores(
            ctx, local_operator(), source=source, domain=domain, asset=asset
        )
    if json_:
        print_json(asdict(result))
        return
    rows = [{"table": t.qualified_name, **t.scores} for t in result.tables]
    dims = [*quality_scores.DIMENSIONS, "overall"]
    print_table(rows, ["table", *dims], fmt=dict.fromkeys(dims, _percent))
    say(f"Overall: {_percent(result.scores.get('overall')) or 'no scores yet'}")


@app.command("report")
def report(
    source: SourceOpt = None,
    domain: DomainOpt = None,
    asset: AssetOpt = None,
    format_: Annotated[str, typer.Option("--format", help="json, csv or html")] = "html",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write")] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Days of trend")] = 30,
) -> None:
    """Write a quality report of a source, domain or table (stdout without -o)."""
    with open_context() as ctx:
        _, text = quality_reports.report(
            ctx, local_operator(), format_, source=source, domain=domain, asset=asset, days=days
        )
    if output is None:
        typer.echo(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"Cannot write {output}: {exc.strerror or exc}")
    say(f"Wrote {format_} report to {output}")
