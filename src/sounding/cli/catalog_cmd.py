"""``sounding catalog export|import``: the curated catalog as JSON Lines or CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sounding.cli.output import EXIT_USAGE, err_console, print_json, read_text, say
from sounding.cli.state import open_context
from sounding.domain.auth import local_operator
from sounding.errors import ValidationFailedError
from sounding.services import catalog_io

app = typer.Typer(
    help="Export and import the curated catalog (owners, tags, terms, manual assets, ...).",
    no_args_is_help=True,
)
FormatOpt = Annotated[str, typer.Option("--format", help="jsonl or csv")]


@app.command("export")
def export(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: standard output)")
    ] = None,
    format_: FormatOpt = "jsonl",
) -> None:
    """Write the curated metadata: domains, tag groups, descriptions, owners, tags, terms,
    custom properties, manual assets and edges, classification decisions, data products."""
    with open_context() as ctx:
        text = catalog_io.export_text(ctx, local_operator(), format_)
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    say(f"Wrote {len(text.splitlines())} lines to {out}")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A file `sounding catalog export` wrote")],
    format_: Annotated[
        str | None, typer.Option("--format", help="jsonl or csv (default: by extension)")
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Check every record, then apply them all or none; importing twice changes nothing."""
    fmt = format_ or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    text = read_text(path)
    with open_context() as ctx:
        try:
            result = catalog_io.import_text(ctx, local_operator(), text, fmt)
        except ValidationFailedError as exc:
            for error in exc.details.get("errors", []):
                err_console.print(
                    f"{path}:{error['line']}: {error['message']}",
                    highlight=False,
                    markup=False,
                    soft_wrap=True,
                )
            err_console.print(exc.message.split(". Line")[0], highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_USAGE) from None
    if json_:
        print_json({k: getattr(result, k) for k in ("rows", "created", "updated", "unchanged")})
        return
    say(
        f"Imported {result.rows} records: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged"
    )
