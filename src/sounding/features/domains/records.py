"""What the domains feature hands out: domains as typed records. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sounding.domain.assets import Asset


@dataclass(frozen=True, slots=True)
class Domain:
    """A domain as lists show it: ``parent`` is its parent's name, ``asset_count`` the live
    assets in it (not counting its sub-domains'), ``subdomain_count`` its direct children."""

    id: int
    name: str
    description: str | None
    owners: tuple[str, ...]
    parent: str | None
    parent_id: int | None
    asset_count: int
    subdomain_count: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int


@dataclass(frozen=True, slots=True)
class DomainDetail(Domain):
    """One domain with its path from the top (names, top first), its direct sub-domains
    and the first of its assets (``asset_count`` says how many there are)."""

    path: tuple[str, ...] = ()
    subdomains: tuple[Domain, ...] = ()
    assets: tuple[Asset, ...] = ()
