"""``sounding lineage parse|ingest|show``."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.tree import Tree

from sounding.cli.output import EXIT_USAGE, console, fail, print_json, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.domain.lineage import LineageGraph, LineageNode
from sounding.services import lineage, querylog

app = typer.Typer(
    help="Parse SQL for lineage, ingest it, and explore the lineage graph.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"Cannot read {path}: {exc.strerror}", EXIT_USAGE)


@app.command("parse")
def parse(
    file: Annotated[str, typer.Argument(help="SQL file, or - for standard input")] = "-",
    dialect: Annotated[str, typer.Option(help="ansi, postgres, mysql, sqlite, snowflake, ...")] = (
        "ansi"
    ),
    schema: Annotated[Path | None, typer.Option(help='JSON {"db.table": ["col", ...]}')] = None,
    json_: JsonOpt = False,
) -> None:
    """Print the table and column lineage of SQL (nothing is stored)."""
    tables: dict[str, Any] | None = None
    if schema is not None:
        try:
            tables = json.loads(schema.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            fail(f"Cannot read schema {schema}: {exc}", EXIT_USAGE)
    result = lineage.parse_sql(_read(file), dialect, tables).to_dict()
    if json_:
        print_json(result)
        return
    say(f"sources: {', '.join(result['sources']) or '-'}")
    say(f"targets: {', '.join(result['targets']) or '-'}")
    for e in result["column_lineage"]:
        say(
            f"  {e['source_table']}.{e['source_column']} → {e['target_table']}."
            f"{e['target_column']} ({e['kind']})"
        )
    for err in result["errors"]:
        say(
            f"[red]error[/red] statement {err['statement_index']} line {err['line']} "
            f"col {err['column']}: {err['message']}"
        )


@app.command("ingest")
def ingest(
    file: Annotated[str, typer.Argument(help="SQL file, or - for standard input")],
    source: Annotated[str, typer.Option(help="The source the SQL runs against")],
    dialect: Annotated[str | None, typer.Option(help="Default: the source's dialect")] = None,
    json_: JsonOpt = False,
) -> None:
    """Store the lineage of SQL that runs against a source."""
    with open_context() as ctx:
        result = lineage.ingest_sql(ctx, local_operator(), source, _read(file), dialect)
    if json_:
        print_json(result)
        return
    say(
        f"{result['edges_added']} new and {result['edges_kept']} known edges from "
        f"{len(result['sources'])} sources into {len(result['targets'])} targets"
    )
    if result["unresolved"]:
        say(f"[yellow]not in the catalog:[/yellow] {', '.join(result['unresolved'])}")


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="Asset id or URN")],
    upstream: Annotated[bool, typer.Option("--upstream", help="Only upstream")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Only downstream")] = False,
    depth: Annotated[int, typer.Option(min=1, max=20)] = 3,
    level: Annotated[str, typer.Option(help="table or column")] = "table",
    json_: JsonOpt = False,
) -> None:
    """Show an asset's lineage as a tree."""
    direction = (
        "upstream"
        if upstream and not downstream
        else ("downstream" if downstream and not upstream else "both")
    )
    with open_context() as ctx:
        graph = lineage.lineage_graph(ctx, local_operator(), ref, direction, depth, level)
    if json_:
        print_json(asdict(graph))
        return
    nodes = {n.id: n for n in graph.nodes}
    root = nodes.get(graph.root)
    tree = Tree(f"[bold]{root.qualified_name if root else ref}[/bold]")
    for way, arrow in (("upstream", "←"), ("downstream", "→")):
        if direction not in (way, "both"):
            continue
        branch = tree.add(f"{way}")
        _grow(branch, graph, nodes, graph.root, way, arrow, depth, set())
    console.print(tree)
    if graph.truncated:
        say("[yellow](truncated: the graph is larger than the node cap)[/yellow]")


def _grow(
    branch: Tree,
    graph: LineageGraph,
    nodes: dict[int, LineageNode],
    node: int,
    way: str,
    arrow: str,
    depth: int,
    seen: set[int],
) -> None:
    if depth == 0:
        return
    for e in graph.edges:
        near, far = (e.target, e.source) if way == "upstream" else (e.source, e.target)
        if near == node and far in nodes:
            other = nodes[far]
            label = f"{arrow} {other.qualified_name} ({other.type}, via {e.origin})"
            if far in seen:
                branch.add(label + " …")
                continue
            child = branch.add(label)
            _grow(child, graph, nodes, far, way, arrow, depth - 1, seen | {far})


@app.command("dbt")
def dbt(
    manifest: Annotated[str, typer.Argument(help="Path to dbt's target/manifest.json")],
    source: Annotated[str, typer.Option(help="The source the dbt project builds into")],
    json_: JsonOpt = False,
) -> None:
    """Store lineage of dbt models: dependencies and column edges from compiled SQL."""
    with open_context() as ctx:
        result = lineage.ingest_dbt(ctx, local_operator(), manifest, source)
    if json_:
        print_json(result)
        return
    say(f"{result['models']} models, {result['edges']} edges")
    if result["unresolved"]:
        say(f"[yellow]not in the catalog:[/yellow] {', '.join(result['unresolved'])}")


@app.command("querylog")
def querylog_(
    source: Annotated[str, typer.Argument(help="Source whose queries to read")],
    file: Annotated[str | None, typer.Option(help="A PostgreSQL server log or a SQL file")] = (
        None
    ),
    json_: JsonOpt = False,
) -> None:
    """Lineage from a source's query log (pg_stat_statements) or from a log file."""
    with open_context() as ctx:
        result = querylog.ingest_query_log(ctx, local_operator(), source, file)
    if json_:
        print_json(result)
        return
    say(
        f"{result['statements']} statements, {result['writing_statements']} writing, "
        f"{result['edges']} edges"
    )
    if result["unresolved"]:
        say(f"[yellow]not in the catalog:[/yellow] {', '.join(result['unresolved'])}")
