"""``sounding collections ...``: named lists of assets, kept by a user and maybe shared.

The CLI acts as the local operator (``cli:<os user>``, full rights) unless ``--as USER``
names the user it acts for: their collections, owned by them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from sounding.cli.output import EXIT_USAGE, fail, print_json, print_table, say
from sounding.cli.state import acting_as, open_context
from sounding.domain.auth import Principal, Role
from sounding.features.collections import service as collections
from sounding.features.collections.records import Collection

app = typer.Typer(
    help="Collections: named lists of assets (bookmarks) you keep and may share.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
IdArg = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="The collection's id")]
AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Act for this user (their collections); default: you, the operator"),
]
UrnsArg = Annotated[list[str], typer.Argument(help="Asset URNs")]
COLUMNS = ["id", "name", "owner", "visibility", "items"]


def _who(user: str | None) -> Principal:
    return acting_as(user, Role.ADMIN)


def _row(c: Collection) -> dict[str, Any]:
    shared = c.visibility
    if c.visibility == "users":
        shared = f"users: {', '.join(c.shared_with)}"
    return {
        "id": c.id,
        "name": c.name,
        "owner": c.owner,
        "visibility": shared,
        "items": c.item_count,
    }


@app.command("list")
def list_(
    scope: Annotated[str, typer.Option(help="mine, shared (with me) or all (both)")] = "all",
    q: Annotated[str | None, typer.Option(help="Part of the name")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    offset: Annotated[int, typer.Option(min=0, max=10_000_000)] = 0,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List your collections and those shared with you."""
    with open_context() as ctx:
        items, total = collections.list_collections(
            ctx, _who(as_), limit=limit, offset=offset, scope=scope, q=q
        )
    if json_:
        print_json({"items": [asdict(c) for c in items], "total": total})
        return
    if not items:
        say("No collections. Create one: sounding collections create NAME")
        return
    print_table([_row(c) for c in items], COLUMNS)
    if total > offset + len(items):
        say(f"({len(items)} of {total}; use --limit/--offset)")


@app.command("show")
def show(
    collection_id: IdArg,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many assets")] = 100,
    offset: Annotated[int, typer.Option(min=0, max=10_000_000)] = 0,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """A collection and its assets, in order (removed ones marked)."""
    with open_context() as ctx:
        c, items = collections.list_items(ctx, _who(as_), collection_id, limit=limit, offset=offset)
    if json_:
        print_json({**asdict(c), "items": [asdict(i) for i in items]})
        return
    say(f"[bold]{c.name}[/bold] id={c.id} owner={c.owner} visibility={_row(c)['visibility']}")
    if c.description:
        say(c.description)
    if not items:
        say("No assets. Add some: sounding collections add ID URN...")
        return
    rows = [
        {
            "#": i.position,
            "type": i.type or "",
            "name": i.name or "",
            "source": i.source or "",
            "domain": i.domain or "",
            "removed": "removed" if i.removed else "",
            "urn": i.urn,
        }
        for i in items
    ]
    print_table(rows, ["#", "type", "name", "source", "domain", "removed", "urn"])
    if c.item_count > offset + len(items):
        say(f"({len(items)} of {c.item_count}; use --limit/--offset)")


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The new collection's name")],
    description: Annotated[str | None, typer.Option(help="What it gathers")] = None,
    shared: Annotated[
        bool, typer.Option("--shared", help="Share it with every catalog reader")
    ] = False,
    as_: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create a collection (private unless --shared)."""
    data: dict[str, Any] = {"name": name, "visibility": "shared" if shared else "private"}
    if description is not None:
        data["description"] = description
    with open_context() as ctx:
        made = collections.create_collection(ctx, _who(as_), data)
    if json_:
        print_json(asdict(made))
    else:
        say(f"Created collection {made.name} (id {made.id})")


@app.command("add")
def add(
    collection_id: IdArg,
    urns: UrnsArg,
    note: Annotated[str | None, typer.Option(help="A note kept with each asset")] = None,
    as_: AsOpt = None,
) -> None:
    """Add assets by URN (all or none: an unknown URN adds nothing)."""
    with open_context() as ctx:
        done = collections.add_items(ctx, _who(as_), collection_id, urns, note=note)
    say(
        f"Added {len(done.added)} to {done.collection.name}"
        + (f" ({len(done.already_present)} already in it)" if done.already_present else "")
        + f"; it holds {done.collection.item_count}"
    )


@app.command("remove")
def remove(collection_id: IdArg, urns: UrnsArg, as_: AsOpt = None) -> None:
    """Take assets out by URN."""
    with open_context() as ctx:
        done = collections.remove_items(ctx, _who(as_), collection_id, urns)
    say(
        f"Removed {len(done.removed)} from {done.collection.name}"
        + (f" ({len(done.not_present)} were not in it)" if done.not_present else "")
    )


@app.command("share")
def share(
    collection_id: IdArg,
    user: Annotated[
        list[str] | None, typer.Option("--user", help="Share with this user (repeat)")
    ] = None,
    everyone: Annotated[
        bool, typer.Option("--everyone", help="Share with every catalog reader")
    ] = False,
    private: Annotated[bool, typer.Option("--private", help="Stop sharing it")] = False,
    as_: AsOpt = None,
) -> None:
    """Share a collection with users, with everyone, or make it private again."""
    if sum((bool(user), everyone, private)) != 1:
        fail("Give one of --user NAME (repeatable), --everyone or --private", EXIT_USAGE)
    if private:
        data: dict[str, Any] = {"visibility": "private"}
    elif everyone:
        data = {"visibility": "shared"}
    else:
        data = {"visibility": "users", "shared_with": user}
    with open_context() as ctx:
        done = collections.update_collection(ctx, _who(as_), collection_id, data)
    say(f"{done.name}: {_row(done)['visibility']}")


@app.command("delete")
def delete(collection_id: IdArg, as_: AsOpt = None) -> None:
    """Delete a collection (its assets are not touched)."""
    with open_context() as ctx:
        collections.delete_collection(ctx, _who(as_), collection_id)
    say(f"Deleted collection {collection_id}")
