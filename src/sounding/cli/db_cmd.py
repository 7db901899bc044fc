"""``sounding db check|upgrade``, ``sounding backup FILE`` and ``sounding restore FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sounding.cli.output import EXIT_FAILURE, err_console, say
from sounding.cli.state import describe_store, settings
from sounding.services import backup as backups

db_app = typer.Typer(
    help="The store's schema: check it is current, upgrade it.", no_args_is_help=True
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
