"""``sounding domains ...``: domains and the assets in them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sounding.cli.output import EXIT_USAGE, fail, print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.features.domains import service as domains
from sounding.features.domains.records import Domain, DomainDetail
from sounding.services import catalog

app = typer.Typer(
    help="Domains: named, owned areas of the business that assets belong to.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
RefArg = Annotated[str, typer.Argument(help="Domain name or id")]
OwnerOpt = Annotated[
    list[str] | None, typer.Option("--owner", help="User name of an owner (repeat)")
]
COLUMNS = ["id", "name", "parent", "owners", "asset_count", "subdomain_count"]


def _row(d: Domain) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "parent": d.parent or "",
        "owners": ", ".join(d.owners),
        "asset_count": d.asset_count,
        "subdomain_count": d.subdomain_count,
    }


def _show(d: DomainDetail, json_: bool) -> None:
    if json_:
        data = {name: getattr(d, name) for name in DomainDetail.__dataclass_fields__}
        data["assets"] = [a.public() for a in d.assets]
        print_json(data)
        return
    say(f"[bold]{' / '.join((*d.path, d.name))}[/bold] id={d.id}")
    if d.description:
        say(d.description)
    say(f"owners: {', '.join(d.owners) or '(none)'}")
    if d.subdomains:
        print_table([_row(s) for s in d.subdomains], COLUMNS, title="sub-domains")
    say(f"{d.asset_count} asset{'s' if d.asset_count != 1 else ''}")
    if d.assets:
        rows = [{"id": a.id, "type": a.type, "qualified_name": a.qualified_name} for a in d.assets]
        print_table(rows, ["id", "type", "qualified_name"])
        if d.asset_count > len(d.assets):
            say(f"({len(d.assets)} of {d.asset_count}; sounding assets list shows the rest)")


@app.command("list")
def list_(
    q: Annotated[str | None, typer.Option(help="Part of the name")] = None,
    parent: Annotated[str | None, typer.Option(help="Only sub-domains of this one")] = None,
    top: Annotated[bool, typer.Option("--top", help="Only domains without a parent")] = False,
    owner: Annotated[str | None, typer.Option(help="Only the domains they own")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    offset: Annotated[int, typer.Option(min=0, max=10_000_000)] = 0,
    json_: JsonOpt = False,
) -> None:
    """List domains by name."""
    with open_context() as ctx:
        items, total = domains.list_domains(
            ctx,
            local_operator(),
            limit=limit,
            offset=offset,
            q=q,
            parent=parent,
            top=top,
            owner=owner,
        )
    if json_:
        print_json({"items": items, "total": total})
        return
    if not items:
        say("No domains. Create one: sounding domains create NAME")
        return
    print_table([_row(d) for d in items], COLUMNS)
    if total > offset + len(items):
        say(f"({len(items)} of {total}; use --limit/--offset)")


@app.command("show")
def show(
    ref: RefArg,
    assets: Annotated[int, typer.Option(min=0, max=500, help="How many assets to list")] = 20,
    json_: JsonOpt = False,
) -> None:
    """A domain: its path, owners, sub-domains and assets."""
    with open_context() as ctx:
        found = domains.get_domain(ctx, local_operator(), ref, asset_limit=assets)
    _show(found, json_)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The new domain's name")],
    description: Annotated[str | None, typer.Option(help="What the domain covers")] = None,
    owner: OwnerOpt = None,
    parent: Annotated[str | None, typer.Option(help="Nest it under this domain")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create a domain."""
    data: dict[str, Any] = {"name": name, "owners": owner or []}
    if description is not None:
        data["description"] = description
    if parent is not None:
        data["parent"] = parent
    with open_context() as ctx:
        made = domains.create_domain(ctx, local_operator(), data)
    if json_:
        _show(made, json_)
    else:
        say(f"Created domain {made.name} (id {made.id})")


@app.command("update")
def update(
    ref: RefArg,
    name: Annotated[str | None, typer.Option(help="Rename it (its assets follow)")] = None,
    description: Annotated[str | None, typer.Option(help="New description")] = None,
    owner: OwnerOpt = None,
    parent: Annotated[
        str | None, typer.Option(help="Move it under this domain ('' for the top)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Rename, describe, re-own or move a domain."""
    data: dict[str, Any] = {}
    if name is not None:
        data["name"] = name
    if description is not None:
        data["description"] = description
    if owner:
        data["owners"] = owner
    if parent is not None:
        data["parent"] = parent or None
    if not data:
        fail("Nothing to change: give --name, --description, --owner or --parent", EXIT_USAGE)
    with open_context() as ctx:
        done = domains.update_domain(ctx, local_operator(), ref, data)
    if json_:
        _show(done, json_)
    else:
        say(f"Updated domain {done.name}")


@app.command("delete")
def delete(ref: RefArg) -> None:
    """Delete an empty domain (one with assets or sub-domains is refused)."""
    with open_context() as ctx:
        domains.delete_domain(ctx, local_operator(), ref)
    say(f"Deleted domain {ref}")


@app.command("assign")
def assign(
    domain: Annotated[str, typer.Argument(help="Domain name ('' takes the assets out)")],
    assets: Annotated[list[str], typer.Argument(help="Asset ids or URNs")],
) -> None:
    """Put assets in a domain (each asset belongs to one domain)."""
    with open_context() as ctx:
        for ref in assets:
            done = catalog.assign_domain(ctx, local_operator(), ref, domain or None)
            say(f"{done.qualified_name}: {done.domain or '(no domain)'}")
