"""Split a SQL script into statements and parse each one on its own, recovering where we can.

A statement that does not parse becomes a ``ParseProblem`` (line, column, message) and the
others still parse. Recovery, tried only when the plain parse fails or yields an opaque
``Command``:

* two statements without a semicolon between them (T-SQL allows it) are split where the second
  one starts;
* a procedural wrapper (``CREATE PROCEDURE ... AS BEGIN``, ``IF ... THEN``, ``LOOP``, ``BEGIN
  TRY``) is skipped up to the first statement inside it;
* the dialect's fallbacks (see ``dialects.py``) are tried before giving up.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from sounding.domain.lineage import ParseProblem
from sounding.lineage.blocks import block_units, split_at_block_keywords
from sounding.lineage.recovery import parse_tokens

logger = logging.getLogger(__name__)

# Batch separators alone on their line: T-SQL's GO, Oracle SQL*Plus's /.
_BATCH_SEPARATORS = {"tsql": "GO", "fabric": "GO", "oracle": "/"}
_TOKEN_ERROR_AT = re.compile(r"from \d+:(\d+)")


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One parsed statement; ``source`` is the text its tokens (and node positions) index."""

    index: int
    expression: exp.Expr
    tokens: Sequence[Token]
    source: str
    dialect: Dialect
    line: int = 1  # where the statement starts in the whole script
    column: int = 1
    unit: int = 0  # index of the first statement of the routine (procedure) it is part of

    @property
    def sql(self) -> str:
        return self.source[self.tokens[0].start : self.tokens[-1].end + 1]


@dataclass
class ParsedScript:
    statements: list[ParsedStatement] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Chunk:
    index: int
    tokens: list[Token]
    source: str
    base: int  # offset of ``source`` in the whole script


class _Locator:
    """Offsets in the whole script to 1-based (line, column)."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.starts = [0] + [i + 1 for i, ch in enumerate(sql) if ch == "\n"]

    def at(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.sql)))
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def parse_script(
    sql: str, dialects: Sequence[Dialect], check: Callable[[], None] | None = None
) -> ParsedScript:
    """Parse every statement of ``sql`` with ``dialects[0]``, then its fallbacks; ``check``
    runs before each statement's parse (it raises to stop)."""
    script = ParsedScript()
    locator = _Locator(sql)
    chunks = _chunks(sql, dialects[0], locator, script.problems)
    units = block_units([chunk.tokens for chunk in chunks])
    for chunk, unit in zip(chunks, units, strict=True):
        if check is not None:
            check()
        if unit is None:
            _parse_chunk_into(chunk, chunk.index, dialects, locator, script)
            continue
        for piece in split_at_block_keywords(chunk.tokens):
            part = _Chunk(chunk.index, piece, chunk.source, chunk.base)
            _parse_chunk_into(part, chunks[unit].index, dialects, locator, script)
    return script


def _chunks(
    sql: str, dialect: Dialect, locator: _Locator, problems: list[ParseProblem]
) -> list[_Chunk]:
    separator = _BATCH_SEPARATORS.get(type(dialect).__name__.lower())
    try:
        return _split_tokens(dialect.tokenize(sql), sql, 0, 0, separator)
    except TokenError:
        pass
    chunks: list[_Chunk] = []
    for base, piece in _naive_pieces(sql):
        try:
            tokens = dialect.tokenize(piece)
        except TokenError as error:
            line, column = locator.at(base + _token_error_offset(error, piece))
            message = f"Cannot tokenize: {error.__cause__ or error}"
            problems.append(ParseProblem(len(chunks), line, column, message))
            chunks.append(_Chunk(len(chunks), [], piece, base))
            continue
        chunks.extend(_split_tokens(tokens, piece, base, len(chunks), separator))
    return [chunk for chunk in chunks if chunk.tokens]


def _split_tokens(
    tokens: list[Token], source: str, base: int, first: int, separator: str | None
) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    current: list[Token] = []
    for i, token in enumerate(tokens):
        if token.token_type == TokenType.SEMICOLON or _is_batch_separator(tokens, i, separator):
            if current:
                chunks.append(_Chunk(first + len(chunks), current, source, base))
            current = []
        else:
            current.append(token)
    if current:
        chunks.append(_Chunk(first + len(chunks), current, source, base))
    return chunks


def _is_batch_separator(tokens: list[Token], i: int, separator: str | None) -> bool:
    token = tokens[i]
    if separator is None or token.text.upper() != separator:
        return False
    before = i == 0 or tokens[i - 1].line < token.line
    after = i + 1 == len(tokens) or tokens[i + 1].line > token.line
    return before and after


def _naive_pieces(sql: str) -> list[tuple[int, str]]:
    pieces, start = [], 0
    for match in re.finditer(";", sql):
        pieces.append((start, sql[start : match.start()]))
        start = match.end()
    pieces.append((start, sql[start:]))
    return [(base, piece) for base, piece in pieces if piece.strip()]


def _token_error_offset(error: TokenError, source: str) -> int:
    match = _TOKEN_ERROR_AT.search(str(error.__cause__ or ""))
    return int(match.group(1)) if match else len(source.rstrip())


def _parse_chunk_into(
    chunk: _Chunk, unit: int, dialects: Sequence[Dialect], locator: _Locator, script: ParsedScript
) -> None:
    first_error: Exception | None = None
    for n, dialect in enumerate(dialects):
        tokens, source = chunk.tokens, chunk.source
        if n:
            source = chunk.source[tokens[0].start : tokens[-1].end + 1]
            try:
                tokens = dialect.tokenize(source)
            except TokenError:
                continue
        try:
            parsed = parse_tokens(dialect, tokens, source)
        except ParseError as error:
            first_error = first_error or error
            continue
        except RecursionError:
            first_error = first_error or RecursionError("Statement is nested too deeply")
            continue
        except Exception as error:
            logger.debug("sqlglot failed on statement %d", chunk.index, exc_info=True)
            first_error = first_error or error
            continue
        line, column = locator.at(chunk.base + chunk.tokens[0].start)
        for expression, used in parsed:
            script.statements.append(
                ParsedStatement(chunk.index, expression, used, source, dialect, line, column, unit)
            )
        return
    script.problems.append(_problem(chunk, first_error, locator))


def _problem(chunk: _Chunk, error: Exception | None, locator: _Locator) -> ParseProblem:
    first = chunk.tokens[0]
    offset = chunk.base + first.start
    message = f"Cannot parse statement: {error}" if error else "Cannot parse statement"
    if isinstance(error, ParseError) and error.errors:
        detail = error.errors[0]
        message = str(detail.get("description") or message)
        line, col = int(detail.get("line") or 0), int(detail.get("col") or 0)
        highlight = str(detail.get("highlight") or "")
        if line and col:
            start_col = col - len(highlight) + 1 if highlight and "\n" not in highlight else col
            source_loc = _Locator(chunk.source)
            line_start = source_loc.starts[min(line, len(source_loc.starts)) - 1]
            offset = chunk.base + line_start + max(start_col, 1) - 1
        if highlight:
            message = f"{message} near {highlight!r}"
    line, column = locator.at(offset)
    return ParseProblem(chunk.index, line, column, message)
