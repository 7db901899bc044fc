"""``sounding tags ...``: the tag taxonomy (groups of tags and who may apply them)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sounding.cli.output import EXIT_USAGE, fail, print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.features.tag_taxonomy import service as taxonomy

app = typer.Typer(
    help="The tag taxonomy: tag groups (tier.gold) and who may apply them.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
GroupArg = Annotated[str, typer.Argument(help="Group name (tier)")]
TagOpt = Annotated[
    list[str] | None, typer.Option("--tag", help="A tag of the group, NAME or NAME=description")
]
RoleOpt = Annotated[
    list[str] | None, typer.Option("--role", help="A role that may apply its tags (repeat)")
]


def _tags(items: list[str] | None) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        name, _, description = item.partition("=")
        out.append({"name": name, "description": description or None})
    return out


@app.command("list")
def list_(json_: JsonOpt = False) -> None:
    """List tag groups with their tags and the roles that apply them."""
    with open_context() as ctx:
        items, total = taxonomy.list_groups(ctx, local_operator(), limit=1000, offset=0)
    if json_:
        print_json({"items": items, "total": total})
        return
    if not items:
        say("No tag groups: every tag is a free tag. Create one: sounding tags create GROUP")
        return
    rows = [
        {
            "group": g.name,
            "tags": ", ".join(t.tag for t in g.tags),
            "apply_roles": ", ".join(g.apply_roles),
            "description": g.description or "",
        }
        for g in items
    ]
    print_table(rows, ["group", "tags", "apply_roles", "description"])


@app.command("show")
def show(group: GroupArg, json_: JsonOpt = False) -> None:
    """A tag group: its tags with their descriptions, and who may apply them."""
    with open_context() as ctx:
        found = taxonomy.get_group(ctx, local_operator(), group)
    if json_:
        print_json(found)
        return
    say(f"[bold]{found.name}[/bold]: applied by {', '.join(found.apply_roles) or 'nobody'}")
    if found.description:
        say(found.description)
    print_table(list(found.tags), ["tag", "description"])


@app.command("create")
def create(
    group: GroupArg,
    description: Annotated[str | None, typer.Option(help="What the group means")] = None,
    tag: TagOpt = None,
    role: RoleOpt = None,
) -> None:
    """Create a tag group (roles default to admin and steward)."""
    data: dict[str, Any] = {"name": group, "tags": _tags(tag)}
    if description is not None:
        data["description"] = description
    if role:
        data["apply_roles"] = role
    with open_context() as ctx:
        made = taxonomy.create_group(ctx, local_operator(), data)
    say(f"Created tag group {made.name}: {', '.join(t.tag for t in made.tags) or 'no tags yet'}")


@app.command("update")
def update(
    group: GroupArg,
    description: Annotated[str | None, typer.Option(help="New description")] = None,
    add: TagOpt = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="A tag to remove")] = None,
    role: RoleOpt = None,
) -> None:
    """Add or remove tags, change who may apply them or the description."""
    data: dict[str, Any] = {}
    if description is not None:
        data["description"] = description
    if add:
        data["add_tags"] = _tags(add)
    if remove:
        data["remove_tags"] = remove
    if role:
        data["apply_roles"] = role
    if not data:
        fail("Nothing to change: give --tag, --remove, --role or --description", EXIT_USAGE)
    with open_context() as ctx:
        done = taxonomy.update_group(ctx, local_operator(), group, data)
    say(f"Updated tag group {done.name}: {', '.join(t.tag for t in done.tags) or 'no tags'}")


@app.command("delete")
def delete(group: GroupArg) -> None:
    """Delete a tag group; its tags become free tags (assets keep them)."""
    with open_context() as ctx:
        taxonomy.delete_group(ctx, local_operator(), group)
    say(f"Deleted tag group {group}")
