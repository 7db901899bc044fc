"""Unmasked reads follow the policy model, on every value-derived field, and are audited.

``orders.qty`` is labelled sensitive and ``orders`` is in domain *finance*. A viewer with a
policy granting unmasked reads on *finance* sees qty's real values in its profile (min, max,
mean, quantiles, histogram bounds, top values), in a quality rule's failing examples, in the
classification review's samples and on the asset page; a viewer with the same policy on
*sales* sees ``***`` everywhere. Each unmasked read leaves a ``pii.read`` audit record naming
the actor, the asset, the columns and the fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.auth import Principal, Role
from sounding.domain.profiling import MASK, VALUE_FREE_FIELDS
from sounding.domain.scans import ScanOptions
from sounding.features.access import repo as access_repo
from sounding.features.access import service as access
from sounding.features.accounts import service as accounts
from sounding.features.domains import service as domains
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import service as quality
from sounding.services import (
    asset_page,
    catalog,
    classification,
    classification_review,
    profiling,
    scans,
    sources,
)
from sounding.services.context import build_context
from sounding.store.repos import utcnow
from tests import quality_sources as qs
from tests.conftest import make_settings

TABLE = "urn:sounding:src:main.orders"
QTY = f"{TABLE}#qty"


@pytest.fixture
def estate(ctx: Any, operator: Principal, tmp_path: Path) -> dict[str, Principal]:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    qs.build(url)
    sources.add(ctx, operator, "src", url)
    scans.run_scan(ctx, operator, "src", options=ScanOptions(profile=True))
    classification.decide(ctx, operator, QTY, "Custom.Secret", "confirmed")
    for name in ("finance", "sales"):  # domains are entities: made before use
        domains.create_domain(ctx, operator, {"name": name})
    catalog.update_asset(ctx, operator, TABLE, {"domain": "finance"})
    people = {}
    for name, domain in (("fin", "finance"), ("other", "sales")):
        user = accounts.create_user(ctx, operator, name, "viewer")
        access.create_policy(ctx, operator, name, "viewer", "domain", domain, unmasked=True)
        people[name] = access.attach_grants(ctx, Principal(name, Role.VIEWER, user.id))
    return people


def _audit(ctx: Any, operator: Principal, user: str) -> list[dict[str, Any]]:
    entries, _ = accounts.audit_entries(ctx, operator, 100, 0, user, "pii.read")
    return [{"target": e.target, **e.details} for e in entries]


def _qty_profile(ctx: Any, who: Principal) -> dict[str, Any]:
    table = profiling.get_profile(ctx, who, TABLE).profile
    found: dict[str, Any] = {c["name"]: c for c in table["columns"]}["qty"]
    return found


def test_every_value_derived_profile_field_follows_the_policy(
    ctx: Any, operator: Principal, estate: dict[str, Principal]
) -> None:
    shown, hidden = _qty_profile(ctx, estate["fin"]), _qty_profile(ctx, estate["other"])
    value_fields = [k for k in shown if k not in VALUE_FREE_FIELDS]
    assert {"min", "max", "mean", "histogram"} <= set(value_fields)
    assert shown["min"] not in (None, MASK) and shown.get("masked") is not True
    assert shown["histogram"][0]["low"] != MASK
    assert hidden["masked"] is True
    for field in value_fields:  # every value-derived figure is masked, histograms included
        assert MASK in json.dumps(hidden[field]) or hidden[field] is None, field
        assert json.dumps(shown[field]) != json.dumps(hidden[field]) or shown[field] is None
    assert all(b["low"] == b["high"] == MASK for b in hidden["histogram"])
    # the column's own profile, and the history, follow the same rule
    column = profiling.get_profile(ctx, estate["other"], QTY).profile
    assert column["masked"] is True and column["max"] == MASK
    history, _ = profiling.profile_history(ctx, estate["fin"], QTY, 10, 0)
    assert history[0].profile["max"] == shown["max"]
    (first, *rest) = _audit(ctx, operator, "fin")[::-1]
    assert first["target"] == TABLE and first["columns"] == ["qty"]
    assert first["via"] == "profile" and {"min", "max", "histogram"} <= set(first["fields"])
    assert len(rest) == 1 and rest[0]["target"] == QTY  # the history read
    assert _audit(ctx, operator, "other") == []


def test_quality_examples_follow_the_policy(
    ctx: Any, operator: Principal, estate: dict[str, Principal]
) -> None:
    quality.create_rule(
        ctx, operator, TABLE, {"kind": "range", "column": "qty", "params": {"max": 9}}
    )
    quality_runs.run_quality(ctx, operator, "src")

    def examples(who: Principal) -> Any:
        results, _ = quality_runs.result_history(ctx, who, asset=TABLE)
        (mine,) = [r for r in results if r.column == "qty"]
        return mine

    shown, hidden = examples(estate["fin"]), examples(estate["other"])
    assert shown.examples and not shown.examples_masked
    assert all(e["value"] != MASK for e in shown.examples)
    assert hidden.examples_masked and all(e["value"] == MASK for e in hidden.examples)
    reads = [a for a in _audit(ctx, operator, "fin") if a["via"] == "quality"]
    assert reads == [
        {"target": TABLE, "columns": ["qty"], "fields": ["examples", "observed"], "via": "quality"}
    ]


def test_review_samples_and_the_asset_page_follow_the_policy(
    ctx: Any, operator: Principal, estate: dict[str, Principal]
) -> None:
    def sample(who: Principal) -> Any:
        items, _ = classification_review.queue(ctx, who, status="confirmed", source="src")
        (item,) = [i for i in items if i.urn == QTY]
        return item

    assert not sample(estate["fin"]).masked and MASK not in sample(estate["fin"]).samples
    assert sample(estate["other"]).masked and set(sample(estate["other"]).samples) == {MASK}
    page = asset_page.asset_view(ctx, estate["fin"], TABLE)
    assert page.pii_visible and not asset_page.column_of(page, _qty_id(ctx, operator)).masked
    hidden = asset_page.asset_view(ctx, estate["other"], TABLE)
    assert not hidden.pii_visible and asset_page.column_of(hidden, _qty_id(ctx, operator)).masked
    via = {a["via"] for a in _audit(ctx, operator, "fin")}
    assert {"review", "asset page"} <= via


def _qty_id(ctx: Any, operator: Principal) -> int:
    return catalog.get_asset(ctx, operator, QTY).id


def test_a_policy_without_unmasked_does_not_reveal(
    ctx: Any, operator: Principal, estate: dict[str, Principal]
) -> None:
    user = accounts.create_user(ctx, operator, "curator", "viewer")
    access.create_policy(ctx, operator, "curator", "steward", "domain", "finance")
    who = access.attach_grants(ctx, Principal("curator", Role.VIEWER, user.id))
    assert _qty_profile(ctx, who)["masked"] is True
    catalog.update_asset(ctx, who, TABLE, {"description": "orders"})  # but it curates


# --- the per-process cache ---------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_grant_cache_reads_policies_once_and_sees_other_processes_changes(
    ctx: Any, operator: Principal, tmp_path: Path
) -> None:
    user = accounts.create_user(ctx, operator, "ana", "viewer")
    access.create_policy(ctx, operator, "ana", "steward", "domain", "finance")
    accounts.create_user(ctx, operator, "bo", "viewer")  # the newest policy is someone else's
    access.create_policy(ctx, operator, "bo", "steward", "domain", "hr")
    clock = Clock()
    cache = access.GrantCache(clock)
    first = cache.grants(ctx, user.id)  # read on a reload: ana's, not the last row's
    assert [str(g.scope) for g in first] == ["domain 'finance'"] and cache.loads == 1
    for _ in range(100):
        assert cache.grants(ctx, user.id) == first
    assert cache.loads == 1  # no query while fresh

    # another process (its own context on the same store) adds a policy
    other = build_context(make_settings(tmp_path / "home"))
    try:
        with other.db.write() as conn:
            access_repo.insert(
                conn,
                {
                    "user_id": user.id,
                    "role": "steward",
                    "scope_kind": "domain",
                    "scope_name": "sales",
                    "unmasked": False,
                    "created_by": "elsewhere",
                    "created_at": utcnow(),
                },
            )
            access_repo.bump(conn)
    finally:
        other.close()
    assert cache.grants(ctx, user.id) == first  # not yet: within CHECK_EVERY
    clock.now += access.CHECK_EVERY
    assert sorted(str(g.scope) for g in cache.grants(ctx, user.id)) == [
        "domain 'finance'",
        "domain 'sales'",
    ]
    assert cache.loads == 2
    clock.now += access.CHECK_EVERY
    cache.grants(ctx, user.id)
    assert cache.loads == 2  # checked the generation, nothing changed, nothing re-read
    # a change made in this process drops the process's cache at once
    (policy,) = access.list_policies(ctx, operator, 10, 0, scope="sales")[0]
    access.delete_policy(ctx, operator, policy.id)
    shared = access.cache(ctx)
    assert [str(g.scope) for g in shared.grants(ctx, user.id)] == ["domain 'finance'"]
