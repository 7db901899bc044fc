"""``sounding usage ...`` and ``sounding analytics ...``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sounding.cli.output import print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.features.usage import service as usage
from sounding.services import analytics

usage_app = typer.Typer(
    help="Asset usage: query-log ingestion and per-asset usage.", no_args_is_help=True
)
analytics_app = typer.Typer(
    help="Catalog analytics (counts, coverage, usage).", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
DaysOpt = Annotated[int, typer.Option(min=1, max=366, help="UTC days back, today included")]


@usage_app.command("ingest")
def ingest(
    source: Annotated[str, typer.Argument(help="Source name (PostgreSQL with pg_stat_statements)")],
    file: Annotated[
        str | None, typer.Option(help="Read statements from this log file instead")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Add the calls in a source's query log as query usage of the tables they touch."""
    with open_context() as ctx:
        result = usage.ingest_query_usage(ctx, local_operator(), source, file)
    if json_:
        print_json(result)
        return
    say(
        f"{result.statements} statements, {result.new_calls} new calls, "
        f"{result.mapped_statements} mapped to {result.assets} assets"
        + (
            f"; not in the catalog: {', '.join(result.unresolved[:10])}"
            if result.unresolved
            else ""
        )
    )


@usage_app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="Asset id or URN")],
    days: DaysOpt = 30,
    json_: JsonOpt = False,
) -> None:
    """An asset's popularity and its views, search hits and query calls per day."""
    with open_context() as ctx:
        result = usage.asset_usage(ctx, local_operator(), ref, days)
    if json_:
        print_json(result)
        return
    totals = ", ".join(f"{k}: {v}" for k, v in result.totals.items())
    say(f"{result.asset.urn}  popularity {result.popularity}  ({totals})")
    print_table(result.daily, ["day", "kind", "count", "users"])


def _pct(entry: Any) -> str:
    if entry is None:
        return "n/a"
    percent = "n/a" if entry["percent"] is None else f"{entry['percent']}%"
    return f"{entry['count']} ({percent})"


@analytics_app.command("catalog")
def catalog(days: DaysOpt = 30, json_: JsonOpt = False) -> None:
    """Asset counts, coverage, most used and unused assets, searches and schema changes."""
    with open_context() as ctx:
        result = analytics.catalog_analytics(ctx, local_operator(), days)
    if json_:
        print_json(result)
        return
    cov = result["coverage"]
    by_type = sorted(result["assets"]["by_type"].items())
    say("[bold]Assets[/bold]: " + ", ".join(f"{k} {v}" for k, v in by_type))
    say(
        f"[bold]Coverage[/bold] of {cov['objects']} tables/views/datasets: "
        + ", ".join(
            f"{k} {_pct(cov[k])}"
            for k in ("described", "owned", "classified", "with_lineage", "with_quality_rules")
        )
    )
    quality = result["quality_trend"][-1]["score"] if result["quality_trend"] else None
    say(
        f"[bold]Quality[/bold] (mean overall score): {'n/a' if quality is None else quality}; "
        f"[bold]open compliance findings[/bold]: {result['compliance_trend']['open_total']}"
    )
    used = result["most_used"]
    print_table(
        used,
        ["qualified_name", "source", "views", "queries", "popularity"],
        title=f"Most used ({days} days)",
    )
    unused = result["unused"]
    say(f"[bold]Unused[/bold] in {days} days: {unused['count']}")
    searches = result["searches"]
    say(f"[bold]Searches[/bold]: {searches['total']} ({searches['zero_results']} without results)")
    if result["schema_changes"]:
        print_table(
            result["schema_changes"], ["at", "qualified_name", "type"], title="Schema changes"
        )
