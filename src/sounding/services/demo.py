"""The demo workspace: generated warehouse and files, registered as sources."""

from __future__ import annotations

import logging
from pathlib import Path

from sounding.demo.warehouse import build_demo_workspace
from sounding.domain.auth import Principal
from sounding.services import sources
from sounding.services.context import Context
from sounding.store.repos import sources as source_repo

logger = logging.getLogger(__name__)


def prepare_demo(ctx: Context, actor: Principal, data_dir: Path) -> list[str]:
    """Generate the demo data under ``data_dir`` and register its sources (idempotent).

    Returns the names of the demo sources, ready to scan.
    """
    workspace = build_demo_workspace(data_dir)
    names = []
    for name, url in workspace.sources():
        with ctx.db.read() as conn:
            existing = source_repo.get_by_name(conn, name)
        if existing is None:
            sources.add(ctx, actor, name, url, description="Sounding demo data")
        names.append(name)
    return names
