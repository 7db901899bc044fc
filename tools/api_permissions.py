"""Rewrite the permission column of docs/api.md from the routes' dependencies.

    PYTHONPATH=src python tools/api_permissions.py          # rewrite docs/api.md
    PYTHONPATH=src python tools/api_permissions.py --check  # exit 1 listing what is wrong

A route missing from the table is reported, not invented: add its row (method, path, what
it does) and run this again to fill its permission.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sounding.api.app import create_app
from sounding.api.route_permissions import problems, rewrite, route_permissions

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def main(argv: list[str]) -> int:
    permissions = route_permissions(create_app())
    text = DOC.read_text(encoding="utf-8")
    if "--check" not in argv:
        text = rewrite(text, permissions)
        DOC.write_text(text, encoding="utf-8")
    found = problems(text, permissions)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
