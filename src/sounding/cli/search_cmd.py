"""``sounding search QUERY`` and ``sounding search reindex``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from sounding.cli.output import print_json, print_table, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.services import search


class _QueryByDefault(TyperGroup):
    """``sounding search customer email`` runs ``query``; ``reindex`` stays a command."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:  # typer vendors its Click
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["query", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_QueryByDefault,
    help="Search the catalog: sounding search WORDS [--type T] ...",
    no_args_is_help=True,
)


@app.command("query", hidden=True)
def query(
    words: Annotated[list[str], typer.Argument(help="What to look for")],
    type_: Annotated[list[str] | None, typer.Option("--type", help="Asset type (repeat)")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Source (repeat)")] = None,
    label: Annotated[list[str] | None, typer.Option(help="Classification label (repeat)")] = (None),
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    mode: Annotated[str, typer.Option(help="hybrid, keyword or semantic")] = "hybrid",
    json_: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Search assets by name, description, columns, labels or meaning."""
    filters: dict[str, Any] = {
        "types": tuple(type_ or ()),
        "sources": tuple(source or ()),
        "classifications": tuple(label or ()),
    }
    with open_context() as ctx:
        page = search.search(
            ctx, local_operator(), " ".join(words), limit=limit, mode=mode, filters=filters
        )
    if json_:
        print_json(page)
        return
    rows = [{**h, "why": ", ".join(h.get("reasons", []))} for h in page["items"]]
    print_table(rows, ["type", "qualified_name", "source", "score", "why"])
    say(f"{len(rows)} of {page['total']}")


@app.command("reindex")
def reindex() -> None:
    """Rebuild the search index from the catalog."""
    with open_context() as ctx:
        count = search.reindex(ctx)
    say(f"Indexed {count} assets")
