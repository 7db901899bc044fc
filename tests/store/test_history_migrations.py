"""``compliance_0002`` (finding history, reconstructed for existing findings) and
``quality_0002`` (the "no score" mark) upgrade stores that hold data, on SQLite and
PostgreSQL, and match the tables the code declares."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sounding.features.compliance.tables import compliance_finding_events, compliance_findings
from sounding.features.quality.tables import quality_scores
from sounding.store import migrations
from sounding.store.tables import assets, metadata, sources

T1, T2, T3 = (datetime(2026, 3, d, 9, tzinfo=UTC) for d in (1, 2, 3))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    made = sa.create_engine(url)
    yield made
    made.dispose()


def _finding(asset_id: int, req: str, status: str, **values: Any) -> dict[str, Any]:
    return {
        "asset_id": asset_id,
        "framework": "gdpr",
        "requirement_id": req,
        "severity": "high",
        "status": status,
        "evidence": {},
        "first_seen": T1,
        "last_seen": T3,
        # every row names every column: an executemany takes its columns from the first row
        **{"justification": None, "decided_by": None, "decided_at": None, "resolved_at": None},
        **values,
    }


def test_upgrading_a_store_with_findings_and_scores(engine: sa.Engine) -> None:
    migrations.upgrade(engine, "compliance_0001")
    migrations.upgrade(engine, "quality_0001")
    with engine.begin() as conn:
        source_id = conn.execute(
            sa.insert(sources)
            .values(name="s", kind="sqlite", url_encrypted="x", url_redacted="x", options={},
                    created_at=T1, updated_at=T1)
            .returning(sources.c.id)
        ).scalar_one()  # fmt: skip
        asset_id = conn.execute(
            sa.insert(assets)
            .values(source_id=source_id, urn="urn:sounding:s:t", type="table", name="t",
                    qualified_name="t", tags=[], custom_properties={}, first_seen=T1,
                    last_seen=T1, updated_at=T1)
            .returning(assets.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(
            sa.insert(compliance_findings),
            [
                _finding(asset_id, "open", "open"),
                _finding(asset_id, "accepted", "accepted", justification="Legacy, gone in Q3",
                         decided_by="ann", decided_at=T2),
                _finding(asset_id, "by-hand", "resolved", decided_by="bob", decided_at=T3,
                         resolved_at=T3),
                _finding(asset_id, "by-evaluation", "resolved", resolved_at=T2),
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(quality_scores).values(
                asset_id=asset_id, dimension="overall", score=0.5, computed_at=T1
            )
        )
    migrations.upgrade(engine)

    with engine.begin() as conn:
        found = conn.execute(
            sa.select(compliance_findings.c.id, compliance_findings.c.requirement_id)
        )
        reqs = {int(fid): str(req) for fid, req in found}
        e = compliance_finding_events.c
        rows = conn.execute(
            sa.select(e.finding_id, e.event, e.from_status, e.origin, e.actor, e.note, e.at)
        )
        history: dict[str, list[tuple[Any, ...]]] = {}
        for fid, *rest, at in sorted(rows, key=lambda r: (r[0], r[6])):
            history.setdefault(reqs[fid], []).append((*rest, at.replace(tzinfo=UTC)))
        # the "no score" mark can be stored now
        conn.execute(
            sa.insert(quality_scores).values(
                asset_id=asset_id, dimension="overall", score=None, computed_at=T2
            )
        )
    opened = ("opened", None, "migration", None, None, T1)
    assert history == {
        "open": [opened],
        "accepted": [opened, ("accepted", "open", "migration", "ann", "Legacy, gone in Q3", T2)],
        "by-hand": [opened, ("resolved", None, "migration", "bob", None, T3)],
        "by-evaluation": [opened, ("resolved", None, "migration", None, None, T2)],
    }


def test_tables_match_their_migrations(ctx: Any) -> None:
    names = {"compliance_finding_events", "quality_scores"}

    def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return (name if type_ == "table" else obj.table.name) in names

    opts = {"include_object": ours, "compare_type": True}
    with ctx.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), metadata) == []
