"""``sounding properties ...``: typed custom properties (string, number, enum, date, user,
URL) that assets carry, per asset type."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sounding.cli.output import EXIT_USAGE, fail, print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.features.custom_properties import service as properties

app = typer.Typer(
    help="Custom properties: typed properties (string, number, enum, date, user, url) of assets.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
NameArg = Annotated[str, typer.Argument(help="Property name (tier)")]
ValueOpt = Annotated[
    list[str] | None, typer.Option("--value", help="An allowed value of an enum (repeat)")
]
AssetTypeOpt = Annotated[
    list[str] | None,
    typer.Option("--asset-type", help="An asset type it applies to (repeat; default: all)"),
]


@app.command("list")
def list_(
    asset_type: Annotated[
        str | None, typer.Option("--asset-type", help="Only those this asset type may carry")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """List property definitions."""
    with open_context() as ctx:
        items, total = properties.list_properties(
            ctx, local_operator(), limit=1000, offset=0, asset_type=asset_type
        )
    if json_:
        print_json({"items": items, "total": total})
        return
    if not items:
        say(
            "No properties defined: custom properties are free-form. Define one: "
            "sounding properties create NAME --type string"
        )
        return
    rows = [
        {
            "name": p.name,
            "type": p.type.value,
            "values": ", ".join(p.allowed_values),
            "asset_types": ", ".join(p.asset_types) or "all",
            "required": "yes" if p.required else "",
            "description": p.description or "",
        }
        for p in items
    ]
    print_table(rows, ["name", "type", "values", "asset_types", "required", "description"])


@app.command("show")
def show(name: NameArg, json_: JsonOpt = False) -> None:
    """A property definition and how many assets hold a value for it."""
    with open_context() as ctx:
        found = properties.get_property(ctx, local_operator(), name)
        held = properties.usage(ctx, local_operator(), name)
    if json_:
        print_json(found)
        return
    say(f"[bold]{found.name}[/bold] ({found.type.value}{', required' if found.required else ''})")
    if found.description:
        say(found.description)
    if found.allowed_values:
        say(f"values: {', '.join(found.allowed_values)}")
    say(f"asset types: {', '.join(found.asset_types) or 'all'}; held by {held} asset(s)")


@app.command("create")
def create(
    name: NameArg,
    type_: Annotated[
        str, typer.Option("--type", help="string, number, enum, date, user or url")
    ] = "string",
    description: Annotated[str | None, typer.Option(help="What the property means")] = None,
    value: ValueOpt = None,
    asset_type: AssetTypeOpt = None,
    required: Annotated[bool, typer.Option("--required", help="Assets must have it")] = False,
) -> None:
    """Define a property (an enum lists its values with --value)."""
    data: dict[str, Any] = {"name": name, "type": type_, "required": required}
    if description is not None:
        data["description"] = description
    if value:
        data["allowed_values"] = value
    if asset_type:
        data["asset_types"] = asset_type
    with open_context() as ctx:
        made = properties.create_property(ctx, local_operator(), data)
    say(f"Defined property {made.name} ({made.type.value})")


@app.command("update")
def update(
    name: NameArg,
    description: Annotated[str | None, typer.Option(help="New description")] = None,
    value: ValueOpt = None,
    asset_type: AssetTypeOpt = None,
    required: Annotated[
        bool | None, typer.Option("--required/--optional", help="Whether assets must have it")
    ] = None,
) -> None:
    """Change a property's description, enum values, asset types or required flag."""
    data: dict[str, Any] = {}
    if description is not None:
        data["description"] = description
    if value:
        data["allowed_values"] = value
    if asset_type:
        data["asset_types"] = asset_type
    if required is not None:
        data["required"] = required
    if not data:
        fail(
            "Nothing to change: give --description, --value, --asset-type or --required",
            EXIT_USAGE,
        )
    with open_context() as ctx:
        done = properties.update_property(ctx, local_operator(), name, data)
    say(f"Updated property {done.name}")


@app.command("delete")
def delete(
    name: NameArg,
    force: Annotated[
        bool, typer.Option("--force", help="Also when assets hold values (removes them)")
    ] = False,
) -> None:
    """Delete a property definition (refused while assets hold values, unless --force)."""
    with open_context() as ctx:
        cleared = properties.delete_property(ctx, local_operator(), name, force=force)
    say(
        f"Deleted property {name}"
        + (f"; removed its value from {cleared} asset(s)" if cleared else "")
    )
