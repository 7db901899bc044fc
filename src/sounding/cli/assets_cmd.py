"""``sounding assets list|show|tag``."""

from __future__ import annotations

from typing import Annotated

import typer

from sounding.cli.output import EXIT_USAGE, fail, print_json, print_table, say
from sounding.cli.state import describe_store, open_context
from sounding.domain.auth import local_operator
from sounding.services import catalog

app = typer.Typer(help="Browse the catalog and tag its assets.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


@app.command("list")
def list_(
    source: Annotated[str | None, typer.Option(help="Only this source")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="table, view, column, ...")] = None,
    q: Annotated[str | None, typer.Option(help="Name prefix or qualified-name part")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 200,
    include_deleted: Annotated[bool, typer.Option("--include-deleted")] = False,
    json_: JsonOpt = False,
) -> None:
    """List assets."""
    with open_context() as ctx:
        assets, total = catalog.list_assets(
            ctx,
            local_operator(),
            limit=limit,
            offset=0,
            source=source,
            type=type_,
            q=q,
            include_deleted=include_deleted,
        )
        store = describe_store(ctx.settings)
    items = [a.public() for a in assets]
    if json_:
        print_json({"items": items, "total": total})
        return
    print_table(items, ["id", "type", "source", "qualified_name", "urn"])
    if total > len(items):
        say(f"({len(items)} of {total}; use --limit or filters)")
    elif total == 0:
        say(
            f"No assets match in the store {store}. Another store? Set SOUNDING_HOME (e.g. the "
            "line `sounding demo` printed) or SOUNDING_DATABASE_URL."
        )


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="Asset id or URN")],
    json_: JsonOpt = False,
) -> None:
    """Show an asset, its columns and its last discovery events."""
    with open_context() as ctx:
        asset = catalog.get_asset(ctx, local_operator(), ref).public()
    if json_:
        print_json(asset)
        return
    say(f"[bold]{asset['qualified_name']}[/bold] ({asset['type']}) id={asset['id']}")
    say(f"urn: {asset['urn']}")
    for key in ("description", "owner", "steward", "domain", "row_count", "tags"):
        if asset.get(key):
            say(f"{key}: {asset[key]}")
    if asset.get("view_sql"):
        say(f"view sql: {asset['view_sql']}")
    cols = asset.get("columns") or []
    if cols:
        print_table(
            cols,
            ["ordinal", "name", "data_type", "nullable", "is_primary_key", "default"],
            title="columns",
        )
    elif asset["children"]:
        print_table(asset["children"], ["id", "type", "name"], title="children")
    for fk in asset.get("foreign_keys") or []:
        cols, ref_cols = ", ".join(fk["columns"]), ", ".join(fk["referred_columns"])
        say(f"FK ({cols}) → {fk['referred_urn']} ({ref_cols})")
    if asset["events"]:
        print_table(asset["events"], ["created_at", "event_type", "diff"], title="last events")


@app.command("tag")
def tag(
    ref: Annotated[str, typer.Argument(help="Asset id or URN")],
    add: Annotated[list[str] | None, typer.Option("--add", help="Tag to add (repeat)")] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Tag to take off (repeat)")
    ] = None,
    add_term: Annotated[
        list[str] | None, typer.Option("--add-term", help="Glossary term id or path to link")
    ] = None,
    remove_term: Annotated[
        list[str] | None,
        typer.Option("--remove-term", help="Glossary term id or path to unlink"),
    ] = None,
    if_match: Annotated[
        str | None,
        typer.Option("--if-match", help='Only if the asset is still at this ETag ("id.rev")'),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Add or remove tags and glossary terms, keeping every other tag as stored (edits made
    at the same time by others are kept)."""
    edits = {
        "add_tags": add,
        "remove_tags": remove,
        "add_terms": add_term,
        "remove_terms": remove_term,
    }
    changes = {k: v for k, v in edits.items() if v}
    if not changes:
        fail("Nothing to do: give --add, --remove, --add-term or --remove-term", EXIT_USAGE)
    with open_context() as ctx:
        asset = catalog.update_asset(
            ctx, local_operator(), ref, changes, if_match=if_match
        ).public()
    if json_:
        print_json(asset)
        return
    say(f"{asset['urn']}: tags {', '.join(asset['tags']) or '(none)'}")
    if asset.get("glossary_terms"):
        say(f"glossary terms: {', '.join(asset['glossary_terms'])}")
