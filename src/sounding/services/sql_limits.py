"""Limits on user SQL the server parses: its size, and how long parsing it may take.

Kept light (no store, no server): a SQL worker process imports this module to run a parse.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sounding.config import Settings
from sounding.domain.lineage import LineageResult
from sounding.errors import InvalidInputError, TooLargeError
from sounding.lineage.parse import parse_lineage


@dataclass(frozen=True)
class SqlLimits:
    max_bytes: int
    seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SqlLimits:
        return cls(settings.max_sql_bytes, settings.sql_parse_seconds)

    def check_size(self, sql: str) -> None:
        """413 for SQL text over ``max_bytes`` (UTF-8)."""
        if len(sql) <= self.max_bytes // 4:
            return  # even four bytes a character fits
        size = len(sql.encode("utf-8", errors="surrogatepass"))
        if size > self.max_bytes:
            raise TooLargeError(
                f"SQL text is {size} bytes, over the limit of {self.max_bytes} "
                "(setting SOUNDING_MAX_SQL_BYTES); send fewer statements at once",
                field="sql",
                limit=self.max_bytes,
                setting="SOUNDING_MAX_SQL_BYTES",
            )

    def deadline(self) -> Callable[[], None]:
        """A check that raises once ``seconds`` have passed since it was made."""
        end = time.monotonic() + self.seconds

        def check() -> None:
            if time.monotonic() > end:
                self.deadline_passed()

        return check

    def deadline_passed(self) -> None:
        raise InvalidInputError(
            f"Parsing the SQL took longer than {self.seconds:g} s "
            "(setting SOUNDING_SQL_PARSE_SECONDS); send fewer statements at once",
            field="sql",
            limit=self.seconds,
            setting="SOUNDING_SQL_PARSE_SECONDS",
        )


def watch_parent(parent: int) -> None:
    """In a worker process: exit as soon as the server that started it is gone (a crashed
    server must not leave parsers behind)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def ready() -> bool:
    """A worker process has imported the parser (run once when it starts)."""
    return True


def parse_within(
    sql: str, dialect: str, schema: Mapping[str, Any] | None, limits: SqlLimits
) -> LineageResult:
    """Lineage of ``sql``, stopped between statements once the deadline has passed; a parse
    that finished past it (one statement longer than the limit) is refused all the same, so
    the limit means the same whatever the machine's speed."""
    check = limits.deadline()
    result = parse_lineage(sql, dialect, schema, check=check)
    check()
    return result
