"""Qualified names and URNs that round-trip any identifier.

A qualified name is a tuple of parts (``("main", "public", "orders")``). As text, parts are
joined with dots; a part that contains a dot, a double quote, ``#``, white space or is empty is
wrapped in double quotes with inner quotes doubled, as SQL does: ``main."my.schema".orders``.
A URN is ``urn:sounding:<source>:<qualified name>`` and, for a column,
``...<table qualified name>#<column>`` (the column quoted the same way when needed).
"""

from __future__ import annotations

import re

from sounding.errors import InvalidInputError

URN_PREFIX = "urn:sounding:"
_SPECIAL = re.compile(r'[."#:\s]')


def _needs_quotes(part: str) -> bool:
    return part == "" or _SPECIAL.search(part) is not None


def quote_part(part: str) -> str:
    if _needs_quotes(part):
        return '"' + part.replace('"', '""') + '"'
    return part


def join_qualified(parts: tuple[str, ...] | list[str]) -> str:
    """``("main", "my.tab")`` -> ``main."my.tab"``."""
    text = ".".join(parts)
    # fast path: plain identifiers (no specials besides the joining dots, none empty)
    plain = text.count(".") == len(parts) - 1 and _SPECIAL.search(text.replace(".", "")) is None
    if plain and all(parts):
        return text
    return ".".join(quote_part(p) for p in parts)


def split_qualified(text: str, sep: str = ".") -> tuple[str, ...]:
    """Inverse of :func:`join_qualified`; raises InvalidInputError on unbalanced quotes."""
    parts: list[str] = []
    buf: list[str] = []
    i, n = 0, len(text)
    quoted = False
    while i < n:
        ch = text[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    buf.append('"')
                    i += 2
                    continue
                quoted = False
            else:
                buf.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if quoted:
        raise InvalidInputError(f"Unbalanced quotes in qualified name {text!r}", value=text)
    parts.append("".join(buf))
    return tuple(parts)


def make_urn(source: str, path: tuple[str, ...], column: str | None = None) -> str:
    urn = (
        f"{URN_PREFIX}{quote_part(source)}:{join_qualified(path)}"
        if path
        else (f"{URN_PREFIX}{quote_part(source)}")
    )
    if column is not None:
        urn += "#" + quote_part(column)
    return urn


def _split_once_unquoted(text: str, sep: str) -> tuple[str, str | None]:
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            return text[:i], text[i + 1 :]
    return text, None


def _unquote(part: str) -> str:
    (value,) = split_qualified(part, sep="\x00")
    return value


def parse_urn(urn: str) -> tuple[str, tuple[str, ...], str | None]:
    """``urn:sounding:shop:main.orders#id`` -> ``("shop", ("main", "orders"), "id")``."""
    if not urn.startswith(URN_PREFIX):
        raise InvalidInputError(f"Not a Sounding URN (must start with {URN_PREFIX!r}): {urn!r}")
    source_text, body = _split_once_unquoted(urn[len(URN_PREFIX) :], ":")
    source = _unquote(source_text)
    if body is None:
        return source, (), None
    path_text, column_text = _split_once_unquoted(body, "#")
    column = _unquote(column_text) if column_text is not None else None
    return source, split_qualified(path_text), column
