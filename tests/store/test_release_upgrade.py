"""A store made by the last release opens and upgrades cleanly: users keep their tokens,
findings their history, and every table then matches what the code declares.

``RELEASE_HEADS`` are the migration heads of the release before the web UI (commit
9e001d0): the schema such a store has. Upgrading adds the UI's passwords and sessions
(``accounts_0002``), finding acknowledgements (``compliance_0003``) and recorded change
impact (``changes_0001``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sounding.config import Settings
from sounding.features.accounts import service as accounts
from sounding.features.compliance import findings as compliance_findings
from sounding.services.context import build_context
from sounding.store import migrations
from sounding.store.tables import metadata

RELEASE_HEADS = (
    "accounts_0001",
    "insights_0001",
    "lineage_0002",
    "orchestration_0002",
    "scans_0001",
    "secrets_0001",
    "usage_0001",
    "versions_0001",
)
T1 = datetime(2026, 11, 1, 9, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sounding.db'}"
    else:
        yield str(request.getfixturevalue("postgres_url"))


def _release_store(url: str) -> str:
    """A store at the release's schema holding a user, a token and an open finding; the
    token in clear."""
    engine = sa.create_engine(url)
    try:
        for head in RELEASE_HEADS:
            migrations.upgrade(engine, head)
        token = "snd_release-token-0123456789"
        with engine.begin() as conn:
            user_id = conn.execute(
                sa.text(
                    "INSERT INTO users (name, role, created_at, disabled) "
                    "VALUES ('ann', 'steward', :t, false) RETURNING id"
                ),
                {"t": T1},
            ).scalar_one()
            conn.execute(
                sa.text(
                    "INSERT INTO api_tokens (user_id, token_hash, prefix, name, created_at) "
                    "VALUES (:u, :h, 'snd_rele', 'old', :t)"
                ),
                {"u": user_id, "h": accounts.hash_token(token), "t": T1},
            )
            source_id = conn.execute(
                sa.text(
                    "INSERT INTO sources (name, kind, url_encrypted, url_redacted, options, "
                    "created_at, updated_at) VALUES ('s', 'sqlite', 'x', 'x', '{}', :t, :t) "
                    "RETURNING id"
                ),
                {"t": T1},
            ).scalar_one()
            asset_id = conn.execute(
                sa.text(
                    "INSERT INTO assets (source_id, urn, type, name, qualified_name, tags, "
                    "custom_properties, first_seen, last_seen, updated_at) VALUES "
                    "(:s, 'urn:sounding:s:main.t', 'table', 't', 'main.t', '[]', '{}', :t, :t, :t)"
                    " RETURNING id"
                ),
                {"s": source_id, "t": T1},
            ).scalar_one()
            conn.execute(
                sa.text(
                    "INSERT INTO compliance_findings (asset_id, framework, requirement_id, "
                    "severity, status, evidence, first_seen, last_seen) VALUES "
                    "(:a, 'gdpr', 'GDPR-Art5', 'high', 'open', '{}', :t, :t)"
                ),
                {"a": asset_id, "t": T1},
            )
    finally:
        engine.dispose()
    return token


def test_a_release_store_upgrades_and_keeps_its_users_and_findings(
    store_url: str, tmp_path: Path
) -> None:
    token = _release_store(store_url)
    ctx = build_context(Settings(home=tmp_path / "home", database_url=store_url))
    try:
        who = accounts.authenticate(ctx, token)  # the old token still works
        assert who.name == "ann"
        findings, total = compliance_findings.list_findings(ctx, who)
        assert total == 1 and findings[0].status == "open"
        assert findings[0].acknowledged_by is None
        seen = compliance_findings.acknowledge(ctx, who, findings[0].id)
        assert seen.acknowledged_by == "ann"

        def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
            return True

        with ctx.db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": ours, "compare_type": True}
            )
            assert compare_metadata(context, metadata) == []
    finally:
        ctx.close()
