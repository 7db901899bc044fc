"""Procedural blocks: routine bodies and BEGIN ... END blocks, split into their statements.

A routine (``CREATE PROCEDURE``/``FUNCTION`` with a ``BEGIN`` block, or an ``AS``/``IS`` not
followed by a string body) or an anonymous ``BEGIN ... END`` block is one *unit*: its chunks
(split by semicolons) run until the block closes, and within them ``BEGIN`` and ``END`` (with
``END IF``, ``END LOOP``, ``END TRY`` ...) separate statements like semicolons do. A ``CASE ...
END`` inside a statement is not a block.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot.tokenizer_core import Token, TokenType

_ROUTINES = frozenset({"PROCEDURE", "FUNCTION", "PROC"})
_STRINGS = frozenset({TokenType.STRING, TokenType.HEREDOC_STRING, TokenType.RAW_STRING})
_NOT_BLOCKS = frozenset({"TRANSACTION", "TRAN", "WORK", "DISTRIBUTED", ""})
_END_SUFFIXES = frozenset({"IF", "LOOP", "WHILE", "REPEAT", "FOR", "TRY", "CATCH", "CASE"})
_NOT_BLOCK_ENDS = frozenset({"IF", "LOOP", "WHILE", "REPEAT", "FOR"})
_MAX_PREAMBLE = 20  # chunks a routine header may take before its BEGIN


def block_units(chunks: Sequence[Sequence[Token]]) -> list[int | None]:
    """For each chunk, the position of the chunk opening its unit, or ``None`` if in none."""
    units: list[int | None] = []
    unit: int | None = None
    depth, opened, waited = 0, False, 0
    for position, tokens in enumerate(chunks):
        if unit is None and _opens_unit(tokens):
            unit, depth, opened, waited = position, 0, False, 0
        units.append(unit)
        if unit is None:
            continue
        depth, opened = _track(tokens, depth, opened)
        waited += 1
        if (opened and depth <= 0) or (not opened and waited > _MAX_PREAMBLE):
            unit = None
    return units


def split_at_block_keywords(tokens: Sequence[Token]) -> list[list[Token]]:
    """The statements of a unit's chunk: split at BEGIN/END outside ``CASE ... END``."""
    pieces: list[list[Token]] = []
    current: list[Token] = []
    case_depth = 0
    i = 0
    while i < len(tokens):
        token, text, after = tokens[i], tokens[i].text.upper(), _text(tokens, i + 1)
        if text == "CASE":
            case_depth += 1
        elif text == "END" and case_depth:
            case_depth -= 1
        elif (text == "BEGIN" and after not in _NOT_BLOCKS) or text == "END":
            if current:
                pieces.append(current)
            current = []
            i += 2 if text == "END" and after in _END_SUFFIXES else 1
            if text == "BEGIN" and after in ("TRY", "CATCH"):
                i += 1
            continue
        current.append(token)
        i += 1
    if current:
        pieces.append(current)
    return pieces


def _text(tokens: Sequence[Token], i: int) -> str:
    return tokens[i].text.upper() if i < len(tokens) else ""


def _opens_unit(tokens: Sequence[Token]) -> bool:
    if not tokens:
        return False
    words = [t.text.upper() for t in tokens[:6]]
    if words[0] == "BEGIN":
        return _text(tokens, 1) not in _NOT_BLOCKS
    if words[0] not in ("CREATE", "ALTER") or not _ROUTINES & set(words):
        return False
    texts = [t.text.upper() for t in tokens]
    if "BEGIN" in texts:
        return True
    for i, text in enumerate(texts[:-1]):
        if text in ("AS", "IS") and tokens[i + 1].token_type not in _STRINGS:
            return True
    return texts[-1] in ("AS", "IS")


def _track(tokens: Sequence[Token], depth: int, opened: bool) -> tuple[int, bool]:
    for i, token in enumerate(tokens):
        text, after = token.text.upper(), _text(tokens, i + 1)
        if text == "BEGIN" and after not in _NOT_BLOCKS:
            depth, opened = depth + 1, True
        elif text == "CASE":
            depth += 1
        elif text == "END" and after not in _NOT_BLOCK_ENDS:
            depth -= 1
    return depth, opened
