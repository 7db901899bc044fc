"""``sounding assets list|show|tag``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from sounding.cli.output import EXIT_USAGE, fail, parse_params, print_json, print_table, say
from sounding.cli.state import describe_store, open_context
from sounding.domain.auth import local_operator
from sounding.services import catalog, manual_assets

app = typer.Typer(help="Browse the catalog, tag and curate its assets.", no_args_is_help=True)
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


Many = list[str] | None


@app.command("create")
def create(
    type_: Annotated[str, typer.Argument(metavar="TYPE", help="dashboard, chart, pipeline, ...")],
    name: Annotated[str, typer.Argument(help="The asset's name")],
    source: Annotated[str, typer.Option(help="A source of kind manual (made on first use)")],
    parent: Annotated[str | None, typer.Option(help="Parent asset (id or URN)")] = None,
    description: Annotated[str | None, typer.Option(help="What it is")] = None,
    owner: Annotated[str | None, typer.Option(help="Who owns it")] = None,
    tag: Annotated[Many, typer.Option("--tag", help="A tag (repeat)")] = None,
    prop: Annotated[
        Many, typer.Option("--property", help="KEY=VALUE kept with it, e.g. url=... (repeat)")
    ] = None,
    upstream: Annotated[
        Many, typer.Option("--upstream", help="An asset that feeds it: id or URN (repeat)")
    ] = None,
    downstream: Annotated[
        Many, typer.Option("--downstream", help="An asset it feeds: id or URN (repeat)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Create an asset no scanner finds (dashboard, chart/report, pipeline/job, ml_model,
    api_endpoint), with its lineage to and from tables."""
    spec = manual_assets.ManualAssetSpec(
        type=type_,
        name=name,
        source=source,
        parent=parent,
        description=description,
        owner=owner,
        tags=tuple(tag or ()),
        properties=parse_params(prop),
        upstream=tuple(upstream or ()),
        downstream=tuple(downstream or ()),
    )
    with open_context() as ctx:
        asset = manual_assets.create_asset(ctx, local_operator(), spec).public()
    if json_:
        print_json(asset)
        return
    say(f"Created {asset['type']} {asset['name']!r}: {asset['urn']} (id {asset['id']})")


@app.command("delete")
def delete(
    ref: Annotated[str, typer.Argument(help="Asset id or URN")],
    json_: JsonOpt = False,
) -> None:
    """Delete an asset created by hand, with what sits under it (a scanned one is refused)."""
    with open_context() as ctx:
        gone = manual_assets.delete_asset(ctx, local_operator(), ref)
    if json_:
        print_json({"deleted": gone})
        return
    for urn in gone:
        say(f"Deleted {urn}")


def _set_values(items: Many) -> dict[str, Any]:
    """``--set owner=ann``, ``--set custom_properties.tier=gold``; an empty value clears."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            fail(f"Invalid --set {item!r}: use FIELD=VALUE", EXIT_USAGE)
        if key.startswith("custom_properties."):
            value = parse_params([f"v={raw}"])["v"] if raw else None
            out.setdefault("custom_properties", {})[key.split(".", 1)[1]] = value
        else:
            out[key] = raw or None
    return out


@app.command("update")
def update(
    ref: Annotated[str | None, typer.Argument(help="One asset (id or URN)")] = None,
    query: Annotated[str | None, typer.Option(help="Select by search words")] = None,
    filter_: Annotated[
        Many, typer.Option("--filter", help="Search filter KEY=VALUE, e.g. source=shop (repeat)")
    ] = None,
    urn: Annotated[Many, typer.Option("--urn", help="Select this URN (repeat)")] = None,
    set_: Annotated[
        Many,
        typer.Option(
            "--set",
            help="FIELD=VALUE: owner, steward, domain, criticality, lifecycle, "
            "custom_properties.KEY (empty value clears; repeat)",
        ),
    ] = None,
    add_tag: Annotated[Many, typer.Option("--add-tag", help="Tag to add (repeat)")] = None,
    remove_tag: Annotated[Many, typer.Option("--remove-tag", help="Tag to remove")] = None,
    add_term: Annotated[Many, typer.Option("--add-term", help="Glossary term to link")] = None,
    remove_term: Annotated[Many, typer.Option("--remove-term", help="Term to unlink")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Change one asset, or every asset a search (--query/--filter) or --urn selects, all
    or nothing: sounding assets update --filter source=shop --set owner=ann --dry-run."""
    filters: dict[str, Any] = {}
    for item in filter_ or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"Invalid --filter {item!r}: use KEY=VALUE", EXIT_USAGE)
        filters.setdefault(key, []).append(value)
    if ref is not None and (query is not None or filters or urn):
        fail("Give one asset, or --query/--filter/--urn, not both", EXIT_USAGE)
    from sounding.services import bulk_curation  # reads the search index: only when updating

    change = bulk_curation.BulkChange(
        set=_set_values(set_),
        add_tags=tuple(add_tag or ()),
        remove_tags=tuple(remove_tag or ()),
        add_terms=tuple(add_term or ()),
        remove_terms=tuple(remove_term or ()),
    )
    with open_context() as ctx:
        actor = local_operator()
        urns = list(urn) if urn else None
        if ref is not None:
            urns = [catalog.get_asset(ctx, actor, ref, children=False).urn]
        result = bulk_curation.bulk_update(
            ctx,
            actor,
            change,
            query=query,
            filters=filters or None,
            urns=urns,
            dry_run=dry_run,
        )
    if json_:
        print_json(asdict(result))
        return
    for changed in result.items:
        say(changed.urn)
        for key in changed.after:
            say(f"  {key}: {changed.before[key]!r} -> {changed.after[key]!r}")
    verb = "would change" if dry_run else "changed"
    say(f"{result.matched} assets selected; {verb} {result.changed}")
