"""Data products: named, owned, versioned bundles of assets with input and output ports."""

from __future__ import annotations

import sqlalchemy as sa

from sounding.store.tables import TS, JSONType, metadata, row_version

data_products = sa.Table(
    "data_products",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_key", sa.String(200), nullable=False, unique=True),  # case-folded name
    sa.Column("description", sa.Text),
    sa.Column("owners", JSONType, nullable=False, default=list),  # user names
    sa.Column("domain", sa.String(200)),  # a domain's name, checked as an asset's is
    sa.Column("sla", sa.Text),  # the promise in words
    sa.Column("freshness_hours", sa.Integer),  # outputs are at most this old
    sa.Column("status", sa.String(20), nullable=False),  # draft | published | deprecated
    sa.Column("version", sa.Integer, nullable=False),  # one more on every change of ports
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    row_version(),
    sa.Index(None, "status"),
    sa.Index(None, "domain"),
)

data_product_ports = sa.Table(
    "data_product_ports",
    metadata,
    sa.Column(
        "product_id", sa.ForeignKey("data_products.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("direction", sa.String(10), primary_key=True),  # input | output
    sa.Index(None, "asset_id"),
)
