"""``secrets_0001`` rewrites the clear-text URL of sources stored before it, so an upgraded
store no longer lists a query password (and the encrypted URL is left alone)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from sounding.store import migrations
from sounding.store.db import create_engine
from sounding.store.tables import sources

T1 = datetime(2026, 3, 1, tzinfo=UTC)


def test_upgrade_redacts_urls_stored_in_clear(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrations.upgrade(engine, "0001")
    old = {
        "pg": "postgresql://u:***@h/db?password=HUNTER2secret&sslmode=require",
        "kw": "host=h dbname=d password='two words'",
        "plain": "sqlite:////data/shop.db",
    }
    with engine.begin() as conn:
        for name, url in old.items():
            conn.execute(
                sa.insert(sources).values(
                    name=name, kind="sql", url_encrypted="gAAAA-encrypted", url_redacted=url,
                    options={}, created_at=T1, updated_at=T1,
                )
            )  # fmt: skip
    migrations.upgrade(engine)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(sources.c.name, sources.c.url_redacted)).all())
        encrypted = set(conn.execute(sa.select(sources.c.url_encrypted)).scalars())
    assert rows == {
        "pg": "postgresql://u:***@h/db?password=***&sslmode=require",
        "kw": "host=h dbname=d password=***",
        "plain": "sqlite:////data/shop.db",
    }
    assert encrypted == {"gAAAA-encrypted"}
    engine.dispose()
