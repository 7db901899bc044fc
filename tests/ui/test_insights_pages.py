"""The insights pages over HTTP on the demo store, with history made by running real
workflows: anomalies with their evidence, recommendations applied and rolled back (their
effect on the stored workflow checked through the API), the duration chart and its figures
beside the API's, and what a viewer may not do."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
import pytest

from tests.ui.insights_history import api, build
from tests.ui.site import Site

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def history(site: Site) -> dict[str, Any]:
    return build(site, "insights-http")


def _recommendation(site: Site, workflow: str) -> dict[str, Any]:
    with api(site) as client:
        answer = client.get("/api/v1/insights/recommendations", params={"workflow": workflow})
    (rec,) = answer.json()["items"]
    return dict(rec)


def _limits(site: Site, workflow: str) -> Any:
    with api(site) as client:
        return client.get(f"/api/v1/orchestrations/{workflow}").json()["spec"]["limits"]


def test_overview_shows_the_anomaly_with_its_evidence(site: Site, history: dict[str, Any]) -> None:
    with api(site) as client:
        found = client.get("/api/v1/insights/anomalies", params={"workflow": history["fan"]})
    flagged = [a for a in found.json()["items"] if a["execution_id"] == history["slow"]]
    step = next(a for a in flagged if a["kind"] == "step_duration")
    for user in ("viewer", "steward"):
        page = site.as_user(user).get("/insights")
        assert page.status_code == 200
        text = unescape(page.text)
        assert history["slow"] in text and step["message"] in text
        assert "forecast from the other runs" in text and f"{step['score']:.1f} MADs" in text
    bad = site.as_user("viewer").get("/insights?days=0")
    assert bad.status_code == 422 and "days" in bad.text


def test_viewer_sees_recommendations_without_controls_and_forged_posts_are_refused(
    site: Site, history: dict[str, Any]
) -> None:
    rec = _recommendation(site, history["spread"])
    viewer = site.as_user("viewer")
    page = unescape(viewer.get("/insights").text)
    assert rec["title"] in page and "executions at limit with tasks waiting" in page
    assert "/apply" not in page and "/rollback" not in page and "Roll back" not in page
    token = site.csrf(viewer, "/insights")
    for action in ("apply", "rollback"):
        forged = viewer.post(
            f"/insights/recommendations/{rec['id']}/{action}", data={"csrf_token": token}
        )
        assert forged.status_code == 403
    steward = site.as_user("steward")
    no_token = steward.post(f"/insights/recommendations/{rec['id']}/apply")
    assert no_token.status_code == 403
    assert _limits(site, history["spread"]) == {"per_source": 2}  # nothing changed


def test_a_steward_applies_and_rolls_back_a_recommendation(
    site: Site, history: dict[str, Any]
) -> None:
    rec = _recommendation(site, history["spread"])
    steward = site.as_user("steward")
    page = unescape(steward.get("/insights").text)
    assert f'action="/insights/recommendations/{rec["id"]}/apply"' in page
    token = site.csrf(steward, "/insights")
    applied = steward.post(
        f"/insights/recommendations/{rec['id']}/apply", data={"csrf_token": token}
    )
    assert applied.status_code == 303
    assert _limits(site, history["spread"]) == {"per_source": 4}
    shown = unescape(steward.get(applied.headers["location"]).text)
    assert f"Applied “{rec['title']}” to {history['spread']}" in shown
    assert f'action="/insights/recommendations/{rec["id"]}/rollback"' in shown

    again = steward.post(
        f"/insights/recommendations/{rec['id']}/apply",
        data={"csrf_token": token, "back": "https://elsewhere.example/insights"},
    )
    assert again.status_code == 404  # no longer a current recommendation: nothing applied twice
    assert _limits(site, history["spread"]) == {"per_source": 4}

    workflow_page = f"/insights/workflows/{history['spread']}"
    shown = unescape(steward.get(workflow_page).text)
    assert f'action="/insights/recommendations/{rec["id"]}/rollback"' in shown
    rolled = steward.post(
        f"/insights/recommendations/{rec['id']}/rollback",
        data={"csrf_token": token, "back": workflow_page},
    )
    assert rolled.status_code == 303
    assert rolled.headers["location"].startswith(f"{workflow_page}?rolled_back=")
    assert _limits(site, history["spread"]) == {"per_source": 2}
    shown = unescape(steward.get(rolled.headers["location"]).text)
    assert f"Rolled back “{rec['title']}” on {history['spread']}" in shown
    assert 'class="badge medium">rolled back' in shown
    twice = steward.post(
        f"/insights/recommendations/{rec['id']}/rollback", data={"csrf_token": token}
    )
    assert twice.status_code == 404 and "is not applied" in unescape(twice.text)


def test_workflow_page_draws_durations_with_forecast_band_and_error(
    site: Site, history: dict[str, Any]
) -> None:
    with api(site) as client:
        forecast = client.get(
            "/api/v1/insights/forecasts", params={"workflow": history["fan"]}
        ).json()["items"][0]["execution"]
    page = site.as_user("viewer").get(f"/insights/workflows/{history['fan']}")
    assert page.status_code == 200
    html = page.text
    assert len(re.findall(r'<circle [^>]*class="dot ', html)) == forecast["runs"] == 8
    assert '<polygon points="' in html and '<polyline points="' in html
    assert f"{forecast['loo_mape'] * 100:.1f} %" in html  # the API's measured error
    coverage = re.search(r"(\d+) % of runs inside their band", html)
    assert coverage is not None and 0 <= int(coverage.group(1)) <= 100
    assert 'class="dot anomaly"' in html and history["slow"] in html
    for normal in history["normal"]:
        assert normal in html  # every run is listed

    step = site.as_user("viewer").get(f"/insights/workflows/{history['fan']}/steps/work")
    assert step.status_code == 200 and "step work" in step.text
    assert len(re.findall(r'<circle [^>]*class="dot ', step.text)) == 8


def test_chart_fragment_for_other_pages(site: Site, history: dict[str, Any]) -> None:
    viewer = site.as_user("viewer")
    chart = viewer.get(
        f"/insights/workflows/{history['fan']}/chart",
        params={"step": "work"},
        headers={"HX-Request": "true"},
    )
    assert chart.status_code == 200
    assert chart.text.lstrip().startswith('<figure class="duration-chart"')
    assert "<html" not in chart.text and 'role="img"' in chart.text
    assert chart.headers["content-security-policy"].startswith("default-src 'self'")
    whole = viewer.get(f"/insights/workflows/{history['fan']}/chart")
    assert "whole execution" in whole.text


def test_unknown_workflows_and_steps_are_404_pages(site: Site, history: dict[str, Any]) -> None:
    viewer = site.as_user("viewer")
    missing = viewer.get("/insights/workflows/insights-nope")
    assert missing.status_code == 404 and "never ran" in missing.text
    assert "<html" in missing.text  # a page, with the way back
    step = viewer.get(f"/insights/workflows/{history['fan']}/steps/nope")
    assert step.status_code == 404 and "Step 'nope'" in unescape(step.text)
    chart = viewer.get("/insights/workflows/insights-nope/chart", headers={"HX-Request": "true"})
    assert chart.status_code == 404 and "<html" not in chart.text
    long = viewer.get("/insights/workflows/" + "x" * 300)
    assert long.status_code == 422


def test_logged_out_visitors_are_sent_to_login(site: Site) -> None:
    answer = httpx.get(f"{site.base}/insights", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/insights"
