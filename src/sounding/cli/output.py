"""CLI output: the one place that maps errors to exit codes, and the only place that prints."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sounding import errors as e
from sounding.domain.timestamps import format_timestamp, to_text

console = Console()
SHORT_COLUMN = 14  # a table column this wide or narrower is never wrapped
err_console = Console(stderr=True)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
_USAGE_ERRORS = (e.InvalidInputError, e.UnsupportedSourceError, e.ParseError)


class _Options:
    verbose = False  # `sounding --verbose ...`: errors also print their details and cause


options = _Options()


def exit_code_for(exc: e.SoundingError) -> int:
    return EXIT_USAGE if isinstance(exc, _USAGE_ERRORS) else EXIT_FAILURE


def one_line(exc: e.SoundingError) -> str:
    """The error as one line: its first line, where it happened, and how to see the rest."""
    lines = [line.strip() for line in exc.message.strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    where = ", ".join(
        f"{key} {exc.details[key]}"
        for key in ("line", "column")
        if exc.details.get(key) is not None and f"{key} {exc.details[key]}" not in text
    )
    if where:
        text += f" ({where})"
    if len(lines) > 1 and not options.verbose:
        text += "; --verbose shows the details"
    return text


def _print_details(exc: e.SoundingError) -> None:
    lines = exc.message.strip().splitlines()
    for line in lines[1:]:
        err_console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    for key, value in exc.details.items():
        err_console.print(f"  {key}: {value}", highlight=False, markup=False, soft_wrap=True)
    cause = exc.__cause__
    while cause is not None and str(cause) not in exc.message:
        text = f"{type(cause).__module__}.{type(cause).__qualname__}: {cause}"
        err_console.print(f"  caused by {text}", highlight=False, markup=False, soft_wrap=True)
        cause = cause.__cause__


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Turn a SoundingError into one line on stderr and the right exit code.

    The root command group wraps every command in this once (``cli/app.py``
    ``LazyGroup.invoke``), so a command lets our errors propagate: whatever it printed before
    stays printed, and the context managers it opened (the store, progress bars) close before
    the error line is written."""
    try:
        yield
    except e.SoundingError as exc:
        err_console.print(
            f"[red]error:[/red] {escape(one_line(exc))}", highlight=False, soft_wrap=True
        )
        if options.verbose:
            _print_details(exc)
        raise typer.Exit(exit_code_for(exc)) from None


def report_unexpected(exc: Exception) -> int:
    """An error that is not a SoundingError (a bug, a driver's exception): still one line on
    stderr and exit code 1; ``--verbose`` adds the traceback."""
    first = (str(exc).strip().splitlines() or [""])[0]
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
    hint = "" if options.verbose else "; --verbose shows the traceback"
    err_console.print(
        f"[red]error:[/red] {escape(f'unexpected {kind}: {first}{hint}')}",
        highlight=False,
        soft_wrap=True,
    )
    if options.verbose:
        err_console.print_exception()
    return EXIT_FAILURE


def _json_default(value: Any) -> Any:
    """Typed records (dataclasses) print as their fields; other values as :func:`to_text`."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return to_text(value)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=_json_default, indent=2, ensure_ascii=False) + "\n")


def _field(row: Any, name: str) -> Any:
    """A column of a row: a mapping's key or a typed record's attribute."""
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def print_table(
    rows: Sequence[Any],
    columns: Sequence[str],
    title: str | None = None,
    fmt: dict[str, Callable[[Any], str]] | None = None,
) -> None:
    fmt = fmt or {}
    cells = [[fmt.get(c, _cell)(_field(row, c)) for c in columns] for row in rows]
    table = Table(title=title, show_lines=False)
    for i, col in enumerate(columns):
        widest = max([len(col), *(len(r[i]) for r in cells)])
        if widest <= SHORT_COLUMN:  # statuses, counts, kinds: keep whole, never squeeze
            table.add_column(col, no_wrap=True, min_width=widest)
        else:  # names and URNs wrap on a narrow terminal instead of losing their ends
            table.add_column(col, overflow="fold")
    for r in cells:
        table.add_row(*r)
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def say(message: str) -> None:
    console.print(message, highlight=False, soft_wrap=True)


def parse_params(values: list[str] | None) -> dict[str, Any]:
    """``--param K=V`` options: values are JSON when they parse as JSON, else text."""
    out: dict[str, Any] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            fail(f"Invalid --param {item!r}: use KEY=VALUE", EXIT_USAGE)
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def read_text(path: Path) -> str:
    """A file the user named, or one line on stderr and exit code 2."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"Cannot read {path}: {exc.strerror}", EXIT_USAGE)
    except UnicodeDecodeError as exc:
        fail(f"Cannot read {path}: not UTF-8 text (byte {exc.start})", EXIT_USAGE)
