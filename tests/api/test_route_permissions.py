"""docs/api.md lists every route's permission as the code requires it (generated from the
routes' dependencies by tools/api_permissions.py)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from sounding.api.app import create_app
from sounding.api.deps import Admin, AssetWriter, CtxDep, Writer
from sounding.api.route_permissions import problems, rewrite, route_permissions

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_route_has_its_permission_in_the_doc() -> None:
    permissions = route_permissions(create_app())
    assert len(permissions) > 100
    assert problems(DOC.read_text(), permissions) == []


def test_the_permissions_are_read_from_the_dependencies() -> None:
    permissions = route_permissions(create_app())
    assert permissions[("PATCH", "/api/v1/assets/{ref}")] == "`catalog:write` on the asset"
    assert permissions[("POST", "/api/v1/lineage/edges")] == "`catalog:write`"
    assert permissions[("POST", "/api/v1/policies")] == "`admin`"
    assert permissions[("GET", "/api/v1/me")] == "any"
    assert permissions[("GET", "/healthz")] == "none"


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/things")
    def things(who: Writer) -> dict[str, str]:
        return {}

    @app.post("/things/{ref}")
    def edit(ctx: CtxDep, who: AssetWriter, ref: str) -> dict[str, str]:
        return {}

    @app.delete("/things")
    def purge(who: Admin) -> dict[str, str]:
        return {}

    return app


def test_the_check_fails_on_a_missing_row_a_stale_cell_and_a_gone_route() -> None:
    permissions = route_permissions(_app())
    text = (
        "| method | path | permission | what |\n| --- | --- | --- | --- |\n"
        "| GET | `/things` | `catalog:read` | List. |\n"
        "| POST | `/things/{ref}` | `catalog:write` on the asset (a note) | Edit. |\n"
        "| PUT | `/gone` | `admin` | Was here. |\n"
    )
    assert problems(text, permissions) == [
        "missing row: DELETE /things (`admin`)",
        "row for no route: PUT /gone",
        "stale permission: GET /things: doc says '`catalog:read`', code requires '`catalog:write`'",
    ]
    fixed = rewrite(text, permissions)
    assert "| GET | `/things` | `catalog:write` | List. |" in fixed
    assert "`catalog:write` on the asset (a note) | Edit." in fixed  # the note is kept
    assert problems(fixed, permissions) == [
        "missing row: DELETE /things (`admin`)",
        "row for no route: PUT /gone",
    ]
