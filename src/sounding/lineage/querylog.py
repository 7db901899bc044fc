"""Statements out of query logs: PostgreSQL server logs, or plain files of SQL statements."""

from __future__ import annotations

import re

from sqlglot.tokenizer_core import TokenType
from sqlglot.tokens import Tokenizer

# "... LOG:  statement: INSERT ..." and "... LOG:  execute <unnamed>: INSERT ..."
_PG_LINE = re.compile(
    r"\b(?:LOG|STATEMENT):\s+(?:duration: [\d.]+ ms\s+)?"
    r"(?:statement|execute [^:]*):\s?(.*)$"
)
_PG_ANY = re.compile(r"^\S.*\b(?:LOG|ERROR|STATEMENT|DETAIL|HINT|WARNING):")


def split_statements(sql: str) -> list[str]:
    """SQL text split at top-level semicolons (strings and comments respected)."""
    out, start = [], 0
    try:
        tokens = Tokenizer().tokenize(sql)
    except Exception:  # untokenizable text: fall back to one statement
        return [sql.strip()] if sql.strip() else []
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            out.append(sql[start : token.start].strip())
            start = token.end + 1
    out.append(sql[start:].strip())
    return [s for s in out if s]


def statements_from_log(text: str) -> list[str]:
    """Statements of a PostgreSQL server log (``log_statement``), or of a plain SQL file."""
    if not any(_PG_LINE.search(line) for line in text.splitlines()[:2000]):
        return split_statements(text)
    statements: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        match = _PG_LINE.search(line)
        if match:
            current = [match.group(1)]
            statements.append(current)
        elif current is not None and line[:1] in ("\t", " ") and not _PG_ANY.match(line):
            current.append(line.strip())
        else:
            current = None
    return [" ".join(parts).strip().rstrip(";") for parts in statements if "".join(parts).strip()]
