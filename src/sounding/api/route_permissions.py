"""Which permission each API route requires, read from the routes' dependencies.

``docs/api.md`` lists every route with its permission; the column is generated from here
(``python tools/api_permissions.py`` rewrites it) and ``tests/api/test_route_permissions.py``
fails when a route is missing, a row names a route that is gone, or a row's permission is not
what the code requires. The permission dependencies (``api.deps.require`` and
``require_scoped``) carry the permission they check as ``permission`` and whether the service
checks it on the asset's scopes as ``scoped``.

A cell reads the generated text, optionally followed by a note in parentheses that the
generator keeps: ``none (the trigger secret in X-Sounding-Secret)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from sounding.api.deps import get_principal

ROW = re.compile(
    r"^\| (?P<method>[A-Z]+) \| `(?P<path>[^`]+)` \| (?P<perm>[^|]*?) \| (?P<rest>.*)$"
)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def permission_text(route: APIRoute) -> str:
    """The permission a route requires, as docs/api.md spells it."""
    found: list[str] = []
    authenticated = False
    for call in _calls(route.dependant):
        perm = getattr(call, "permission", None)
        if perm is not None:
            scoped = bool(getattr(call, "scoped", False))
            text = f"`{perm.value}`" + (" on the asset" if scoped else "")
            if text not in found:
                found.append(text)
        if call is get_principal:
            authenticated = True
    if found:
        return " + ".join(found)
    return "any" if authenticated else "none"


def route_permissions(app: FastAPI) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> permission text, for every operation in the OpenAPI document."""
    documented = app.openapi()["paths"]
    out: dict[tuple[str, str], str] = {}
    for context in iter_route_contexts(app.router.routes):
        route = context.original_route
        path = context.path_format
        if not isinstance(route, APIRoute) or path is None or path not in documented:
            continue
        for method in sorted(route.methods or ()):
            if method.lower() in documented[path]:
                out[(method, path)] = permission_text(route)
    return out


def cell_matches(cell: str, expected: str) -> bool:
    """A doc cell says ``expected``, alone or followed by a note in parentheses."""
    return cell == expected or cell.startswith(expected + " (")


def doc_rows(text: str) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> permission cell of every route row of docs/api.md."""
    out = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            out[(m["method"], m["path"])] = m["perm"].strip()
    return out


def rewrite(text: str, permissions: dict[tuple[str, str], str]) -> str:
    """``text`` with each route row's permission cell set from ``permissions`` (a note in
    parentheses after it is kept)."""
    lines = []
    for line in text.splitlines(keepends=True):
        m = ROW.match(line.rstrip("\n"))
        key = (m["method"], m["path"]) if m else None
        if m and key in permissions:
            cell = m["perm"].strip()
            note = cell[cell.index(" (") :] if " (" in cell else ""
            if cell_matches(cell, permissions[key]):
                note = cell[len(permissions[key]) :]
            new = permissions[key] + note
            line = f"| {m['method']} | `{m['path']}` | {new} | {m['rest']}\n"
        lines.append(line)
    return "".join(lines)


def problems(text: str, permissions: dict[tuple[str, str], str]) -> list[str]:
    """What is wrong with docs/api.md's table: routes missing, rows for routes that are
    gone, permissions that are not the code's."""
    rows = doc_rows(text)
    out = [
        f"missing row: {m} {p} ({permissions[(m, p)]})"
        for m, p in permissions
        if (m, p) not in rows
    ]
    out += [f"row for no route: {m} {p}" for m, p in rows if (m, p) not in permissions]
    out += [
        f"stale permission: {m} {p}: doc says {rows[(m, p)]!r}, code requires {want!r}"
        for (m, p), want in permissions.items()
        if (m, p) in rows and not cell_matches(rows[(m, p)], want)
    ]
    return out
