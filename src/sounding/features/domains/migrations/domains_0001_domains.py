"""domains as entities; every free-text asset domain becomes one

Revision ID: domains_0001
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "domains_0001"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    table = op.create_table(
        "domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owners", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["domains.id"],
            name=op.f("fk_domains_parent_id_domains"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        sa.UniqueConstraint("name_key", name=op.f("uq_domains_name_key")),
    )
    op.create_index(op.f("ix_domains_parent_id"), "domains", ["parent_id"], unique=False)
    _adopt_free_text_domains(table)


def _adopt_free_text_domains(table: sa.Table) -> None:
    """Each distinct ``assets.domain`` becomes a domain; spellings that differ only in case
    become one domain (the most used spelling), and their assets take that spelling."""
    conn = op.get_bind()
    assets = sa.table("assets", sa.column("domain", sa.String))
    counts = conn.execute(
        sa.select(assets.c.domain, sa.func.count())
        .where(assets.c.domain.is_not(None))
        .group_by(assets.c.domain)
    ).all()
    chosen: dict[str, tuple[str, int]] = {}
    spellings: dict[str, list[str]] = {}
    for raw, n in counts:
        name = str(raw).strip()
        if not name:
            conn.execute(sa.update(assets).where(assets.c.domain == raw).values(domain=None))
            continue
        key = name.casefold()
        spellings.setdefault(key, []).append(raw)
        best = chosen.get(key)
        if best is None or (n, name) > (best[1], best[0]):
            chosen[key] = (name, int(n))
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = [
        {
            "name": name,
            "name_key": key,
            "description": None,
            "owners": [],
            "parent_id": None,
            "created_by": "migration",
            "created_at": now,
            "updated_at": now,
        }
        for key, (name, _) in sorted(chosen.items())
    ]
    if rows:
        op.bulk_insert(table, rows)
    for key, raws in spellings.items():
        name = chosen[key][0]
        for raw in raws:
            if raw != name:
                conn.execute(sa.update(assets).where(assets.c.domain == raw).values(domain=name))


def downgrade() -> None:
    op.drop_index(op.f("ix_domains_parent_id"), table_name="domains")
    op.drop_table("domains")
