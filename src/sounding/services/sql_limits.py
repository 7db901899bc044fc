"""Limits on user SQL the server parses: its size, and how long parsing it may take."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sounding.config import Settings
from sounding.errors import InvalidInputError, TooLargeError


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
                raise InvalidInputError(
                    f"Parsing the SQL took longer than {self.seconds:g} s "
                    "(setting SOUNDING_SQL_PARSE_SECONDS); send fewer statements at once",
                    field="sql",
                    limit=self.seconds,
                    setting="SOUNDING_SQL_PARSE_SECONDS",
                )

        return check
