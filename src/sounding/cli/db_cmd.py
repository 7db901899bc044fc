"""``sounding db check|upgrade|prune``, ``sounding backup FILE`` and ``sounding restore FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sounding.cli.output import EXIT_FAILURE, err_console, print_json, print_table, say
from sounding.cli.state import describe_store, open_context, settings
from sounding.services import backup as backups

db_app = typer.Typer(
    help="The store's schema (check it is current, upgrade it) and its history (prune it).",
    no_args_is_help=True,
)


@db_app.command("check")
def check() -> None:
    """Say whether the store is at this Sounding's migration heads (changes nothing).

    Exit 0 when current, 1 when it needs an upgrade (one line per pending migration)."""
    s = settings()
    status = backups.schema_status(s)
    if status.current:
        say(f"The store {describe_store(s)} is current")
        return
    for revision in status.unknown:
        err_console.print(
            f"unknown migration {revision}: the store was written by a newer Sounding",
            highlight=False,
            markup=False,
        )
    for revision in status.pending:
        say(f"pending migration {revision}")
    if status.pending:
        say(f"The store {describe_store(s)} needs upgrade: run `sounding db upgrade`")
    raise typer.Exit(EXIT_FAILURE)


@db_app.command("upgrade")
def upgrade() -> None:
    """Migrate the store to this Sounding's schema (does nothing on a current store)."""
    s = settings()
    applied = backups.upgrade_store(s)
    if applied:
        say(f"Applied migrations: {', '.join(applied)}")
    else:
        say(f"The store {describe_store(s)} is current: nothing to apply")


def _mb(value: int | None) -> str:
    return "" if value is None else f"{value / 1_000_000:.1f} MB"


@db_app.command("prune")
def prune(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Delete the history past its retention (SOUNDING_RETENTION_*), in short batches.

    Safe while the server runs: each batch is its own short transaction. Running, paused and
    queued executions are never touched."""
    from sounding.services import retention

    with open_context() as ctx:
        report = retention.prune(ctx, dry_run=dry_run, actor="cli")
    if json_out:
        print_json(report)
        return
    rows: list[dict[str, object]] = []
    for k in report.kinds:
        kept = ({"table": "(kept)", "rows": 0},)  # a kind kept forever: no cutoff
        for t in [{"table": t.table, "rows": t.rows} for t in k.tables] or kept:
            rows.append({"kind": k.kind, "retention": k.retention, "cutoff": k.cutoff, **t})
    title = "Would delete (dry run)" if dry_run else "Deleted"
    fmt = {"cutoff": lambda v: "" if v is None else f"{v:%Y-%m-%d %H:%M} UTC"}
    print_table(rows, ["kind", "retention", "cutoff", "table", "rows"], title=title, fmt=fmt)
    say(retention.summary(report))
    if report.store_bytes is not None:
        say(
            f"Store: {_mb(report.store_bytes_before)} before, {_mb(report.store_bytes)} after; "
            f"free pages {_mb(report.free_bytes_before)} before, {_mb(report.free_bytes)} after "
            "(reused by later writes; `VACUUM` on a stopped server gives them back to the disk)"
        )


def backup(
    file: Annotated[Path, typer.Argument(help="The backup to write (.tar.gz)")],
    include_secret_key: Annotated[
        bool,
        typer.Option(
            "--include-secret-key",
            help="Also put the secret key (which decrypts source credentials) in the backup",
        ),
    ] = False,
) -> None:
    """Write a consistent copy of the SQLite store to FILE (safe while the server runs)."""
    if include_secret_key:
        err_console.print(
            "[yellow]warning:[/yellow] the backup holds the secret key: whoever reads it can "
            "decrypt every stored source credential. Keep it as safe as the key itself.",
            highlight=False,
        )
    manifest = backups.backup(settings(), file, include_secret_key=include_secret_key)
    say(
        f"Backed up the store to {file} (Sounding {manifest.sounding_version}, "
        f"{len(manifest.migration_heads)} migration heads, "
        f"{'with' if manifest.includes_secret_key else 'without'} the secret key)"
    )


def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `sounding backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the store of a non-empty SOUNDING_HOME")
    ] = False,
) -> None:
    """Restore a backup into an empty SOUNDING_HOME (--force replaces an existing store)."""
    s = settings()
    manifest = backups.restore(s, file, force=force)
    say(f"Restored {file} (made {manifest.created_at} by Sounding {manifest.sounding_version})")
    if not manifest.includes_secret_key:
        say(
            "The backup holds no secret key: set SOUNDING_SECRET_KEY to the original key (or "
            f"copy the original secret.key into {s.home}) before using stored source "
            "credentials"
        )
    status = backups.schema_status(s)
    if status.pending:
        say(
            "The store is from an earlier schema: `sounding serve` or `sounding db upgrade` "
            "migrates it"
        )
