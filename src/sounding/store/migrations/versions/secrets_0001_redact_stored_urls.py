"""redact the clear-text copy of every stored source URL

Revision ID: secrets_0001
Revises: 0001

``sources.url_redacted`` is the only clear-text copy of a source URL (the whole URL is kept
Fernet-encrypted in ``url_encrypted``). Before this revision it hid only the user-info
password, so a password in the query (``?password=``, ``sslpassword=``, ``token=``...) was
stored, listed and returned in clear. This rewrites every row through the one redaction
function; it needs no key because it only removes information.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sounding.domain.credentials import redact

revision = "secrets_0001"
down_revision = "0001"
branch_labels = ("secrets",)
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    sources = sa.table("sources", sa.column("id", sa.Integer), sa.column("url_redacted", sa.Text))
    rows = conn.execute(sa.select(sources.c.id, sources.c.url_redacted)).all()
    for source_id, url in rows:
        clean = redact(url or "")
        if clean != url:
            conn.execute(
                sources.update().where(sources.c.id == source_id).values(url_redacted=clean)
            )


def downgrade() -> None:
    """Nothing to undo: the removed secrets stay only in the encrypted column."""
