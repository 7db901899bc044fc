"""The asset page (``/assets/{id}``) through a real server on the demo: what each role sees,
the tabs, the in-place edits with their optimistic concurrency, label decisions, masking,
and the 4xx/403 answers to bad or forbidden requests.

Objects these tests change (nobody else relies on them): raw_categories' header,
raw_warehouses' labels (the browser test confirms one too: the tests pick whichever label is
still pending) and raw_returns' tags and terms.
"""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from tests.ui.site import Site

pytestmark = pytest.mark.slow
HX = {"HX-Request": "true"}
HTML = {"Accept": "text/html"}


def asset_id(site: Site, name: str) -> int:
    """The id of a demo table, through the page that takes a URN."""
    client = site.as_user("viewer")
    answer = client.get("/assets/by-urn", params={"urn": f"urn:sounding:warehouse:main.{name}"})
    assert answer.status_code == 303, answer.text[:300]
    match = re.fullmatch(r"/assets/(\d+)", answer.headers["location"])
    assert match, answer.headers["location"]
    return int(match.group(1))


def revision(html: str) -> str:
    match = re.search(r'name="revision" value="(\d+)"', html)
    assert match, "no revision in the edit forms"
    return match.group(1)


def htmx(site: Site, client: httpx.Client) -> dict[str, str]:
    return {**HX, "X-CSRF-Token": site.csrf(client)}


def test_steward_sees_breadcrumb_header_schema_and_edit_controls(site: Site) -> None:
    steward = site.as_user("steward")
    ident = asset_id(site, "raw_customers")
    page = steward.get(f"/assets/{ident}")
    assert page.status_code == 200
    html = page.text
    # breadcrumb: source > database > table, each level a link but the last
    crumbs = re.search(r'<ol class="breadcrumb">(.*?)</ol>', html, re.S)
    assert crumbs
    assert re.findall(r'<a href="/assets/\d+">(\w+)</a>', crumbs.group(1)) == ["warehouse", "main"]
    assert 'aria-current="page">raw_customers<' in crumbs.group(1)
    assert "crm-data@shop.example" in html  # the demo's owner
    # every column, with type, nullability, keys, labels and a profile bar
    assert len(re.findall(r'<tr id="col-\d+">', html)) == 20
    assert '<abbr class="badge" title="Primary key">PK</abbr>' in html
    assert "PII.Email" in html and "<meter" in html and "% null" in html
    # a steward gets the edit forms and the label decisions
    assert f'action="/assets/{ident}/field"' in html
    assert re.search(r'aria-label="Confirm PII\.Email on email"', html)
    assert '<option value="/Customer">' in html  # glossary paths offered when linking a term
    # the tabs are links that carry the tab in the URL
    for tab in ("schema", "profile", "lineage", "quality", "usage", "history", "compliance"):
        assert f'href="/assets/{ident}?tab={tab}"' in html
    assert "Content-Security-Policy" in page.headers


def test_viewer_sees_no_edit_controls_and_a_forged_post_gets_403(site: Site) -> None:
    viewer = site.as_user("viewer")
    ident = asset_id(site, "raw_customers")
    html = viewer.get(f"/assets/{ident}").text
    controls = ("/field", "/tags", "/terms", "/labels", "Confirm", "Reject", "Edit<", "datalist")
    for control in controls:
        assert control not in html, control
    token = site.csrf(viewer)
    email = re.search(
        r'<tr id="col-(\d+)">\s*<td class="num">\d*</td>\s*<th scope="row"><span '
        r'class="colname">email<',
        html,
    )
    assert email
    forged = [
        (f"/assets/{ident}/field", {"field": "owner", "value": "viewer"}),
        (f"/assets/{ident}/tags", {"add": "forged"}),
        (f"/assets/{ident}/terms", {"add": "/Customer"}),
        (
            f"/assets/{ident}/columns/{email.group(1)}/labels",
            {"label": "PII.Email", "status": "rejected"},
        ),
    ]
    for path, data in forged:
        answer = viewer.post(path, data={**data, "csrf_token": token}, headers=HTML)
        assert answer.status_code == 403, (path, answer.status_code)
        assert "lacks permission" in answer.text
    after = site.as_user("steward").get(f"/assets/{ident}").text
    assert "forged" not in after and "viewer</span>" not in after


def test_edit_owner_in_place_and_a_stale_form_is_refused(site: Site) -> None:
    steward = site.login("steward")
    ident = asset_id(site, "raw_categories")
    html = steward.get(f"/assets/{ident}").text
    seen = revision(html)
    headers = htmx(site, steward)
    answer = steward.post(
        f"/assets/{ident}/field",
        data={"field": "owner", "value": " catalog-team@shop.example ", "revision": seen},
        headers=headers,
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<section id="asset-header"')  # the fragment only
    assert "catalog-team@shop.example" in answer.text and 'role="alert"' not in answer.text
    assert int(revision(answer.text)) > int(seen)
    # someone else's form, rendered before that write, does not overwrite it
    stale = steward.post(
        f"/assets/{ident}/field",
        data={"field": "owner", "value": "late@shop.example", "revision": seen},
        headers=headers,
    )
    assert stale.status_code == 200
    assert "Someone else changed this asset" in stale.text
    assert "catalog-team@shop.example" in stale.text and "late@shop.example" not in stale.text
    # the same without htmx: a plain form post says so on the page (409)
    plain = steward.post(
        f"/assets/{ident}/field",
        data={
            "field": "owner",
            "value": "late@shop.example",
            "revision": seen,
            "csrf_token": headers["X-CSRF-Token"],
        },
    )
    assert plain.status_code == 409 and "Someone else changed this asset" in plain.text
    # criticality, lifecycle and description: set and cleared; the audit log has them
    for field, value in (("criticality", "high"), ("lifecycle", "production")):
        done = steward.post(
            f"/assets/{ident}/field", data={"field": field, "value": value}, headers=headers
        )
        assert done.status_code == 200
        assert f'<span class="badge {value}">{value}</span>' in done.text
    done = steward.post(
        f"/assets/{ident}/field",
        data={"field": "description", "value": "Product categories <b>tree</b>"},
        headers=headers,
    )
    assert "Product categories &lt;b&gt;tree&lt;/b&gt;" in done.text  # escaped, never markup
    cleared = steward.post(
        f"/assets/{ident}/field", data={"field": "lifecycle", "value": ""}, headers=headers
    )
    assert '<span class="badge production">' not in cleared.text
    audit = httpx.get(
        f"{site.base}/api/v1/audit",
        params={"action": "asset.update", "limit": 100},
        headers={"Authorization": f"Bearer {site.server.token}"},
    )
    assert audit.status_code == 200
    assert any(e["actor"] == "steward" for e in audit.json()["items"])


def test_bad_edits_get_a_clear_4xx(site: Site) -> None:
    steward = site.login("steward")
    ident = asset_id(site, "raw_categories")
    headers = htmx(site, steward)
    cases = [
        ({"field": "criticality", "value": "bogus"}, "criticality must be one of"),
        ({"field": "name", "value": "x"}, "Cannot edit 'name' here"),
        ({"field": "owner", "value": "x" * 201}, "longer than 200"),
        ({"field": "owner", "value": "x", "revision": "abc"}, ""),
    ]
    for data, message in cases:
        answer = steward.post(f"/assets/{ident}/field", data=data, headers=headers)
        assert 400 <= answer.status_code < 500, (data, answer.status_code)
        assert message in unescape(answer.text)
        assert 'class="alert error"' in answer.text  # an htmx fragment shown as a toast
    missing = steward.post("/assets/999999/field", data={"field": "owner"}, headers=headers)
    assert missing.status_code == 404
    assert steward.get("/assets/999999", headers=HTML).status_code == 404
    bad_tab = steward.get(f"/assets/{ident}?tab=nope", headers=HTML)
    assert bad_tab.status_code == 422 and "Unknown tab" in bad_tab.text
    assert steward.get(f"/assets/{ident}?page=0", headers=HTML).status_code == 422
    no_csrf = steward.post(f"/assets/{ident}/field", data={"field": "owner", "value": "x"})
    assert no_csrf.status_code == 403
    unknown_urn = steward.get("/assets/by-urn", params={"urn": "urn:nope"}, headers=HTML)
    assert unknown_urn.status_code == 404


def test_tags_and_terms_are_added_and_removed(site: Site) -> None:
    steward = site.login("steward")
    ident = asset_id(site, "raw_returns")
    headers = htmx(site, steward)
    added = steward.post(f"/assets/{ident}/tags", data={"add": "returns, finance"}, headers=headers)
    assert added.status_code == 200
    assert "Remove tag returns" in added.text and "Remove tag finance" in added.text
    removed = steward.post(f"/assets/{ident}/tags", data={"remove": "returns"}, headers=headers)
    assert "Remove tag returns" not in removed.text and "Remove tag finance" in removed.text
    linked = steward.post(f"/assets/{ident}/terms", data={"add": "/Customer"}, headers=headers)
    assert linked.status_code == 200 and "Remove term /Customer" in linked.text
    unknown = steward.post(f"/assets/{ident}/terms", data={"add": "/No/Such"}, headers=headers)
    assert 400 <= unknown.status_code < 500 and 'class="alert error"' in unknown.text
    unlinked = steward.post(f"/assets/{ident}/terms", data={"remove": "/Customer"}, headers=headers)
    assert "Remove term /Customer" not in unlinked.text
    empty = steward.post(f"/assets/{ident}/tags", data={"add": " "}, headers=headers)
    assert empty.status_code == 422
    # without htmx the same forms post and come back to the page
    plain = steward.post(
        f"/assets/{ident}/tags",
        data={"remove": "finance", "csrf_token": headers["X-CSRF-Token"]},
    )
    assert plain.status_code == 303 and plain.headers["location"] == f"/assets/{ident}"
    assert "Remove tag finance" not in steward.get(f"/assets/{ident}").text


def test_reject_a_label_in_place_and_it_persists(site: Site) -> None:
    steward = site.login("steward")
    ident = asset_id(site, "raw_warehouses")
    html = steward.get(f"/assets/{ident}").text
    pending = re.search(
        r'action="/assets/\d+/columns/(\d+)/labels".*?name="label" value="([^"]+)"', html, re.S
    )
    assert pending, "raw_warehouses has no pending label left"
    column, label = pending.groups()
    answer = steward.post(
        f"/assets/{ident}/columns/{column}/labels",
        data={"label": label, "status": "rejected"},
        headers=htmx(site, steward),
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith(f'<tr id="col-{column}">')
    assert 'class="chip rejected"' in answer.text and "toast" in answer.headers["HX-Trigger"]
    again = steward.get(f"/assets/{ident}").text
    row = re.search(rf'<tr id="col-{column}">.*?</tr>', again, re.S)
    assert row and "chip rejected" in row.group(0) and f"Confirm {label}" not in row.group(0)
    audit = httpx.get(
        f"{site.base}/api/v1/audit",
        params={"action": "classification.reject", "limit": 100},
        headers={"Authorization": f"Bearer {site.server.token}"},
    )
    assert any(
        e["actor"] == "steward" and e["details"].get("label") == label
        for e in audit.json()["items"]
    ), audit.json()
    # a column of another table, and a bad status, are refused
    other = asset_id(site, "raw_customers")
    wrong = steward.post(
        f"/assets/{other}/columns/{column}/labels",
        data={"label": label, "status": "confirmed"},
        headers=htmx(site, steward),
    )
    assert wrong.status_code == 404
    bad = steward.post(
        f"/assets/{ident}/columns/{column}/labels",
        data={"label": label, "status": "maybe"},
        headers=htmx(site, steward),
    )
    assert bad.status_code == 422 and "confirmed or rejected" in bad.text


def test_profile_masks_sensitive_columns_for_a_viewer_only(site: Site) -> None:
    ident = asset_id(site, "raw_customers")
    viewer = site.as_user("viewer").get(f"/assets/{ident}?tab=profile").text
    steward = site.as_user("steward").get(f"/assets/{ident}?tab=profile").text
    # email is labelled (sensitive): its extremes are masked for a viewer, not for a steward
    v_email = re.search(r'id="prof-\d+">email .*?</article>', viewer, re.S)
    s_email = re.search(r'id="prof-\d+">email .*?</article>', steward, re.S)
    assert v_email and s_email
    assert "<code>***</code>" in v_email.group(0) and "@" not in v_email.group(0)
    assert "@" in s_email.group(0) and "***" not in s_email.group(0)
    assert "masked" in v_email.group(0)
    # the schema tab's evidence samples follow the same rule
    schema = site.as_user("viewer").get(f"/assets/{ident}").text
    row = re.search(r'class="colname">email<.*?</tr>', schema, re.S)
    assert row and "masked: reading them needs pii:read" in row.group(0) and "@" not in row.group(0)
    # an unlabelled column keeps its figures
    v_id = re.search(r'id="prof-\d+">customer_id .*?</article>', viewer, re.S)
    assert v_id and "***" not in v_id.group(0) and "<svg" in v_id.group(0)


def test_other_tabs_render_from_the_services(site: Site) -> None:
    viewer = site.as_user("viewer")
    customers = asset_id(site, "raw_customers")
    quality = viewer.get(f"/assets/{customers}?tab=quality").text
    assert "not_null(phone_number)" in quality and "Scores" in quality
    assert re.search(r'class="badge (passed|failed)"', quality)
    # failing examples of a sensitive column: masked for a viewer, shown to a steward
    v_row = re.search(r"unique\(email\).*?</tr>", quality, re.S)
    assert v_row and "(masked)" in v_row.group(0) and "***" in v_row.group(0)
    assert "@" not in v_row.group(0)
    steward = site.as_user("steward").get(f"/assets/{customers}?tab=quality").text
    s_row = re.search(r"unique\(email\).*?</tr>", steward, re.S)
    assert s_row and "@" in s_row.group(0) and "(masked)" not in s_row.group(0)
    lineage = viewer.get(f"/assets/{customers}?tab=lineage").text
    assert "/lineage?focus=urn%3Asounding%3Awarehouse%3Amain.raw_customers" in lineage
    assert "stg_customers" in lineage  # the staging view reads it
    usage = viewer.get(f"/assets/{customers}?tab=usage")
    assert usage.status_code == 200 and "popularity" in usage.text
    history = viewer.get(f"/assets/{customers}?tab=history").text
    assert "created" in history and "with 20 columns" in history
    loyalty = asset_id(site, "raw_loyalty_members")
    compliance = viewer.get(f"/assets/{loyalty}?tab=compliance").text
    assert re.search(r'class="badge (critical|high|medium|low)"', compliance)
    # a column's findings show on its table's page too
    payments = asset_id(site, "raw_payment_methods")
    on_columns = viewer.get(f"/assets/{payments}?tab=compliance").text
    assert "main.raw_payment_methods.card_number" in on_columns
    # columns and the source have pages too
    source = viewer.get("/assets/by-urn", params={"urn": "urn:sounding:warehouse"})
    assert source.status_code == 303
    assert viewer.get(source.headers["location"]).status_code == 200


def test_schema_filter_and_paging_keep_the_state_in_the_url(site: Site) -> None:
    viewer = site.as_user("viewer")
    ident = asset_id(site, "raw_customers")
    html = viewer.get(f"/assets/{ident}", params={"q": "name"}).text
    names = re.findall(r'class="colname">(\w+)<', html)
    assert names and all("name" in n for n in names)
    assert 'value="name"' in html  # the filter box keeps the query
    assert viewer.get(f"/assets/{ident}", params={"page": 99}).status_code == 200  # clamped
