"""Opening a store already at the heads skips Alembic: the heads read from the version files
are Alembic's own, and a store short of any head is still upgraded."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from sounding.store import migrations


def test_the_heads_read_from_the_files_are_alembics(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 's.db'}")
    assert migrations.declared_heads() == migrations.heads(engine)


def test_a_store_short_of_a_head_is_upgraded_and_then_current(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 's.db'}")
    assert not migrations.is_current(engine)  # no store yet
    migrations.upgrade(engine, "compliance_0001")
    assert not migrations.is_current(engine)
    migrations.upgrade(engine)
    assert migrations.is_current(engine)
    with engine.connect() as conn:
        stored = set(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    assert stored == migrations.heads(engine)
    migrations.upgrade(engine)  # a no-op that does not touch the version table
    engine.dispose()
