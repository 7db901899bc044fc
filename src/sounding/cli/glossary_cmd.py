"""``sounding glossary ...``: the business glossary from the command line."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from sounding.cli.output import (
    EXIT_USAGE,
    fail,
    print_json,
    print_table,
    read_text,
    say,
)
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.features.glossary import links as glossary_links
from sounding.features.glossary import service as glossary
from sounding.features.glossary.records import GlossaryTreeNode

app = typer.Typer(
    help="The business glossary: terms, links to assets, suggestions.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
FORMATS = ("csv", "json")


def _format(fmt: str | None, path: Path | None) -> str:
    chosen = fmt or (path.suffix.lstrip(".").lower() if path and path.suffix else "csv")
    if chosen not in FORMATS:
        fail(f"Unknown format {chosen!r}: use --format csv or json", EXIT_USAGE)
    return chosen


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A CSV or JSON glossary (see docs/glossary.md)")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or json (default: from the extension)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Create or update terms by path from a file, all or nothing."""
    text = read_text(file)
    with open_context() as ctx:
        result = glossary.import_terms(ctx, local_operator(), text, _format(fmt, file))
    if json_:
        print_json(result)
    else:
        say(
            f"Imported {result.terms} terms: {result.created} created, "
            f"{result.updated} updated, {result.ancestors_created} parent(s) added"
        )


@app.command("export")
def export(
    fmt: Annotated[str | None, typer.Option("--format", help="csv (default) or json")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file")] = (
        None
    ),
) -> None:
    """Write the whole glossary as CSV or JSON (stdout unless -o)."""
    chosen = _format(fmt, output)
    with open_context() as ctx:
        text = glossary.export_terms(ctx, local_operator(), chosen)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"Cannot write {output}: {exc.strerror}")
    say(f"Wrote {output}")


def _print_tree(nodes: list[GlossaryTreeNode], depth: int = 0) -> None:
    for node in nodes:
        say(f"{'  ' * depth}{node.name}  [dim]({node.status})[/dim]")
        _print_tree(node.children, depth + 1)


@app.command("list")
def list_(
    q: Annotated[str | None, typer.Option(help="Part of a name, synonym or abbreviation")] = None,
    status: Annotated[str | None, typer.Option(help="draft, approved or deprecated")] = None,
    under: Annotated[str | None, typer.Option(help="Only the subtree under this path")] = None,
    tree: Annotated[bool, typer.Option("--tree", help="Show the hierarchy")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 1000,
    json_: JsonOpt = False,
) -> None:
    """List glossary terms (by path), or the hierarchy with --tree."""
    with open_context() as ctx:
        if tree:
            nodes = glossary.tree(ctx, local_operator(), status)
        else:
            items, total = glossary.list_terms(
                ctx, local_operator(), q=q, status=status, under=under, limit=limit
            )
    if tree:
        print_json({"items": nodes}) if json_ else _print_tree(nodes)
    elif json_:
        print_json({"items": items, "total": total})
    else:
        print_table(items, ["id", "path", "status", "synonyms", "abbreviations", "owner"])


@app.command("approve")
def approve(
    term: Annotated[str, typer.Argument(help="Term id or path, e.g. /Finance/Revenue")],
    note: Annotated[str | None, typer.Option(help="Why (kept in the audit log)")] = None,
) -> None:
    """Approve a draft term (recorded with who and when)."""
    with open_context() as ctx:
        result = glossary.set_status(ctx, local_operator(), term, "approved", note)
    say(f"Approved {result.path}")


@app.command("link")
def link(
    term: Annotated[str, typer.Argument(help="Term id or path")],
    asset: Annotated[str, typer.Argument(help="Asset id or URN")],
) -> None:
    """Link a term to an asset (accepts a pending suggestion)."""
    with open_context() as ctx:
        result = glossary_links.link(ctx, local_operator(), term, asset)
    say(f"Linked {result.term_path} to {result.urn}")


@app.command("unlink")
def unlink(
    term: Annotated[str, typer.Argument(help="Term id or path")],
    asset: Annotated[str, typer.Argument(help="Asset id or URN")],
) -> None:
    """Remove a term's link (or suggestion) from an asset."""
    with open_context() as ctx:
        glossary_links.unlink(ctx, local_operator(), term, asset)
    say(f"Unlinked {term} from {asset}")


@app.command("reject")
def reject(
    term: Annotated[str, typer.Argument(help="Term id or path")],
    asset: Annotated[str, typer.Argument(help="Asset id or URN")],
) -> None:
    """Say a term does not describe an asset; it is never suggested for it again."""
    with open_context() as ctx:
        result = glossary_links.reject(ctx, local_operator(), term, asset)
    say(f"Rejected {result.term_path} for {result.urn}")


@app.command("suggest")
def suggest(
    source: Annotated[str | None, typer.Option(help="Only assets of this source")] = None,
    threshold: Annotated[float, typer.Option(min=0.01, max=1.0, help="Lowest confidence")] = 0.6,
    limit: Annotated[int, typer.Option(min=0, max=100000, help="Suggestions to show")] = 50,
    json_: JsonOpt = False,
) -> None:
    """Suggest terms for assets (names, synonyms, classifications, descriptions) and list them."""
    operator = local_operator()
    with open_context() as ctx:
        result = glossary_links.generate_suggestions(ctx, operator, source, threshold)
        items, total = glossary_links.list_suggestions(
            ctx, operator, source=source, limit=max(limit, 1)
        )
    if json_:
        print_json({**asdict(result), "items": items[:limit], "total": total})
        return
    say(
        f"{result.suggested} new, {result.updated} refreshed, {result.withdrawn} "
        f"withdrawn suggestion(s) over {result.assets} assets and {result.terms} terms"
    )
    if limit:
        print_table(items[:limit], ["id", "term_path", "qualified_name", "confidence", "reasons"])
