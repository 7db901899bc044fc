"""Authentication and the role/permission matrix over every /api/v1 route."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

# (method, path template, concrete path, body, least role that may call it)
MATRIX: list[tuple[str, str, str, Any, str]] = [
    ("GET", "/api/v1/sources", "/api/v1/sources", None, "viewer"),
    (
        "POST",
        "/api/v1/sources",
        "/api/v1/sources",
        {"name": "new", "url": "sqlite:///x.db"},
        "admin",
    ),
    ("GET", "/api/v1/sources/{name}", "/api/v1/sources/shop", None, "viewer"),
    ("PATCH", "/api/v1/sources/{name}", "/api/v1/sources/shop", {"description": "d"}, "admin"),
    ("DELETE", "/api/v1/sources/{name}", "/api/v1/sources/nosuch", None, "admin"),
    ("POST", "/api/v1/sources/{name}/test", "/api/v1/sources/shop/test", None, "admin"),
    ("POST", "/api/v1/sources/{name}/scans", "/api/v1/sources/nosuch/scans", None, "steward"),
    ("POST", "/api/v1/scans", "/api/v1/scans", {"source": "nosuch"}, "steward"),
    ("GET", "/api/v1/scans", "/api/v1/scans", None, "viewer"),
    ("GET", "/api/v1/scans/{scan_id}", "/api/v1/scans/999", None, "viewer"),
    ("GET", "/api/v1/scans/{scan_id}/events", "/api/v1/scans/999/events", None, "viewer"),
    ("GET", "/api/v1/assets", "/api/v1/assets", None, "viewer"),
    ("GET", "/api/v1/assets/by-urn", "/api/v1/assets/by-urn?urn=urn:sounding:x", None, "viewer"),
    ("GET", "/api/v1/assets/{ref}", "/api/v1/assets/999", None, "viewer"),
    ("PATCH", "/api/v1/assets/{ref}", "/api/v1/assets/999", {"owner": "x"}, "steward"),
    ("DELETE", "/api/v1/assets/{ref}", "/api/v1/assets/999", None, "steward"),
    (
        "POST",
        "/api/v1/assets",
        "/api/v1/assets",
        {"type": "dashboard", "name": "d", "source": "shop"},
        "steward",
    ),
    ("POST", "/api/v1/assets/bulk", "/api/v1/assets/bulk", {"urns": ["nope"]}, "steward"),
    ("GET", "/api/v1/catalog/export", "/api/v1/catalog/export", None, "viewer"),
    (
        "POST",
        "/api/v1/catalog/import",
        "/api/v1/catalog/import",
        {"content": "{]"},
        "steward",
    ),
    ("GET", "/api/v1/me", "/api/v1/me", None, "viewer"),
    ("GET", "/api/v1/templates", "/api/v1/templates", None, "viewer"),
    ("GET", "/api/v1/templates/{name}", "/api/v1/templates/nope", None, "viewer"),
    (
        "POST",
        "/api/v1/templates/{name}/instantiate",
        "/api/v1/templates/nope/instantiate",
        {},
        "steward",
    ),
    ("GET", "/api/v1/system/health", "/api/v1/system/health", None, "viewer"),
    ("GET", "/api/v1/analytics/orchestration", "/api/v1/analytics/orchestration", None, "viewer"),
    ("GET", "/api/v1/analytics/catalog", "/api/v1/analytics/catalog", None, "viewer"),
    ("GET", "/api/v1/assets/{ref}/usage", "/api/v1/assets/999/usage", None, "viewer"),
    (
        "POST",
        "/api/v1/sources/{name}/usage/ingest",
        "/api/v1/sources/nosuch/usage/ingest",
        None,
        "steward",
    ),
    ("GET", "/api/v1/insights/forecasts", "/api/v1/insights/forecasts", None, "viewer"),
    ("GET", "/api/v1/insights/anomalies", "/api/v1/insights/anomalies", None, "viewer"),
    ("GET", "/api/v1/insights/recommendations", "/api/v1/insights/recommendations", None, "viewer"),
    (
        "POST",
        "/api/v1/insights/recommendations/{rec_id}/apply",
        "/api/v1/insights/recommendations/nope/apply",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/insights/recommendations/{rec_id}/rollback",
        "/api/v1/insights/recommendations/nope/rollback",
        None,
        "steward",
    ),
    ("GET", "/api/v1/search", "/api/v1/search?q=orders", None, "viewer"),
    ("GET", "/api/v1/search/suggest", "/api/v1/search/suggest?q=ord", None, "viewer"),
    ("GET", "/api/v1/orchestrations", "/api/v1/orchestrations", None, "viewer"),
    (
        "POST",
        "/api/v1/orchestrations",
        "/api/v1/orchestrations",
        {"name": "w", "steps": []},
        "steward",
    ),
    ("GET", "/api/v1/orchestrations/{name}", "/api/v1/orchestrations/x", None, "viewer"),
    ("DELETE", "/api/v1/orchestrations/{name}", "/api/v1/orchestrations/x", None, "steward"),
    (
        "PATCH",
        "/api/v1/orchestrations/{name}",
        "/api/v1/orchestrations/x",
        {"enabled": False},
        "steward",
    ),
    ("GET", "/api/v1/pools", "/api/v1/pools", None, "viewer"),
    ("POST", "/api/v1/pools", "/api/v1/pools", {"name": "p", "slots": 1}, "steward"),
    ("GET", "/api/v1/pools/{name}", "/api/v1/pools/x", None, "viewer"),
    ("PATCH", "/api/v1/pools/{name}", "/api/v1/pools/x", {"slots": 2}, "steward"),
    ("DELETE", "/api/v1/pools/{name}", "/api/v1/pools/x", None, "steward"),
    ("GET", "/api/v1/channels", "/api/v1/channels", None, "admin"),
    ("POST", "/api/v1/channels", "/api/v1/channels", {"name": "c", "url": "http://h/"}, "admin"),
    ("GET", "/api/v1/channels/{name}", "/api/v1/channels/nosuch", None, "admin"),
    ("PATCH", "/api/v1/channels/{name}", "/api/v1/channels/nosuch", {"enabled": False}, "admin"),
    ("DELETE", "/api/v1/channels/{name}", "/api/v1/channels/nosuch", None, "admin"),
    ("POST", "/api/v1/channels/{name}/test", "/api/v1/channels/nosuch/test", None, "admin"),
    ("GET", "/api/v1/deliveries", "/api/v1/deliveries", None, "admin"),
    ("GET", "/api/v1/deliveries/{delivery_id}", "/api/v1/deliveries/1", None, "admin"),
    (
        "POST",
        "/api/v1/orchestrations/{name}/execute",
        "/api/v1/orchestrations/x/execute",
        None,
        "steward",
    ),
    ("GET", "/api/v1/executions", "/api/v1/executions", None, "viewer"),
    ("GET", "/api/v1/executions/{execution_id}", "/api/v1/executions/x", None, "viewer"),
    (
        "GET",
        "/api/v1/executions/{execution_id}/events",
        "/api/v1/executions/x/events",
        None,
        "viewer",
    ),
    (
        "POST",
        "/api/v1/executions/{execution_id}/pause",
        "/api/v1/executions/x/pause",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/executions/{execution_id}/resume",
        "/api/v1/executions/x/resume",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/executions/{execution_id}/cancel",
        "/api/v1/executions/x/cancel",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/executions/{execution_id}/retry",
        "/api/v1/executions/x/retry",
        None,
        "steward",
    ),
    ("GET", "/api/v1/assets/{ref}/profile", "/api/v1/assets/999/profile", None, "viewer"),
    (
        "GET",
        "/api/v1/assets/{ref}/profile/history",
        "/api/v1/assets/999/profile/history",
        None,
        "viewer",
    ),
    (
        "GET",
        "/api/v1/assets/{ref}/classifications",
        "/api/v1/assets/999/classifications",
        None,
        "viewer",
    ),
    (
        "POST",
        "/api/v1/assets/{ref}/classifications/{label}/confirm",
        "/api/v1/assets/999/classifications/PII.Email/confirm",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/assets/{ref}/classifications/{label}/reject",
        "/api/v1/assets/999/classifications/PII.Email/reject",
        None,
        "steward",
    ),
    ("GET", "/api/v1/classifications", "/api/v1/classifications", None, "viewer"),
    ("GET", "/api/v1/classifications/labels", "/api/v1/classifications/labels", None, "viewer"),
    ("GET", "/api/v1/scan-rule-sets", "/api/v1/scan-rule-sets", None, "viewer"),
    ("POST", "/api/v1/scan-rule-sets", "/api/v1/scan-rule-sets", {"name": "x"}, "admin"),
    ("GET", "/api/v1/scan-rule-sets/{name}", "/api/v1/scan-rule-sets/x", None, "viewer"),
    ("DELETE", "/api/v1/scan-rule-sets/{name}", "/api/v1/scan-rule-sets/x", None, "admin"),
    ("POST", "/api/v1/lineage", "/api/v1/lineage", {"eventType": "FAIL", "job": {}}, "steward"),
    ("POST", "/api/v1/lineage/parse", "/api/v1/lineage/parse", {"sql": "select 1"}, "viewer"),
    (
        "POST",
        "/api/v1/lineage/sql",
        "/api/v1/lineage/sql",
        {"source": "nosuch", "sql": "x"},
        "steward",
    ),
    (
        "POST",
        "/api/v1/lineage/edges",
        "/api/v1/lineage/edges",
        {"source": "1", "target": "2"},
        "steward",
    ),
    ("DELETE", "/api/v1/lineage/edges/{edge_id}", "/api/v1/lineage/edges/999", None, "steward"),
    ("GET", "/api/v1/assets/{ref}/lineage", "/api/v1/assets/999/lineage", None, "viewer"),
    ("GET", "/api/v1/assets/{ref}/impact", "/api/v1/assets/999/impact", None, "viewer"),
    (
        "GET",
        "/api/v1/changes/impact",
        "/api/v1/changes/impact?since=2026-01-01T00:00:00Z",
        None,
        "viewer",
    ),
    ("GET", "/api/v1/admin/retention", "/api/v1/admin/retention", None, "admin"),
    ("POST", "/api/v1/admin/retention/prune", "/api/v1/admin/retention/prune", None, "admin"),
    ("GET", "/api/v1/users", "/api/v1/users", None, "admin"),
    ("POST", "/api/v1/users", "/api/v1/users", {"name": "u9", "role": "viewer"}, "admin"),
    ("PATCH", "/api/v1/users/{name}", "/api/v1/users/viewer1", {"disabled": False}, "admin"),
    ("GET", "/api/v1/users/{name}/tokens", "/api/v1/users/viewer1/tokens", None, "admin"),
    ("POST", "/api/v1/users/{name}/tokens", "/api/v1/users/viewer1/tokens", {}, "admin"),
    ("DELETE", "/api/v1/tokens/{token_id}", "/api/v1/tokens/999", None, "admin"),
    ("GET", "/api/v1/policies", "/api/v1/policies", None, "admin"),
    (
        "POST",
        "/api/v1/policies",
        "/api/v1/policies",
        {"user": "viewer1", "role": "steward", "scope_kind": "domain", "scope": "x"},
        "admin",
    ),
    ("GET", "/api/v1/policies/{policy_id}", "/api/v1/policies/999", None, "admin"),
    ("DELETE", "/api/v1/policies/{policy_id}", "/api/v1/policies/999", None, "admin"),
    # any user may rotate their own token; someone else's (here: none) only an admin
    ("POST", "/api/v1/tokens/{token_id}/rotate", "/api/v1/tokens/999/rotate", None, "admin"),
    ("GET", "/api/v1/quality/rules", "/api/v1/quality/rules", None, "viewer"),
    (
        "POST",
        "/api/v1/quality/rules",
        "/api/v1/quality/rules",
        {"asset": "9", "kind": "x"},
        "steward",
    ),
    (
        "POST",
        "/api/v1/quality/rules/apply",
        "/api/v1/quality/rules/apply",
        {"yaml": "x"},
        "steward",
    ),
    ("GET", "/api/v1/quality/rules/{rule_id}", "/api/v1/quality/rules/999", None, "viewer"),
    ("PATCH", "/api/v1/quality/rules/{rule_id}", "/api/v1/quality/rules/999", {}, "steward"),
    ("DELETE", "/api/v1/quality/rules/{rule_id}", "/api/v1/quality/rules/999", None, "steward"),
    (
        "GET",
        "/api/v1/quality/rules/{rule_id}/results",
        "/api/v1/quality/rules/999/results",
        None,
        "viewer",
    ),
    ("POST", "/api/v1/quality/runs", "/api/v1/quality/runs", {"source": "nosuch"}, "steward"),
    ("GET", "/api/v1/quality/runs", "/api/v1/quality/runs", None, "viewer"),
    ("GET", "/api/v1/quality/runs/{run_id}", "/api/v1/quality/runs/999", None, "viewer"),
    ("GET", "/api/v1/quality/results", "/api/v1/quality/results?asset=999", None, "viewer"),
    ("GET", "/api/v1/quality/scores", "/api/v1/quality/scores", None, "viewer"),
    ("GET", "/api/v1/quality/scores/trend", "/api/v1/quality/scores/trend", None, "viewer"),
    ("GET", "/api/v1/quality/suggestions", "/api/v1/quality/suggestions", None, "viewer"),
    (
        "POST",
        "/api/v1/quality/suggestions",
        "/api/v1/quality/suggestions",
        {"source": "nosuch"},
        "steward",
    ),
    (
        "POST",
        "/api/v1/quality/suggestions/{rule_id}/accept",
        "/api/v1/quality/suggestions/999/accept",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/quality/suggestions/{rule_id}/reject",
        "/api/v1/quality/suggestions/999/reject",
        None,
        "steward",
    ),
    ("GET", "/api/v1/quality/report", "/api/v1/quality/report", None, "viewer"),
    ("GET", "/api/v1/compliance/frameworks", "/api/v1/compliance/frameworks", None, "viewer"),
    ("POST", "/api/v1/compliance/frameworks", "/api/v1/compliance/frameworks", {}, "steward"),
    (
        "GET",
        "/api/v1/compliance/frameworks/{framework_id}",
        "/api/v1/compliance/frameworks/gdpr",
        None,
        "viewer",
    ),
    (
        "DELETE",
        "/api/v1/compliance/frameworks/{framework_id}",
        "/api/v1/compliance/frameworks/nosuch",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/compliance/evaluations",
        "/api/v1/compliance/evaluations",
        {"source": "nosuch"},
        "steward",
    ),
    ("GET", "/api/v1/compliance/evaluations", "/api/v1/compliance/evaluations", None, "viewer"),
    ("GET", "/api/v1/compliance/findings", "/api/v1/compliance/findings", None, "viewer"),
    (
        "GET",
        "/api/v1/compliance/findings/{finding_id}",
        "/api/v1/compliance/findings/999",
        None,
        "viewer",
    ),
    (
        "GET",
        "/api/v1/compliance/findings/{finding_id}/history",
        "/api/v1/compliance/findings/999/history",
        None,
        "viewer",
    ),
    (
        "POST",
        "/api/v1/compliance/findings/{finding_id}/accept",
        "/api/v1/compliance/findings/999/accept",
        {"justification": "accepted for the matrix test"},
        "steward",
    ),
    (
        "POST",
        "/api/v1/compliance/findings/{finding_id}/acknowledge",
        "/api/v1/compliance/findings/999/acknowledge",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/compliance/findings/{finding_id}/resolve",
        "/api/v1/compliance/findings/999/resolve",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/compliance/findings/{finding_id}/reopen",
        "/api/v1/compliance/findings/999/reopen",
        None,
        "steward",
    ),
    (
        "GET",
        "/api/v1/compliance/reports/{framework_id}",
        "/api/v1/compliance/reports/gdpr",
        None,
        "viewer",
    ),
    ("GET", "/api/v1/glossary/terms", "/api/v1/glossary/terms", None, "viewer"),
    ("POST", "/api/v1/glossary/terms", "/api/v1/glossary/terms", {"name": "T"}, "steward"),
    ("GET", "/api/v1/glossary/terms/tree", "/api/v1/glossary/terms/tree", None, "viewer"),
    (
        "GET",
        "/api/v1/glossary/terms/by-path",
        "/api/v1/glossary/terms/by-path?path=/Nope",
        None,
        "viewer",
    ),
    ("GET", "/api/v1/glossary/terms/export", "/api/v1/glossary/terms/export", None, "viewer"),
    (
        "POST",
        "/api/v1/glossary/terms/import",
        "/api/v1/glossary/terms/import",
        {"content": "path\n/Imported\n"},
        "steward",
    ),
    (
        "GET",
        "/api/v1/glossary/terms/suggestions",
        "/api/v1/glossary/terms/suggestions",
        None,
        "viewer",
    ),
    (
        "POST",
        "/api/v1/glossary/terms/suggestions/generate",
        "/api/v1/glossary/terms/suggestions/generate",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/glossary/terms/suggestions/{link_id}/accept",
        "/api/v1/glossary/terms/suggestions/999/accept",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/glossary/terms/suggestions/{link_id}/reject",
        "/api/v1/glossary/terms/suggestions/999/reject",
        None,
        "steward",
    ),
    ("GET", "/api/v1/glossary/terms/{ref}", "/api/v1/glossary/terms/999", None, "viewer"),
    (
        "PATCH",
        "/api/v1/glossary/terms/{ref}",
        "/api/v1/glossary/terms/999",
        {"definition": "d"},
        "steward",
    ),
    ("DELETE", "/api/v1/glossary/terms/{ref}", "/api/v1/glossary/terms/999", None, "steward"),
    (
        "POST",
        "/api/v1/glossary/terms/{ref}/approve",
        "/api/v1/glossary/terms/999/approve",
        None,
        "steward",
    ),
    (
        "POST",
        "/api/v1/glossary/terms/{ref}/deprecate",
        "/api/v1/glossary/terms/999/deprecate",
        None,
        "steward",
    ),
    (
        "GET",
        "/api/v1/glossary/terms/{ref}/assets",
        "/api/v1/glossary/terms/999/assets",
        None,
        "viewer",
    ),
    (
        "POST",
        "/api/v1/glossary/terms/{ref}/assets",
        "/api/v1/glossary/terms/999/assets",
        {"asset": "1"},
        "steward",
    ),
    (
        "DELETE",
        "/api/v1/glossary/terms/{ref}/assets",
        "/api/v1/glossary/terms/999/assets?asset=1",
        None,
        "steward",
    ),
    ("GET", "/api/v1/domains", "/api/v1/domains", None, "viewer"),
    ("POST", "/api/v1/domains", "/api/v1/domains", {"name": "D"}, "steward"),
    ("GET", "/api/v1/domains/{ref}", "/api/v1/domains/Nope", None, "viewer"),
    ("GET", "/api/v1/domains/{ref}/assets", "/api/v1/domains/Nope/assets", None, "viewer"),
    ("PATCH", "/api/v1/domains/{ref}", "/api/v1/domains/Nope", {"description": "x"}, "steward"),
    ("DELETE", "/api/v1/domains/{ref}", "/api/v1/domains/Nope", None, "steward"),
    ("GET", "/api/v1/data-products", "/api/v1/data-products", None, "viewer"),
    ("POST", "/api/v1/data-products", "/api/v1/data-products", {"name": "P"}, "steward"),
    ("GET", "/api/v1/data-products/{ref}", "/api/v1/data-products/Nope", None, "viewer"),
    (
        "PATCH",
        "/api/v1/data-products/{ref}",
        "/api/v1/data-products/Nope",
        {"sla": "x"},
        "steward",
    ),
    ("DELETE", "/api/v1/data-products/{ref}", "/api/v1/data-products/Nope", None, "steward"),
    ("GET", "/api/v1/tag-groups", "/api/v1/tag-groups", None, "viewer"),
    ("POST", "/api/v1/tag-groups", "/api/v1/tag-groups", {"name": "g"}, "steward"),
    ("GET", "/api/v1/tag-groups/{name}", "/api/v1/tag-groups/nope", None, "viewer"),
    ("PATCH", "/api/v1/tag-groups/{name}", "/api/v1/tag-groups/nope", {}, "steward"),
    ("DELETE", "/api/v1/tag-groups/{name}", "/api/v1/tag-groups/nope", None, "steward"),
    # every signed-in user keeps their own subscriptions and inbox (another's is a 404)
    ("GET", "/api/v1/subscriptions", "/api/v1/subscriptions", None, "viewer"),
    (
        "POST",
        "/api/v1/subscriptions",
        "/api/v1/subscriptions",
        {"target_kind": "source", "target": "shop"},
        "viewer",
    ),
    ("GET", "/api/v1/subscriptions/{subscription_id}", "/api/v1/subscriptions/999", None, "viewer"),
    (
        "DELETE",
        "/api/v1/subscriptions/{subscription_id}",
        "/api/v1/subscriptions/999",
        None,
        "viewer",
    ),
    ("GET", "/api/v1/inbox", "/api/v1/inbox", None, "viewer"),
    ("GET", "/api/v1/inbox/unread-count", "/api/v1/inbox/unread-count", None, "viewer"),
    ("POST", "/api/v1/inbox/read-all", "/api/v1/inbox/read-all", None, "viewer"),
    ("POST", "/api/v1/inbox/{notification_id}/read", "/api/v1/inbox/999/read", None, "viewer"),
    # any reader keeps collections; 404 for one they may not see, 403 for another's
    ("GET", "/api/v1/collections", "/api/v1/collections", None, "viewer"),
    ("POST", "/api/v1/collections", "/api/v1/collections", {"name": "C"}, "viewer"),
    ("GET", "/api/v1/collections/{collection_id}", "/api/v1/collections/999", None, "viewer"),
    ("PATCH", "/api/v1/collections/{collection_id}", "/api/v1/collections/999", {}, "viewer"),
    ("DELETE", "/api/v1/collections/{collection_id}", "/api/v1/collections/999", None, "viewer"),
    (
        "GET",
        "/api/v1/collections/{collection_id}/items",
        "/api/v1/collections/999/items",
        None,
        "viewer",
    ),
    (
        "POST",
        "/api/v1/collections/{collection_id}/items",
        "/api/v1/collections/999/items",
        {"urns": ["u"]},
        "viewer",
    ),
    (
        "POST",
        "/api/v1/collections/{collection_id}/items/remove",
        "/api/v1/collections/999/items/remove",
        {"urns": ["u"]},
        "viewer",
    ),
    ("GET", "/api/v1/audit", "/api/v1/audit", None, "admin"),
    ("GET", "/api/v1/custom-properties", "/api/v1/custom-properties", None, "viewer"),
    (
        "POST",
        "/api/v1/custom-properties",
        "/api/v1/custom-properties",
        {"name": "p", "type": "string"},
        "steward",
    ),
    (
        "GET",
        "/api/v1/custom-properties/{name}",
        "/api/v1/custom-properties/nope",
        None,
        "viewer",
    ),
    (
        "PATCH",
        "/api/v1/custom-properties/{name}",
        "/api/v1/custom-properties/nope",
        {},
        "steward",
    ),
    (
        "DELETE",
        "/api/v1/custom-properties/{name}",
        "/api/v1/custom-properties/nope",
        None,
        "steward",
    ),
    ("GET", "/api/v1/audit", "/api/v1/audit", None, "admin"),
]
RANK = {"viewer": 0, "steward": 1, "admin": 2}
# authenticated otherwise: a webhook carries its trigger's secret, not an API token
EXEMPT = {("POST", "/api/v1/orchestrations/{name}/webhook")}


def test_matrix_covers_every_route(api: Api) -> None:
    routes = {
        (method.upper(), path)
        for path, ops in api.app.openapi()["paths"].items()
        if path.startswith("/api/v1")
        for method in ops
    }
    assert routes - EXEMPT == {(m, t) for m, t, *_ in MATRIX}


@pytest.mark.parametrize(("method", "template", "path", "body", "least"), MATRIX)
def test_no_token_is_401(
    shared_api: Api, method: str, template: str, path: str, body: Any, least: str
) -> None:
    resp = shared_api.call(method, path, role=None, json=body)
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "AuthenticationError"
    assert resp.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "template", "path", "body", "least"), MATRIX)
@pytest.mark.parametrize("role", ["viewer", "steward", "admin"])
def test_roles(
    shared_api: Api, role: str, method: str, template: str, path: str, body: Any, least: str
) -> None:
    resp = shared_api.call(method, path, role=role, json=body)
    if RANK[role] < RANK[least]:
        assert resp.status_code == 403, resp.text
        err = resp.json()["error"]
        assert err["type"] == "PermissionDeniedError" and err["details"]["permission"]
    else:
        assert resp.status_code not in (401, 403), resp.text


def test_bad_and_revoked_tokens(api: Api) -> None:
    bad = api.client.get("/api/v1/me", headers={"Authorization": "Bearer snd_nope"})
    assert bad.status_code == 401
    basic = api.client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    tokens = api.call("GET", "/api/v1/users/viewer1/tokens").json()["items"]
    assert api.call("DELETE", f"/api/v1/tokens/{tokens[0]['id']}").status_code == 204
    assert api.call("GET", "/api/v1/me", role="viewer").status_code == 401


def test_disabled_user_cannot_authenticate(api: Api) -> None:
    assert api.call("PATCH", "/api/v1/users/steward1", json={"disabled": True}).status_code == 200
    assert api.call("GET", "/api/v1/me", role="steward").status_code == 401


def test_health_needs_no_token(api: Api) -> None:
    resp = api.client.get("/healthz")
    assert resp.status_code == 200 and resp.json()["status"] == "ok"


def test_new_token_works_and_is_stored_hashed(api: Api, ctx: Any) -> None:
    created = api.call("POST", "/api/v1/users/viewer1/tokens", json={"name": "ci"}).json()
    token = created["token"]
    assert (
        api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["name"]
        == "viewer1"
    )
    with ctx.db.read() as conn:
        stored = [r[0] for r in conn.exec_driver_sql("SELECT token_hash FROM api_tokens")]
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_mutations_are_audited(api: Api) -> None:
    api.call("POST", "/api/v1/users", json={"name": "zed", "role": "viewer"})
    api.call("PATCH", "/api/v1/sources/shop", json={"description": "the shop"})
    entries = api.call("GET", "/api/v1/audit?user=admin1").json()["items"]
    actions = [(e["action"], e["target"]) for e in entries]
    assert ("user.create", "zed") in actions and ("source.update", "shop") in actions
    assert all(e["actor"] == "admin1" and e["at"] for e in entries)
