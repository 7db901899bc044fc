"""The real scan steps on Dask against a real PostgreSQL source: discover, profile, classify and
quality on a LocalCluster of two worker processes build the same catalog as the local executor;
a worker killed while it reads the source has its read run again on the other, nothing lost.

Each run writes its own SQLite store; the source database (``scale_dask_*``) is created and
dropped here."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from sounding.features.quality import service as quality
from sounding.features.quality.tables import quality_results, quality_rules
from sounding.services import executors, sources, workflows
from sounding.services.context import Context, build_context
from sounding.store.tables import assets
from sounding.store.tables_scanning import classifications, profiles
from tests import quality_sources as qs
from tests.conftest import DASK_WORKER_KEY, _server_url, make_settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
distributed = pytest.importorskip("distributed")

DISCOVER = """
name: pg-discover
steps:
  - {id: discover, type: discover, config: {source: pg}}
"""
SCAN = """
name: pg-scan
steps:
  - {id: discover, type: discover, config: {source: pg}}
  - {id: profile, type: profile, depends_on: discover, config: {source: pg}}
  - {id: classify, type: classify, depends_on: profile, config: {source: pg}}
  - {id: quality, type: quality, depends_on: discover, config: {source: pg}}
"""
# every read of this view takes 2 s (pg_sleep per row): long enough to kill a worker under it
SLOW_VIEW = (
    "CREATE VIEW slow_numbers AS SELECT g AS n, 'n' || g AS name "
    "FROM generate_series(1, 2) g CROSS JOIN LATERAL (SELECT pg_sleep(1)) s"
)


@pytest.fixture
def pg_source() -> Iterator[str]:
    server = _server_url("SOUNDING_TEST_POSTGRES_URL")
    name = f"scale_dask_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        qs.build(url)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(SLOW_VIEW)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


def _context(home: Path, scheduler: str | None) -> Context:
    ctx = build_context(make_settings(home))
    if scheduler is not None:
        ctx.settings = executors.with_executor(ctx.settings, "dask", scheduler)
        key = SecretStr(DASK_WORKER_KEY)
        ctx.settings = ctx.settings.model_copy(update={"dask_worker_key": key})
    return ctx


def _prepare(ctx: Context, operator: Any, url: str) -> None:
    """The source, discovered once (so the quality rules have their tables), and the rules."""
    sources.add(ctx, operator, "pg", url)
    workflows.apply_workflow(ctx, operator, DISCOVER)
    first = workflows.execute(ctx, operator, "pg-discover")
    assert workflows.wait(ctx, first.id, timeout=60).status == "completed"
    db = sa.engine.make_url(url).database
    rules = qs.rule_file("pg", f"{db}.public.customers", f"{db}.public.orders")
    quality.apply_rule_file(ctx, operator, rules)
    workflows.apply_workflow(ctx, operator, SCAN)


def _finish(ctx: Context, operator: Any, execution_id: str) -> Any:
    workflows.wait(ctx, execution_id, timeout=90)
    run = workflows.get_execution(ctx, operator, execution_id)
    assert run.status == "completed", run
    steps = {s.id: (s.status, s.tasks_failed) for s in run.steps}
    assert steps == {
        "discover": ("completed", 0), "profile": ("completed", 0),
        "classify": ("completed", 0), "quality": ("completed", 0),
    }, steps  # fmt: skip
    return run


def _catalog(ctx: Context) -> dict[str, Any]:
    """Assets, profiles (row counts and statistics), labels and quality results by URN."""
    with ctx.db.read() as conn:
        urns = dict(conn.execute(sa.select(assets.c.id, assets.c.urn)).all())
        rules = dict(conn.execute(sa.select(quality_rules.c.id, quality_rules.c.name)).all())
        profile_rows = conn.execute(
            sa.select(profiles.c.asset_id, profiles.c.row_count, profiles.c.profile)
        ).all()
        return {
            "assets": sorted(conn.execute(sa.select(assets.c.urn, assets.c.type)).all()),
            "profiles": sorted(
                (urns[a], rows, repr(sorted(_stats(p).items()))) for a, rows, p in profile_rows
            ),
            "labels": sorted(
                (urns[a], label, round(conf, 4))
                for a, label, conf in conn.execute(
                    sa.select(
                        classifications.c.asset_id,
                        classifications.c.label,
                        classifications.c.confidence,
                    )
                )
            ),
            "quality": sorted(
                (urns[a], rules[r], passed, failing)
                for a, r, passed, failing in conn.execute(
                    sa.select(
                        quality_results.c.asset_id,
                        quality_results.c.rule_id,
                        quality_results.c.passed,
                        quality_results.c.failing_count,
                    )
                )
            ),
        }


def _stats(profile: dict[str, Any]) -> dict[str, Any]:
    """A stored profile without its timing (how long it took is not what it found)."""
    return {k: v for k, v in profile.items() if k != "seconds"}


READS = ("sounding-source-profile-", "sounding-source-sample-")


class WorkerKiller(threading.Thread):
    """Kills (SIGKILL) the worker process reading the slow view once the read has gone on for
    half a second; ``killed`` is that worker's process id."""

    def __init__(self, scheduler: str) -> None:
        super().__init__(daemon=True)
        self.scheduler = scheduler
        self.killed: int | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        with distributed.Client(self.scheduler, set_as_default=False) as client:
            seen: dict[str, float] = {}
            while not self.stop.is_set() and self.killed is None:
                for worker, keys in client.processing().items():
                    for key in keys:
                        if not str(key).startswith(
                            ("sounding-source-profile-", "sounding-source-sample-")
                        ):
                            continue
                        first = seen.setdefault(str(key), time.monotonic())
                        if time.monotonic() - first > 0.5:
                            pid = client.run(os.getpid, workers=[worker])[worker]
                            os.kill(pid, signal.SIGKILL)
                            self.killed = pid
                            return
                time.sleep(0.05)


def test_scan_steps_on_dask_against_postgres_equal_local_and_survive_a_killed_worker(
    dask_cluster: Any, pg_source: str, tmp_path: Path, operator: Any
) -> None:
    local = _context(tmp_path / "local", None)
    remote = _context(tmp_path / "dask", dask_cluster.scheduler_address)
    killer = WorkerKiller(dask_cluster.scheduler_address)
    try:
        _prepare(local, operator, pg_source)
        _finish(local, operator, workflows.execute(local, operator, "pg-scan").id)
        expected = _catalog(local)
        assert any(urn.endswith("slow_numbers") for urn, _, _ in expected["profiles"])
        assert expected["labels"] and expected["quality"]

        _prepare(remote, operator, pg_source)
        assert remote.engine.executor.name == "dask"
        with distributed.Client(dask_cluster.scheduler_address, set_as_default=False) as client:
            before = set(client.run(os.getpid).values())
            killer.start()
            started = workflows.execute(remote, operator, "pg-scan")
            run = _finish(remote, operator, started.id)
            killer.stop.set()
            killer.join(10)
            client.wait_for_workers(2, timeout=30)
            after = set(client.run(os.getpid).values())
        assert killer.killed in before and killer.killed not in after, (killer.killed, after)
        assert {s.id: s.tasks_total for s in run.steps}["profile"] == len(
            [a for a in expected["assets"] if a[1] in ("table", "view")]
        )
        # every result the local executor wrote, the Dask one wrote too, once: nothing lost
        assert _catalog(remote) == expected
    finally:
        killer.stop.set()
        local.close()
        remote.close()
