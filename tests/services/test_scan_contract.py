"""The connector contract at the level of a whole scan: every backend, the real store.

The connector suite (``tests/connectors/contract``) checks each connector call on its own; here
the same fixture sources (one builder per backend) go through ``scans.run_scan`` with profiling,
and what a user sees is the scan's run: a broken view, an object dropped between discovery and
profiling and a source that disappears mid-scan are each failures in the report naming what
failed, and the scan completes with everything else catalogued and profiled.

To act between two stages the tests add a stage to the scan pipeline, which is data
(``scan_stages.STAGES``): the same way a new stage is added.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.scans import ScanOptions, ScanRun
from sounding.services import catalog, scan_stages, scans, sources
from tests.connectors.contract.backends import AWKWARD, CUSTOMERS, TABLES, Backend
from tests.connectors.contract.servers import ALL, SERVER_FIXTURES, backends

PROFILE = ScanOptions(profile=True, lineage=True)


@pytest.fixture(params=ALL)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name = request.param
    server = request.getfixturevalue(f"{name}_url") if name in SERVER_FIXTURES else None
    (tmp_path / "sources").mkdir()
    yield from backends(tmp_path / "sources", name, server)


@pytest.fixture
def between_discovery_and_profiling(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[Callable[[], None]], None]:
    """Run ``act`` after discovery and before profiling, as a stage of the scan pipeline."""

    def insert(act: Callable[[], None]) -> None:
        def run(_: scan_stages.StageRun) -> None:
            act()

        stage = scan_stages.ScanStage("act", lambda _: True, ("discover",), dict, run)
        first, *rest = scan_stages.STAGES
        monkeypatch.setattr(scan_stages, "STAGES", (first, stage, *rest))

    return insert


def scan(ctx: Any, operator: Any, url: str) -> ScanRun:
    sources.add(ctx, operator, "shop", url)
    return scans.run_scan(ctx, operator, "shop", options=PROFILE)


def urn_of(ctx: Any, operator: Any, backend: Backend, url: str, name: str) -> str:
    """The URN the catalog gave the fixture object ``name``."""
    wanted = backend.path(url, name)
    assets, _ = catalog.list_assets(ctx, operator, limit=500, offset=0, source="shop")
    found = [a.urn for a in assets if a.name == wanted[-1] and a.type != "column"]
    assert len(found) == 1, (name, found)
    return found[0]


def catalogued(backend: Backend, url: str) -> set[str]:
    """The names a scan of the fixture source catalogues."""
    names = [*TABLES, *(["big_orders"] if backend.views else [])]
    if not backend.broken_fails_describe:
        names.append("broken")
    return {backend.path(url, n)[-1] for n in names}


def failures(run: ScanRun) -> dict[str, dict[str, str]]:
    return {f["target"]: f for f in run.report["failures"]}


def object_names(ctx: Any, operator: Any) -> set[str]:
    assets, _ = catalog.list_assets(ctx, operator, limit=500, offset=0, source="shop")
    return {a.name for a in assets if a.type in ("table", "view", "dataset")}


def row_count(ctx: Any, operator: Any, urn: str) -> int | None:
    facts = catalog.get_asset(ctx, operator, urn).object_facts
    return None if facts is None else facts.row_count


def test_a_broken_view_is_one_failure_and_the_scan_goes_on(
    backend: Backend, ctx: Any, operator: Any
) -> None:
    url = backend.create("shop")
    run = scan(ctx, operator, url)

    assert run.status == "completed_with_failures"
    assert run.report["failures_total"] == 1
    ((target, failure),) = failures(run).items()
    assert backend.path(url, "broken")[-1] in target or "broken" in target
    assert backend.broken_error in failure["error"]
    # everything else is catalogued, the awkward names as written, and profiled; the broken
    # view too where the catalog describes it (it fails when read)
    expected = catalogued(backend, url)
    assert object_names(ctx, operator) == expected
    assert run.report["stages"]["profile"]["profiled"] == len(TABLES) + backend.views
    customers = urn_of(ctx, operator, backend, url, "customers")
    assert row_count(ctx, operator, customers) == len(CUSTOMERS)


def test_an_object_dropped_mid_scan_is_one_failure(
    backend: Backend,
    ctx: Any,
    operator: Any,
    between_discovery_and_profiling: Callable[[Callable[[], None]], None],
) -> None:
    url = backend.create("shop")
    between_discovery_and_profiling(lambda: backend.drop_object(url, "with space"))
    run = scan(ctx, operator, url)

    assert run.status == "completed_with_failures"
    dropped = urn_of(ctx, operator, backend, url, "with space")
    found = failures(run)
    assert dropped in found, found
    assert found[dropped]["type"] == "profile_failed"
    assert "source 'shop'" in found[dropped]["error"]
    assert run.report["failures_total"] == 2  # it and the broken view, nothing else
    assert run.report["stages"]["profile"]["profiled"] == len(TABLES) + backend.views - 1
    for name in [n for n in AWKWARD if n != "with space"][:3]:
        assert row_count(ctx, operator, urn_of(ctx, operator, backend, url, name)) == 2


def test_a_source_that_disappears_mid_scan_fails_each_object_clearly(
    backend: Backend,
    ctx: Any,
    operator: Any,
    between_discovery_and_profiling: Callable[[Callable[[], None]], None],
) -> None:
    url = backend.create("shop")
    between_discovery_and_profiling(lambda: backend.destroy(url))
    started = time.monotonic()
    run = scan(ctx, operator, url)

    assert time.monotonic() - started < 60  # no object waits out a timeout
    assert run.status == "completed_with_failures"  # the scan finished; discovery stands
    objects = catalogued(backend, url)
    assert object_names(ctx, operator) == objects
    assert run.report["stages"]["profile"]["profiled"] == 0
    found = run.report["failures"]
    assert run.report["failures_total"] == len(objects) + backend.broken_fails_describe
    assert all("source 'shop'" in f["error"] for f in found if f["type"] == "profile_failed")
    assert {f["type"] for f in found} == {"profile_failed"} | (
        {"ObjectScanError"} if backend.broken_fails_describe else set()
    )


def test_include_and_exclude_patterns_decide_what_a_scan_catalogues(
    backend: Backend, ctx: Any, operator: Any
) -> None:
    url = backend.create("shop")
    sources.add(
        ctx, operator, "shop", url, include=r"(customers|orders|Mixed Case)", exclude="Mixed"
    )
    run = scans.run_scan(ctx, operator, "shop", options=dataclasses.replace(PROFILE))
    assert run.status == "completed"
    assert object_names(ctx, operator) == {
        backend.path(url, n)[-1] for n in ("customers", "orders")
    } | ({"big_orders"} if backend.views else set())
    assert run.report["warnings_total"] == 0
