"""Repositories: one module per aggregate; each function takes an open Connection."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
