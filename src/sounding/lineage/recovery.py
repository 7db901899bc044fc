"""Parse the tokens of one statement, recovering statements sqlglot cannot take whole.

Tried only when the plain parse fails or gives an opaque ``Command`` (or a routine whose body
is one):

* a compound assignment (T-SQL ``SET x += 1``) is spelled out (``SET x = x + 1``);
* two statements without a semicolon between them (T-SQL allows it) are split where the second
  one starts;
* a procedural wrapper (``CREATE PROCEDURE ... AS BEGIN``, ``IF ... THEN``, ``LOOP``, ``BEGIN
  TRY``) is skipped up to the first statement inside it;
* a ``CREATE TABLE`` whose storage options sqlglot does not know (Redshift's ``DISTKEY``,
  Oracle's ``PCTFREE``, ``STORAGE (...)``, ...) is read without them: the longest prefix that
  parses as a CREATE TABLE, with its ``AS <query>`` when it has one, since the options never
  change what the table is made from.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError
from sqlglot.tokenizer_core import Token, TokenType

Parsed = list[tuple[exp.Expr, Sequence[Token]]]

_STATEMENT_STARTS = frozenset(
    {
        TokenType.SELECT,
        TokenType.INSERT,
        TokenType.UPDATE,
        TokenType.DELETE,
        TokenType.MERGE,
        TokenType.WITH,
        TokenType.CREATE,
        TokenType.DROP,
        TokenType.ALTER,
        TokenType.TRUNCATE,
        TokenType.DECLARE,
        TokenType.SET,
        TokenType.COPY,
    }
)
_COMPOUND_OPERATORS = frozenset(
    {
        TokenType.PLUS,
        TokenType.DASH,
        TokenType.STAR,
        TokenType.SLASH,
        TokenType.MOD,
        TokenType.PIPE,
        TokenType.AMP,
        TokenType.CARET,
    }
)
_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER, TokenType.DOT})
_ROUTINE_KINDS = frozenset({"PROCEDURE", "FUNCTION"})
_MAX_TRIES = 40
_MAX_DEPTH = 4


def parse_tokens(dialect: Dialect, tokens: Sequence[Token], source: str, depth: int = 0) -> Parsed:
    """Parse ``tokens`` as one statement, or recover several from them; raise ``ParseError``."""
    try:
        expression = _parse_one(dialect, tokens, source)
    except ParseError:
        if depth >= _MAX_DEPTH:
            raise
        rewritten = _spell_out_compound_assignments(tokens)
        recovered: Parsed = []
        if rewritten is not None:
            try:
                recovered = parse_tokens(dialect, rewritten, source, depth + 1)
            except ParseError:
                recovered = []
        recovered = recovered or _split_missing_semicolon(dialect, tokens, source, depth)
        recovered = recovered or _skip_to_inner(dialect, tokens, source, depth)
        recovered = recovered or _create_without_options(dialect, tokens, source)
        if recovered:
            return recovered
        raise
    if _is_opaque(expression) and depth < _MAX_DEPTH:
        inner = _skip_to_inner(dialect, tokens, source, depth)
        inner = inner or _create_without_options(dialect, tokens, source)
        if inner:
            return inner
    return [(expression, tokens)]


def _parse_one(dialect: Dialect, tokens: Sequence[Token], source: str) -> exp.Expr:
    parsed = [e for e in dialect.parser().parse(list(tokens), source) if e is not None]
    if len(parsed) != 1:
        raise ParseError("Expected one statement")
    return parsed[0]


def _is_opaque(expression: exp.Expr) -> bool:
    """A Command, or a routine whose body sqlglot kept as one."""
    if isinstance(expression, exp.Command):
        return True
    if isinstance(expression, exp.Create):
        kind = str(expression.args.get("kind") or "").upper()
        return kind in _ROUTINE_KINDS and not isinstance(expression.expression, exp.Block)
    return False


def _starts(tokens: Sequence[Token]) -> list[int]:
    """Indexes (> 0) where a statement may start: a statement keyword not after ``(``."""
    found = [
        i
        for i in range(1, len(tokens))
        if tokens[i].token_type in _STATEMENT_STARTS
        and tokens[i - 1].token_type != TokenType.L_PAREN
    ]
    return found[:_MAX_TRIES]


def _split_missing_semicolon(
    dialect: Dialect, tokens: Sequence[Token], source: str, depth: int
) -> Parsed:
    for k in _starts(tokens):
        try:
            head = _parse_one(dialect, tokens[:k], source)
        except ParseError:
            continue
        if _is_opaque(head):
            continue
        try:
            rest = parse_tokens(dialect, tokens[k:], source, depth + 1)
        except ParseError:
            continue
        return [(head, tokens[:k]), *rest]
    return []


def _skip_to_inner(dialect: Dialect, tokens: Sequence[Token], source: str, depth: int) -> Parsed:
    for k in _starts(tokens):
        try:
            inner = parse_tokens(dialect, tokens[k:], source, depth + 1)
        except ParseError:
            continue
        if not all(_is_opaque(e) for e, _ in inner):
            return inner
    return []


_QUERY_STARTS = frozenset({TokenType.SELECT, TokenType.WITH, TokenType.L_PAREN})


def _create_without_options(dialect: Dialect, tokens: Sequence[Token], source: str) -> Parsed:
    """``CREATE ... TABLE name (columns) <options sqlglot cannot read> [AS query]`` as the
    CREATE TABLE it is, or nothing when ``tokens`` are not one."""
    table = _create_table_index(tokens)
    if table is None:
        return []
    depth, cuts, query_at = 0, [], None
    for i in range(table + 2, len(tokens)):
        kind = tokens[i].token_type
        if depth == 0:
            cuts.append(i)
            if (
                kind == TokenType.ALIAS
                and i + 1 < len(tokens)
                and tokens[i + 1].token_type in _QUERY_STARTS
            ):
                query_at = i
                break
        if kind == TokenType.L_PAREN:
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth = max(depth - 1, 0)
    if query_at is None:
        cuts.append(len(tokens))
    tail = list(tokens[query_at:]) if query_at is not None else []
    for cut in sorted(cuts, reverse=True)[:_MAX_TRIES]:
        candidate = [*tokens[:cut], *tail]
        try:
            expression = _parse_one(dialect, candidate, source)
        except ParseError:
            continue
        made = expression.this if isinstance(expression, exp.Create) else None
        if isinstance(made, (exp.Table, exp.Schema)):
            return [(expression, tokens)]
    return []


def _create_table_index(tokens: Sequence[Token]) -> int | None:
    """The index of ``TABLE`` in ``CREATE [OR REPLACE] [modifiers] TABLE``, if these are such
    tokens."""
    if not tokens or tokens[0].token_type != TokenType.CREATE:
        return None
    for i in range(1, min(len(tokens), 8)):
        if tokens[i].token_type == TokenType.TABLE:
            return i
        if tokens[i].token_type in (TokenType.L_PAREN, TokenType.ALIAS, TokenType.SELECT):
            return None
    return None


def _spell_out_compound_assignments(tokens: Sequence[Token]) -> list[Token] | None:
    """``a.b += x`` -> ``a.b = a.b + x``; ``None`` when there is none."""
    out: list[Token] = []
    changed = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        follower = tokens[i + 1] if i + 1 < len(tokens) else None
        if (
            token.token_type in _COMPOUND_OPERATORS
            and follower is not None
            and follower.token_type == TokenType.EQ
            and follower.start == token.end + 1
        ):
            j = len(out)
            while j > 0 and out[j - 1].token_type in _NAME_TOKENS:
                j -= 1
            target = out[j:]
            if target:
                out.extend([follower, *target, token])
                changed = True
                i += 2
                continue
        out.append(token)
        i += 1
    return out if changed else None
