"""Error columns never store a credential, whoever writes them (a task's foreign exception,
an unexpected scan failure): the column type redacts on the way in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sounding.store.tables import scan_runs, sources


def test_error_texts_are_stored_redacted(ctx: Any) -> None:
    now = datetime.now(UTC)
    message = (
        "OperationalError: invalid dsn: host=h password=Pw9secret dbname=d (pg://u:Pw9secret@h)"
    )
    with ctx.db.write() as conn:
        source_id = conn.execute(
            sa.insert(sources)
            .values(name="s", kind="sql", url_encrypted="x", url_redacted="x", options={},
                    created_at=now, updated_at=now)
            .returning(sources.c.id)
        ).scalar_one()  # fmt: skip
        run_id = conn.execute(
            sa.insert(scan_runs)
            .values(source_id=source_id, kind="discovery", status="failed", created_at=now,
                    report={}, error=message)
            .returning(scan_runs.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(
            sa.update(scan_runs).where(scan_runs.c.id == run_id).values(error=message + " again")
        )
    with ctx.db.read() as conn:
        raw = conn.exec_driver_sql(f"SELECT error FROM scan_runs WHERE id = {run_id}").scalar()
    assert "Pw9secret" not in raw
    assert raw.startswith("OperationalError: invalid dsn: host=h password=*** dbname=d")
