"""The real openlineage-python client posting run events to a running `sounding serve`."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import column_lineage_dataset as cl
from openlineage.client.facet_v2 import schema_dataset
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

from tests.factories import sqlite_source

WAREHOUSE = "postgres://warehouse.internal:5432"


def _event(job: str, output: str, state: RunState = RunState.COMPLETE) -> RunEvent:
    fields = cl.Fields(
        inputFields=[
            cl.InputField(
                "shop",
                "main.orders",
                "amount",
                transformations=[cl.Transformation(type="DIRECT", subtype="AGGREGATION")],
            )
        ],
        transformationType="",
        transformationDescription="",
    )
    out = OutputDataset(
        WAREHOUSE,
        output,
        facets={
            "schema": schema_dataset.SchemaDatasetFacet(
                fields=[schema_dataset.SchemaDatasetFacetFields(name="total", type="numeric")]
            ),
            "columnLineage": cl.ColumnLineageDatasetFacet(fields={"total": fields}),
        },
    )
    return RunEvent(
        eventType=state,
        eventTime="2026-11-22T10:00:00Z",
        run=Run(runId=str(uuid.uuid4())),
        job=Job(namespace="airflow", name=job),
        inputs=[InputDataset("shop", "main.orders")],
        outputs=[out],
        producer="https://example.com/sounding-tests",
    )


def _get(base: str, token: str, path: str, **params: Any) -> Any:
    resp = httpx.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.mark.slow
def test_openlineage_client_events_become_lineage(
    live_server: tuple[str, str, Path], tmp_path: Path
) -> None:
    base, token, _ = live_server
    auth = {"Authorization": f"Bearer {token}"}
    httpx.post(
        f"{base}/api/v1/sources",
        headers=auth,
        json={"name": "shop", "url": sqlite_source(tmp_path / "shop.db")},
    )
    scan = httpx.post(f"{base}/api/v1/scans", headers=auth, json={"source": "shop"}).json()
    while scan["status"] in ("pending", "running"):
        time.sleep(0.05)
        scan = _get(base, token, f"/api/v1/scans/{scan['id']}")
    client = OpenLineageClient(
        transport=HttpTransport(HttpConfig(url=base, auth=ApiKeyTokenProvider({"apiKey": token})))
    )
    client.emit(_event("daily_totals", "analytics.public.order_facts"))

    down = _get(
        base, token, "/api/v1/assets/urn:sounding:shop:main.orders/lineage", direction="downstream"
    )
    names = {n["id"]: n["urn"] for n in down["nodes"]}
    external = "urn:sounding:ol_postgres_warehouse_internal_5432:analytics.public.order_facts"
    assert {names[e["target"]] for e in down["edges"]} >= {external}
    # the job is a pipeline asset between its input and its output
    job_urn = "urn:sounding:ol_airflow:pipeline.daily_totals"
    job = _get(base, token, "/api/v1/assets/by-urn", urn=job_urn)
    assert job["type"] == "pipeline" and job["source"] == "ol_airflow"
    through = {(names[e["source"]], names[e["target"]]) for e in down["edges"]}
    assert ("urn:sounding:shop:main.orders", job_urn) in through
    assert (job_urn, external) in through
    cols = _get(
        base,
        token,
        "/api/v1/assets/urn:sounding:shop:main.orders/lineage",
        direction="downstream",
        level="column",
    )
    col_names = {n["id"]: n["qualified_name"] for n in cols["nodes"]}
    kinds = {(col_names[e["source"]], col_names[e["target"]]): e["kind"] for e in cols["edges"]}
    assert kinds[("main.orders.amount", "analytics.public.order_facts.total")] == "aggregate"
    src = _get(base, token, "/api/v1/sources/ol_postgres_warehouse_internal_5432")
    assert src["kind"] == "external"
    refused = httpx.post(f"{base}/api/v1/scans", headers=auth, json={"source": src["name"]})
    assert refused.status_code == 422 and "OpenLineage" in refused.json()["error"]["message"]

    # the job now writes elsewhere: its old edge goes, the new one comes
    client.emit(_event("daily_totals", "analytics.public.order_facts_v2"))
    down = _get(
        base, token, "/api/v1/assets/urn:sounding:shop:main.orders/lineage", direction="downstream"
    )
    names = {n["id"]: n["urn"] for n in down["nodes"]}
    ol_targets = {names[e["target"]] for e in down["edges"] if e["origin"] == "openlineage"}
    assert ol_targets == {external + "_v2"}
    # a failed run says nothing about lineage
    client.emit(_event("daily_totals", "analytics.public.ignored", RunState.FAIL))
    assert (
        httpx.get(
            f"{base}/api/v1/assets/by-urn",
            headers=auth,
            params={"urn": external.replace("order_facts", "ignored")},
        ).status_code
        == 404
    )


def test_bad_openlineage_events_are_422_with_paths(api: Any) -> None:
    resp = api.call(
        "POST",
        "/api/v1/lineage",
        role="steward",
        json={"eventType": "COMPLETE", "job": {"namespace": "x"}, "outputs": [{"name": "t"}]},
    )
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert {e["loc"] for e in err["details"]["errors"]} == {"job", "outputs[0]"}
