"""The demo workspace: generated warehouse and files, registered as sources."""

from __future__ import annotations

import logging
from pathlib import Path

from sounding.demo.warehouse import TABLE_OWNERS, build_demo_workspace
from sounding.domain.auth import Principal
from sounding.domain.urn import make_urn
from sounding.errors import NotFoundError
from sounding.services import catalog, sources
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
        if existing is None:  # scans profile (10% sample) and classify, as a steward would set
            options = {"profile": True, "classify": True, "sample": "10%"}
            sources.add(ctx, actor, name, url, options=options, description="Sounding demo data")
        names.append(name)
    return names


def assign_demo_owners(ctx: Context, actor: Principal) -> int:
    """Give the scanned warehouse tables their owners, as a data team would have.

    One personal-data table is left without an owner on purpose (a governance defect the
    compliance checks find). Returns how many assets got an owner.
    """
    done = 0
    for table, owner in sorted(TABLE_OWNERS.items()):
        try:
            catalog.update_asset(
                ctx, actor, make_urn("warehouse", ("main", table)), {"owner": owner}
            )
        except NotFoundError:
            logger.warning("Demo table %s was not cataloged; no owner set", table)
            continue
        done += 1
    return done
