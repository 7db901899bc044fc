"""Policies through a real ``sounding serve``: global role x policy scope x action.

A file source ``hr`` holds ``people.csv`` (domain *finance*, its ``salary`` column labelled
sensitive) and ``cities.csv`` (domain *sales*). Twelve users: each global role (viewer,
steward, admin) with no policy, a steward policy on the matching domain (finance), one on
another domain (sales), or one on the matching source (hr). The domain policies also grant
unmasked reads; the source policy does not. Every user tries every action on the finance
table; :data:`EXPECTED` is the table of what must be allowed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from sounding.testing.server import ServerProcess

pytestmark = pytest.mark.slow

SALARIES = [18250, 30500, 41750, 56125, 77340, 123456]
TABLE = 'urn:sounding:hr:"people.csv"'
COLUMN = f"{TABLE}#salary"
OTHER = 'urn:sounding:hr:"cities.csv"'

ROLES = ("viewer", "steward", "admin")
# scope name -> the policy (role steward on it; unmasked or not), None for no policy
SCOPES: dict[str, tuple[str, str, bool] | None] = {
    "none": None,
    "domain:finance": ("domain", "finance", True),  # matches the table's domain
    "domain:sales": ("domain", "sales", True),  # another domain
    "source:hr": ("source", "hr", False),  # matches the table's source
}
ACTIONS = (
    "read asset",
    "read unmasked profile",
    "update description",
    "set tag",
    "decide classification",
    "manage policies",
)

Y, N = True, False
# role -> scope -> one allow/deny per action, in the order of ACTIONS:
#          read   unmasked  describe  tag    decide  policies
EXPECTED: dict[str, dict[str, tuple[bool, ...]]] = {
    "viewer": {
        "none": (Y, N, N, N, N, N),
        "domain:finance": (Y, Y, Y, Y, Y, N),
        "domain:sales": (Y, N, N, N, N, N),
        "source:hr": (Y, N, Y, Y, Y, N),
    },
    "steward": {  # a global steward holds catalog:write and pii:read everywhere already
        "none": (Y, Y, Y, Y, Y, N),
        "domain:finance": (Y, Y, Y, Y, Y, N),
        "domain:sales": (Y, Y, Y, Y, Y, N),
        "source:hr": (Y, Y, Y, Y, Y, N),
    },
    "admin": {
        "none": (Y, Y, Y, Y, Y, Y),
        "domain:finance": (Y, Y, Y, Y, Y, Y),
        "domain:sales": (Y, Y, Y, Y, Y, Y),
        "source:hr": (Y, Y, Y, Y, Y, Y),
    },
}


def _ref(urn: str) -> str:
    return quote(urn, safe=":")


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("access")
    files = root / "files"
    files.mkdir()
    rows = ["id,salary,city"] + [f"{i},{SALARIES[i % 6]},City{i % 3}" for i in range(60)]
    (files / "people.csv").write_text("\n".join(rows) + "\n")
    (files / "cities.csv").write_text("name,country\nOslo,NO\nLima,PE\n")
    server = ServerProcess(root / "home")
    server.start(timeout=120)  # a loaded CI machine can take a while to import and migrate
    api, admin = f"{server.base}/api/v1", server.headers
    client = httpx.Client(base_url=api, timeout=30)
    try:
        src = {"name": "hr", "url": str(files), "options": {"profile": True}}
        assert client.post("/sources", json=src, headers=admin).status_code == 201
        scan = client.post("/scans", json={"source": "hr"}, headers=admin).json()
        deadline = time.monotonic() + 60
        while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
            scan = client.get(f"/scans/{scan['id']}", headers=admin).json()
        assert scan["status"] == "completed", scan
        for urn, domain in ((TABLE, "finance"), (OTHER, "sales")):
            made = client.post("/domains", json={"name": domain}, headers=admin)
            assert made.status_code == 201, made.text  # domains are entities
            r = client.patch(f"/assets/{_ref(urn)}", json={"domain": domain}, headers=admin)
            assert r.status_code == 200, r.text
        r = client.post(
            f"/assets/{_ref(COLUMN)}/classifications/Custom.Salary/confirm", headers=admin
        )
        assert r.status_code == 200, r.text
        tokens: dict[tuple[str, str], dict[str, str]] = {}
        for role in ROLES:
            for scope, policy in SCOPES.items():
                name = f"{role}-{scope.replace(':', '-')}"
                r = client.post("/users", json={"name": name, "role": role}, headers=admin)
                assert r.status_code == 201, r.text
                made = client.post(f"/users/{name}/tokens", headers=admin).json()
                tokens[(role, scope)] = {"Authorization": f"Bearer {made['token']}"}
                if policy is not None:
                    kind, value, unmasked = policy
                    body = {
                        "user": name,
                        "role": "steward",
                        "scope_kind": kind,
                        "scope": value,
                        "unmasked": unmasked,
                    }
                    r = client.post("/policies", json=body, headers=admin)
                    assert r.status_code == 201, r.text
        yield {"server": server, "client": client, "tokens": tokens, "admin": admin}
    finally:
        client.close()
        server.stop()


def _attempt(client: httpx.Client, action: str, who: dict[str, str], n: int) -> bool:
    """Try ``action`` on the finance table as ``who``: True when allowed. A refusal must be a
    403 that names the permission (and, for an asset, the asset and its scopes)."""
    if action == "read asset":
        r = client.get(f"/assets/{_ref(TABLE)}", headers=who)
        return _allowed(r)
    if action == "read unmasked profile":
        r = client.get(f"/assets/{_ref(TABLE)}/profile", headers=who)
        assert r.status_code == 200, r.text
        salary = {c["name"]: c for c in r.json()["profile"]["columns"]}["salary"]
        if salary.get("masked"):
            assert salary["max"] == "***"
            return False
        assert salary["max"] == max(SALARIES)
        return True
    if action == "update description":
        body = {"description": f"salaries, edit {n}"}
        return _allowed(client.patch(f"/assets/{_ref(TABLE)}", json=body, headers=who))
    if action == "set tag":
        tags = {"add_tags": [f"tag{n}"]}
        return _allowed(client.patch(f"/assets/{_ref(TABLE)}", json=tags, headers=who))
    if action == "decide classification":
        url = f"/assets/{_ref(COLUMN)}/classifications/Custom.Salary/confirm"
        return _allowed(client.post(url, json={"note": f"n{n}"}, headers=who))
    if action == "manage policies":
        body = {"user": "viewer-none", "role": "viewer", "scope_kind": "domain"}
        r = client.post("/policies", json={**body, "scope": f"scratch{n}"}, headers=who)
        if r.status_code == 201:
            gone = client.delete(f"/policies/{r.json()['id']}", headers=who)
            assert gone.status_code == 200, gone.text
        return _allowed(r)
    raise AssertionError(action)


def _allowed(r: httpx.Response) -> bool:
    if r.status_code == 403:
        error = r.json()["error"]
        assert error["type"] == "PermissionDeniedError"
        assert error["details"]["permission"] in error["message"]
        return False
    assert r.is_success, r.text
    return True


def test_the_matrix(estate: dict[str, Any]) -> None:
    client, tokens = estate["client"], estate["tokens"]
    got: dict[str, dict[str, tuple[bool, ...]]] = {}
    n = 0
    for role in ROLES:
        got[role] = {}
        for scope in SCOPES:
            row = []
            for action in ACTIONS:
                n += 1
                row.append(_attempt(client, action, tokens[(role, scope)], n))
            got[role][scope] = tuple(row)
    assert got == EXPECTED


def test_a_refusal_names_the_permission_the_asset_and_its_scopes(estate: dict[str, Any]) -> None:
    client, tokens = estate["client"], estate["tokens"]
    r = client.patch(
        f"/assets/{_ref(TABLE)}",
        json={"description": "x"},
        headers=tokens[("viewer", "domain:sales")],
    )
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["details"] == {
        "permission": "catalog:write",
        "user": "viewer-domain-sales",
        "asset": TABLE,
        "scopes": ["domain:finance", "source:hr"],
    }
    assert "lacks permission 'catalog:write' on " + TABLE in error["message"]
    assert "domain 'finance'" in error["message"]
    assert "policies grant it only on domain 'sales'" in error["message"]
    # a viewer with no policy is refused before the asset is read
    r = client.patch(
        f"/assets/{_ref(OTHER)}", json={"description": "x"}, headers=tokens[("viewer", "none")]
    )
    assert r.status_code == 403 and "asset" not in r.json()["error"]["details"]


def test_a_scoped_steward_curates_the_other_domain_and_not_this_one(
    estate: dict[str, Any],
) -> None:
    client, tokens = estate["client"], estate["tokens"]
    sales = tokens[("viewer", "domain:sales")]
    r = client.patch(f"/assets/{_ref(OTHER)}", json={"owner": "ana"}, headers=sales)
    assert r.status_code == 200 and r.json()["owner"] == "ana"
    # a column inherits its table's domain: the sales steward curates cities.csv's columns
    r = client.patch(f"/assets/{_ref(OTHER + '#name')}", json={"owner": "ana"}, headers=sales)
    assert r.status_code == 200, r.text
    # moving an asset into a domain needs the permission there too
    finance = tokens[("viewer", "domain:finance")]
    r = client.patch(f"/assets/{_ref(TABLE)}", json={"domain": "sales"}, headers=finance)
    assert r.status_code == 403 and "domain 'sales'" in r.json()["error"]["message"]
    # glossary links to an asset follow the asset's scope
    admin = estate["admin"]
    made = client.post("/glossary/terms", json={"name": "Pay"}, headers=admin)
    assert made.status_code == 201, made.text
    term = made.json()["id"]
    r = client.post(f"/glossary/terms/{term}/assets", json={"asset": TABLE}, headers=sales)
    assert r.status_code == 403
    r = client.post(f"/glossary/terms/{term}/assets", json={"asset": OTHER}, headers=sales)
    assert r.status_code == 201, r.text
    # /me lists what the policies grant
    me = client.get("/me", headers=sales).json()
    assert me["permissions"] == ["catalog:read", "source:read"]
    assert me["scoped_permissions"] == ["catalog:write on domain sales", "pii:read on domain sales"]


def test_unmasked_reads_are_audited_with_actor_asset_and_fields(estate: dict[str, Any]) -> None:
    client, tokens, admin = estate["client"], estate["tokens"], estate["admin"]
    r = client.get(f"/assets/{_ref(TABLE)}/profile", headers=tokens[("viewer", "domain:finance")])
    assert r.status_code == 200
    found = client.get(
        "/audit", params={"action": "pii.read", "user": "viewer-domain-finance"}, headers=admin
    ).json()["items"]
    assert found, "an unmasked read left no audit record"
    entry = found[0]
    assert entry["target"] == TABLE
    assert entry["details"]["columns"] == ["salary"]
    assert {"min", "max", "mean", "histogram"} <= set(entry["details"]["fields"])
    assert entry["details"]["via"] == "profile"
    # a masked read is not an unmasked one: nothing audited for the sales steward
    client.get(f"/assets/{_ref(TABLE)}/profile", headers=tokens[("viewer", "domain:sales")])
    none = client.get(
        "/audit", params={"action": "pii.read", "user": "viewer-domain-sales"}, headers=admin
    ).json()
    assert none["total"] == 0


def _cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "sounding.cli", "policies", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


def test_policy_changes_reach_a_running_server(estate: dict[str, Any]) -> None:
    """A change through the API applies at once; one made by another process (the CLI,
    writing to the store) within the server's cache check interval."""
    server, client, tokens = estate["server"], estate["client"], estate["tokens"]
    who = tokens[("viewer", "none")]

    def can_edit() -> bool:
        r = client.patch(f"/assets/{_ref(OTHER)}", json={"description": "c"}, headers=who)
        return bool(r.status_code == 200)

    assert not can_edit()
    made = _cli(server, "create", "viewer-none", "--domain", "sales", "--json")
    assert made.returncode == 0, made.stderr
    took = _eventually(can_edit)
    assert took < 3.0
    listed = _cli(server, "list", "--user", "viewer-none")
    assert listed.returncode == 0 and "sales" in listed.stdout
    policy = client.get("/policies", params={"user": "viewer-none"}, headers=estate["admin"])
    (item,) = policy.json()["items"]
    assert item["permissions"] == ["catalog:write"] and item["unmasked"] is False
    gone = client.delete(f"/policies/{item['id']}", headers=estate["admin"])
    assert gone.status_code == 200
    assert not can_edit()  # at once: the server made the change itself
    bad = _cli(server, "create", "viewer-none", "--domain", "a", "--source", "b")
    assert bad.returncode == 2 and "exactly one scope" in bad.stdout


def test_bad_policies_are_clear_4xx(estate: dict[str, Any]) -> None:
    client, admin = estate["client"], estate["admin"]
    base = {"user": "viewer-none", "role": "steward", "scope_kind": "domain", "scope": "x"}
    cases = [
        ({**base, "role": "admin"}, 422, "global role only"),
        ({**base, "role": "owner"}, 422, "Unknown role"),
        ({**base, "scope_kind": "team"}, 422, "Unknown scope kind"),
        ({**base, "scope_kind": "source", "scope": "nope"}, 404, "nope"),
        ({**base, "scope_kind": "data_product"}, 422, "No data products"),
        ({**base, "user": "ghost"}, 404, "ghost"),
        ({**base, "scope": ""}, 422, "scope"),
    ]
    for body, status, text in cases:
        r = client.post("/policies", json=body, headers=admin)
        assert r.status_code == status, (body, r.text)
        assert text in r.json()["error"]["message"] or text in r.text
    first = client.post("/policies", json=base, headers=admin)
    assert first.status_code == 201
    again = client.post("/policies", json=base, headers=admin)
    assert again.status_code == 409 and "already has a policy" in again.text
    assert client.delete(f"/policies/{first.json()['id']}", headers=admin).status_code == 200
    assert client.get(f"/policies/{first.json()['id']}", headers=admin).status_code == 404
    assert client.get("/policies/0", headers=admin).status_code == 422
    assert client.get("/policies?limit=5000", headers=admin).status_code == 422
