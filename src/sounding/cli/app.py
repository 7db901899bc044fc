"""The ``sounding`` command line. Every command runs against the local store as its operator.

Start-up is lazy: the root group knows each command's name, module and one-line help, and
imports a command's module only when that command runs (``sounding --help`` imports none of
them, so it does not pay for FastAPI, SQLAlchemy or the scanners). A new command is one line in
``COMMANDS`` (``cli/commands.py``: this file does not change); ``tests/cli/test_startup.py``
checks each line's help against its module.
"""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from sounding.cli.commands import COMMANDS, LazyCommand


def load_command(name: str, spec: LazyCommand) -> Any:
    """Import one command's module and turn its Typer app (always a group, as ``add_typer``
    makes it) or its function into a Click command."""
    target = getattr(importlib.import_module(spec.module), spec.attr)
    if isinstance(target, typer.Typer):
        command: Any = typer.main.get_group(target)
    else:  # a plain command function
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


def _listing_entry(name: str, help_: str) -> Any:
    """What ``--help`` shows for a command that was not imported: its name and one line."""
    entry = typer.Typer()
    entry.command(name, help=help_)(lambda: None)
    return typer.main.get_command(entry)


class LazyGroup(TyperGroup):
    """A Typer group that imports a command's module on first use (see the module docstring)."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands, *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        if self._listing:
            return _listing_entry(cmd_name, spec.help)
        command = load_command(cmd_name, spec)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def invoke(self, ctx: Any) -> Any:
        """Run the chosen command: the one place a SoundingError from any command becomes one
        line on stderr and its exit code (``errors_to_exit``; anything else is left to
        ``main``'s backstop)."""
        from sounding.cli.output import errors_to_exit

        with errors_to_exit():
            return super().invoke(ctx)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except typer.BadParameter:  # pragma: no cover - a parameter error is not ours to touch
            raise
        except Exception as exc:  # Click's UsageError: "No such command"; suggest lazy names too
            message = getattr(exc, "message", None)
            if args and isinstance(message, str) and "Did you mean" not in message:
                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    suggestions = ", ".join(repr(m) for m in matches)
                    exc.message = f"{message.rstrip('.')}. Did you mean {suggestions}?"  # type: ignore[attr-defined]
            raise


def _print_version(value: bool) -> None:
    if value:
        from sounding import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


app = typer.Typer(
    cls=LazyGroup,
    name="sounding",
    help="Sounding: self-hosted data governance (catalog, scans, lineage, classification).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="On an error, also print its details and cause"),
    ] = False,
) -> None:
    from sounding.cli.output import options

    options.verbose = verbose


def main() -> None:
    try:
        app()
    except Exception as exc:  # the backstop: whatever escaped a command is still one line
        from sounding.cli.output import report_unexpected

        raise SystemExit(report_unexpected(exc)) from None
