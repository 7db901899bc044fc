"""``sounding pool ...``: named slot capacities workflow steps draw from (``pool: NAME``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from sounding.cli.output import print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.services import pools

pool_app = typer.Typer(
    help="Pools: slots that workflow steps with `pool: NAME` share.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
Slots = Annotated[int, typer.Option("--slots", min=1, max=pools.MAX_SLOTS, help="Slots")]


@pool_app.command("create")
def create(name: str, slots: Slots, json_: JsonOpt = False) -> None:
    """Create a pool with SLOTS slots."""
    with open_context() as ctx:
        pool = pools.create_pool(ctx, local_operator(), name, slots)
    if json_:
        print_json(asdict(pool))
    else:
        say(f"Pool {pool.name} created: {pool.slots} slot(s)")


@pool_app.command("list")
def list_(json_: JsonOpt = False) -> None:
    """List pools."""
    with open_context() as ctx:
        items = [asdict(p) for p in pools.list_pools(ctx, local_operator())]
    if json_:
        print_json({"items": items, "total": len(items)})
    else:
        print_table(items, ["name", "slots", "updated_at", "updated_by"])


@pool_app.command("update")
def update(name: str, slots: Slots, json_: JsonOpt = False) -> None:
    """Change a pool's slots (running tasks keep theirs; new ones see the new size)."""
    with open_context() as ctx:
        pool = pools.update_pool(ctx, local_operator(), name, slots)
    if json_:
        print_json(asdict(pool))
    else:
        say(f"Pool {pool.name}: {pool.slots} slot(s)")


@pool_app.command("delete")
def delete(name: str) -> None:
    """Delete a pool that no workflow names."""
    with open_context() as ctx:
        pools.delete_pool(ctx, local_operator(), name)
    say(f"Pool {name} deleted")
