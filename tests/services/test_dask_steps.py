"""Scan step types on Dask workers: a real discover -> profile -> classify (+ lineage) workflow
over a SQLite source, run on a LocalCluster of worker processes, builds the same catalog as
the local executor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from sounding.services import executors, health, sources, workflows
from sounding.services.context import Context, build_context
from sounding.store.tables import assets
from sounding.store.tables_scanning import classifications, profiles
from tests.conftest import DASK_WORKER_KEY, make_settings
from tests.factories import sqlite_source

distributed = pytest.importorskip("distributed")

SCAN = """
name: shop-full
steps:
  - {id: discover, type: discover, config: {source: shop}}
  - {id: profile, type: profile, depends_on: discover, config: {source: shop}}
  - {id: classify, type: classify, depends_on: profile, config: {source: shop}}
  - {id: lineage, type: lineage, depends_on: discover, config: {source: shop}}
"""


def _context(home: Path, scheduler: str | None) -> Context:
    ctx = build_context(make_settings(home))
    if scheduler is not None:
        ctx.settings = executors.with_executor(ctx.settings, "dask", scheduler)
        key = SecretStr(DASK_WORKER_KEY)
        ctx.settings = ctx.settings.model_copy(update={"dask_worker_key": key})
    return ctx


def _run(ctx: Context, operator: Any, shop_url: str) -> dict[str, Any]:
    sources.add(ctx, operator, "shop", shop_url)
    workflows.apply_workflow(ctx, operator, SCAN)
    started = workflows.execute(ctx, operator, "shop-full")
    workflows.wait(ctx, started.id, timeout=60)
    return workflows.get_execution(ctx, operator, started.id)


def _catalog(ctx: Context) -> dict[str, Any]:
    with ctx.db.read() as conn:
        urns = dict(conn.execute(sa.select(assets.c.id, assets.c.urn)).all())
        return {
            "assets": sorted(conn.execute(sa.select(assets.c.urn, assets.c.type)).all()),
            "profiles": sorted(
                (urns[a], rows)
                for a, rows in conn.execute(sa.select(profiles.c.asset_id, profiles.c.row_count))
            ),
            "labels": sorted(
                (urns[a], label)
                for a, label in conn.execute(
                    sa.select(classifications.c.asset_id, classifications.c.label)
                )
            ),
        }


def test_scan_steps_on_dask_build_the_same_catalog_as_local(
    dask_cluster: Any, tmp_path: Path, operator: Any
) -> None:
    shop_url = sqlite_source(tmp_path / "shop.db")
    local = _context(tmp_path / "local", None)
    remote = _context(tmp_path / "dask", dask_cluster.scheduler_address)
    try:
        local_run = _run(local, operator, shop_url)
        dask_run = _run(remote, operator, shop_url)
        assert remote.engine.executor.name == "dask"
        for run in (local_run, dask_run):
            assert run.status == "completed", run
            assert {s.id: s.status for s in run.steps} == {
                "discover": "completed", "profile": "completed",
                "classify": "completed", "lineage": "completed",
            }  # fmt: skip
        expected = _catalog(local)
        assert expected["profiles"] and expected["labels"]
        assert _catalog(remote) == expected
        # the source was read in the worker processes (the store only ever here)
        with distributed.Client(dask_cluster.scheduler_address, set_as_default=False) as client:
            opened = client.run(_sources_opened)
        assert sum(opened.values()) >= 1
        reported = health.system_health(remote, operator).executor
        assert (reported.name, reported.workers, reported.scheduler) == (
            "dask", 2, dask_cluster.scheduler_address,
        )  # fmt: skip
    finally:
        local.close()
        remote.close()


def _sources_opened() -> int:
    from sounding.services.remote_sources import opened_on_worker

    return opened_on_worker[0]


def test_a_worker_without_the_servers_worker_key_refuses_the_read(tmp_path: Path) -> None:
    """A sealed source opens only with the key it was sealed with: a worker holding another
    key (or none) fails the read saying what to set, and the URL is never in clear."""
    from sounding.connectors.base import SourceConfig
    from sounding.errors import InvalidInputError
    from sounding.services.remote_sources import WORKER_KEY_ENV, SealedSource, new_worker_key

    url = f"sqlite:///{tmp_path / 'secret-path.db'}"
    sealed = SealedSource.seal(SourceConfig(name="shop", url=url), DASK_WORKER_KEY)
    assert "secret-path" not in repr(sealed) and "secret-path" not in sealed.sealed_url
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(WORKER_KEY_ENV, DASK_WORKER_KEY)
        assert sealed.unseal().url == url
        mp.setenv(WORKER_KEY_ENV, new_worker_key())
        with pytest.raises(InvalidInputError, match="not the Sounding server's"):
            sealed.unseal()
        mp.delenv(WORKER_KEY_ENV)
        with pytest.raises(InvalidInputError, match="has no SOUNDING_DASK_WORKER_KEY"):
            sealed.unseal()
